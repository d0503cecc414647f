"""WordPiece, BERT's subword tokenizer: greedy longest-match-first over a vocabulary of
word-initial pieces (``"un"``) and continuation pieces (``"##able"``).

Three steps turn text into ids:

1. **Pre-tokenization** (:func:`pre_tokenize`), as BERT's basic tokenizer does it:
   optionally lowercase, split on whitespace (``str.isspace``, which unlike Unicode's
   White_Space also counts the separators U+001C to U+001F), then make every
   punctuation character (:func:`is_punctuation`) a word of its own.
   ``"Don't stop!"`` becomes ``["Don", "'", "t", "stop", "!"]``. Unlike BERT's
   we keep accents when lowercasing, keep control characters, and do not split
   CJK ideographs into words of their own.
2. **Greedy longest match** per word (:meth:`WordPieceTokenizer.encode_word`): from
   the left, take the longest vocabulary piece that starts here (written ``##...``
   when it does not start the word), and go on after it. A word with a position
   where no piece matches becomes ``[UNK]`` as a whole (BERT's rule), and so does a
   word longer than ``max_word_chars`` characters.
3. Special tokens (``[CLS]``, ``[SEP]``, ...) in the text are cut out first and
   become their ids; they are words of their own.

**Decoding** joins the pieces with spaces, then removes each ``##`` together with the
space before it. So it gives back the *pre-tokenized* text, not the text:
``decode(encode(s)) == " ".join(tok.pre_tokenize(s))`` whenever no word of ``s``
became ``[UNK]`` (spacing is normalized to single spaces, punctuation is spaced
out, and with ``lower=True`` case is gone). And ``encode(decode(ids)) == ids`` for
every ``ids`` that :meth:`~WordPieceTokenizer.encode` returns (with ``lower=True``,
unless a special token is a lowercase word such as ``"eos"``, which the lowercased
``"EOS"`` decodes to).

**Training** (:func:`learn_wordpieces`) is by likelihood gain (Schuster & Nakajima,
2012): start from the characters, each in its word-initial and its ``##``
continuation form as it occurs; then repeatedly merge the adjacent pair ``(a, b)``
with the highest ``count(ab) / (count(a) * count(b))`` until the vocabulary has the
size asked for. Up to a constant that is ``p(ab) / (p(a) p(b))``: how much more often
``a`` and ``b`` occur side by side than they would if independent, the ratio whose log
is the gain in likelihood of a unigram model over the pieces, per occurrence of
``ab``. Where BPE merges the most *frequent* pair, this one prefers pairs whose parts
are rare apart, so its first merges often join rare characters.

Ids: the special tokens first (``[UNK]`` among them), then the pieces in the order
learned. Saved as JSON (:meth:`WordPieceTokenizer.to_dict`)::

    {"type": "WordPieceTokenizer", "lower": false, "max_word_chars": 100,
     "unk_token": "[UNK]", "special_tokens": ["[PAD]", "[UNK]", ...],
     "pieces": ["##a", "##b", ..., "a", ..., "th", "the", ...]}
"""

from __future__ import annotations

import heapq
import re
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Sequence

from ..progress import progress_bar
from .bpe import check_text
from .vocab import (
    check_fields,
    check_specials,
    from_json_file,
    json_kind,
    save_json,
    short_repr,
)

PREFIX = "##"  # marks a piece that continues a word
BERT_SPECIALS = ("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]")
MAX_WORD_CHARS = 1000  # the largest max_word_chars allowed (BERT uses 100)
MAX_PIECES = 1_000_000


def is_punctuation(ch: str) -> bool:
    """BERT's rule: every ASCII character that is neither a letter, a digit, a space nor
    a control character (so ``$``, ``+``, ``^`` and ``#`` too), and every character of a
    Unicode punctuation category (``P*``) in the Unicode version of Python's
    :mod:`unicodedata` (a mark added to Unicode lately may be a letter to an older table).

    >>> [c for c in "a1#$+,é€¿" if is_punctuation(c)]
    ['#', '$', '+', ',', '¿']
    """
    cp = ord(ch)
    if 33 <= cp <= 47 or 58 <= cp <= 64 or 91 <= cp <= 96 or 123 <= cp <= 126:
        return True
    return unicodedata.category(ch).startswith("P")


