"""Names as fixed-length sequences, and how to judge generated names.

The text GAN and the VAE see a name as ``max_len`` characters from the
alphabet ``.abc...z``: the letters, then ``.`` repeated to the end (so ``.``
means "the name has ended"). Names longer than ``max_len`` are left out.
A generated sequence is read up to its first ``.``.

>>> ids = encode_names(["ava", "emma"], max_len=5)
>>> ids.tolist()
[[1, 22, 1, 0, 0], [5, 13, 13, 1, 0]]
>>> decode_names(ids)
['ava', 'emma']
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from ..backend import np
from .records import load_names
from .splits import load_split

__all__ = ["ALPHABET", "END", "encode_names", "decode_names", "fixed_length_names",
           "NameStats", "name_stats"]  # fmt: skip

END = "."
ALPHABET = END + "abcdefghijklmnopqrstuvwxyz"
_INDEX = {c: i for i, c in enumerate(ALPHABET)}


def encode_names(names, max_len: int) -> np.ndarray:
    """Integer ids (N, max_len): each name's letters, then ``.`` (id 0) to the end."""
    out = np.zeros((len(names), max_len), dtype=np.int64)
    for i, name in enumerate(names):
        if len(name) > max_len:
            raise ValueError(f"name {name!r} has {len(name)} letters, more than max_len={max_len}")
        try:
            out[i, : len(name)] = [_INDEX[c] for c in name]
        except KeyError as e:
            raise ValueError(f"name {name!r} has {e.args[0]!r}, not in {ALPHABET!r}") from None
    return out


def decode_names(ids) -> list[str]:
    """Each row of ids (N, L) read as letters up to its first ``.``."""
    ids = np.asarray(getattr(ids, "data", ids))
    return ["".join(ALPHABET[int(i)] for i in row).split(END)[0] for row in ids]


def fixed_length_names(split: str = "train", max_len: int = 10) -> list[str]:
    """The names of one fixed split (see ``minilm.data.load_split``) that fit in ``max_len``.

    >>> len(fixed_length_names("train", 10)) / len(load_split("names", "train")) > 0.99
    True
    """
    return [n for n in load_split("names", split) if 0 < len(n) <= max_len]


@dataclass(frozen=True)
class NameStats:
    """How generated names relate to the corpus.

    ``real``: share of samples that are names in names.txt (any split).
    ``new``: share that are not in the training split (the model did not see them).
    ``real_new``: share that are real names the model never saw (held-out names).
    ``unique``: distinct samples over samples. ``empty``: share of empty strings.
    """

    n: int
    real: float
    new: float
    real_new: float
    unique: float
    empty: float

    def __str__(self):
        return (f"{self.n} samples: {self.real:.1%} real names, {self.new:.1%} new "
                f"(not in train), {self.real_new:.1%} real and new, {self.unique:.1%} "
                f"distinct, {self.empty:.1%} empty")  # fmt: skip


@lru_cache(maxsize=1)
def _corpus_sets() -> tuple[frozenset, frozenset]:
    return frozenset(load_split("names", "train")), frozenset(load_names())


def name_stats(samples, train=None, everything=None) -> NameStats:
    """Score generated names against the training split and the whole corpus.

    >>> s = name_stats(["emma", "emma", "zzq"], train={"emma"}, everything={"emma", "zzq"})
    >>> round(s.real, 3), round(s.new, 3), round(s.unique, 3)
    (1.0, 0.333, 0.667)
    """
    train = _corpus_sets()[0] if train is None else set(train)
    everything = _corpus_sets()[1] if everything is None else set(everything)
    n = len(samples)
    if n == 0:
        raise ValueError("name_stats: no samples")
    real = sum(s in everything for s in samples)
    new = sum(s not in train for s in samples)
    real_new = sum(s in everything and s not in train for s in samples)
    return NameStats(n, real / n, new / n, real_new / n, len(set(samples)) / n,
                     sum(s == "" for s in samples) / n)  # fmt: skip
