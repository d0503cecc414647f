"""Character-level language-model data: one corpus, its fixed splits, and the
batches every neural character model trains on.

Two kinds of corpus, one rule for the loss (mean nats per predicted character):

- **documents** (``names``): each name is its own sequence ``.emma.``, where
  ``.`` marks both the start and the end. A model predicts every character
  and the closing ``.`` from what comes before *within the name*, exactly what
  the n-gram models of ``minilm.ngram`` score (their ``</s>``). Recurrent
  models see padded batches of whole names; the MLP sees fixed windows padded
  on the left with ``.``.
- **a stream** (``tinyshakespeare``): each split is one long text. Recurrent
  models read it as ``B`` parallel contiguous streams, ``bptt`` characters at a
  time, carrying their state from window to window (truncated backpropagation
  through time); the MLP sees the previous ``context`` characters.

>>> corpus = CharCorpus.load("names")
>>> name = corpus.split("train")[0]
>>> corpus.vocab_size, corpus.decode(name) == "." + corpus.sentences("train")[0] + "."
(27, True)
"""

from __future__ import annotations

from dataclasses import dataclass

from ..backend import np
from ..tensor import tensor
from ..text import BPETokenizer, CharTokenizer
from .splits import load_split
from .text import split_text

__all__ = ["CharCorpus", "BOUNDARY", "context_windows", "padded_batch", "StreamBatches"]

BOUNDARY = "."  # a name's start and end marker


TOKENIZERS = ("char", "bpe")


