"""A vocabulary: the two-way map between symbols and ids, with an unknown-symbol policy.

The policy is explicit. With ``unk=None`` a symbol outside the vocabulary is an
error (a ``KeyError`` naming the symbol and where it was); with ``unk="<unk>"``
(or any string) that symbol is added to the vocabulary and every unknown symbol
encodes to its id. Decoding an id that is out of range is always an error.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Sequence


class Vocab:
    """Symbols (strings) <-> ids. Specials come first, then ``unk``, then the rest, in order.

    >>> v = Vocab(["a", "b"], unk="<unk>")
    >>> v.itos, v.encode(["a", "z"])
    (['<unk>', 'a', 'b'], [1, 0])
    """

    def __init__(
        self, symbols: Iterable[str], specials: Sequence[str] = (), unk: str | None = None
    ):
        itos = list(specials) + ([unk] if unk is not None else [])
        seen = set(itos)
        for s in symbols:
            if s not in seen:
                seen.add(s)
                itos.append(s)
        if len(seen) != len(itos):
            raise ValueError(f"Vocab: duplicate specials in {list(specials) + [unk]}")
        self.itos: list[str] = itos
        self.stoi: dict[str, int] = {s: i for i, s in enumerate(itos)}
        self.specials = list(specials)
        self.unk = unk

    @classmethod
    def from_counts(cls, counts: Counter, min_count: int = 1, max_size: int | None = None,
                    specials: Sequence[str] = (), unk: str | None = None) -> Vocab:  # fmt: skip
        """Most frequent first (ties in first-seen order), keeping counts >= ``min_count``."""
        ranked = [s for s, c in counts.most_common(max_size) if c >= min_count]
        return cls(ranked, specials, unk)

    def __len__(self) -> int:
        return len(self.itos)

    def __contains__(self, symbol: str) -> bool:
        return symbol in self.stoi

    def encode(self, symbols: Iterable[str]) -> list[int]:
        stoi = self.stoi
        if self.unk is not None:
            unk_id = stoi[self.unk]
            return [stoi.get(s, unk_id) for s in symbols]
        out = []
        for i, s in enumerate(symbols):
            if s not in stoi:
                raise KeyError(
                    f"symbol {s!r} (position {i}) is not in the vocabulary of {len(self)} symbols; "
                    "build the tokenizer with unk='<unk>' to map unknown symbols to one id"
                )
            out.append(stoi[s])
        return out

    def decode(self, ids: Iterable[int]) -> list[str]:
        itos = self.itos
        out = []
        for i in ids:
            i = int(i)
            if not 0 <= i < len(itos):
                raise IndexError(f"id {i} is out of range for a vocabulary of {len(itos)} symbols")
            out.append(itos[i])
        return out

    def to_dict(self) -> dict:
        return {"itos": self.itos, "specials": self.specials, "unk": self.unk}

    @classmethod
    def from_dict(cls, d: dict) -> Vocab:
        n = len(d["specials"]) + (d["unk"] is not None)
        return cls(d["itos"][n:], d["specials"], d["unk"])


def save_json(obj: dict, path) -> None:
    with open(path, "w", encoding="utf-8") as f:
        json.dump(obj, f, ensure_ascii=False, indent=1)


def load_json(path, kind: str) -> dict:
    with open(path, encoding="utf-8") as f:
        d = json.load(f)
    if d.get("type") != kind:
        raise ValueError(f"{path}: expected a saved {kind}, found type {d.get('type')!r}")
    return d
