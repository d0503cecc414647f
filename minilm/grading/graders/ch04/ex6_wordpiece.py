"""Graders for ex6_wordpiece, against ``minilm.text.WordPieceTokenizer.encode_word``."""

from hypothesis import strategies as st

from minilm.grading import check, prop
from minilm.text import WordPieceTokenizer

REIMPLEMENTS = (
    "minilm.text.wordpiece.WordPieceTokenizer.encode_word",
    "minilm.text.wordpiece.WordPieceTokenizer.encode",
    "minilm.text.wordpiece.WordPieceTokenizer.tokenize",
)

_ALPHABET = "abc"
_strings = st.text(_ALPHABET, min_size=1, max_size=4)


@st.composite
def vocabularies(draw, complete=True):
    """A set of pieces over "abc": word-initial and ``##`` ones, and with ``complete``
    every single character in both forms (so every word has some split)."""
    initial = draw(st.sets(_strings, max_size=8))
    continuation = {"##" + s for s in draw(st.sets(_strings, max_size=8))}
    vocab = initial | continuation
    if complete:
        vocab |= set(_ALPHABET) | {"##" + c for c in _ALPHABET}
    return vocab


def _reference(word, vocab, max_chars=100):
    tok = WordPieceTokenizer(sorted(vocab), special_tokens=["[UNK]"], max_word_chars=max_chars)
    return [tok.id_to_token(i) for i in tok.encode_word(word)]


def _student(student, word, vocab, **kwargs):
    pieces = sorted(vocab)  # a list crosses to the student's process; a set cannot
    got = student.wordpiece(word, pieces, **kwargs)
    what = f"wordpiece({word!r}, {sorted(vocab)!r})"
    assert pieces == sorted(vocab), f"{what}: the vocabulary was modified"
    assert isinstance(got, list), f"{what}: return a list of pieces, got {type(got).__name__}"
    return got, what


def _same(student, word, vocab, **kwargs):
    got, what = _student(student, word, vocab, **kwargs)
    want = _reference(word, vocab, kwargs.get("max_chars", 100))
    assert got == want, f"{what}: returned {got}, expected {want}"


@check(points=2)
@prop(word=st.text(_ALPHABET, min_size=1, max_size=12), vocab=vocabularies())
def longest_match(student, word, vocab):
    """the longest matching piece first, then on from its end (every character in the vocabulary)"""
    _same(student, word, vocab)


@check(points=1)
@prop(word=st.text(_ALPHABET, min_size=2, max_size=10), vocab=vocabularies())
def continuation_pieces(student, word, vocab):
    """pieces after the word's start are looked up with ## (a bare piece does not count there)"""
    vocab = {p for p in vocab if not p.startswith("##")} | {"##" + c for c in _ALPHABET}
    vocab |= {word}  # the whole word as a piece: taken whole
    _same(student, word, vocab)
    tail = "##" + word[1:]  # the rest as a bare piece only: it must not be used after the start
    _same(student, word, (vocab - {word, tail}) | {word[1:]})


@check(points=1)
@prop(word=st.text(_ALPHABET + "d", min_size=1, max_size=10), vocab=vocabularies(complete=False))
def unknown_word(student, word, vocab):
    """a position where no piece matches makes the whole word unknown ("d" is in no piece)"""
    _same(student, word, vocab)
    got, what = _student(student, word, vocab, unk="<unk>")
    if _reference(word, vocab) == ["[UNK]"]:
        assert got == ["<unk>"], f"{what} with unk='<unk>': returned {got}, expected ['<unk>']"


@check(points=1)
@prop(word=st.text(_ALPHABET, min_size=1, max_size=12), vocab=vocabularies(),
      max_chars=st.integers(1, 12))  # fmt: skip
def max_chars(student, word, vocab, max_chars):
    """a word longer than max_chars is unknown without trying"""
    _same(student, word, vocab, max_chars=max_chars)
