"""Char, word and byte-level BPE tokenizers."""

import json
from collections import Counter

import pytest
from hypothesis import given
from hypothesis import strategies as st

from minilm.bench._naive_bpe import learn_merges_naive
from minilm.text import (
    BPETokenizer,
    CharTokenizer,
    WordTokenizer,
    load_tokenizer,
    split_chunks,
    split_words,
    tokenizer_from_dict,
)
from minilm.text import vocab as vocab_module
from minilm.text.bpe import CHUNK_PATTERN, MAX_MERGES
from minilm.text.bpe_train import learn_merges
from minilm.text.vocab import MAX_JSON_BYTES, load_json

TRAIN = "the cat sat on the mat; the cats sat. Thé chat était là !\n  ok ok"


def trained(text=TRAIN, vocab_size=300, special_tokens=("<|end|>",)):
    tok = BPETokenizer()
    tok.train(text, vocab_size, special_tokens=special_tokens)
    return tok


@given(st.text())
def test_bpe_roundtrips_arbitrary_unicode(s):
    tok = trained()
    ids = tok.encode(s)
    assert tok.decode(ids) == s
    assert all(0 <= i < tok.vocab_size for i in ids)


@given(st.text())
def test_chunks_partition_the_text(s):
    assert "".join(split_chunks(s)) == s


@given(st.text(min_size=1), st.integers(256, 330))
def test_bpe_training_and_encoding_are_deterministic(text, vocab_size):
    a, b = BPETokenizer(), BPETokenizer()
    a.train(text, vocab_size)
    b.train(text, vocab_size)
    assert a.merges == b.merges
    assert a.encode(text) == b.encode(text) == BPETokenizer(a.merges).encode(text)


@given(st.text(alphabet="ab c\n", min_size=1, max_size=60), st.integers(0, 40))
def test_incremental_counts_learn_the_naive_merges(text, num_merges):
    counts = Counter(c.encode() for c in split_chunks(text))
    assert learn_merges(counts, num_merges) == learn_merges_naive(counts, num_merges)


@given(st.text(min_size=1, max_size=200))
def test_merges_learned_on_a_text_reproduce_themselves(text):
    tok = BPETokenizer()
    tok.train(text, 256 + 30)
    for i in range(256, tok.vocab_size):  # each token's bytes encode back to that one token
        assert tok.encode_chunk(tok.id_to_bytes(i)) == [i]
    retrained = BPETokenizer()
    retrained.train(tok.decode(tok.encode(text)), 256 + 30)
    assert retrained.merges == tok.merges


def test_bpe_specials_and_json(tmp_path):
    tok = trained()
    end = tok.special_tokens["<|end|>"]
    ids = tok.encode("the cat<|end|>")
    assert ids[-1] == end and tok.decode(ids) == "the cat<|end|>"
    assert end not in tok.encode("the cat<|end|>", allow_special=False)
    tok.save(tmp_path / "bpe.json")
    back = BPETokenizer.load(tmp_path / "bpe.json")
    assert back.merges == tok.merges and back.encode("the cat<|end|>") == ids
    assert len(tok.encode("the cat sat")) < len(b"the cat sat")
    with pytest.raises(ValueError, match="smaller than 256"):
        BPETokenizer().train("abc", 200)
    with pytest.raises(IndexError, match="out of range"):
        tok.decode([tok.vocab_size])


def test_char_tokenizer_unknown_policy(tmp_path):
    strict = CharTokenizer.from_text("hello")
    assert strict.decode(strict.encode("hole")) == "hole"
    with pytest.raises(KeyError, match="'z'.*unk"):
        strict.encode("zoo")
    lenient = CharTokenizer.from_text("hello", unk="<unk>", specials=["<pad>"])
    assert lenient.encode("hz") == [lenient.vocab.stoi["h"], 1]
    assert lenient.vocab.itos[:2] == ["<pad>", "<unk>"]
    lenient.save(tmp_path / "c.json")
    assert CharTokenizer.load(tmp_path / "c.json").vocab.itos == lenient.vocab.itos
    with pytest.raises(ValueError, match="expected a saved WordTokenizer"):
        from minilm.text import WordTokenizer as W

        W.load(tmp_path / "c.json")


def test_word_regex_and_tokenizer(tmp_path):
    assert split_words("Don't, O'er-the hills!") == ["Don't", ",", "O'er", "-", "the", "hills", "!"]
    assert split_words("  tabs\tand\nnewlines  ") == ["tabs", "and", "newlines"]
    tok = WordTokenizer.from_text("a a a b b c", min_count=2)
    assert tok.vocab.itos == ["<unk>", "a", "b"]
    assert tok.decode(tok.encode("a c b")) == "a <unk> b"
    with pytest.raises(KeyError, match="'c'"):
        WordTokenizer.from_text("a b", unk=None).encode("c")
    tok.save(tmp_path / "w.json")
    assert WordTokenizer.load(tmp_path / "w.json").encode("b a") == tok.encode("b a")


# --- tokenizers as plain dicts, and what from_dict refuses ---------------------------------------