@dataclass
class CharCorpus:
    """A tokenized corpus: ``splits[name]`` is a list of int64 id arrays (one per
    name, or a single array for a stream). ``pad_id`` fills contexts that reach
    before the start (``.`` for names, newline for a stream); ``boundary`` is the
    text that opens and closes each document (``.`` for names, newline for a
    user's lines). With a BPE tokenizer a token covers several characters:
    ``chars[split]`` counts the characters a split's predictions cover, so that
    :meth:`nats_per_char` puts every tokenizer on one scale."""

    name: str
    tokenizer: CharTokenizer | BPETokenizer
    splits: dict
    stream: bool
    pad_id: int
    boundary: str = BOUNDARY
    chars: dict | None = None  # None: one character per prediction (a char tokenizer)
    rule: str = ""  # how the text was split: "lines", "blocks" (a user's text) or ""

    @classmethod
    def load(cls, name: str, max_chars: int | None = None) -> CharCorpus:
        """``names`` or ``tinyshakespeare`` with minilm's fixed splits
        (``minilm.data.load_split``). ``max_chars`` cuts each split of a stream
        (for quick runs); the vocabulary always comes from the whole train split."""
        if name == "names":
            raw = {s: load_split("names", s) for s in ("train", "val", "test")}
            tok = CharTokenizer.from_text(BOUNDARY + "".join(raw["train"]))
            enc = lambda n: np.array(tok.encode(BOUNDARY + n + BOUNDARY), dtype=np.int64)
            splits = {s: [enc(n) for n in names] for s, names in raw.items()}
            return cls(name, tok, splits, False, tok.encode(BOUNDARY)[0])
        if name == "tinyshakespeare":
            raw = {s: load_split(name, s) for s in ("train", "val", "test")}
            tok = CharTokenizer.from_text(raw["train"])
            cut = lambda text: text if max_chars is None else text[:max_chars]
            splits = {s: [np.array(tok.encode(cut(t)), dtype=np.int64)] for s, t in raw.items()}
            return cls(name, tok, splits, True, tok.encode("\n")[0])
        raise ValueError(f"CharCorpus: unknown corpus {name!r}; use 'names' or 'tinyshakespeare'")

    @classmethod
    def from_text(cls, text: str, name: str = "text", tokenizer: str = "char",
                  vocab_size: int = 512, split_by: str | None = None,
                  max_chars: int | None = None, progress: bool = False) -> CharCorpus:  # fmt: skip
        """Your own text, split 90/5/5 by :func:`minilm.data.split_text` (by lines for
        short records such as names, by contiguous blocks for running text).

        - ``tokenizer="char"``: the vocabulary is every character of the whole text,
          plus newline (only the set of characters, not their counts, so no held-out
          character is unknown, as nanoGPT's prepare script does). Lines become
          documents ``"\\n" + line + "\\n"``; blocks become streams.
        - ``tokenizer="bpe"``: byte-level BPE with ``vocab_size`` tokens, learned on
          the train split only; every split is read as one stream (lines joined
          by newlines), and :attr:`chars` records the characters each split covers.

        ``max_chars`` cuts each split's text (quick runs).

        >>> text = "\\n".join(["anna", "bob", "carl", "dora", "emil"] * 8)
        >>> corpus = CharCorpus.from_text(text)
        >>> corpus.rule, corpus.stream, corpus.decode(corpus.split("val")[0]).strip() in text
        ('lines', False, True)
        """
        if tokenizer not in TOKENIZERS:
            raise ValueError(f"tokenizer must be one of {TOKENIZERS}, got {tokenizer!r}")
        parts = split_text(text, split_by, name)
        cut = (lambda t: t) if max_chars is None else (lambda t: t[:max_chars])
        if max_chars is not None and parts.rule == "lines":  # the first lines, max_chars in all
            ends = {s: np.cumsum([len(x) + 1 for x in v]) for s, v in parts.items()}
            parts = type(parts)({s: v[: max(1, int((ends[s] <= max_chars).sum()))]
                                 for s, v in parts.items()}, "lines")  # fmt: skip
        if tokenizer == "char":
            tok = CharTokenizer.from_text(text + "\n")
            nl = tok.encode("\n")[0]
            if parts.rule == "lines":
                enc = lambda line: np.array(tok.encode("\n" + line + "\n"), dtype=np.int64)
                splits = {s: [enc(line) for line in lines] for s, lines in parts.items()}
                return cls(name, tok, splits, False, nl, boundary="\n", rule="lines")
            splits = {s: [np.array(tok.encode(cut(t)), dtype=np.int64)] for s, t in parts.items()}
            return cls(name, tok, splits, True, nl, boundary="\n", rule="blocks")
        texts = {s: ("\n".join(v) + "\n" if parts.rule == "lines" else v) for s, v in parts.items()}
        texts = {s: cut(t) for s, t in texts.items()}
        bpe = BPETokenizer()
        bpe.train(texts["train"], vocab_size, verbose=progress)
        splits = {s: [np.array(bpe.encode(t), dtype=np.int64)] for s, t in texts.items()}
        # the first token of a stream is given, not predicted
        chars = {s: len(t) - len(bpe.decode(splits[s][0][:1])) for s, t in texts.items()}
        return cls(name, bpe, splits, True, bpe.encode("\n")[0], boundary="\n", chars=chars,
                   rule=parts.rule)  # fmt: skip

    def nats_per_char(self, nats_per_token: float, split: str) -> float:
        """A split's mean loss per predicted token as nats per character: the split's
        total nats divided by the characters its predictions cover (the same number
        for a char tokenizer). Exact when ``nats_per_token`` averages every prediction
        (the MLP's and the bigram's evaluations); the GPT and the recurrent models score
        a stream's whole windows only, so their mean leaves out the last partial window
        (under one context, of a split of tens of thousands of tokens)."""
        if self.chars is None:
            return nats_per_token
        return nats_per_token * self.num_predictions(split) / self.chars[split]

    @property
    def vocab_size(self) -> int:
        return self.tokenizer.vocab_size

    def split(self, which: str) -> list:
        return self.splits[which]

    def decode(self, ids) -> str:
        return self.tokenizer.decode([int(i) for i in ids])

    def num_predictions(self, which: str) -> int:
        """How many characters a model predicts on a split (every id but the first)."""
        return sum(len(s) - 1 for s in self.splits[which])

    def sentences(self, which: str) -> list[str]:
        """The split as text sentences for ``minilm.ngram`` (names, or lines of a
        stream: a line's end is the n-gram model's ``</s>``, so both predict it)."""
        if not self.stream:
            return [self.decode(s[1:-1]) for s in self.splits[which]]
        return self.decode(self.splits[which][0]).split("\n")[:-1]


