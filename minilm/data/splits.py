"""Deterministic train/val/test splits, the same for every model in the course.

Every model is compared on the same held-out text, so the splits are fixed here
once (they never depend on minilm's global seed):

- ``tinyshakespeare``: by position. train is the first 90% of the characters,
  val the next 5%, test the last 5%; each cut is moved forward to just after the
  next newline, so no line (and no word) is cut in two. Returns strings.
- ``names``: shuffled with ``numpy.random.default_rng(0)``, then 80/10/10.
  Returns lists of names.
- ``sentiment``: the 3,000 ``(sentence, label)`` rows shuffled with
  ``default_rng(0)``, then 80/10/10.
- ``eng-fra``: split by *English sentence*, so that the several French
  translations of one English sentence land in the same split: the distinct
  English sentences (in order of first appearance) are shuffled with
  ``default_rng(0)`` and cut 80/10/10; each pair follows its English sentence
  and pairs keep file order within a split.
"""

from __future__ import annotations

from ..backend import np
from .corpora import check_corpus, load_text
from .records import load_names, load_sentiment, load_translation

SPLITS = ("train", "val", "test")
FRACTIONS = (0.8, 0.1, 0.1)
SEED = 0


def _cuts(n: int, fractions=FRACTIONS) -> tuple[int, int]:
    a = int(round(n * fractions[0]))
    b = a + int(round(n * fractions[1]))
    return a, b


def _shuffled_split(items: list, split: str) -> list:
    order = np.random.default_rng(SEED).permutation(len(items))
    a, b = _cuts(len(items))
    part = {"train": order[:a], "val": order[a:b], "test": order[b:]}[split]
    return [items[i] for i in part]


def _text_split(text: str, split: str) -> str:
    cuts = []
    for frac in (0.90, 0.95):
        i = text.find("\n", int(len(text) * frac))
        cuts.append(len(text) if i < 0 else i + 1)
    a, b = cuts
    return {"train": text[:a], "val": text[a:b], "test": text[b:]}[split]


def _pairs_split(pairs: list, split: str) -> list:
    english = list(dict.fromkeys(en for en, _ in pairs))
    chosen = set(_shuffled_split(english, split))
    return [p for p in pairs if p[0] in chosen]


def load_split(name: str, split: str = "train"):
    """One split of a bundled corpus (see the module docstring for how each is cut).

    >>> train = load_split("names", "train")
    >>> len(train), len(load_split("names", "val")), len(load_split("names", "test"))
    (25626, 3203, 3204)
    >>> load_split("tinyshakespeare", "test")[:12]
    'As shall wit'
    """
    check_corpus(name)
    if split not in SPLITS:
        raise ValueError(f"unknown split {split!r}: use one of {SPLITS}")
    if name == "tinyshakespeare":
        return _text_split(load_text(name), split)
    if name == "names":
        return _shuffled_split(load_names(), split)
    if name == "sentiment":
        return _shuffled_split(load_sentiment(), split)
    return _pairs_split(load_translation(), split)
