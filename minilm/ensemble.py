"""Ensembles: several models' predictions combined into one.

**Language models** give next-token distributions ``p_1 .. p_M`` over the same
vocabulary. Two ways to combine them, both on arrays (..., V) of log-probs:

- the **mixture** (linear interpolation) ``p(v) = sum_m w_m p_m(v)``, weights
  ``w_m >= 0`` summing to 1: each member may be the one that is right, and the
  mixture is never worse than the weighted mean of its members' losses (log is
  concave: ``-log sum_m w_m p_m >= ...`` is Jensen's inequality, so its nats are
  ``<= sum_m w_m nats_m``). :func:`mixture_logprobs`.
- the **log-linear** (product of experts) ``p(v) ∝ prod_m p_m(v)^{w_m}``: a token
  needs every member's support, so it is sharper; it can beat or lose to the
  mixture. :func:`log_linear_logprobs`.

:func:`evaluate_ensemble` scores a GPT, an RNN LM and an n-gram model on exactly the
same target positions of a stream split (:func:`stream_logprobs`), and
:func:`fit_weights` chooses the weights on one split (EM for a mixture, a grid for
log-linear) for reporting on another.

**Classifiers**: :func:`bagging` trains one model per bootstrap resample of the
training set (Breiman, 1996); :func:`vote` takes the majority of their labels and
:func:`average_probabilities` averages their class probabilities.

>>> from minilm.backend import np
>>> a, b = np.log([[0.9, 0.1]]), np.log([[0.5, 0.5]])
>>> np.exp(mixture_logprobs([a, b])).round(3).tolist()
[[0.7, 0.3]]
>>> vote(np.array([[0, 1, 1], [1, 1, 0], [1, 0, 0]])).tolist()
[1, 1, 0]
"""

from __future__ import annotations

import itertools

from . import functional as F
from .backend import get_array_module, np
from .data import lm_batches
from .data.lm_corpus import CharCorpus, StreamBatches
from .generate import logsumexp
from .models.gpt import GPT
from .models.rnn_lm import RNNLM
from .ngram import NgramModel
from .tensor import no_grad

__all__ = [
    "mixture_logprobs",
    "log_linear_logprobs",
    "combine",
    "nats",
    "fit_char_ngram",
    "stream_logprobs",
    "ensemble_logprobs",
    "evaluate_ensemble",
    "fit_weights",
    "bootstrap_indices",
    "bagging",
    "vote",
    "average_probabilities",
]

HOWS = ("mixture", "log-linear")


def _stack(logprob_list, where: str):
    if len(logprob_list) == 0:
        raise ValueError(f"{where}: needs at least one member's log-probs")
    xp = get_array_module(*logprob_list)
    shapes = {tuple(a.shape) for a in logprob_list}
    if len(shapes) != 1:
        raise ValueError(f"{where}: every member's log-probs must have one shape (..., V), "
                         f"got {sorted(shapes)}")  # fmt: skip
    return xp.stack([xp.asarray(a, dtype=xp.float64) for a in logprob_list])  # (M, ..., V)


def _weights(weights, M: int, where: str, normalize: bool):
    w = np.full(M, 1.0 / M) if weights is None else np.asarray(weights, dtype=np.float64)
    if w.shape != (M,):
        raise ValueError(f"{where}: {M} members need {M} weights, got shape {w.shape}")
    if not np.isfinite(w).all() or (w < 0).any():
        raise ValueError(f"{where}: weights must be finite and >= 0, got {w.tolist()}")
    if normalize:
        if w.sum() <= 0:
            raise ValueError(f"{where}: the weights sum to 0; give at least one a positive weight")
        w = w / w.sum()
    return w


def mixture_logprobs(logprob_list, weights=None):
    """``log sum_m w_m exp(logprob_m)``: the log of the weighted average of the
    members' probabilities, computed with a stable logsumexp.

    ``logprob_list``: M arrays of one shape (..., V), each member's next-token
    log-probs. ``weights``: M non-negative numbers (default equal); they are
    **normalized** to sum to 1 (``[2, 2]`` is ``[0.5, 0.5]``), so the result is
    always a distribution. A member with weight 0 is left out.

    >>> from minilm.backend import np
    >>> out = mixture_logprobs([np.log([[0.5, 0.5]]), np.log([[0.9, 0.1]])], [3, 1])
    >>> np.exp(out).round(3).tolist()  # 0.75 * 0.5 + 0.25 * 0.9, 0.75 * 0.5 + 0.25 * 0.1
    [[0.6, 0.4]]
    """
    lp = _stack(logprob_list, "mixture_logprobs")
    w = _weights(weights, len(lp), "mixture_logprobs", normalize=True)
    keep = w > 0
    with np.errstate(divide="ignore"):
        log_w = np.log(w[keep]).reshape((-1,) + (1,) * (lp.ndim - 1))  # (M', 1, ..., 1)
    xp = get_array_module(lp)
    return logsumexp(lp[xp.asarray(keep)] + xp.asarray(log_w), axis=0)[0]


