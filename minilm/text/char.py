"""Character-level tokenizer: one id per Unicode character."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from .vocab import Vocab, check_fields, from_json_file, save_json


class CharTokenizer:
    """Each character is a token. Build it from text with :meth:`from_text`.

    Unknown characters follow the :mod:`minilm.text.vocab` policy: with the
    default ``unk=None`` encoding one raises a ``KeyError``; with
    ``unk="<unk>"`` they map to that token. Specials (for example ``"<pad>"``)
    get the first ids; they are whole tokens, never produced by :meth:`encode`
    from text, and :meth:`decode` writes them out as their strings.

    >>> tok = CharTokenizer.from_text("hello")
    >>> tok.encode("hole"), tok.decode(tok.encode("hole"))
    ([1, 3, 2, 0], 'hole')
    >>> tok.vocab_size
    4
    """

    def __init__(self, vocab: Vocab):
        self.vocab = vocab

    @classmethod
    def from_text(cls, text: str, specials: Sequence[str] = (), unk: str | None = None,
                  min_count: int = 1) -> CharTokenizer:  # fmt: skip
        """Vocabulary: every character of ``text`` seen ``min_count`` times, in sorted order."""
        counts = Counter(text)
        chars = sorted(c for c, n in counts.items() if n >= min_count)
        return cls(Vocab(chars, specials, unk))

    @property
    def vocab_size(self) -> int:
        return len(self.vocab)

    def encode(self, text: str) -> list[int]:
        return self.vocab.encode(text)

    def decode(self, ids) -> str:
        return "".join(self.vocab.decode(ids))

    def to_dict(self) -> dict:
        """Plain data, what :meth:`save` writes as JSON; :meth:`from_dict` is its inverse."""
        return {"type": "CharTokenizer", "vocab": self.vocab.to_dict()}

    @classmethod
    def from_dict(cls, d: dict) -> CharTokenizer:
        """The tokenizer :meth:`to_dict` described. Anything it could not have written (a
        symbol that is not one character, a duplicate, a wrong type) is a ``ValueError``.

        >>> tok = CharTokenizer.from_text("hi", specials=["<pad>"])
        >>> CharTokenizer.from_dict(tok.to_dict()).encode("ih")
        [2, 1]
        """
        check_fields(d, "CharTokenizer", ["vocab"])
        return cls(Vocab.from_dict(d["vocab"], single_chars=True))

    def save(self, path) -> None:
        save_json(self.to_dict(), path)

    @classmethod
    def load(cls, path) -> CharTokenizer:
        return from_json_file(path, cls.from_dict)
