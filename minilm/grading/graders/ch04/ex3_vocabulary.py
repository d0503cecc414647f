"""Graders for ex3_vocabulary, against ``minilm.text.Vocab``."""

from collections import Counter

from hypothesis import strategies as st

from minilm.grading import StudentError, check, prop
from minilm.text import Vocab

# what this exercise asks the student to write: refused in the sandbox
REIMPLEMENTS = ("minilm.text.Vocab",)

WORDS = ["the", "a", "cat", "sat", "mat", "on", "dog", ".", ","]
token_lists = st.lists(st.sampled_from(WORDS), min_size=1, max_size=30)
settings = st.fixed_dictionaries({
    "min_count": st.integers(1, 3),
    "max_size": st.one_of(st.none(), st.integers(1, 6)),
    "specials": st.sampled_from([(), ("<pad>",), ("<pad>", "<s>", "</s>")]),
    "unk": st.sampled_from([None, "<unk>"]),
})  # fmt: skip


def _vocab(tokens, s):
    counts = Counter(tokens)
    return Vocab.from_counts(counts, s["min_count"], s["max_size"], s["specials"], s["unk"])


@check(points=2)
@prop(tokens=token_lists, s=settings)
def vocabulary(student, tokens, s):
    """specials, then unk, then words by frequency (ties first-seen), min_count and max_size"""
    got = list(student.build_vocab(list(tokens), **s))
    want = _vocab(tokens, s).itos
    assert got == want, f"build_vocab(..., {s}): got {got}, expected {want}"


@check(points=1)
@prop(train=token_lists, test=token_lists, s=settings)
def encode_unknown(student, train, test, s):
    """unknown tokens encode to the id of <unk>"""
    vocab = _vocab(train, {**s, "unk": "<unk>"})
    got = list(student.encode(list(test), list(vocab.itos), unk="<unk>"))
    want = vocab.encode(test)
    assert got == want, f"encode({test}) with vocabulary {vocab.itos}: got {got}, expected {want}"


@check(points=1)
@prop(train=token_lists, s=settings)
def unknown_is_an_error(student, train, s):
    """without unk, known tokens encode and an unknown one raises KeyError"""
    vocab = _vocab(train, {**s, "unk": None})
    known = [w for w in train if w in vocab]
    assert list(student.encode(known, list(vocab.itos))) == vocab.encode(known)
    try:
        student.encode([*known, "zebra"], list(vocab.itos))
    except StudentError as e:  # raised in the student's process; its type crosses by name
        if "KeyError" in e.kinds:  # a KeyError, or a subclass of it
            return
        raise AssertionError(f"encoding 'zebra' must raise KeyError, not {e}") from None
    raise AssertionError("encoding 'zebra', which is not in the vocabulary, must raise KeyError")
