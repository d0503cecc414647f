"""Graders for ex6_squad_f1, against ``minilm.metrics``'s SQuAD functions."""

from hypothesis import strategies as st

from minilm.grading import assert_close, check, prop
from minilm.metrics import exact_match, normalize_answer, token_f1

REIMPLEMENTS = (
    "minilm.metrics.normalize_answer",
    "minilm.metrics.exact_match",
    "minilm.metrics.token_f1",
    "minilm.metrics.squad_scores",
)

# pieces that exercise every step: case, punctuation inside and between words,
# whole-word articles and words that only contain one, runs of whitespace
_PIECES = ["the", "The", "THE", "a", "A", "an", "An", "theatre", "anna", "Paris", "paris",
           "U.S.", "don't", "1998", "(1998)", "cat", "Cat's", "e-mail", "--", ",", "!",
           "\u00e9t\u00e9"]  # fmt: skip
_SEPARATORS = [" ", "  ", "\t", "\n", "", ", ", " - "]


@st.composite
def answers(draw, max_pieces=6):
    pieces = draw(st.lists(st.sampled_from(_PIECES), min_size=1, max_size=max_pieces))
    text = draw(st.sampled_from(["", " ", "  "]))
    for p in pieces:
        text += p + draw(st.sampled_from(_SEPARATORS))
    return text


def _em_f1(student, prediction, golds):
    gs = list(golds)
    got = student.em_f1(prediction, gs)
    what = f"em_f1({prediction!r}, {golds!r})"
    assert isinstance(got, (tuple, list)) and len(got) == 2, (
        f"{what}: return (exact_match, f1), got {got!r}"
    )
    assert gs == list(golds), f"{what}: the gold list was modified"
    return float(got[0]), float(got[1]), what


@check(points=2)
@prop(text=answers())
def normalization(student, text):
    """lowercase, punctuation deleted, whole-word articles removed, whitespace collapsed"""
    got = student.normalize_answer(text)
    want = normalize_answer(text)
    assert got == want, f"normalize_answer({text!r}) returned {got!r}, expected {want!r}"


@check(points=1)
@prop(prediction=answers(), gold=answers(), same=st.booleans())
def exact(student, prediction, gold, same):
    """exact match after normalization (the gold sometimes a variant of the prediction)"""
    if same:  # the same answer, written differently
        gold = "  The " + prediction.upper() + "!"
    em, _, what = _em_f1(student, prediction, [gold])
    assert em == exact_match(prediction, [gold]), f"{what}: exact match {em}"


_BAG = st.lists(st.sampled_from(["paris", "the", "city", "of", "city", "Paris."]), min_size=1,
                max_size=7).map(" ".join)  # fmt: skip


@check(points=1)
@prop(prediction=_BAG, gold=_BAG)
def f1_as_a_bag(student, prediction, gold):
    """F1 counts the overlap as a bag: repeated tokens count as often as both have them"""
    _, f, what = _em_f1(student, prediction, [gold])
    assert_close(f, token_f1(prediction, [gold]), f"{what}: F1")


@check(points=1)
@prop(prediction=answers(), golds=st.lists(answers(), min_size=2, max_size=4))
def best_over_golds(student, prediction, golds):
    """exact match and F1 are the best over several gold answers"""
    em, f, what = _em_f1(student, prediction, golds)
    assert em == exact_match(prediction, golds), f"{what}: exact match {em}"
    assert_close(f, token_f1(prediction, golds), f"{what}: F1")