def log_linear_logprobs(logprob_list, weights=None):
    """``sum_m w_m logprob_m``, renormalized over the vocabulary (the last axis):
    ``log p(v) = sum_m w_m log p_m(v) - log sum_u exp(sum_m w_m log p_m(u))``.

    ``weights``: M non-negative numbers (default ``1/M`` each), **not** normalized:
    they are exponents, and their sum acts as an inverse temperature (sum 2 sharpens
    the combined distribution, sum 0.5 flattens it). A member with weight 0 is left
    out (so its zeros cannot make ``0 * -inf``).

    >>> from minilm.backend import np
    >>> out = log_linear_logprobs([np.log([[0.5, 0.5]]), np.log([[0.9, 0.1]])], [1, 1])
    >>> np.exp(out).round(2).tolist()
    [[0.9, 0.1]]
    """
    lp = _stack(logprob_list, "log_linear_logprobs")
    w = _weights(weights, len(lp), "log_linear_logprobs", normalize=False)
    keep = w > 0
    if not keep.any():
        raise ValueError("log_linear_logprobs: every weight is 0; give one a positive weight")
    xp = get_array_module(lp)
    z = xp.tensordot(xp.asarray(w[keep]), lp[xp.asarray(keep)], axes=1)  # (..., V)
    return z - logsumexp(z, axis=-1)


def combine(logprob_list, how: str = "mixture", weights=None):
    """:func:`mixture_logprobs` or :func:`log_linear_logprobs`, by name."""
    if how == "mixture":
        return mixture_logprobs(logprob_list, weights)
    if how == "log-linear":
        return log_linear_logprobs(logprob_list, weights)
    raise ValueError(f"ensemble: how must be one of {HOWS}, got {how!r}")


# ---- scoring language models on one set of positions ----

RNN_ROWS, RNN_BPTT = 64, 256  # minilm.recipes.rnn_lm.evaluate_rnn_lm's reading of a stream


def _covered(model, n_ids: int) -> int:
    """How many targets (positions 1..N of the split) ``model``'s own scoring covers."""
    if isinstance(model, GPT):
        block = model.config.block_size
        return (n_ids - 1) // block * block
    if isinstance(model, RNNLM):
        return (n_ids - 1) // RNN_ROWS * RNN_ROWS
    return n_ids - 1


def _gpt_logprobs(model, ids, n):
    out = []
    for x, _ in lm_batches(ids, 64, model.config.block_size, device=model.wte.weight.device):
        out.append(F.log_softmax(model(x)).numpy().reshape(-1, model.config.vocab_size))
    return np.concatenate(out)[:n]


def _rnn_logprobs(model, ids, n):
    state, chunks = None, []
    for x, _ in StreamBatches(ids, RNN_ROWS, RNN_BPTT, device=model.head.weight.device):
        logits, state = model(x, state)
        chunks.append(F.log_softmax(logits).numpy())  # (rows, bptt, V)
    rows = np.concatenate(chunks, axis=1)  # (rows, L // rows, V): row r is one stretch
    return rows.reshape(-1, rows.shape[-1])[:n]  # the stretches one after another


