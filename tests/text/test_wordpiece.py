"""WordPiece: BERT's pre-tokenization, greedy longest-match-first, training by likelihood
gain, and the saved file."""

import json
import re
from collections import Counter
from fractions import Fraction

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from minilm.data import load_split
from minilm.text import BPETokenizer, WordPieceTokenizer
from minilm.text.wordpiece import learn_wordpieces, pre_tokenize, split_word

# --- pre-tokenization --------------------------------------------------------------------------

# The expected words are those of the BertPreTokenizer of Hugging Face's `tokenizers`
# (0.23), run once on these texts (and it agreed with pre_tokenize on 4,000 more).
BERT_WORDS = {
    "Don't  stop,\tRomeo!": ["Don", "'", "t", "stop", ",", "Romeo", "!"],
    "¿Qué?": ["¿", "Qué", "?"],
    "5€ + 3$": ["5€", "+", "3", "$"],  # € is a symbol, not punctuation: it stays in the word
    "a\u3000b\u2028c": ["a", "b", "c"],  # ideographic space, line separator
    "##x": ["#", "#", "x"],  # so no word starts with ##
    "e-mail:a@b.c": ["e", "-", "mail", ":", "a", "@", "b", ".", "c"],
    "x^2_y": ["x", "^", "2", "_", "y"],  # every ASCII non-alphanumeric is punctuation
    " \n ": [],
}


@pytest.mark.parametrize("text", BERT_WORDS)
def test_pre_tokenize_splits_as_bert_does(text):
    assert pre_tokenize(text) == BERT_WORDS[text]


@given(st.text())
def test_pre_tokenize_drops_only_whitespace_and_isolates_punctuation(text):
    words = pre_tokenize(text)
    assert "".join(words) == "".join(text.split())
    for w in words:
        assert w and not any(c.isspace() for c in w)
        assert len(w) == 1 or not any(c in "#,.!?'" for c in w)
    assert pre_tokenize(text, lower=True) == pre_tokenize(text.lower())


# Characters where Hugging Face's BertPreTokenizer differs: \x1c-\x1f are whitespace to
# Python's str.isspace but not in Unicode's White_Space; the others became punctuation in a
# later Unicode version than that of tokenizers' tables (Python's unicodedata is newer).
NOT_AS_IN_TOKENIZERS = "\x1c\x1d\x1e\x1f\u061d\u09fd\u0a76\u0c77\u0c84\u166d\u1b7d\u1b7e"
oracle_texts = st.text(st.characters(max_codepoint=0x2E42, exclude_characters=NOT_AS_IN_TOKENIZERS))


@given(oracle_texts)
def test_pre_tokenize_agrees_with_hugging_face_tokenizers(text):
    pre_tokenizers = pytest.importorskip("tokenizers.pre_tokenizers")
    assert pre_tokenize(text) == [
        w for w, _ in pre_tokenizers.BertPreTokenizer().pre_tokenize_str(text)
    ]


# --- encoding: greedy longest match first, [UNK] per word ---------------------------------------


def tok_of(pieces, **kwargs):
    return WordPieceTokenizer(pieces, special_tokens=["[UNK]", "[CLS]"], **kwargs)


# The expected pieces are those of the WordPiece model of Hugging Face's `tokenizers`.
GREEDY = [
    (["un", "##aff", "##able", "##a", "a", "##ff", "##f"], "unaffable", ["un", "##aff", "##able"]),
    (["un", "##aff", "##able", "##a", "a", "##ff", "##f"], "unaff", ["un", "##aff"]),
    (["un", "##aff", "##able", "##a", "a", "##ff", "##f"], "unb", ["[UNK]"]),
    (["un", "##aff", "##able", "##a", "a", "##ff", "##f"], "aaa", ["a", "##a", "##a"]),
    (["un", "##aff", "##able", "##a", "a", "##ff", "##f"], "affa", ["a", "##ff", "##a"]),
    # greedy takes "ab", then finds no "##c": the whole word is [UNK], though "a ##bc" fits
    (["a", "ab", "##bc", "##b"], "abc", ["[UNK]"]),
    (["a", "ab", "##bc", "##b"], "abbc", ["ab", "##bc"]),
]


@pytest.mark.parametrize("pieces, word, expected", GREEDY)
def test_greedy_longest_match_first(pieces, word, expected):
    tok = tok_of(pieces)
    assert tok.tokenize(word) == expected


def test_a_word_longer_than_max_word_chars_is_unknown():
    tok = tok_of(["a", "##a"], max_word_chars=5)
    assert tok.tokenize("aaaaa") == ["a"] + ["##a"] * 4
    assert tok.tokenize("aaaaaa a") == ["[UNK]", "a"]
    assert WordPieceTokenizer(["a", "##a"]).max_word_chars == 100  # BERT's


