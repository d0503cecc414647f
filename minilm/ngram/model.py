"""The n-gram language model: vocabulary, sentence boundaries, scoring and sampling."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Sequence

from ..backend import np
from ..text.vocab import Vocab, short_repr
from .counts import NgramCounts, positions_in_sequences
from .smoothing import Smoothing, make_smoothing

BOS, EOS, UNK = "<s>", "</s>", "<unk>"


class NgramModel:
    """An order-n language model over tokens (characters, words, anything hashable as str).

    Sentences are sequences of tokens.
    **Strings**: a ``str`` is a sequence of characters, so it stands for a sentence
    or a context only in a *character model*, one whose vocabulary (apart from
    ``<s>``, ``</s>`` and ``<unk>``) is single characters. A model of longer tokens
    (words) refuses a string sentence or context with a ``TypeError``: pass a
    list of tokens (``minilm.text.split_words(line)``). A bare string where a list
    of sentences is expected (``fit``, ``heldout``, ``logprobs``, ``perplexity``) is
    always a ``TypeError``: wrap one sentence in a list.
    **Boundaries**: each sentence is padded with ``n-1`` start tokens ``<s>`` and
    one end token ``</s>``; ``</s>`` is predicted (so the model knows where
    sentences end, and perplexity counts it), ``<s>`` never is.
    **Unknown tokens**: training tokens seen fewer than ``min_count`` times
    become ``<unk>``, as does any token outside the vocabulary later. With
    ``min_count=1`` nothing in training is ``<unk>``, so it gets probability
    only through smoothing.

    ``boundaries=False`` takes sequences as they are (no padding, every token
    predictable, only positions with a full context scored): that is how to
    reproduce a model that pads its own way, as the nltk comparison tests do.

    >>> lm = NgramModel(2, "laplace").fit(["abab", "ba"])
    >>> round(lm.prob("b", "a"), 4)
    0.4286
    >>> round(float(lm.distribution("a").sum()), 6)
    1.0
    >>> lm.generate(2, seed=0)
    [['a'], []]
    >>> words = NgramModel(2, "mle").fit([["the", "time", "machine"]])
    >>> words.prob("machine", ["the", "time"])  # c(time machine) / c(time .)
    1.0
    >>> words.prob("machine", "the time")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    TypeError: context 'the time' is a string, which this model would read as characters, ...
    """

    def __init__(self, order: int, smoothing: str | Smoothing = "kneser-ney", min_count: int = 1,
                 boundaries: bool = True):  # fmt: skip
        if order < 1:
            raise ValueError(f"order must be >= 1, got {order}")
        self.order = order
        self.smoothing = make_smoothing(smoothing)
        self.smoothing_settings = dict(vars(self.smoothing))  # as built, before fitting
        self.min_count = min_count
        self.boundaries = boundaries
        self.vocab: Vocab | None = None

    # --- fitting ---------------------------------------------------------
    def fit(self, sentences: Iterable[Sequence[str]], heldout=None) -> NgramModel:
        """Count the n-grams of ``sentences`` (a list of sentences, each a sequence of
        tokens, or a string in a character model); ``heldout`` sentences tune
        interpolation weights."""
        sentences = _sentence_list(sentences, "fit")
        counts = Counter(tok for s in sentences for tok in s)
        kept = sorted(t for t, c in counts.items() if c >= self.min_count and t not in (BOS, EOS))
        self._set_vocab(Vocab(kept, specials=[BOS, EOS], unk=UNK))
        self.predictable = np.array(
            [i for i in range(len(self.vocab)) if not (self.boundaries and i == self.bos)]
        )
        self.tokens = [self.vocab.itos[i] for i in self.predictable]
        tokens, lengths = self._ids(sentences)
        held = None if heldout is None else self._windows(_sentence_list(heldout, "heldout"))
        self.tuned_on_heldout = held is not None  # its weights then depend on more than its ids
        return self._fit_ids(tokens, lengths, held)

    def _fit_ids(self, tokens, lengths, held=None) -> NgramModel:
        self.training_ids = (tokens, lengths)  # all a saved model needs (with its vocab)
        self.counts = NgramCounts(
            tokens,
            lengths,
            self.order,
            len(self.vocab),
            zero_last=self.bos if self.boundaries else None,
        )
        self.smoothing.fit(self.counts, len(self.predictable), held)
        return self

    @classmethod
    def from_ids(cls, config: dict, tokens, lengths) -> NgramModel:
        """Rebuild a fitted model from what :attr:`training_ids` and its vocabulary hold
        (``config``: order, smoothing, min_count, vocab as ``Vocab.to_dict()``), checking
        that the ids fit the vocabulary and the lengths add up. For :mod:`minilm.checkpoint`."""
        lm = cls(config["order"], config["smoothing"], min_count=config["min_count"])
        vocab = Vocab.from_dict(config["vocab"])
        if BOS not in vocab.stoi or EOS not in vocab.stoi:
            raise ValueError("an n-gram vocabulary must hold <s> and </s>")
        lm._set_vocab(vocab)
        lm.predictable = np.array([i for i in range(len(lm.vocab)) if i != lm.bos])
        lm.tokens = [lm.vocab.itos[i] for i in lm.predictable]
        tokens = np.asarray(tokens)
        lengths = np.asarray(lengths)
        if any(a.ndim != 1 or a.dtype.kind not in "iu" for a in (tokens, lengths)):
            raise ValueError("n-gram ids and lengths must be 1-D integer arrays")
        if len(tokens) == 0:
            raise ValueError("an n-gram model needs some training ids")
        if (lengths < 0).any() or int(lengths.sum()) != len(tokens):
            raise ValueError("n-gram lengths do not add up to the number of ids")
        if len(tokens) and (tokens.min() < 0 or tokens.max() >= len(lm.vocab)):
            raise ValueError("n-gram ids are out of the vocabulary's range")
        return lm._fit_ids(tokens.astype(np.int64), lengths.astype(np.int64))

    def _set_vocab(self, vocab: Vocab) -> None:
        self.vocab = vocab
        self.bos, self.eos = vocab.stoi[BOS], vocab.stoi[EOS]
        # the first token longer than one character, if any: then a str is not tokens
        self._long_token = next(
            (t for t in vocab.itos if t not in (BOS, EOS, UNK) and not _is_char(t)), None
        )

    @property
    def char_level(self) -> bool:
        """Whether every token of the vocabulary is one character, so that a string
        can stand for a sequence of tokens (see the class docstring)."""
        self._check_fitted()
        return self._long_token is None

    def _tokens(self, seq, what: str) -> list:
        """``seq`` as a list of tokens; a string only in a character model."""
        if isinstance(seq, str) and self._long_token is not None:
            hint = short_repr(seq.split()) if seq.split() else "[...]"
            raise TypeError(
                f"{what} {short_repr(seq)} is a string, which this model would read as "
                f"characters, but its tokens are not single characters (e.g. "
                f"{short_repr(self._long_token)}); pass a list of tokens, e.g. {hint} "
                "(minilm.text.split_words cuts text into words)"
            )
        return list(seq)

    def _check_fitted(self):
        if self.vocab is None:
            raise RuntimeError("this NgramModel is not fitted yet: call fit(sentences) first")

    def _ids(self, sentences):
        """All sentences as ids, concatenated, each padded if ``boundaries``; and their lengths."""
        sentences = list(sentences)
        if self._long_token is not None:  # a word model: refuse string sentences
            for i, s in enumerate(sentences):
                if isinstance(s, str):
                    self._tokens(s, f"sentence {i}")
        ids = np.array(self.vocab.encode([t for s in sentences for t in s]), dtype=np.int64)
        lengths = np.array([len(s) for s in sentences], dtype=np.int64)
        if not self.boundaries:
            return ids, lengths
        pad = self.order - 1
        padded = lengths + pad + 1
        out = np.full(int(padded.sum()), self.bos, dtype=np.int64)
        starts = np.cumsum(padded) - padded
        out[np.repeat(starts + pad, lengths) + positions_in_sequences(lengths)] = ids
        out[starts + pad + lengths] = self.eos
        return out, padded

    def _windows(self, sentences) -> np.ndarray:
        """Every scored n-gram of ``sentences`` as an ``(N, order)`` array of ids."""
        tokens, lengths = self._ids(sentences)
        ends = np.flatnonzero(positions_in_sequences(lengths) >= self.order - 1)
        return tokens[ends[:, None] - np.arange(self.order - 1, -1, -1)]  # (N, n)

    def _context_ids(self, context) -> list[int]:
        ids = self.vocab.encode(self._tokens(context, "context"))
        if self.boundaries:
            ids = [self.bos] * (self.order - 1) + ids
        ids = ids[len(ids) - (self.order - 1) :] if self.order > 1 else []
        if len(ids) < self.order - 1:
            raise ValueError(
                f"a context of {len(ids)} tokens is too short for an order-{self.order} model "
                "without boundaries (it needs order-1 tokens)"
            )
        return ids

    # --- probabilities ---------------------------------------------------
    def prob(self, token: str, context: Sequence[str] = ()) -> float:
        """P(token | context); the context is the tokens so far in the sentence (the
        last n-1 are used; a shorter one is padded with ``<s>``). For a word model
        pass a list of words: a string context is refused unless every token of the
        model is one character."""
        self._check_fitted()
        gram = self._context_ids(context) + self.vocab.encode([token])
        return float(self.smoothing.score(np.array([gram]))[0])

    def logprob(self, token: str, context: Sequence[str] = ()) -> float:
        """Natural log of :meth:`prob` (``-inf`` for probability 0)."""
        p = self.prob(token, context)
        return math.log(p) if p > 0 else -math.inf

    def distribution(self, context: Sequence[str] = ()) -> np.ndarray:
        """P(w | context) for every predictable token ``w``, in the order of ``self.tokens``."""
        self._check_fitted()
        ctx = np.array(self._context_ids(context), dtype=np.int64)
        grams = np.concatenate(
            [np.broadcast_to(ctx, (len(self.predictable), len(ctx))), self.predictable[:, None]],
            axis=1,
        )  # (V, n)
        return self.smoothing.score(grams)

    def logprobs(self, sentences) -> np.ndarray:
        """Natural-log probability of every scored token of ``sentences`` (a list of
        sentences, as for :meth:`fit`; ``</s>`` included)."""
        self._check_fitted()
        windows = self._windows(_sentence_list(sentences, "logprobs"))
        with np.errstate(divide="ignore"):
            return np.log(self.smoothing.score(windows))

    def perplexity(self, sentences) -> float:
        """``exp(-mean log P)`` over every scored token of ``sentences`` (``</s>`` included).

        ``sentences`` is a list of sentences (each a sequence of tokens); one
        sentence must be wrapped in a list.
        """
        lp = self.logprobs(_sentence_list(sentences, "perplexity"))
        if len(lp) == 0:
            raise ValueError("perplexity: no tokens to score")
        return float(np.exp(-lp.mean()))

    # --- sampling --------------------------------------------------------
    def generate(self, n: int = 1, seed: int | None = None, temperature: float = 1.0,
                 max_tokens: int = 100, context: Sequence[str] = ()) -> list:  # fmt: skip
        """Sample ``n`` sequences, each until ``</s>`` (not included) or ``max_tokens`` tokens.

        ``temperature`` rescales log-probabilities (``p ** (1/T)``, renormalized);
        0 means always the most likely token. ``seed`` fixes the samples. ``context``
        is the start of every sample (tokens, as for :meth:`prob`).
        """
        self._check_fitted()
        context = self._tokens(context, "context")
        if temperature < 0:
            raise ValueError(f"temperature must be >= 0, got {temperature}")
        rng = np.random.default_rng(seed)
        out = []
        for _ in range(n):
            seq = list(context)
            while len(seq) - len(context) < max_tokens:
                p = self.distribution(seq)
                if temperature == 0:
                    i = int(np.argmax(p))
                else:
                    with np.errstate(divide="ignore"):
                        logits = np.log(p) / temperature
                    w = np.exp(logits - logits.max())
                    i = int(rng.choice(len(w), p=w / w.sum()))
                token = self.tokens[i]
                if self.boundaries and token == EOS:
                    break
                seq.append(token)
            out.append(seq[len(context) :])
        return out

    def __repr__(self) -> str:
        return f"NgramModel(order={self.order}, smoothing={self.smoothing!r})"


def _is_char(token) -> bool:
    return isinstance(token, str) and len(token) == 1


def _sentence_list(sentences, what: str) -> list:
    """``sentences`` as a list; a bare string (one sentence, or a whole text) is refused."""
    if isinstance(sentences, str):
        raise TypeError(
            f"{what} takes a list of sentences, not one string {short_repr(sentences, 30)}: "
            "wrap one sentence in a list ([text] is a sentence of characters, "
            "[split_words(text)] one of words), or pass one per line (text.splitlines())"
        )
    return list(sentences)
