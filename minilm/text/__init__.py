"""Tokenizers: characters, words (a regex), and byte-level BPE.

>>> from minilm.text import CharTokenizer, WordTokenizer, BPETokenizer
>>> CharTokenizer.from_text("abc").encode("cab")
[2, 0, 1]
"""

from .bpe import BPETokenizer, split_chunks
from .char import CharTokenizer
from .vocab import Vocab
from .word import WORD_PATTERN, WordTokenizer, split_words

__all__ = [
    "BPETokenizer",
    "CharTokenizer",
    "WordTokenizer",
    "Vocab",
    "WORD_PATTERN",
    "split_chunks",
    "split_words",
]