def context_windows(seqs, context: int, pad_id: int):
    """Every (previous ``context`` ids, next id) pair of each sequence, the
    context padded on the left with ``pad_id``: ``X`` (N, context), ``Y`` (N,).

    >>> X, Y = context_windows([np.array([0, 5, 6, 0])], 2, pad_id=0)
    >>> X.tolist(), Y.tolist()
    ([[0, 0], [0, 5], [5, 6]], [5, 6, 0])
    """
    xs, ys = [], []
    for s in seqs:
        padded = np.concatenate([np.full(context - 1, pad_id, dtype=np.int64), s])
        idx = np.arange(len(s) - 1)[:, None] + np.arange(context)  # (n, context)
        xs.append(padded[idx])
        ys.append(s[1:])
    return np.concatenate(xs), np.concatenate(ys)


def padded_batch(seqs, device: str = "cpu"):
    """Inputs ``seq[:-1]`` and targets ``seq[1:]`` of several sequences, right-padded
    to one length: inputs with 0, targets with -100 (ignored by the loss).

    >>> x, y = padded_batch([np.array([0, 3, 0]), np.array([0, 0])])
    >>> x.tolist(), y.tolist()
    ([[0, 3], [0, 0]], [[3, 0], [0, -100]])
    """
    T = max(len(s) for s in seqs) - 1
    x = np.zeros((len(seqs), T), dtype=np.int64)
    y = np.full((len(seqs), T), -100, dtype=np.int64)
    for i, s in enumerate(seqs):
        x[i, : len(s) - 1], y[i, : len(s) - 1] = s[:-1], s[1:]
    return tensor(x, device=device), tensor(y, device=device)


class StreamBatches:
    """Consecutive windows of a token stream read as ``batch_size`` parallel
    streams, for truncated backpropagation through time.

    The stream is cut into ``batch_size`` contiguous rows; call :meth:`next` for
    the next ``(x, y, fresh)`` window of ``bptt`` steps, where ``x``, ``y`` are
    (batch_size, bptt) and ``fresh`` says the rows just started over (so a
    carried state must be reset). Window ``k+1`` continues row ``b`` exactly
    where window ``k`` left it, which is why the state can be carried.

    >>> sb = StreamBatches(np.arange(21), batch_size=2, bptt=3)
    >>> x, y, fresh = sb.next()
    >>> x.tolist(), fresh
    ([[0, 1, 2], [10, 11, 12]], True)
    >>> sb.next()[0].tolist()
    [[3, 4, 5], [13, 14, 15]]
    """

    def __init__(self, ids, batch_size: int, bptt: int, device: str = "cpu"):
        ids = np.asarray(ids, dtype=np.int64)
        n = (len(ids) - 1) // batch_size
        if n < 1:
            raise ValueError(f"StreamBatches: {len(ids)} tokens is too short for "
                             f"batch_size={batch_size}")  # fmt: skip
        self.x = ids[: n * batch_size].reshape(batch_size, n)  # (B, n)
        self.y = ids[1 : n * batch_size + 1].reshape(batch_size, n)
        self.bptt, self.device, self.pos = bptt, device, 0

    def __iter__(self):
        """One pass over the rows (the last window may be shorter)."""
        for i in range(0, self.x.shape[1], self.bptt):
            j = slice(i, i + self.bptt)
            yield tensor(self.x[:, j], device=self.device), tensor(self.y[:, j], device=self.device)

    def next(self):
        fresh = self.pos == 0
        j = slice(self.pos, self.pos + self.bptt)
        x, y = self.x[:, j], self.y[:, j]
        self.pos += self.bptt
        if self.pos >= self.x.shape[1]:
            self.pos = 0
        return tensor(x, device=self.device), tensor(y, device=self.device), fresh
