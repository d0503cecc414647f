"""Word-level tokenizer: a regular expression splits text into words and punctuation."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence

from .vocab import Vocab, check_fields, from_json_file, save_json

# A word is a run of letters/digits/underscores, optionally joined by apostrophes
# ("don't", "o'er", "'tis" is "'", "tis"); any other non-space character is a token
# on its own. Whitespace separates tokens and is dropped.
WORD_PATTERN = r"\w+(?:['’]\w+)*|[^\w\s]"


def split_words(text: str, lower: bool = False) -> list[str]:
    """Split ``text`` with :data:`WORD_PATTERN`.

    >>> split_words("Don't stop, Romeo!")
    ["Don't", 'stop', ',', 'Romeo', '!']
    """
    return re.findall(WORD_PATTERN, text.lower() if lower else text)


class WordTokenizer:
    """Words and punctuation marks as tokens (see :data:`WORD_PATTERN`).

    The vocabulary keeps words seen at least ``min_count`` times (most frequent
    first, at most ``max_size``). Unknown words map to ``unk`` (default
    ``"<unk>"``, since new words are the rule in running text); pass
    ``unk=None`` to make them an error instead. :meth:`decode` joins tokens
    with single spaces, so it is not the inverse of :meth:`encode` (spacing
    and case are lost): it is for reading.

    >>> tok = WordTokenizer.from_text("the cat sat on the mat .", lower=True)
    >>> tok.encode("The dog sat.")
    [1, 0, 3, 6]
    >>> tok.decode(tok.encode("The dog sat."))
    'the <unk> sat .'
    """

    def __init__(self, vocab: Vocab, lower: bool = False):
        self.vocab = vocab
        self.lower = lower

    @classmethod
    def from_text(cls, text: str, min_count: int = 1, max_size: int | None = None,
                  specials: Sequence[str] = (), unk: str | None = "<unk>",
                  lower: bool = False) -> WordTokenizer:  # fmt: skip
        counts = Counter(split_words(text, lower))
        return cls(Vocab.from_counts(counts, min_count, max_size, specials, unk), lower)

    @property
    def vocab_size(self) -> int:
        return len(self.vocab)

    def tokenize(self, text: str) -> list[str]:
        return split_words(text, self.lower)

    def encode(self, text: str) -> list[int]:
        return self.vocab.encode(self.tokenize(text))

    def decode(self, ids) -> str:
        return " ".join(self.vocab.decode(ids))

    def to_dict(self) -> dict:
        """Plain data, what :meth:`save` writes as JSON; :meth:`from_dict` is its inverse."""
        return {"type": "WordTokenizer", "lower": self.lower, "vocab": self.vocab.to_dict()}

    @classmethod
    def from_dict(cls, d: dict) -> WordTokenizer:
        """The tokenizer :meth:`to_dict` described; anything it could not have written
        is a ``ValueError``.

        >>> tok = WordTokenizer.from_text("a b b", lower=True)
        >>> WordTokenizer.from_dict(tok.to_dict()).encode("B A")
        [1, 2]
        """
        check_fields(d, "WordTokenizer", ["lower", "vocab"])
        if type(d["lower"]) is not bool:
            raise ValueError(f"WordTokenizer: lower must be true or false, got {d['lower']!r}")
        return cls(Vocab.from_dict(d["vocab"]), d["lower"])

    def save(self, path) -> None:
        save_json(self.to_dict(), path)

    @classmethod
    def load(cls, path) -> WordTokenizer:
        return from_json_file(path, cls.from_dict)