def test_specials_unknown_words_and_decoding():
    tok = tok_of(["hug", "##s", "!", "[", "cl", "]", "h"], lower=True)
    assert tok.vocab[:2] == ["[UNK]", "[CLS]"] and tok.unk_id == 0
    assert tok.tokenize("[CLS]Hugs! hux") == ["[CLS]", "hug", "##s", "!", "[UNK]"]
    assert tok.tokenize("[CLS]", allow_special=False) == ["[", "cl", "##s", "]"]
    assert tok.decode(tok.encode("[CLS]Hugs! hux")) == "[CLS] hugs ! [UNK]"
    ids = {t: i for i, t in enumerate(tok.vocab)}
    # a continuation at the start or after a special starts a word; another one glues
    s, cls, h = ids["##s"], ids["[CLS]"], ids["h"]
    assert tok.decode([s, s, cls, s, h]) == "ss [CLS] s h"
    assert tok.decode([]) == "" and tok.encode("") == []
    with pytest.raises(IndexError, match="id 9 is out of range for a vocabulary of 9 tokens"):
        tok.decode([9])
    # only the special token's own string is special, not a word lowercased to it
    tok = WordPieceTokenizer(["e", "##o", "##s"], special_tokens=["[UNK]", "eos"], lower=True)
    assert tok.tokenize("EOS eos") == ["e", "##o", "##s", "eos"]
    # the unknown token goes after the given specials when it is not one of them
    assert WordPieceTokenizer(["a"], special_tokens=["<pad>"], unk_token="<unk>").vocab == [
        "<pad>", "<unk>", "a"
    ]  # fmt: skip


# --- round trip over the vocabulary's alphabet ---------------------------------------------------

ALPHABET = "abcé"  # each occurs below word-initially and inside a word
PUNCT = ",!#"
CORPUS = "ab ba ca ac bc cb éa aé abcabc cab, ! # cabbage"


def trained(text=CORPUS, vocab_size=40, **kwargs):
    tok = WordPieceTokenizer(**kwargs)
    tok.train(text, vocab_size)
    return tok


def normalized(text):
    """The text with each punctuation mark spaced out and whitespace runs made one space."""
    return " ".join(re.sub(f"([{PUNCT}])", r" \1 ", text).split())


@given(st.text(alphabet=ALPHABET + PUNCT + " \t\n", max_size=60))
def test_decode_of_encode_is_the_normalized_text(text):
    tok = trained()
    ids = tok.encode(text)
    assert tok.unk_id not in ids
    assert tok.decode(ids) == normalized(text) == " ".join(tok.pre_tokenize(text))
    assert tok.encode(tok.decode(ids)) == ids


@given(st.text(alphabet=ALPHABET + ALPHABET.upper() + PUNCT + " ", max_size=40))
def test_lower_round_trips_to_the_lowercase_text(text):
    tok = trained(lower=True)
    assert tok.decode(tok.encode(text)) == normalized(text.lower())


@given(st.text())
def test_encode_of_decode_gives_the_ids_back_for_any_text(text):
    for tok in (trained(), trained(lower=True)):
        ids = tok.encode(text)
        assert all(0 <= i < tok.vocab_size for i in ids)
        assert tok.encode(tok.decode(ids)) == ids


@given(st.text("abcdéx ,!#\n", max_size=80) | oracle_texts)
@example("d" * 100 + " " + "d" * 101)  # the longest word that is not [UNK], and one more
def test_encoding_agrees_with_hugging_face_tokenizers(text):
    tokenizers = pytest.importorskip("tokenizers")
    tok = trained(CORPUS + " dab bad dd", 60)
    hf = tokenizers.Tokenizer(tokenizers.models.WordPiece(
        {t: i for i, t in enumerate(tok.vocab)}, unk_token="[UNK]", max_input_chars_per_word=100
    ))  # fmt: skip
    hf.pre_tokenizer = tokenizers.pre_tokenizers.BertPreTokenizer()
    assert tok.tokenize(text, allow_special=False) == hf.encode(text).tokens


# --- training by likelihood gain -----------------------------------------------------------------


def test_first_merges_by_hand():
    # words: to x3, tot, at. Pieces: to = t ##o; tot = t ##o ##t; at = a ##t.
    # counts: t 4, ##o 4, ##t 2, a 1. Pairs: (t, ##o) 4, (##o, ##t) 1, (a, ##t) 1.
    # scores: (t, ##o) 4/(4*4) = 1/4; (##o, ##t) 1/(4*2) = 1/8; (a, ##t) 1/(1*2) = 1/2.
    # 1. "at" (BPE would take the most frequent pair, t ##o, first).
    # now: t 4, ##o 4, ##t 1. (t, ##o) 4/16 = 1/4 = (##o, ##t) 1/(4*1): a tie, and
    # (t, ##o) occurs 4 times, (##o, ##t) once: 2. "to".
    # now: to 4, ##t 1; the one pair (to, ##t): 3. "tot"; then every word is one piece.
    pieces, merges = learn_wordpieces(Counter({"to": 3, "tot": 1, "at": 1}), 100)
    assert merges == [("a", "##t"), ("t", "##o"), ("to", "##t")]
    assert pieces == ["##o", "##t", "a", "t", "at", "to", "tot"]
    bpe = BPETokenizer()
    bpe.train("to to to tot at", 257)
    assert bpe.id_to_bytes(256) == b"to"