def _ngram_logprobs(model: NgramModel, corpus: CharCorpus, ids, n):
    """P(next char | the previous order-1 chars) of a character n-gram model fitted
    with ``boundaries=False`` (see :func:`fit_char_ngram`): the context of the first
    positions is padded with ``corpus.pad_id``; the model's probabilities are kept for
    the corpus's characters only and renormalized over them (its ``<s>``, ``</s>``
    and ``<unk>`` get a little smoothed mass that no character of the stream uses)."""
    if model.boundaries:
        raise ValueError("stream_logprobs: an n-gram member must be fitted with "
                         "boundaries=False on the stream (see fit_char_ngram)")  # fmt: skip
    V, k = corpus.vocab_size, model.order - 1
    to_ng = np.array([model.vocab.stoi.get(corpus.decode([i]), model.vocab.stoi["<unk>"])
                      for i in range(V)])  # fmt: skip
    padded = np.concatenate([np.full(k, corpus.pad_id, dtype=np.int64), ids[:n]])
    ctx = padded[np.arange(n)[:, None] + 1 + np.arange(k)]  # (n, k): ids[i+1-k .. i], target i+1
    unique, inverse = np.unique(to_ng[ctx], axis=0, return_inverse=True)  # (U, k)
    grams = np.concatenate([np.repeat(unique, V, axis=0), np.tile(to_ng, len(unique))[:, None]],
                           axis=1)  # (U * V, order)  # fmt: skip
    p = model.smoothing.score(grams).reshape(len(unique), V)
    with np.errstate(divide="ignore"):
        lp = np.log(p / p.sum(axis=1, keepdims=True))
    return lp[inverse.reshape(-1)]


def fit_char_ngram(corpus: CharCorpus, order: int = 5, smoothing: str = "kneser-ney"):
    """A character n-gram model of a stream corpus's train split, the whole split read
    as one sequence (``boundaries=False``), ready for :func:`stream_logprobs`."""
    text = corpus.decode(corpus.split("train")[0])
    return NgramModel(order, smoothing, boundaries=False).fit([list(text)])


def stream_logprobs(models, corpus: CharCorpus, split: str = "val"):
    """Every member's next-token log-probs on one set of positions of a stream split:
    ``(targets (N,), [logprobs (N, V) per model])``, target ``i`` being the split's
    token ``i + 1``.

    The positions are 1..N with N the fewest any member's own scoring covers; each
    member reads the split as its recipe's evaluation does, so a member's nats here
    are exactly its ``evaluate_*`` number when N is what that scoring covers (a
    GPT of context 64 and an RNN LM read 64 rows cover the same N):

    - a GPT: consecutive non-overlapping windows of ``block_size`` from the split's
      start, as :func:`minilm.recipes.gpt.evaluate_gpt` (early positions of a window
      see a short context);
    - an RNNLM: 64 parallel contiguous rows read 256 steps at a time with the state
      carried, as :func:`minilm.recipes.rnn_lm.evaluate_rnn_lm`;
    - an :class:`~minilm.ngram.NgramModel` (characters, ``boundaries=False``): the
      previous ``order - 1`` characters.
    """
    if not corpus.stream:
        raise ValueError("stream_logprobs: needs a stream corpus (e.g. tinyshakespeare); "
                         f"{corpus.name!r} is a set of documents")  # fmt: skip
    ids = np.asarray(corpus.split(split)[0], dtype=np.int64)
    n = min(_covered(m, len(ids)) for m in models)
    out = []
    for m in models:
        if isinstance(m, (GPT, RNNLM)):
            was = m.training
            m.eval()
            try:
                with no_grad():
                    lp = (_gpt_logprobs if isinstance(m, GPT) else _rnn_logprobs)(m, ids, n)
            finally:
                m.train(was)
        elif isinstance(m, NgramModel):
            lp = _ngram_logprobs(m, corpus, ids, n)
        else:
            raise TypeError(f"stream_logprobs: a member must be a GPT, an RNNLM or an "
                            f"NgramModel, got {type(m).__name__}")  # fmt: skip
        if lp.shape != (n, corpus.vocab_size):
            raise ValueError(f"stream_logprobs: a {type(m).__name__} gave log-probs of shape "
                             f"{lp.shape}, expected {(n, corpus.vocab_size)} (its vocabulary "
                             "must be the corpus's)")  # fmt: skip
        out.append(lp.astype(np.float64))
    return ids[1 : n + 1], out


def nats(logprobs, targets) -> float:
    """Mean negative log-prob of ``targets`` (N,) under ``logprobs`` (N, V)."""
    return float(-np.take_along_axis(logprobs, targets[:, None], axis=1).mean())


def ensemble_logprobs(models, corpus, split="val", how="mixture", weights=None):
    """``(targets, combined log-probs (N, V))`` of :func:`stream_logprobs`'s members."""
    targets, lps = stream_logprobs(models, corpus, split)
    return targets, combine(lps, how, weights)


