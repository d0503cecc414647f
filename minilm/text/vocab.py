"""A vocabulary: the two-way map between symbols and ids, with an unknown-symbol policy.

The policy is explicit. With ``unk=None`` a symbol outside the vocabulary is an
error (a ``KeyError`` naming the symbol and where it was); with ``unk="<unk>"``
(or any string) that symbol is added to the vocabulary and every unknown symbol
encodes to its id. Decoding an id that is out of range is always an error.

Saved tokenizers are JSON, read by :func:`load_json`: loading one never runs
code, and every ``from_dict`` refuses, with a ``ValueError`` naming the
problem, anything its ``to_dict`` could not have written (the checks here are
shared by all of them).
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

MAX_JSON_BYTES = 64 << 20  # 64 MiB: far more than a million merges take
MAX_SPECIALS = 1000
MAX_SPECIAL_CHARS = 100


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
        return {"itos": list(self.itos), "specials": list(self.specials), "unk": self.unk}

    @classmethod
    def from_dict(cls, d: dict, single_chars: bool = False) -> Vocab:
        """The inverse of :meth:`to_dict`. A ``ValueError`` names anything it could not
        have written; with ``single_chars``, each symbol after the specials and ``unk``
        must be one character.

        >>> Vocab.from_dict({"itos": ["<pad>", "a", "b"], "specials": ["<pad>"], "unk": None}).stoi
        {'<pad>': 0, 'a': 1, 'b': 2}
        >>> Vocab.from_dict({"itos": ["a", "bc"], "specials": [], "unk": None}, single_chars=True)
        Traceback (most recent call last):
        ...
        ValueError: vocab: symbol 1 'bc' is not a single character
        """
        check_fields(d, "vocab", ("itos", "specials", "unk"), typed=False)
        specials, unk, itos = check_specials(d["specials"]), d["unk"], d["itos"]
        if unk is not None and not (isinstance(unk, str) and 1 <= len(unk) <= MAX_SPECIAL_CHARS):
            raise ValueError(f"vocab: unk must be null or a string of 1 to {MAX_SPECIAL_CHARS} "
                             f"characters, got {short_repr(unk)}")  # fmt: skip
        if not isinstance(itos, list):
            raise ValueError(f"vocab: itos must be a list of strings, got {json_kind(itos)}")
        head = specials + ([unk] if unk is not None else [])
        if itos[: len(head)] != head:
            got = short_repr(itos[: len(head)])
            raise ValueError(f"vocab: itos must start with the specials and unk "
                             f"{short_repr(head)}, got {got}")  # fmt: skip
        seen = set()
        for i, s in enumerate(itos):
            if not isinstance(s, str):
                raise ValueError(f"vocab: symbol {i} must be a string, got {json_kind(s)}")
            if s in seen:
                raise ValueError(f"vocab: symbol {i} {short_repr(s)} appears twice")
            if single_chars and i >= len(head) and len(s) != 1:
                raise ValueError(f"vocab: symbol {i} {short_repr(s)} is not a single character")
            seen.add(s)
        return cls(itos[len(head) :], specials, unk)


def short_repr(value, limit: int = 60) -> str:
    """``repr(value)``, cut after ``limit`` characters (error messages quote a file's data).

    >>> short_repr("x" * 100, limit=10)
    "'xxxxxxxxx... (102 characters)"
    """
    r = repr(value)
    return r if len(r) <= limit else f"{r[:limit]}... ({len(r):,} characters)"


def json_kind(value) -> str:
    """What JSON calls ``value``'s type, for error messages.

    >>> json_kind([1]), json_kind(True), json_kind(None), json_kind(1.5)
    ('a list', 'true/false', 'null', 'a number')
    """
    if isinstance(value, bool):
        return "true/false"
    kinds = {dict: "an object", list: "a list", str: "a string", int: "a whole number",
             float: "a number", type(None): "null"}  # fmt: skip
    return kinds.get(type(value), type(value).__name__)


def check_fields(d, what: str, keys: Sequence[str], typed: bool = True) -> None:
    """A ``ValueError`` unless ``d`` is a dict with exactly the ``keys`` (and, when
    ``typed``, ``"type": what``).

    >>> check_fields({"type": "X", "a": 1}, "X", ["a", "b"])
    Traceback (most recent call last):
    ...
    ValueError: X: missing field 'b'
    """
    if not isinstance(d, dict):
        raise ValueError(f"{what} must be a JSON object, got {json_kind(d)}")
    if typed and d.get("type") != what:
        raise ValueError(f"expected a saved {what}, found type {short_repr(d.get('type'))}")
    allowed = {"type", *keys} if typed else set(keys)
    for key in keys:
        if key not in d:
            raise ValueError(f"{what}: missing field {key!r}")
    for key in d:
        if key not in allowed:
            raise ValueError(f"{what}: unexpected field {short_repr(key)}")


def check_specials(specials, what: str = "special tokens") -> list[str]:
    """``specials`` as a list: at most :data:`MAX_SPECIALS` distinct strings of 1 to
    :data:`MAX_SPECIAL_CHARS` characters (no lone surrogates: they cannot be saved as
    UTF-8), or a ``ValueError`` naming the first problem.

    >>> check_specials(("<pad>", "<eos>"))
    ['<pad>', '<eos>']
    >>> check_specials(["<pad>", "<pad>"])
    Traceback (most recent call last):
    ...
    ValueError: special tokens: '<pad>' is given twice
    """
    if not isinstance(specials, (list, tuple)):
        raise ValueError(f"{what} must be a list of strings, got {json_kind(specials)}")
    if len(specials) > MAX_SPECIALS:
        raise ValueError(f"{len(specials):,} {what}; at most {MAX_SPECIALS:,} are allowed")
    for j, s in enumerate(specials):
        if not isinstance(s, str):
            raise ValueError(f"{what} must be strings; item {j} is {json_kind(s)}")
        if not 1 <= len(s) <= MAX_SPECIAL_CHARS:
            raise ValueError(f"{what} have 1 to {MAX_SPECIAL_CHARS} characters; item {j} "
                             f"{short_repr(s)} has {len(s)}")  # fmt: skip
        if any("\ud800" <= c <= "\udfff" for c in s):
            raise ValueError(f"{what}: item {j} {short_repr(s)} holds a lone surrogate, "
                             "which is not a character")  # fmt: skip
        if s in specials[:j]:
            raise ValueError(f"{what}: {short_repr(s)} is given twice")
    return list(specials)


def save_json(obj: dict, path) -> None:
    with open(path, "w", encoding="utf-8") as f:
        json.dump(obj, f, ensure_ascii=False, indent=1)


def _no_constant(name: str):
    raise ValueError(f"{name} is not a JSON value")


def load_json(path, kind: str | None = None) -> dict:
    """The JSON object in the file ``path``; with ``kind``, its ``"type"`` must be ``kind``.

    JSON only: nothing in the file is ever run. A file over :data:`MAX_JSON_BYTES`
    is refused before it is read; one that is not UTF-8, not JSON or not an object
    is a ``ValueError`` naming the file and the problem.
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"no such file: {str(path)!r}")
    if path.is_dir():
        raise IsADirectoryError(f"{str(path)!r} is a folder; name a JSON file")
    if not path.is_file():
        raise ValueError(f"{str(path)!r} is not a regular file")
    too_big = f"{path} is over {MAX_JSON_BYTES >> 20} MiB, too big for a saved tokenizer"
    if path.stat().st_size > MAX_JSON_BYTES:
        raise ValueError(too_big)
    with open(path, "rb") as f:
        data = f.read(MAX_JSON_BYTES + 1)  # the file may have grown since stat()
    if len(data) > MAX_JSON_BYTES:
        raise ValueError(too_big)
    try:
        text = data.decode("utf-8").removeprefix("\ufeff")
        d = json.loads(text, parse_constant=_no_constant)
    except UnicodeDecodeError as e:
        raise ValueError(f"{path} is not UTF-8 (byte 0x{data[e.start]:02x} at offset "
                         f"{e.start}), so not a saved tokenizer") from None  # fmt: skip
    except json.JSONDecodeError as e:
        raise ValueError(f"{path} is not valid JSON: {e.msg} at line {e.lineno} "
                         f"column {e.colno}") from None  # fmt: skip
    except ValueError as e:  # a constant such as NaN, or an integer with too many digits
        raise ValueError(f"{path} is not valid JSON: {e}") from None
    except RecursionError:
        raise ValueError(f"{path} is not valid JSON for minilm: nested too deeply") from None
    if not isinstance(d, dict):
        raise ValueError(f"{path}: expected a JSON object, found {json_kind(d)}")
    if kind is not None and d.get("type") != kind:
        raise ValueError(f"{path}: expected a saved {kind}, found type {short_repr(d.get('type'))}")
    return d


def from_json_file(path, from_dict: Callable[[dict], object]):
    """``from_dict`` of the JSON object in ``path`` (:func:`load_json`); errors name the file."""
    d = load_json(path)
    try:
        return from_dict(d)
    except ValueError as e:
        raise ValueError(f"{path}: {e}") from None
