"""Char, word and byte-level BPE tokenizers."""

from collections import Counter

import pytest
from hypothesis import given
from hypothesis import strategies as st

from minilm.bench._naive_bpe import learn_merges_naive
from minilm.text import BPETokenizer, CharTokenizer, WordTokenizer, split_chunks, split_words
from minilm.text.bpe_train import learn_merges

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