def evaluate_ensemble(models, corpus: CharCorpus, split: str = "val", how: str = "mixture",
                      weights=None) -> float:  # fmt: skip
    """Mean nats per character of the ensemble of ``models`` (GPT, RNNLM, character
    NgramModel) on a stream split, every member scored on the same positions
    (:func:`stream_logprobs`); ``how``: ``"mixture"`` or ``"log-linear"``."""
    targets, lp = ensemble_logprobs(models, corpus, split, how, weights)
    return nats(lp, targets)


def fit_weights(logprob_list, targets, how: str = "mixture", steps: int = 100,
                grid_step: float = 0.1):  # fmt: skip
    """Weights for :func:`combine` that minimize the nats of ``targets`` (fit them on
    the val split, report on test).

    - ``"mixture"``: EM (as for interpolated n-grams): with ``r_im = w_m p_m(y_i) /
      sum_k w_k p_k(y_i)`` each member's responsibility for target i, set ``w_m =
      mean_i r_im``; each step never raises the nats; ``steps`` steps from equal weights.
    - ``"log-linear"``: the best weights on a grid of multiples of ``grid_step`` in
      [0, 1] per member (the normalizer needs the whole distribution, so no EM);
      for a few members only (the grid has ``(1/grid_step + 1)^M`` points; at most 2000).
    """
    lp = _stack(logprob_list, "fit_weights")  # (M, N, V)
    M = len(lp)
    at = np.take_along_axis(lp, targets[None, :, None], axis=2)[..., 0]  # (M, N)
    if how == "mixture":
        w = np.full(M, 1.0 / M)
        for _ in range(steps):
            joint = at + np.log(np.maximum(w, 1e-300))[:, None]  # (M, N)
            r = np.exp(joint - logsumexp(joint, axis=0))
            w = r.mean(axis=1)
        return w
    if how != "log-linear":
        raise ValueError(f"fit_weights: how must be one of {HOWS}, got {how!r}")
    levels = np.arange(0.0, 1.0 + 1e-9, grid_step)
    if len(levels) ** M > 2000:
        raise ValueError(f"fit_weights: a grid of {len(levels)}^{M} points is too big; "
                         "use a larger grid_step or fewer members")  # fmt: skip
    best, best_w = np.inf, None
    for w in itertools.product(levels, repeat=M):
        if sum(w) == 0:
            continue
        z = log_linear_logprobs(list(lp), np.array(w))
        score = nats(z, targets)
        if score < best:
            best, best_w = score, np.array(w)
    return best_w


# ---- classifiers: bagging and voting ----


def bootstrap_indices(n: int, n_models: int, seed: int = 0):
    """``n_models`` bootstrap resamples of ``range(n)``: an (n_models, n) int array of
    indices drawn with replacement (each resample leaves out about 1/e of the rows).
    The same ``seed`` gives the same resamples."""
    if n < 1 or n_models < 1:
        raise ValueError(f"bootstrap_indices: needs n >= 1 and n_models >= 1, got {n}, {n_models}")
    return np.random.default_rng(seed).integers(0, n, size=(n_models, n))


def bagging(train_one, X, y, n_models: int, seed: int = 0) -> list:
    """Bootstrap aggregating: ``[train_one(X[idx], y[idx]) for idx in
    bootstrap_indices(len(y), n_models, seed)]``, the trained models in order.
    ``X``, ``y``: arrays or Tensors indexable by an integer array; ``train_one`` trains
    a fresh model (seed it inside, e.g. from a counter, if it is random)."""
    return [train_one(X[idx], y[idx]) for idx in bootstrap_indices(len(y), n_models, seed)]


def vote(predictions):
    """Majority vote of ``predictions`` (M, N) integer labels from M models -> (N,).
    Ties go to the **smallest** tied label (``argmax`` of the counts takes the first)."""
    p = np.asarray(predictions)
    if p.ndim != 2 or p.dtype.kind not in "iu":
        raise ValueError(f"vote: needs an (M models, N examples) integer array, got "
                         f"shape {p.shape}, dtype {p.dtype}")  # fmt: skip
    if (p < 0).any():
        raise ValueError("vote: labels must be >= 0")
    counts = np.zeros((int(p.max()) + 1, p.shape[1]), dtype=np.int64)  # (labels, N)
    for row in p:
        counts[row, np.arange(p.shape[1])] += 1
    return counts.argmax(axis=0)


def average_probabilities(prob_list):
    """The mean of M models' class probabilities, each (N, C) -> (N, C): soft voting."""
    return _stack(prob_list, "average_probabilities").mean(axis=0)