def char_tok():
    return CharTokenizer.from_text("hello wörld", specials=["<pad>"], unk="<unk>")


@given(st.text())
def test_bpe_to_dict_from_dict_encodes_identically(s):
    tok = trained()
    d = json.loads(json.dumps(tok.to_dict()))  # plain JSON data
    back = BPETokenizer.from_dict(d)
    assert back.to_dict() == tok.to_dict()
    assert back.encode(s) == tok.encode(s) and tokenizer_from_dict(d).encode(s) == tok.encode(s)


def test_char_to_dict_from_dict_and_save_load(tmp_path):
    tok = char_tok()
    d = json.loads(json.dumps(tok.to_dict()))
    assert d["type"] == "CharTokenizer"
    for back in (CharTokenizer.from_dict(d), tokenizer_from_dict(d)):
        assert back.vocab.itos == tok.vocab.itos and back.vocab.unk == "<unk>"
        assert back.encode("wöld!") == tok.encode("wöld!")
    tok.save(tmp_path / "c.json")
    assert json.loads((tmp_path / "c.json").read_text("utf-8")) == tok.to_dict()
    assert load_tokenizer(tmp_path / "c.json").encode("hello") == tok.encode("hello")
    tok = trained()
    tok.save(tmp_path / "b.json")
    back = load_tokenizer(tmp_path / "b.json")
    assert isinstance(back, BPETokenizer) and back.to_dict() == tok.to_dict()


@given(
    st.lists(st.lists(st.integers(-2, 300), min_size=2, max_size=2), max_size=40),
    st.lists(st.text(max_size=3), max_size=3),
    st.text(),
)
def test_bpe_from_dict_refuses_or_roundtrips(merges, specials, s):
    d = {"type": "BPETokenizer", "chunk_pattern": CHUNK_PATTERN, "merges": merges,
         "special_tokens": specials}  # fmt: skip
    try:
        tok = BPETokenizer.from_dict(d)
    except ValueError:
        return
    assert tok.decode(tok.encode(s)) == s


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=5),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=5), inner, max_size=4)
    ),  # fmt: skip
    max_leaves=20,
)


@given(json_values, st.sampled_from(["BPETokenizer", "CharTokenizer"]))
def test_from_dict_raises_only_value_errors(value, kind):
    for d in (value, {"type": kind, "vocab": value}, {**trained().to_dict(), "merges": value},
              {**trained().to_dict(), "special_tokens": value}):  # fmt: skip
        try:
            tokenizer_from_dict(d)
        except ValueError:
            pass


def bpe(**fields):
    """A trained BPETokenizer's dict, with ``fields`` replaced."""
    return {**trained().to_dict(), **fields}


def char(**fields):
    """A CharTokenizer's dict, with ``fields`` of its vocab replaced."""
    d = char_tok().to_dict()
    return {**d, "vocab": {**d["vocab"], **fields}}


def doubling_merges(n):
    """Merge i = (previous, previous): token 256 + i has 2 ** (i + 1) bytes."""
    return [[0, 0]] + [[256 + i, 256 + i] for i in range(n)]


HOSTILE = {  # case: (the dict, what the error says)
    "not a dict": ([1, 2], "must be a JSON object, got a list"),
    "unknown type": ({"type": "Pickle"}, "type 'Pickle'; the known types are BPETokenizer, Char"),
    "type not a string": ({"type": ["BPETokenizer"]}, "unknown tokenizer type"),
    "missing field": ({"type": "BPETokenizer", "merges": []}, "missing field 'chunk_pattern'"),
    "unexpected field": (bpe(code="import os"), "unexpected field 'code'"),
    "other chunk pattern": (bpe(chunk_pattern=r"(a+)+$"), "different chunk pattern"),
    "merges not a list": (bpe(merges="ab"), r"merges must be a list of \[a, b\] pairs, got a str"),
    "merge of three": (bpe(merges=[[1, 2, 3]]), "merge 0 must be a pair of ids"),
    "merge of floats": (bpe(merges=[[1.0, 2]]), r"merge 0 must be a pair of ids .*got \[1.0, 2\]"),
    "merge of booleans": (bpe(merges=[[True, 2]]), "merge 0 must be a pair of ids"),
    "merge of strings": (bpe(merges=[["a", "b"]]), "merge 0 must be a pair of ids"),
    "merge not a list": (bpe(merges=[7]), "merge 0 must be a pair of ids"),
    "negative id": (bpe(merges=[[104, 105], [-1, 5]]), r"merge 1 \[-1, 5\]: id -1 is negative"),
    "id not defined yet": (
        bpe(merges=[[104, 105], [257, 5]]),
        r"merge 1 \[257, 5\]: id 257 is not defined yet \(merge 1 may use ids 0 to 256\)",
    ),
    "huge id": (bpe(merges=[[10**400, 1]]), "is not defined yet"),
    "duplicate merge": (bpe(merges=[[104, 105], [1, 2], [104, 105]]), r"\] repeats merge 0"),
    "too many merges": (bpe(merges=[[0, 0]] * (MAX_MERGES + 1)), "1,000,001 merges; at most"),
    "merges that double a token": (bpe(merges=doubling_merges(40)), "over 64 MiB in all"),
    "specials not a list": (bpe(special_tokens="<eos>"), "must be a list of strings, got a str"),
    "special not a string": (bpe(special_tokens=["<eos>", 3]), "item 1 is a whole number"),
    "empty special": (bpe(special_tokens=[""]), "1 to 100 characters; item 0 '' has 0"),
    "long special": (bpe(special_tokens=["x" * 101]), "1 to 100 characters; item 0 'xxx"),
    "too many specials": (bpe(special_tokens=[f"<{i}>" for i in range(1001)]), "1,001 special"),
    "duplicate special": (bpe(special_tokens=["<eos>", "<eos>"]), "'<eos>' is given twice"),
    "vocab not a dict": ({"type": "CharTokenizer", "vocab": []}, "vocab must be a JSON object"),
    "vocab missing field": ({"type": "CharTokenizer", "vocab": {}}, "vocab: missing field 'itos'"),
    "itos not a list": (char(itos="abc"), "itos must be a list of strings, got a string"),
    "itos without its specials": (char(itos=["a", "b"]), "must start with the specials"),
    "symbol not a string": (char(itos=["<pad>", "<unk>", 5]), "symbol 2 must be a string"),
    "symbol of two characters": (
        char(itos=["<pad>", "<unk>", "a", "bc"]),
        "symbol 3 'bc' is not a single character",
    ),
    "empty symbol": (char(itos=["<pad>", "<unk>", ""]), "symbol 2 '' is not a single"),
    "duplicate symbol": (char(itos=["<pad>", "<unk>", "a", "a"]), "'a' appears twice"),
    "char specials not strings": (char(specials=[None], itos=[None]), "item 0 is null"),
    "unk not a string": (char(unk=1), "unk must be null or a string"),
}


