"""Autoregressive generation: greedy, temperature, top-k, top-p (nucleus), beam search.

A language model generates text one token at a time: it gives the logits of the
next token, we choose one, append it, and ask again. Everything here works with
any model that can answer that question through one function,

    ``next_logits(tokens, state) -> (logits, state)``

where ``tokens`` are the tokens added since the last call (the whole prompt on
the first call, when ``state`` is None), ``logits`` is a 1-D array over the
vocabulary for the token that comes next, and ``state`` is whatever the model
needs to continue: an RNN's hidden state (so each step costs one cell update),
the tokens so far for a model that rereads its context, a transformer's KV
cache. Pass a model with a ``next_logits`` method (minilm's language models
have one) or the function itself. It must not change ``state`` in place: beam
search continues several hypotheses from one state. Beam search advances all
of its hypotheses at once through ``next_logits_many(tokens, states) ->
(logits (n, V), states)`` when the model has that method (one batched forward
instead of n), else through ``next_logits`` one by one (:func:`as_next_logits_many`).

How the next token is chosen:

- **greedy**: the most likely token (``greedy=True`` or ``temperature=0``);
- **temperature** T: sample from softmax(logits / T): T < 1 sharpens, T > 1 flattens;
- **top-k**: sample only among the k most likely tokens (:func:`filter_top_k`);
- **top-p** (nucleus, Holtzman et al. 2020): sample only among the smallest set
  of most likely tokens whose probability adds up to at least p (:func:`filter_top_p`);
- **beam search** (:func:`beam_search`): keep the ``beam_size`` best partial
  sequences instead of one, and return the best finished one by
  log-probability divided by length ** ``length_penalty``.

Sampling is reproducible: pass ``seed`` (or seed minilm with ``manual_seed``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from . import backend
from .backend import np

__all__ = [
    "as_next_logits",
    "as_next_logits_many",
    "logsumexp",
    "log_softmax",
    "filter_top_k",
    "filter_top_p",
    "sample_token",
    "token_distribution",
    "generate",
    "beam_step",
    "beam_search",
    "Hypothesis",
]


def as_next_logits(model):
    """The ``next_logits(tokens, state)`` function of ``model`` (or ``model`` itself)."""
    fn = getattr(model, "next_logits", model)
    if not callable(fn):
        raise TypeError(
            f"generation needs a model with a next_logits(tokens, state) method or such a "
            f"function, got {type(model).__name__}"
        )
    return fn


def as_next_logits_many(model):
    """The ``next_logits_many(tokens, states) -> (logits (n, V), states)`` function
    of ``model``: one step for n hypotheses, ``tokens[i]`` continuing ``states[i]``.
    Without such a method, :func:`as_next_logits` answers them one at a time.

    >>> table = np.log(np.array([[0.1, 0.9], [0.8, 0.2]]))
    >>> many = as_next_logits_many(lambda tokens, state: (table[tokens[-1]], None))
    >>> logits, states = many([[0], [1]], [None, None])
    >>> logits.shape, states
    ((2, 2), [None, None])
    """
    many = getattr(model, "next_logits_many", None)
    if many is not None:
        return many
    step = as_next_logits(model)

    def one_by_one(tokens, states):
        out = [step(t, s) for t, s in zip(tokens, states)]
        return np.stack([_logits_array(logits) for logits, _ in out]), [s for _, s in out]

    return one_by_one


def _logits_array(logits) -> np.ndarray:
    a = np.asarray(backend.to_numpy(getattr(logits, "data", logits)), dtype=np.float64)
    if a.ndim != 1 or a.size == 0:
        raise ValueError(f"next_logits must return a 1-D array over the vocabulary, got {a.shape}")
    return a


def _logits_rows(logits, n: int) -> np.ndarray:
    a = np.asarray(backend.to_numpy(getattr(logits, "data", logits)), dtype=np.float64)
    if a.ndim != 2 or a.shape[0] != n or a.shape[1] == 0:
        raise ValueError(f"next_logits_many must return (n, V) logits for its n = {n} "
                         f"hypotheses, got {a.shape}")  # fmt: skip
    return a


def logsumexp(z, axis: int = -1):
    """``log(sum(exp(z)))`` along ``axis`` (kept, size 1), on NumPy or CuPy arrays,
    without overflow; -inf where every term is -inf.

    >>> logsumexp(np.array([[1000.0, 1000.0], [-np.inf, -np.inf]])).ravel().tolist()
    [1000.6931471805599, -inf]
    """
    xp = backend.get_array_module(z)
    m = z.max(axis=axis, keepdims=True)
    m = xp.where(xp.isfinite(m), m, 0.0)
    with np.errstate(divide="ignore"):
        return xp.log(xp.exp(z - m).sum(axis=axis, keepdims=True)) + m


def log_softmax(logits) -> np.ndarray:
    """log(softmax(logits)) over the last axis, on NumPy arrays, without overflow.

    >>> [round(float(v), 4) for v in log_softmax(np.array([0.0, 0.0]))]
    [-0.6931, -0.6931]
    """
    z = np.asarray(logits, dtype=np.float64)
    return z - logsumexp(z, axis=-1)


def filter_top_k(logits, k: int) -> np.ndarray:
    """Logits with every token outside the ``k`` largest set to -inf (last axis).
    Ties at the boundary are broken by position, so exactly ``k`` survive.

    >>> filter_top_k(np.array([1.0, 3.0, 2.0]), 2).tolist()
    [-inf, 3.0, 2.0]
    """
    logits = np.asarray(logits, dtype=np.float64)
    V = logits.shape[-1]
    if not 1 <= k:
        raise ValueError(f"top_k must be >= 1, got {k}")
    if k >= V:
        return logits.copy()
    keep = np.argsort(-logits, axis=-1, kind="stable")[..., :k]
    out = np.full_like(logits, -np.inf)
    np.put_along_axis(out, keep, np.take_along_axis(logits, keep, axis=-1), axis=-1)
    return out


def filter_top_p(logits, p: float) -> np.ndarray:
    """Logits with every token outside the *nucleus* set to -inf (last axis): the
    smallest set of most likely tokens whose probabilities sum to at least ``p``.

    Sort the probabilities in decreasing order and keep a token when the mass
    *before* it is still below ``p``; the most likely token is always kept.

    >>> filter_top_p(np.log(np.array([0.5, 0.3, 0.2])), 0.7).round(3).tolist()
    [-0.693, -1.204, -inf]
    """
    if not 0.0 < p <= 1.0:
        raise ValueError(f"top_p must be in (0, 1], got {p}")
    logits = np.asarray(logits, dtype=np.float64)
    probs = np.exp(log_softmax(logits))
    order = np.argsort(-probs, axis=-1, kind="stable")
    sorted_p = np.take_along_axis(probs, order, axis=-1)
    before = np.cumsum(sorted_p, axis=-1) - sorted_p  # mass of the tokens ahead of each
    keep_sorted = before < p
    keep_sorted[..., 0] = True
    keep = np.zeros_like(keep_sorted)
    np.put_along_axis(keep, order, keep_sorted, axis=-1)
    return np.where(keep, logits, -np.inf)


def sample_token(logits, temperature: float = 1.0, top_k: int | None = None,
                 top_p: float | None = None, rng=None) -> int:  # fmt: skip
    """One token id from 1-D ``logits``: the argmax when ``temperature == 0``,
    else a sample from softmax(logits / temperature) after the top-k and top-p
    filters (in that order).

    >>> sample_token(np.array([0.0, 5.0, 1.0]), temperature=0)
    1
    >>> sample_token(np.array([0.0, 5.0, 1.0]), top_k=1, rng=np.random.default_rng(0))
    1
    """
    logits = _logits_array(logits)
    if temperature == 0:
        return int(np.argmax(logits))
    probs = token_distribution(logits, temperature, top_k, top_p)
    rng = backend.rng("cpu") if rng is None else rng
    return int(rng.choice(len(probs), p=probs / probs.sum()))


def token_distribution(logits, temperature: float = 1.0, top_k: int | None = None,
                       top_p: float | None = None) -> np.ndarray:  # fmt: skip
    """The distribution :func:`sample_token` draws from: softmax(logits /
    temperature) after the top-k and top-p filters; for ``temperature == 0``
    (greedy), the model's own softmax(logits), unfiltered (what a server shows as
    the chosen token's probability and its alternatives).

    >>> token_distribution(np.log(np.array([0.5, 0.3, 0.2])), top_k=2).round(3).tolist()
    [0.625, 0.375, 0.0]
    """
    logits = _logits_array(logits)
    if temperature < 0:
        raise ValueError(f"temperature must be >= 0, got {temperature}")
    if temperature > 0:
        logits = logits / temperature
        if top_k is not None:
            logits = filter_top_k(logits, top_k)
        if top_p is not None:
            logits = filter_top_p(logits, top_p)
    return np.exp(log_softmax(logits))


def generate(model, prompt, max_new_tokens: int, *, temperature: float = 1.0,
             top_k: int | None = None, top_p: float | None = None, greedy: bool = False,
             stop_token: int | None = None, seed: int | None = None) -> list[int]:  # fmt: skip
    """Generate up to ``max_new_tokens`` tokens after ``prompt`` (a list of ids);
    return the new tokens only. Stops early after emitting ``stop_token``
    (which is included). ``seed`` makes sampling reproducible.

    >>> table = np.log(np.array([[0.1, 0.9], [0.8, 0.2]]))   # a bigram model
    >>> bigram = lambda tokens, state: (table[tokens[-1]], None)
    >>> generate(bigram, [0], 4, greedy=True)
    [1, 0, 1, 0]
    """
    if not prompt:
        raise ValueError("generate: the prompt must hold at least one token (e.g. a start token)")
    step = as_next_logits(model)
    rng = np.random.default_rng(seed) if seed is not None else backend.rng("cpu")
    out, new, state = [], list(prompt), None
    for _ in range(max_new_tokens):
        logits, state = step(new, state)
        t = sample_token(logits, 0.0 if greedy else temperature, top_k, top_p, rng)
        out.append(t)
        new = [t]
        if t == stop_token:
            break
    return out


# --------------------------------------------------------------------------
# Beam search
# --------------------------------------------------------------------------


@dataclass(order=True)
class Hypothesis:
    """A generated sequence: its tokens, total log-probability and normalized score."""

    score: float
    tokens: list = field(compare=False)
    logprob: float = field(compare=False)


def length_normalized(logprob: float, length: int, alpha: float) -> float:
    """``logprob / length ** alpha``: alpha = 0 is the raw sum (favours short
    outputs), alpha = 1 the mean log-probability per token."""
    return logprob / max(length, 1) ** alpha


def beam_step(log_probs, scores, beam_size: int):
    """One step of beam search: extend every beam by every token and keep the best.

    ``log_probs`` (n, V): next-token log-probabilities of each of the n beams;
    ``scores`` (n,): their log-probabilities so far. Returns ``(beam, token,
    total)``: for the ``min(beam_size, n*V)`` best extensions, best first, which
    beam they extend, the token they add, and ``scores[beam] + log_probs[beam, token]``.
    Ties go to the lower beam, then the lower token.

    >>> lp = np.log(np.array([[0.6, 0.4], [0.9, 0.1]]))
    >>> b, t, s = beam_step(lp, np.log(np.array([0.5, 0.5])), 2)
    >>> b.tolist(), t.tolist(), np.exp(s).round(2).tolist()
    ([1, 0], [0, 0], [0.45, 0.3])
    """
    log_probs = np.asarray(log_probs, dtype=np.float64)
    scores = np.asarray(scores, dtype=np.float64)
    n, V = log_probs.shape
    total = (scores[:, None] + log_probs).reshape(-1)  # (n*V,), beam-major
    best = np.argsort(-total, kind="stable")[: min(beam_size, n * V)]
    return best // V, best % V, total[best]


def beam_search(model, prompt, max_new_tokens: int, beam_size: int = 4, *,
                length_penalty: float = 1.0, stop_token: int | None = None,
                early_stopping: bool = False) -> list[Hypothesis]:  # fmt: skip
    """Beam search; returns the finished hypotheses, best (highest score) first.

    At each step every live hypothesis is extended by every token and the
    ``beam_size`` best extensions by total log-probability survive
    (:func:`beam_step`). One that ends in ``stop_token`` is finished and leaves
    the beam; the rest finish when ``max_new_tokens`` is reached. Finished
    hypotheses are ranked by ``logprob / length ** length_penalty``. With
    ``beam_size=1`` this is greedy decoding; with a beam as large as the number
    of possible sequences it is an exhaustive search. Extensions of probability
    0 (tokens the model rules out with a -inf logit) never survive, so a wide
    beam holds only possible sequences. The survivors of a step are advanced
    together (:func:`as_next_logits_many`).

    The search goes on while any hypothesis is live, which can mean every step
    up to ``max_new_tokens``. ``early_stopping=True`` stops as soon as no live
    hypothesis can beat the best finished one: its log-probability can only
    fall, so its best possible score is ``logprob / m ** length_penalty`` at
    the shortest or the longest length m it could still finish at. The best
    hypothesis is the same either way; fewer runners-up come back.

    >>> table = np.log(np.array([[0.1, 0.9], [0.8, 0.2]]))
    >>> bigram = lambda tokens, state: (table[tokens[-1]], None)
    >>> best = beam_search(bigram, [0], 3, beam_size=2)[0]
    >>> best.tokens, round(math.exp(best.logprob), 3)
    ([1, 0, 1], 0.648)
    """
    if beam_size < 1:
        raise ValueError(f"beam_size must be >= 1, got {beam_size}")
    if not prompt:
        raise ValueError("beam_search: the prompt must hold at least one token")
    step, many = as_next_logits(model), as_next_logits_many(model)
    logits, state = step(list(prompt), None)
    live = [([], 0.0, state)]  # (tokens, logprob, model state)
    lp = log_softmax(_logits_array(logits))[None]  # (n, V): each live one's next token
    finished = []
    for t in range(max_new_tokens):
        beams, tokens, totals = beam_step(lp, [h[1] for h in live], beam_size)
        last = t == max_new_tokens - 1
        grown = []
        for b, tok, total in zip(beams.tolist(), tokens.tolist(), totals.tolist()):
            if total == -math.inf:
                break  # best first: the rest are impossible too
            seq = live[b][0] + [tok]
            if tok == stop_token or last:
                finished.append(Hypothesis(length_normalized(total, len(seq), length_penalty),
                                           seq, total))  # fmt: skip
            else:
                grown.append((seq, total, live[b][2]))
        if not grown:
            break
        if early_stopping and finished and _cannot_win(grown, max(finished).score,
                                                       max_new_tokens, length_penalty):  # fmt: skip
            break
        logits, states = many([[seq[-1]] for seq, _, _ in grown], [h[2] for h in grown])
        lp = log_softmax(_logits_rows(logits, len(grown)))  # (n, V)
        live = [(seq, total, s) for (seq, total, _), s in zip(grown, states)]
    return sorted(finished, reverse=True)


def _cannot_win(live, best: float, max_len: int, alpha: float) -> bool:
    """Whether none of the ``live`` (tokens, logprob, state) can finish with a score
    above ``best``: logprob / m ** alpha is monotone in the length m, so its bound
    over the lengths still open, len(tokens) + 1 to ``max_len``, is at an end."""
    return all(max(length_normalized(lp, len(seq) + 1, alpha),
                   length_normalized(lp, max_len, alpha)) <= best
               for seq, lp, _ in live)  # fmt: skip
