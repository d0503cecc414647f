"""Tokenizers: characters, words (a regex), byte-level BPE, and WordPiece; and text
preparation (:mod:`minilm.text.prep`: normalization, the cleaning pipeline).

>>> from minilm.text import CharTokenizer, WordTokenizer, BPETokenizer
>>> CharTokenizer.from_text("abc").encode("cab")
[2, 0, 1]
"""

from .bpe import BPETokenizer, split_chunks
from .char import CharTokenizer
from .prep import CLEAN, Pipeline, clean, normalize
from .vocab import Vocab, from_json_file, json_kind, short_repr
from .word import WORD_PATTERN, WordTokenizer, split_words
from .wordpiece import WordPieceTokenizer

__all__ = [
    "CLEAN",
    "Pipeline",
    "clean",
    "normalize",
    "BPETokenizer",
    "CharTokenizer",
    "WordTokenizer",
    "WordPieceTokenizer",
    "Vocab",
    "WORD_PATTERN",
    "TOKENIZERS",
    "load_tokenizer",
    "split_chunks",
    "split_words",
    "tokenizer_from_dict",
]

# The tokenizers that tokenizer_from_dict knows, by their "type".
TOKENIZERS = {"BPETokenizer": BPETokenizer, "CharTokenizer": CharTokenizer,
              "WordPieceTokenizer": WordPieceTokenizer, "WordTokenizer": WordTokenizer}  # fmt: skip


def tokenizer_from_dict(d: dict) -> BPETokenizer | CharTokenizer | WordPieceTokenizer:
    """The tokenizer that ``d`` (a ``to_dict()``, or a saved file's JSON) describes,
    chosen by ``d["type"]``; its ``from_dict`` refuses a bad ``d`` with a ``ValueError``.

    >>> tok = tokenizer_from_dict(CharTokenizer.from_text("ab").to_dict())
    >>> type(tok).__name__, tok.encode("ba")
    ('CharTokenizer', [1, 0])
    >>> tokenizer_from_dict({"type": "Magic"})  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: unknown tokenizer type 'Magic'; the known types are BPETokenizer, ...
    """
    if not isinstance(d, dict):
        raise ValueError(f"a tokenizer must be a JSON object, got {json_kind(d)}")
    kind = d.get("type")
    if not isinstance(kind, str) or kind not in TOKENIZERS:
        raise ValueError(f"unknown tokenizer type {short_repr(kind)}; the known types are "
                         f"{', '.join(sorted(TOKENIZERS))}")  # fmt: skip
    return TOKENIZERS[kind].from_dict(d)


def load_tokenizer(path) -> BPETokenizer | CharTokenizer | WordPieceTokenizer:
    """The tokenizer saved (``save()``) in the JSON file ``path``, of any of the
    :data:`TOKENIZERS` types.

    Errors name the file: ``FileNotFoundError``, or a ``ValueError`` for a file that
    is too big, not UTF-8, not JSON, or refused by :func:`tokenizer_from_dict`.
    """
    return from_json_file(path, tokenizer_from_dict)