@pytest.mark.parametrize("case", HOSTILE)
def test_from_dict_refuses(case):
    d, message = HOSTILE[case]
    with pytest.raises(ValueError, match=message):
        tokenizer_from_dict(d)


def test_from_dict_refuses_the_other_type_and_load_names_the_file(tmp_path):
    with pytest.raises(ValueError, match="expected a saved BPETokenizer, found type 'CharTok"):
        BPETokenizer.from_dict(char_tok().to_dict())
    with pytest.raises(ValueError, match="CharTokenizer must be a JSON object, got null"):
        CharTokenizer.from_dict(None)
    path = tmp_path / "t.json"
    path.write_text(json.dumps(bpe(merges=[[300, 1]])))
    with pytest.raises(ValueError, match=r"t\.json: merge 0 \[300, 1\]: id 300 is not defined"):
        BPETokenizer.load(path)
    with pytest.raises(ValueError, match=r"t\.json: expected a saved CharTokenizer"):
        CharTokenizer.load(path)
    with pytest.raises(ValueError, match="merge 0 must be a pair"):  # the constructor checks too
        BPETokenizer([(1, 2, 3)])
    with pytest.raises(ValueError, match="is given twice"):
        BPETokenizer().train("abc", 300, special_tokens=["<a>", "<a>"])


@pytest.mark.parametrize(
    "data, message",
    [
        (b'{"type": ', r"is not valid JSON: Expecting value at line 1 column 10"),
        (b"", "is not valid JSON: Expecting value at line 1 column 1"),
        (b'{"type": "caf\xe9"}', r"is not UTF-8 \(byte 0xe9 at offset 13\)"),
        (b'{"merges": [[NaN, 1]]}', "is not valid JSON: NaN is not a JSON value"),
        (b"[" * 100_000 + b"]" * 100_000, "nested too deeply"),
        (b'{"a": ' + b"1" * 5000 + b"}", "is not valid JSON: Exceeds the limit"),
        (b"[1, 2]", r"t\.json: expected a JSON object, found a list"),
    ],
    ids=["truncated", "empty", "latin-1", "NaN", "deep", "huge number", "a list"],
)
def test_load_json_refuses_a_bad_file_clearly(tmp_path, data, message):
    path = tmp_path / "t.json"
    path.write_bytes(data)
    with pytest.raises(ValueError, match=message):
        load_tokenizer(path)


def test_load_json_refuses_a_big_file_before_reading_it(tmp_path, monkeypatch):
    path = tmp_path / "big.json"
    with open(path, "wb") as f:
        f.truncate(MAX_JSON_BYTES + 1)  # sparse: no disk used
    monkeypatch.setattr(vocab_module, "open", None, raising=False)  # refused before opening
    with pytest.raises(ValueError, match=r"big\.json is over 64 MiB, too big"):
        load_json(path)
    monkeypatch.undo()
    with pytest.raises(FileNotFoundError, match="no such file"):
        load_json(tmp_path / "missing.json")
    with pytest.raises(IsADirectoryError, match="is a folder"):
        load_json(tmp_path)
    (tmp_path / "bom.json").write_bytes(b'\xef\xbb\xbf{"type": "x"}')
    assert load_json(tmp_path / "bom.json", "x") == {"type": "x"}