def test_ties_of_score_and_count_go_to_the_smallest_pair():
    # ab, cd: all four pieces occur once, both pairs score 1/(1*1) and occur once
    assert learn_wordpieces(Counter({"cd": 1, "ab": 1}), 5)[1] == [("a", "##b")]
    # xy x2, zy, xz: x 3, ##y 3, z 1, ##z 1. (x, ##y) 2/(3*3) = 2/9 occurs most, but
    # (z, ##y) 1/(1*3) = 1/3 and (x, ##z) 1/(3*1) = 1/3 score higher: a tie in score and
    # count, to the smaller pair (x, ##z). Then x 2, ##y 3, z 1: (x, ##y) 2/(2*3) = 1/3
    # and (z, ##y) 1/(1*3) = 1/3 tie in score, and (x, ##y) occurs twice.
    wc = Counter({"xy": 2, "zy": 1, "xz": 1})
    assert learn_wordpieces(wc, 6)[1] == [("x", "##z"), ("x", "##y")]


def naive_wordpieces(word_counts, num_pieces):
    """Re-count everything after each merge and compare scores as fractions."""
    words = {w: split_word(w) for w in word_counts}
    pieces = sorted({p for s in words.values() for p in s})
    merges = []
    while len(pieces) < num_pieces:
        pairs, singles = Counter(), Counter()
        for w, s in words.items():
            singles.update({p: word_counts[w] * s.count(p) for p in set(s)})
            for p in zip(s, s[1:]):
                pairs[p] += word_counts[w]
        if not pairs:
            break
        rank = {p: (Fraction(c, singles[p[0]] * singles[p[1]]), c) for p, c in pairs.items()}
        top = max(rank.values())
        a, b = min(p for p in pairs if rank[p] == top)
        merges.append((a, b))
        new = a + b[2:]
        for w, s in words.items():
            out = []
            for p in s:
                if out and out[-1] == a and p == b:  # out[-1] is never a merged piece
                    out[-1] = new
                else:
                    out.append(p)
            words[w] = out
        if new not in pieces:
            pieces.append(new)
    return pieces, merges


small_corpora = st.dictionaries(st.text("abc", min_size=1, max_size=7), st.integers(1, 5),
                                min_size=1, max_size=8)  # fmt: skip


@given(small_corpora, st.integers(0, 30))
def test_incremental_training_learns_what_recounting_learns(word_counts, extra):
    word_counts = Counter(word_counts)
    alphabet = {p for w in word_counts for p in split_word(w)}
    num_pieces = len(alphabet) + extra
    learned = learn_wordpieces(word_counts, num_pieces)
    assert learned == naive_wordpieces(word_counts, num_pieces)
    assert learn_wordpieces(Counter(dict(reversed(word_counts.items()))), num_pieces) == learned


@given(st.text(alphabet="abcd ,", min_size=1, max_size=80), st.integers(0, 40))
def test_training_is_deterministic_reaches_the_size_and_encodes_its_words(text, extra):
    words = pre_tokenize(text)
    alphabet = {p for w in words for p in split_word(w)}
    vocab_size = 5 + len(alphabet) + extra
    a, b = trained(text, vocab_size), trained(text, vocab_size)
    assert a.vocab == b.vocab and a.encode(text) == b.encode(text)
    assert len(set(a.vocab)) == a.vocab_size <= vocab_size
    if a.vocab_size < vocab_size:  # stopped early: every word is a piece
        assert all(w in a.piece_ids for w in words)
    for w in words:
        assert a.unk_id not in a.encode_word(w)


def test_training_on_a_real_corpus():
    text = "\n".join(s for s, _ in load_split("sentiment", "train")[:400])
    tok = trained(text, 600)
    assert tok.vocab_size == 600 and tok.vocab[:5] == ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    words = set(pre_tokenize(text))
    assert all(tok.unk_id not in tok.encode_word(w) for w in words)
    assert tok.decode(tok.encode(text)) == " ".join(pre_tokenize(text))
    # specials in the training text are cut out first, and words too long are left out
    tok = WordPieceTokenizer(max_word_chars=3)
    tok.train("[CLS] abcd xy", 20)
    assert tok.pieces == ["##y", "x", "xy"]