def pre_tokenize(text: str, lower: bool = False) -> list[str]:
    """The words of ``text``: split on whitespace, then each punctuation character
    (:func:`is_punctuation`) on its own. With ``lower``, lowercase first.

    No word is empty or holds whitespace, and a punctuation character is always a
    word alone, so no word starts with ``##``.

    >>> pre_tokenize("Don't  stop,\\tRomeo!")
    ['Don', "'", 't', 'stop', ',', 'Romeo', '!']
    >>> pre_tokenize("Ünïcode #1", lower=True)
    ['ünïcode', '#', '1']
    """
    if lower:
        text = text.lower()
    words: list[str] = []
    for chunk in text.split():
        if chunk.isalnum():  # the common case: no punctuation inside
            words.append(chunk)
            continue
        start = 0
        for i, ch in enumerate(chunk):
            if is_punctuation(ch):
                if start < i:
                    words.append(chunk[start:i])
                words.append(ch)
                start = i + 1
        if start < len(chunk):
            words.append(chunk[start:])
    return words


def split_word(word: str) -> list[str]:
    """A word as the characters training starts from: the first as it is, the others
    as continuation pieces.

    >>> split_word("hug")
    ['h', '##u', '##g']
    """
    return [word[0]] + [PREFIX + c for c in word[1:]]


def join_pieces(a: str, b: str) -> str:
    """The piece that merging ``a`` with the continuation piece ``b`` makes; it starts
    the word when ``a`` does.

    >>> join_pieces("h", "##u"), join_pieces("##u", "##g")
    ('hu', '##ug')
    """
    return a + b[len(PREFIX) :]


def merge_pieces(pieces: list[str], pair: tuple[str, str], new: str) -> list[str]:
    """Replace each non-overlapping occurrence of ``pair``, left to right, by ``new``.

    >>> merge_pieces(["a", "##a", "##a", "##a"], ("##a", "##a"), "##aa")
    ['a', '##aa', '##a']
    """
    a, b = pair
    out, i, n = [], 0, len(pieces)
    while i < n:
        if i + 1 < n and pieces[i] == a and pieces[i + 1] == b:
            out.append(new)
            i += 2
        else:
            out.append(pieces[i])
            i += 1
    return out


