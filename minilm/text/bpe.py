"""Byte-level BPE tokenizer: any string of Unicode characters encodes, and decodes back
exactly (a lone surrogate, which is not a character, is refused: :func:`check_text`).

The base vocabulary is the 256 byte values, so nothing is ever unknown: text
is UTF-8 encoded, cut into chunks by :data:`CHUNK_PATTERN`, and each chunk's
bytes are merged by the learned merges (see :mod:`minilm.text.bpe_train`).
Ids: 0..255 are bytes, ``256 + i`` is merge ``i``, then the special tokens.

Saved as JSON (:meth:`BPETokenizer.to_dict`)::

    {"type": "BPETokenizer", "chunk_pattern": "...", "merges": [[32, 116], ...],
     "special_tokens": ["<|endoftext|>"]}
"""

from __future__ import annotations

import heapq
import re
from collections import Counter
from collections.abc import Sequence

from .bpe_train import learn_merges
from .vocab import (
    check_fields,
    check_specials,
    from_json_file,
    json_kind,
    save_json,
    short_repr,
)

# Chunks: a word with at most one leading space, a run of other non-space
# characters with at most one leading space, or a run of whitespace (leaving the
# last space to the word after it). Every character falls in exactly one chunk.
CHUNK_PATTERN = r" ?\w+| ?[^\w\s]+|\s+(?!\S)|\s+"

MAX_MERGES = 1_000_000
MAX_VOCAB_BYTES = 64 << 20  # all tokens' bytes together (merges that keep doubling a token)
CACHE_CHARS = 64  # encode() remembers the ids of chunks up to this long ...
CACHE_SIZE = 1 << 16  # ... this many of them at most
_SURROGATE = re.compile("[\ud800-\udfff]")


def split_chunks(text: str) -> list[str]:
    """Cut ``text`` into BPE chunks; ``"".join(split_chunks(t)) == t`` for every ``t``.

    >>> split_chunks("Hi there,  you!")
    ['Hi', ' there', ',', ' ', ' you', '!']
    """
    return re.findall(CHUNK_PATTERN, text)


def check_text(text: str) -> None:
    r"""A ``ValueError`` naming the first lone surrogate in ``text``, if it has one.

    A lone surrogate (a code point U+D800 to U+DFFF) is not a character and has no
    UTF-8 bytes. Text holds them when bytes were decoded with
    ``errors="surrogateescape"`` (or ``"surrogatepass"``).

    >>> check_text("ab\ud800c")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: text[2] is a lone surrogate '\ud800' (U+D800), not a character: ...
    """
    m = _SURROGATE.search(text)
    if m:
        raise ValueError(
            f"text[{m.start()}] is a lone surrogate {m.group()!r} (U+{ord(m.group()):04X}), "
            "not a character: it has no UTF-8 bytes, so it cannot be encoded. Such code "
            "points come from decoding bytes with errors='surrogateescape'; decode with "
            "errors='replace' instead, or remove them"
        )


def _is_id(x) -> bool:
    return isinstance(x, int) and not isinstance(x, bool)