def test_training_refuses_a_vocabulary_too_small_and_lone_surrogates():
    with pytest.raises(ValueError, match=r"vocab_size=8 is smaller than the 5 special tokens "
                       r"\+ the 4 characters .* at least 9"):  # fmt: skip
        trained("ab ba", 8)  # a ##b b ##a
    with pytest.raises(ValueError, match="lone surrogate"):
        trained("a\ud800b", 50)
    tok = trained("a", 20, special_tokens=["<s>"], unk_token="<unk>")
    assert tok.vocab == ["<s>", "<unk>", "a"]


# --- the saved file ------------------------------------------------------------------------------


@given(st.text())
def test_to_dict_from_dict_and_save_load_encode_identically(text):
    tok = trained(lower=True)
    d = json.loads(json.dumps(tok.to_dict()))
    back = WordPieceTokenizer.from_dict(d)
    assert back.to_dict() == tok.to_dict() and back.encode(text) == tok.encode(text)


def test_save_load(tmp_path):
    tok = trained(max_word_chars=7)
    tok.save(tmp_path / "wp.json")
    d = json.loads((tmp_path / "wp.json").read_text("utf-8"))
    assert d["type"] == "WordPieceTokenizer" and d["pieces"] == tok.pieces
    back = WordPieceTokenizer.load(tmp_path / "wp.json")
    assert back.vocab == tok.vocab and back.max_word_chars == 7
    assert back.encode("cabbage, éa") == tok.encode("cabbage, éa")


def wp(**fields):
    return {**trained().to_dict(), **fields}


REFUSED = {  # case: (the dict, what the error says)
    "not a dict": ([], "WordPieceTokenizer must be a JSON object, got a list"),
    "other type": ({**wp(), "type": "BPETokenizer"}, "expected a saved WordPieceTokenizer"),
    "missing field": ({k: v for k, v in wp().items() if k != "pieces"}, "missing field 'pieces'"),
    "unexpected field": (wp(code="import os"), "unexpected field 'code'"),
    "pieces not a list": (wp(pieces="abc"), "pieces must be a list of strings, got a string"),
    "piece not a string": (wp(pieces=["a", 1]), "piece 1 must be a string, got a whole number"),
    "empty piece": (wp(pieces=["a", ""]), "piece 1 '' is empty"),
    "bare ##": (wp(pieces=["##"]), "piece 0 '##' is empty"),
    "piece with a space": (wp(pieces=["a b"]), "piece 0 'a b' holds whitespace"),
    "duplicate piece": (wp(pieces=["a", "##a", "a"]), "piece 2 'a' appears twice"),
    "piece that is a special": (wp(pieces=["a", "[CLS]"]), r"piece 1 '\[CLS\]' is a special"),
    "unk not a special": (wp(unk_token="<unk>"), "unk_token '<unk>' is not one of the special"),
    "specials not a list": (wp(special_tokens="[UNK]"), "must be a list of strings"),
    "special with a space": (wp(special_tokens=["[UNK]", "a b"]), "'a b' holds whitespace"),
    "lower not a boolean": (wp(lower=1), "lower must be true or false, got a whole number"),
    "max_word_chars 0": (wp(max_word_chars=0), "max_word_chars must be a whole number from 1"),
    "max_word_chars huge": (wp(max_word_chars=10**6), "from 1 to 1000, got 1000000"),
    "max_word_chars float": (wp(max_word_chars=5.0), "max_word_chars must be a whole number"),
    "max_word_chars boolean": (wp(max_word_chars=True), "max_word_chars must be a whole number"),
}


@pytest.mark.parametrize("case", REFUSED)
def test_from_dict_refuses(case):
    d, message = REFUSED[case]
    with pytest.raises(ValueError, match=message):
        WordPieceTokenizer.from_dict(d)


def test_load_names_the_file(tmp_path):
    path = tmp_path / "wp.json"
    path.write_text(json.dumps(wp(pieces=["a", "a"])), encoding="utf-8")
    with pytest.raises(ValueError, match=r"wp\.json: piece 1 'a' appears twice"):
        WordPieceTokenizer.load(path)
    path.write_text('{"type": ', encoding="utf-8")
    with pytest.raises(ValueError, match=r"wp\.json is not valid JSON"):
        WordPieceTokenizer.load(path)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=5),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=5), inner, max_size=4)
    ),
    max_leaves=20,
)


@given(json_values, st.sampled_from(["pieces", "special_tokens", "unk_token", "lower",
                                     "max_word_chars"]))  # fmt: skip
def test_from_dict_raises_only_value_errors(value, field):
    for d in (value, wp(**{field: value})):
        try:
            WordPieceTokenizer.from_dict(d)
        except ValueError:
            pass