def learn_wordpieces(word_counts: Counter, num_pieces: int,
                     verbose: bool = False) -> tuple[list[str], list[tuple[str, str]]]:  # fmt: skip
    """Learn a vocabulary of up to ``num_pieces`` pieces from ``{word: count}``.

    Returns ``(pieces, merges)``: the alphabet (every :func:`split_word` piece of the
    words, sorted), then each new piece in the order it was learned; and the merges
    ``(a, b)`` in order. Each word is a list of pieces, starting with its characters.
    Each step merges the adjacent pair with the highest score

        ``count(ab) / (count(a) * count(b))``

    counting, weighted by the words' counts, the adjacent positions of ``a b`` and the
    occurrences of ``a`` and of ``b`` in the current pieces. Its occurrences are merged
    left to right without overlaps (:func:`merge_pieces`). Ties go to the pair that
    occurs more often, then to the smallest pair ``(a, b)`` (string order), so
    training is deterministic (whatever the order of ``word_counts``). Training stops
    early when no pair is left (every word is one piece). A ``ValueError`` when
    ``num_pieces`` is smaller than the alphabet.

    Scores are compared exactly, though as integers: a merge changes the counts of
    ``a`` and ``b``, so the score of every pair that holds either changes, and a heap
    keeps the best pair on top, its entries re-pushed when their score changes and
    stale ones skipped when popped. With ``T`` pieces in the corpus at the start, every
    count is at most ``T``; two different scores ``p/q`` then differ by at least
    ``1 / T**4``, so ``(p << K) // q`` with ``2**K > T**4`` orders them as the
    fractions do.

    >>> pieces, merges = learn_wordpieces(Counter({"to": 3, "tot": 1, "at": 1}), 7)
    >>> pieces
    ['##o', '##t', 'a', 't', 'at', 'to', 'tot']
    >>> merges
    [('a', '##t'), ('t', '##o'), ('to', '##t')]
    """
    words = [split_word(w) for w in word_counts]
    freqs = list(word_counts.values())
    pieces = sorted({p for w in words for p in w})
    if num_pieces < len(pieces):
        raise ValueError(
            f"{num_pieces} pieces asked for, but the words have {len(pieces)} distinct "
            "characters (each word-initial and continuation form counts): ask for at least that"
        )
    known = set(pieces)
    piece_counts: Counter = Counter()  # occurrences of each piece in the current words
    pair_counts: dict[tuple[str, str], int] = defaultdict(int)
    where: dict[tuple[str, str], set[int]] = defaultdict(set)  # pair -> words holding it
    partners: dict[str, set[tuple[str, str]]] = defaultdict(set)  # piece -> its pairs
    for i, w in enumerate(words):
        for p in w:
            piece_counts[p] += freqs[i]
        for p in zip(w, w[1:]):
            pair_counts[p] += freqs[i]
            where[p].add(i)
            partners[p[0]].add(p)
            partners[p[1]].add(p)
    shift = 4 * sum(piece_counts.values()).bit_length()

    def key(p):  # the heap's order: best score, then most frequent, then smallest pair
        c = pair_counts[p]
        return -((c << shift) // (piece_counts[p[0]] * piece_counts[p[1]])), -c, p

    heap = [key(p) for p in pair_counts]
    heapq.heapify(heap)
    merges: list[tuple[str, str]] = []
    bar = progress_bar(total=num_pieces, initial=len(pieces), desc="WordPiece", enabled=verbose)
    while len(pieces) < num_pieces:
        while heap and (heap[0][2] not in pair_counts or key(heap[0][2]) != heap[0]):
            heapq.heappop(heap)  # stale: this pair's score changed since it was pushed
        if not heap:
            break
        pair = heapq.heappop(heap)[2]
        a, b = pair
        new = join_pieces(a, b)
        touched = set()
        for i in where.pop(pair):
            old, f = words[i], freqs[i]
            w = merge_pieces(old, pair, new)
            if len(w) == len(old):  # this word lost the pair in an earlier merge
                continue
            for p in old:
                piece_counts[p] -= f
            for p in w:
                piece_counts[p] += f
            for p in zip(old, old[1:]):
                pair_counts[p] -= f
                if pair_counts[p] == 0:
                    del pair_counts[p]
                    partners[p[0]].discard(p)
                    partners[p[1]].discard(p)
            for p in zip(w, w[1:]):
                pair_counts[p] += f
                where[p].add(i)
                partners[p[0]].add(p)
                partners[p[1]].add(p)
            touched.update(zip(w, w[1:]))
            words[i] = w
        merges.append(pair)
        if new not in known:  # a piece is never added twice (not seen to happen, though)
            known.add(new)
            pieces.append(new)
            bar.update(1)
        # The counts of a, b and new changed: so did the score of every pair holding one.
        for p in touched | partners[a] | partners[b] | partners[new]:
            heapq.heappush(heap, key(p))
    bar.close()
    return pieces, merges


def check_pieces(pieces, special_tokens: Sequence[str]) -> list[str]:
    """``pieces`` as a list, or a ``ValueError`` naming the first piece that no word
    could match or that would make decoding ambiguous: each is a string without
    whitespace, a continuation piece has characters after its ``##``, none appears twice
    or is a special token.

    >>> check_pieces(["a", "##b"], ["[UNK]"])
    ['a', '##b']
    >>> check_pieces(["a", "b c"], ["[UNK]"])
    Traceback (most recent call last):
    ...
    ValueError: piece 1 'b c' holds whitespace, which no word does
    """
    if not isinstance(pieces, (list, tuple)):
        raise ValueError(f"pieces must be a list of strings, got {json_kind(pieces)}")
    if len(pieces) > MAX_PIECES:
        raise ValueError(f"{len(pieces):,} pieces; at most {MAX_PIECES:,} are allowed")
    seen = set(special_tokens)
    for i, p in enumerate(pieces):
        name = f"piece {i} {short_repr(p)}"
        if not isinstance(p, str):
            raise ValueError(f"piece {i} must be a string, got {json_kind(p)}")
        if p in ("", PREFIX):
            raise ValueError(f"{name} is empty: a piece needs a character (after its {PREFIX})")
        if any(c.isspace() for c in p):
            raise ValueError(f"{name} holds whitespace, which no word does")
        if any("\ud800" <= c <= "\udfff" for c in p):
            raise ValueError(f"{name} holds a lone surrogate, which is not a character")
        if p in seen:
            what = "is a special token" if p in special_tokens else "appears twice"
            raise ValueError(f"{name} {what}")
        seen.add(p)
    return list(pieces)


def with_unk(special_tokens, unk_token: str) -> list[str]:
    """The special tokens, with ``unk_token`` after them unless it is one; a ``ValueError``
    for a list :func:`~minilm.text.vocab.check_specials` refuses, or a special token that
    holds whitespace (a special token is one word).

    >>> with_unk(["[CLS]"], "[UNK]")
    ['[CLS]', '[UNK]']
    """
    specials = check_specials(special_tokens)
    if unk_token not in specials:
        specials.append(unk_token)
    for j, s in enumerate(specials):
        if any(c.isspace() for c in s):
            raise ValueError(f"special token {j} {short_repr(s)} holds whitespace: a "
                             "special token is one word")  # fmt: skip
    return specials


def special_pattern(specials: Sequence[str]) -> re.Pattern:
    """A regex whose ``split`` puts each special token (the longest first) at the odd
    positions."""
    return re.compile("(" + "|".join(map(re.escape, sorted(specials, key=len, reverse=True))) + ")")


class WordPieceTokenizer:
    """BERT's WordPiece: greedy longest-match-first, ``##`` continuation pieces.

    ``special_tokens`` get the first ids; ``unk_token`` is put after them if it is not
    one of them. ``lower`` lowercases the text (not the special tokens) before
    :func:`pre_tokenize`; a word longer than ``max_word_chars`` is ``unk_token``.

    >>> tok = WordPieceTokenizer(lower=True)
    >>> tok.train("to to to tot at", vocab_size=12)
    >>> tok.vocab[5:]
    ['##o', '##t', 'a', 't', 'at', 'to', 'tot']
    >>> tok.tokenize("Toto at tax")
    ['tot', '##o', 'at', '[UNK]']
    >>> tok.decode(tok.encode("[CLS] Toto at tax [SEP]"))
    '[CLS] toto at [UNK] [SEP]'
    """

    def __init__(self, pieces: Sequence[str] = (), special_tokens: Sequence[str] = BERT_SPECIALS,
                 unk_token: str = "[UNK]", lower: bool = False,
                 max_word_chars: int = 100):  # fmt: skip
        check_specials([unk_token], "the unknown token")
        specials = with_unk(special_tokens, unk_token)
        if not isinstance(lower, bool):
            raise ValueError(f"lower must be true or false, got {json_kind(lower)}")
        if not (isinstance(max_word_chars, int) and not isinstance(max_word_chars, bool)
                and 1 <= max_word_chars <= MAX_WORD_CHARS):  # fmt: skip
            raise ValueError(f"max_word_chars must be a whole number from 1 to {MAX_WORD_CHARS},"
                             f" got {short_repr(max_word_chars)}")  # fmt: skip
        self.lower, self.max_word_chars, self.unk_token = lower, max_word_chars, unk_token
        self._set(check_pieces(pieces, specials), specials)

    def _set(self, pieces: list[str], specials: list[str]) -> None:
        self.vocab: list[str] = specials + pieces
        self.special_tokens = {s: j for j, s in enumerate(specials)}
        self.unk_id = self.special_tokens[self.unk_token]
        self.piece_ids = {p: len(specials) + i for i, p in enumerate(pieces)}
        # No piece longer than this (in characters, without ##) can match: encode_word
        # tries no longer ones.
        self._longest = max((len(p.removeprefix(PREFIX)) for p in pieces), default=0)
        self._special_re = special_pattern(specials)

    @property
    def vocab_size(self) -> int:
        return len(self.vocab)

    @property
    def pieces(self) -> list[str]:
        """The vocabulary without the special tokens."""
        return self.vocab[len(self.special_tokens) :]

    def id_to_token(self, i: int) -> str:
        return self.vocab[i]

    def train(self, text: str, vocab_size: int, special_tokens: Sequence[str] | None = None,
              verbose: bool = False) -> None:  # fmt: skip
        """Learn ``vocab_size`` tokens in all from ``text`` (:func:`learn_wordpieces`):
        the special tokens (these, or else the tokenizer's own), then the alphabet and
        the pieces learned. Special tokens are cut out of the text first; words longer
        than ``max_word_chars`` are left out, as encoding makes them ``[UNK]``. Training
        may stop short of ``vocab_size`` when every word has become one piece. A
        ``ValueError`` when ``vocab_size`` cannot hold the specials and the alphabet,
        or ``text`` holds a lone surrogate (:func:`~minilm.text.bpe.check_text`).
        """
        check_text(text)
        if special_tokens is None:
            special_tokens = list(self.special_tokens)
        specials = with_unk(special_tokens, self.unk_token)
        counts = Counter()
        for part in special_pattern(specials).split(text)[::2]:  # the matches: odd positions
            words = pre_tokenize(part, self.lower)
            counts.update(w for w in words if len(w) <= self.max_word_chars)
        alphabet = {p for w in counts for p in split_word(w)}
        if vocab_size < len(specials) + len(alphabet):
            raise ValueError(
                f"vocab_size={vocab_size} is smaller than the {len(specials)} special tokens + "
                f"the {len(alphabet)} characters of the text (each word-initial and ## form "
                f"that occurs); ask for at least {len(specials) + len(alphabet)}"
            )
        pieces, _ = learn_wordpieces(counts, vocab_size - len(specials), verbose=verbose)
        self._set(check_pieces(pieces, specials), specials)

    def _split(self, text: str, allow_special: bool) -> list[str]:
        """``text`` cut around its special tokens: they are at the odd positions."""
        return self._special_re.split(text) if allow_special else [text]

    def pre_tokenize(self, text: str, allow_special: bool = True) -> list[str]:
        """The words of ``text``: each special token in it (unless ``allow_special=False``)
        is a word, and the text between them goes through :func:`pre_tokenize`."""
        words: list[str] = []
        for j, part in enumerate(self._split(text, allow_special)):
            words.extend([part] if j % 2 else pre_tokenize(part, self.lower))
        return words

    def encode_word(self, word: str) -> list[int]:
        """Greedy longest-match-first: from the left, the longest piece that matches
        (``##``-prefixed after the word's start), then on from its end. If some position
        has no match, or the word is longer than ``max_word_chars``, the whole word is
        ``[UNK]``: ``[self.unk_id]``.

        >>> tok = WordPieceTokenizer(["un", "##aff", "##able", "##a", "a"])
        >>> [tok.id_to_token(i) for i in tok.encode_word("unaffable")]
        ['un', '##aff', '##able']
        >>> [tok.id_to_token(i) for i in tok.encode_word("unb")]
        ['[UNK]']
        """
        n, ids, start = len(word), [], 0
        if n > self.max_word_chars:
            return [self.unk_id]
        piece_ids = self.piece_ids
        while start < n:
            prefix = PREFIX if start else ""
            for end in range(min(n, start + self._longest), start, -1):
                i = piece_ids.get(prefix + word[start:end])
                if i is not None:
                    break
            else:
                return [self.unk_id]
            ids.append(i)
            start = end
        return ids

    def encode(self, text: str, allow_special: bool = True) -> list[int]:
        """Token ids for ``text``: :meth:`pre_tokenize`, then :meth:`encode_word` for
        each word that is not a special token. Special-token strings in the text become
        their ids unless ``allow_special=False``, when they are encoded as ordinary text
        (``"[CLS]"`` as ``"["``, ``"CLS"``, ``"]"``)."""
        ids: list[int] = []
        for j, part in enumerate(self._split(text, allow_special)):
            if j % 2:
                ids.append(self.special_tokens[part])
                continue
            for word in pre_tokenize(part, self.lower):
                ids.extend(self.encode_word(word))
        return ids

    def tokenize(self, text: str, allow_special: bool = True) -> list[str]:
        """The token strings of :meth:`encode`."""
        return [self.vocab[i] for i in self.encode(text, allow_special)]

    def decode(self, ids) -> str:
        """The words of ``ids`` joined by single spaces; a continuation piece is glued to
        the piece before it, without its ``##``. A special token is a word of its own, so
        a continuation piece that follows one (or starts ``ids``) starts a word.

        >>> tok = WordPieceTokenizer(["hug", "##s", "!"])
        >>> tok.decode(tok.encode("[CLS] hugs!"))
        '[CLS] hugs !'
        """
        n, n_specials = len(self.vocab), len(self.special_tokens)
        words: list[str] = []
        glue = False  # does the last word take continuation pieces?
        for i in ids:
            i = int(i)
            if not 0 <= i < n:
                raise IndexError(f"id {i} is out of range for a vocabulary of {n} tokens")
            token = self.vocab[i]
            if i < n_specials:
                words.append(token)
                glue = False
            elif token.startswith(PREFIX) and glue:
                words[-1] += token[len(PREFIX) :]
            else:
                words.append(token.removeprefix(PREFIX))
                glue = True
        return " ".join(words)

    def to_dict(self) -> dict:
        """Plain data, what :meth:`save` writes as JSON; :meth:`from_dict` is its inverse."""
        return {
            "type": "WordPieceTokenizer",
            "lower": self.lower,
            "max_word_chars": self.max_word_chars,
            "unk_token": self.unk_token,
            "special_tokens": list(self.special_tokens),
            "pieces": self.pieces,
        }

    @classmethod
    def from_dict(cls, d: dict) -> WordPieceTokenizer:
        """The tokenizer :meth:`to_dict` described. Anything it could not have written is a
        ``ValueError`` naming the problem (see :func:`check_pieces`); ``unk_token`` must
        be one of the special tokens.

        >>> tok = WordPieceTokenizer(["hi", "##!"], special_tokens=["[UNK]", "[SEP]"])
        >>> WordPieceTokenizer.from_dict(tok.to_dict()).encode("hi [SEP]")
        [2, 1]
        """
        fields = ["lower", "max_word_chars", "unk_token", "special_tokens", "pieces"]
        check_fields(d, "WordPieceTokenizer", fields)
        specials = check_specials(d["special_tokens"])
        if d["unk_token"] not in specials:
            raise ValueError(f"unk_token {short_repr(d['unk_token'])} is not one of the special "
                             f"tokens {short_repr(specials)}")  # fmt: skip
        return cls(d["pieces"], specials, d["unk_token"], d["lower"], d["max_word_chars"])

    def save(self, path) -> None:
        save_json(self.to_dict(), path)

    @classmethod
    def load(cls, path) -> WordPieceTokenizer:
        return from_json_file(path, cls.from_dict)