def check_merges(merges) -> list[tuple[int, int]]:
    """``merges`` as a list of ``(a, b)`` tuples, or a ``ValueError`` naming the first merge
    that training could not have learned. Merge ``i`` makes id ``256 + i`` from two ids
    defined before it (``0 <= a, b < 256 + i``), and no pair is merged twice.

    >>> check_merges([[104, 105], [256, 33]])
    [(104, 105), (256, 33)]
    >>> check_merges([[104, 105], [257, 33]])
    Traceback (most recent call last):
    ...
    ValueError: merge 1 [257, 33]: id 257 is not defined yet (merge 1 may use ids 0 to 256)
    """
    if not isinstance(merges, (list, tuple)):
        raise ValueError(f"merges must be a list of [a, b] pairs, got {json_kind(merges)}")
    if len(merges) > MAX_MERGES:
        raise ValueError(f"{len(merges):,} merges; at most {MAX_MERGES:,} are allowed")
    first = {}  # pair -> the merge that made it
    lengths, total = [1] * 256, 256  # bytes per token, and all together
    for i, m in enumerate(merges):
        if not (isinstance(m, (list, tuple)) and len(m) == 2 and all(map(_is_id, m))):
            raise ValueError(f"merge {i} must be a pair of ids [a, b], got {short_repr(m)}")
        pair, name = (m[0], m[1]), f"merge {i} {short_repr(list(m))}"
        for x in pair:
            if x < 0:
                raise ValueError(f"{name}: id {short_repr(x)} is negative")
            if x >= 256 + i:
                raise ValueError(f"{name}: id {short_repr(x)} is not defined yet "
                                 f"(merge {i} may use ids 0 to {255 + i})")  # fmt: skip
        if pair in first:
            raise ValueError(f"{name} repeats merge {first[pair]}")
        first[pair] = i
        lengths.append(lengths[pair[0]] + lengths[pair[1]])
        total += lengths[-1]
        if total > MAX_VOCAB_BYTES:
            raise ValueError(f"{name} makes a token of {lengths[-1]:,} bytes, and the tokens "
                             f"would hold over {MAX_VOCAB_BYTES >> 20} MiB in all")  # fmt: skip
    return list(first)


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
        self._set(check_merges(merges), check_specials(special_tokens))

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
        become a single token. A lone surrogate in ``text`` is a ``ValueError``
        (:func:`check_text`).
        """
        check_text(text)
        special_tokens = check_specials(special_tokens)
        num_merges = vocab_size - 256 - len(special_tokens)
        if num_merges < 0:
            raise ValueError(
                f"vocab_size={vocab_size} is smaller than 256 bytes + "
                f"{len(special_tokens)} special tokens"
            )
        counts: Counter = Counter()
        for part in self._split_specials(text, special_tokens):
            counts.update(m.group() for m in re.finditer(CHUNK_PATTERN, part))  # no list of all
        chunk_counts = Counter({c.encode("utf-8"): n for c, n in counts.items()})
        self._set(learn_merges(chunk_counts, num_merges, verbose=verbose), special_tokens)

    @staticmethod
    def _split_specials(text: str, special_tokens: Sequence[str]) -> list[str]:
        if not special_tokens:
            return [text]
        pattern = "|".join(map(re.escape, sorted(special_tokens, key=len, reverse=True)))
        return re.split(pattern, text)

    def encode_chunk(self, chunk: bytes) -> list[int]:
        """Merge the bytes of one chunk: always apply the earliest-learned merge present,
        at every non-overlapping occurrence, left to right; until no merge applies.

        Done naively (find the best pair, rewrite the list, repeat) that is quadratic
        in the chunk's length. Here the symbols are a doubly linked list, and a heap
        holds ``(rank, position)`` for every adjacent pair that has a merge: popping
        it gives the earliest-learned pair, leftmost first. A merge makes a symbol
        learned later than both halves, so the two pairs it forms with its neighbours
        rank later than the merge just done and are pushed for later; entries whose
        pair has since changed are skipped when popped. ``O(n log n)`` for ``n`` bytes.

        >>> tok = BPETokenizer([(97, 97), (256, 97)])  # "aa" -> 256, "aa" "a" -> 257
        >>> tok.encode_chunk(b"aaaaa")
        [256, 257]
        """
        n, ranks, merges = len(chunk), self.ranks, self.merges
        symbol = list(chunk)  # -1 once a node is merged into its left neighbour
        # A heap entry is rank * stride + position: one int, ordered as the pair
        # (rank, position) would be, and faster to compare than a tuple.
        stride = n + 1
        heap = [ranks[p] * stride + i for i, p in enumerate(zip(symbol, symbol[1:])) if p in ranks]
        if not heap:
            return symbol
        heapq.heapify(heap)
        after = list(range(1, n + 1))  # the next live node (n: none)
        before = list(range(-1, n - 1))  # the previous live node (-1: none)
        while heap:
            r, i = divmod(heapq.heappop(heap), stride)
            j = after[i]
            if symbol[i] < 0 or j == n or (symbol[i], symbol[j]) != merges[r]:
                continue  # stale: an earlier merge changed this pair
            symbol[i], symbol[j] = 256 + r, -1  # merge node j into node i
            k = after[i] = after[j]
            if k < n:
                before[k] = i
            for left, right in ((before[i], i), (i, k)):  # the new pairs around node i
                if left >= 0 and right < n:
                    rank = ranks.get((symbol[left], symbol[right]))
                    if rank is not None:
                        heapq.heappush(heap, rank * stride + left)
        out, i = [], 0
        while i < n:
            out.append(symbol[i])
            i = after[i]
        return out

    def encode(self, text: str, allow_special: bool = True) -> list[int]:
        """Token ids for ``text``. Special-token strings in the text become their ids
        unless ``allow_special=False``, when they are encoded as ordinary text.

        Any string of Unicode characters encodes, and :meth:`decode` gives it back.
        A lone surrogate (a code point U+D800 to U+DFFF, not a character: text
        decoded with ``errors="surrogateescape"`` holds them) has no UTF-8 bytes,
        and is a ``ValueError`` naming its position (:func:`check_text`).

        Chunks of up to :data:`CACHE_CHARS` characters are remembered (at most
        :data:`CACHE_SIZE` of them; the cache is emptied when full), so a repeated
        word is merged once; longer chunks are merged each time they occur.
        """
        check_text(text)
        parts = [text]
        if allow_special and self._special_re is not None:
            parts = self._special_re.split(text)
        ids: list[int] = []
        cache = self._cache
        for j, part in enumerate(parts):
            if j % 2 == 1:  # re.split with a group puts the matches at odd positions
                ids.append(self.special_tokens[part])
                continue
            for chunk in split_chunks(part):
                chunk_ids = cache.get(chunk)
                if chunk_ids is None:
                    chunk_ids = self.encode_chunk(chunk.encode("utf-8"))
                    if len(chunk) <= CACHE_CHARS:
                        if len(cache) >= CACHE_SIZE:
                            cache.clear()
                        cache[chunk] = chunk_ids
                ids.extend(chunk_ids)
        return ids

    def decode(self, ids) -> str:
        """The text for ``ids``. Bytes that are not valid UTF-8 (possible only for an id
        sequence that :meth:`encode` did not produce) become U+FFFD."""
        n = len(self.vocab)
        for i in ids:
            if not 0 <= int(i) < n:
                raise IndexError(f"id {int(i)} is out of range for a vocabulary of {n} tokens")
        return b"".join(self.vocab[int(i)] for i in ids).decode("utf-8", errors="replace")

    def to_dict(self) -> dict:
        """Plain data, what :meth:`save` writes as JSON; :meth:`from_dict` is its inverse."""
        return {
            "type": "BPETokenizer",
            "chunk_pattern": CHUNK_PATTERN,
            "merges": [list(p) for p in self.merges],
            "special_tokens": list(self.special_tokens),
        }

    @classmethod
    def from_dict(cls, d: dict) -> BPETokenizer:
        """The tokenizer :meth:`to_dict` described. Anything it could not have written is a
        ``ValueError`` naming the problem (see :func:`check_merges` and
        :func:`~minilm.text.vocab.check_specials`); so is another chunk pattern.

        >>> tok = BPETokenizer([(104, 105)], ["<eos>"])
        >>> BPETokenizer.from_dict(tok.to_dict()).encode("hi<eos>")
        [256, 257]
        """
        check_fields(d, "BPETokenizer", ["chunk_pattern", "merges", "special_tokens"])
        if d["chunk_pattern"] != CHUNK_PATTERN:
            pattern = short_repr(d["chunk_pattern"])
            raise ValueError(f"saved with a different chunk pattern {pattern}; this version "
                             f"of minilm uses {CHUNK_PATTERN!r}")  # fmt: skip
        return cls(d["merges"], d["special_tokens"])

    def save(self, path) -> None:
        save_json(self.to_dict(), path)

    @classmethod
    def load(cls, path) -> BPETokenizer:
        return from_json_file(path, cls.from_dict)
