"""Byte-level BPE tokenizer: any Unicode string encodes, and decodes back exactly.

The base vocabulary is the 256 byte values, so nothing is ever unknown: text
is UTF-8 encoded, cut into chunks by :data:`CHUNK_PATTERN`, and each chunk's
bytes are merged by the learned merges (see :mod:`minilm.text.bpe_train`).
Ids: 0..255 are bytes, ``256 + i`` is merge ``i``, then the special tokens.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence

from .bpe_train import learn_merges, merge_pair
from .vocab import load_json, save_json

# Chunks: a word with at most one leading space, a run of other non-space
# characters with at most one leading space, or a run of whitespace (leaving the
# last space to the word after it). Every character falls in exactly one chunk.
CHUNK_PATTERN = r" ?\w+| ?[^\w\s]+|\s+(?!\S)|\s+"


def split_chunks(text: str) -> list[str]:
    """Cut ``text`` into BPE chunks; ``"".join(split_chunks(t)) == t`` for every ``t``.

    >>> split_chunks("Hi there,  you!")
    ['Hi', ' there', ',', ' ', ' you', '!']
    """
    return re.findall(CHUNK_PATTERN, text)


class BPETokenizer:
    """Byte-level byte-pair encoding.

    >>> tok = BPETokenizer()
    >>> tok.train("low lower lowest " * 20, vocab_size=262, special_tokens=["<eos>"])
    >>> [tok.id_to_bytes(i) for i in range(256, 262)]
    [b'lo', b'low', b' low', b' lowe', b'st', b'<eos>']
    >>> ids = tok.encode(" lowest<eos>")
    >>> [tok.id_to_bytes(i) for i in ids]
    [b' lowe', b'st', b'<eos>']
    >>> tok.decode(ids)
    ' lowest<eos>'
    """

    def __init__(self, merges: Sequence[tuple[int, int]] = (), special_tokens: Sequence[str] = ()):
        self._set(list(map(tuple, merges)), list(special_tokens))

    def _set(self, merges, special_tokens):
        self.merges: list[tuple[int, int]] = merges
        self.ranks = {pair: i for i, pair in enumerate(merges)}
        self.vocab: list[bytes] = [bytes([b]) for b in range(256)]
        for a, b in merges:
            self.vocab.append(self.vocab[a] + self.vocab[b])
        self.special_tokens = {s: len(self.vocab) + j for j, s in enumerate(special_tokens)}
        self.vocab.extend(s.encode("utf-8") for s in special_tokens)
        longest_first = sorted(special_tokens, key=len, reverse=True)
        self._special_re = (
            re.compile("(" + "|".join(map(re.escape, longest_first)) + ")")
            if special_tokens
            else None
        )
        self._cache: dict[str, list[int]] = {}

    @property
    def vocab_size(self) -> int:
        return len(self.vocab)

    def id_to_bytes(self, i: int) -> bytes:
        return self.vocab[i]

    def train(self, text: str, vocab_size: int, special_tokens: Sequence[str] = (),
              verbose: bool = False) -> None:  # fmt: skip
        """Learn ``vocab_size - 256 - len(special_tokens)`` merges from ``text``.

        Special tokens are cut out of the training text first, so no merge
        spans one. Training may stop with fewer merges when every chunk has
        become a single token.
        """
        num_merges = vocab_size - 256 - len(special_tokens)
        if num_merges < 0:
            raise ValueError(
                f"vocab_size={vocab_size} is smaller than 256 bytes + "
                f"{len(special_tokens)} special tokens"
            )
        counts: Counter = Counter()
        for part in self._split_specials(text, special_tokens):
            counts.update(split_chunks(part))
        chunk_counts = Counter({c.encode("utf-8"): n for c, n in counts.items()})
        self._set(learn_merges(chunk_counts, num_merges, verbose=verbose), list(special_tokens))

    @staticmethod
    def _split_specials(text: str, special_tokens: Sequence[str]) -> list[str]:
        if not special_tokens:
            return [text]
        pattern = "|".join(map(re.escape, sorted(special_tokens, key=len, reverse=True)))
        return re.split(pattern, text)

    def encode_chunk(self, chunk: bytes) -> list[int]:
        """Merge the bytes of one chunk: always apply the earliest-learned merge present."""
        symbols = list(chunk)
        while len(symbols) > 1:
            pair = min(zip(symbols, symbols[1:]), key=lambda p: self.ranks.get(p, len(self.ranks)))
            if pair not in self.ranks:
                break
            symbols = merge_pair(symbols, pair, 256 + self.ranks[pair])
        return symbols

    def encode(self, text: str, allow_special: bool = True) -> list[int]:
        """Token ids for ``text``. Special-token strings in the text become their ids
        unless ``allow_special=False``, when they are encoded as ordinary text."""
        parts = [text]
        if allow_special and self._special_re is not None:
            parts = self._special_re.split(text)
        ids: list[int] = []
        for j, part in enumerate(parts):
            if j % 2 == 1:  # re.split with a group puts the matches at odd positions
                ids.append(self.special_tokens[part])
                continue
            for chunk in split_chunks(part):
                if chunk not in self._cache:
                    self._cache[chunk] = self.encode_chunk(chunk.encode("utf-8"))
                ids.extend(self._cache[chunk])
        return ids

    def decode(self, ids) -> str:
        """The text for ``ids``. Bytes that are not valid UTF-8 (possible only for an id
        sequence that :meth:`encode` did not produce) become U+FFFD."""
        n = len(self.vocab)
        for i in ids:
            if not 0 <= int(i) < n:
                raise IndexError(f"id {int(i)} is out of range for a vocabulary of {n} tokens")
        return b"".join(self.vocab[int(i)] for i in ids).decode("utf-8", errors="replace")

    def save(self, path) -> None:
        save_json(
            {
                "type": "BPETokenizer",
                "chunk_pattern": CHUNK_PATTERN,
                "merges": [list(p) for p in self.merges],
                "special_tokens": list(self.special_tokens),
            },
            path,
        )

    @classmethod
    def load(cls, path) -> BPETokenizer:
        d = load_json(path, "BPETokenizer")
        if d["chunk_pattern"] != CHUNK_PATTERN:
            raise ValueError(f"{path}: saved with a different chunk pattern {d['chunk_pattern']!r}")
        return cls(d["merges"], d["special_tokens"])
