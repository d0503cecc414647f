"""RL fine-tuning of a language model toward a reward model, with a KL penalty
(RLHF in miniature).

Three models:

- a **pretrained** character LM (``minilm.models.rnn_lm.RNNLM``), trained
  briefly on names; a frozen copy of it is the **reference** pi_ref;
- a **reward model** (:class:`NameScorer`), trained here: a GRU classifier that
  tells real names from look-alikes (samples of a character bigram model and
  real names with a letter or two changed). Its logit is the reward;
- the **policy** pi, a copy of the pretrained LM that RL moves.

Each step samples a batch of names from pi and gives each the KL-penalized reward

    R(y) = r(y) - beta * sum_t [log pi(y_t | y_<t) - log pi_ref(y_t | y_<t)]

(:func:`kl_penalized_reward`; the sum estimates KL(pi || pi_ref) on this
sample), then takes a REINFORCE step on ``-(R - mean R) * log pi(y)``. The KL
term keeps pi near the fluent reference. Without it (``beta = 0``), pi chases
the reward model wherever it is wrong or over-confident: the reward rises, the
KL grows without bound, and the samples collapse onto a few strings the scorer
loves (reward hacking): watch the share of distinct samples.

>>> import minilm
>>> from minilm.models.rnn_lm import RNNLM, RNNLMConfig
>>> minilm.manual_seed(0)
>>> lm = RNNLM(RNNLMConfig(vocab_size=27, cell="gru", embed_dim=8, hidden_size=16))
>>> ids, mask = sample_names(lm, 4, max_len=6)
>>> ids.shape[0], mask.shape == ids.shape
(4, True)
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field

from .. import functional as F
from .. import nn, optim
from ..backend import np
from ..backend import rng as _rng
from ..data import load_split
from ..data.name_data import name_stats
from ..progress import progress_bar
from ..tensor import Tensor, as_tensor, no_grad, tensor
from .env import ACTIONS, END

__all__ = ["encode", "decode", "sample_names", "token_logprobs", "sequence_kl",
           "kl_penalized_reward", "look_alikes", "NameScorer", "train_scorer",
           "RLHFConfig", "RLHFHistory", "rl_finetune", "plot_rlhf"]  # fmt: skip

_INDEX = {c: i for i, c in enumerate(ACTIONS)}  # "." is 0: the LM's start and end token


def encode(names, max_len: int):
    """Names as ids (B, T) followed by ``.`` and a mask (B, T) of real positions
    (the letters and the closing ``.``); T = the longest name + 1, at most ``max_len``.

    >>> ids, mask = encode(["ab", "c"], 4)
    >>> ids.tolist(), mask.tolist()
    ([[1, 2, 0], [3, 0, 0]], [[1.0, 1.0, 1.0], [1.0, 1.0, 0.0]])
    """
    T = min(max(len(n) for n in names) + 1, max_len)
    ids, mask = np.zeros((len(names), T), dtype=np.int64), np.zeros((len(names), T))
    for i, n in enumerate(names):
        n = n[:max_len]
        ids[i, : len(n)] = [_INDEX[c] for c in n]
        mask[i, : min(len(n) + 1, T)] = 1.0
    return ids, mask


def decode(ids, mask) -> list[str]:
    """The letters of each row up to its first ``.`` (or its mask's end)."""
    ids = np.asarray(ids)
    out = []
    for row, m in zip(ids, np.asarray(mask)):
        out.append("".join(ACTIONS[int(i)] for i in row[: int(m.sum())]).split(END)[0])
    return out


def sample_names(lm, n: int, max_len: int = 12, temperature: float = 1.0):
    """``n`` names sampled from a character LM (``lm(ids (B, 1), state) ->
    (logits (B, 1, V), state)``), each started by ``.`` and ended by ``.`` or
    ``max_len`` characters. Returns ids (n, T) (the sampled characters) and a
    mask (n, T), 1 up to and including each name's closing ``.``. No graph.
    """
    device = lm.head.weight.device
    ids, mask = np.zeros((n, max_len), dtype=np.int64), np.zeros((n, max_len))
    prev, state, alive = np.zeros((n, 1), dtype=np.int64), None, np.ones(n, dtype=bool)
    with no_grad():
        for t in range(max_len):
            logits, state = lm(tensor(prev, device=device), state)
            p = F.softmax(logits[:, 0] * (1.0 / temperature), axis=-1).numpy().astype(float)
            u = _rng("cpu").random((n, 1))
            a = np.minimum((p.cumsum(1) < u * p.sum(1, keepdims=True)).sum(1), p.shape[1] - 1)
            ids[:, t], mask[:, t] = np.where(alive, a, 0), alive
            alive &= a != 0
            prev = ids[:, t : t + 1]
            if not alive.any():
                break
    T = int(mask.sum(axis=1).max())
    return ids[:, :T], mask[:, :T]


def token_logprobs(lm, ids) -> Tensor:
    """log pi(. | prefix) at every position of ``ids`` (B, T): (B, T, V), by one
    teacher-forced pass over ``.`` + ids[:, :-1]."""
    ids = np.asarray(ids)
    inputs = np.concatenate([np.zeros((len(ids), 1), dtype=np.int64), ids[:, :-1]], axis=1)
    logits, _ = lm(tensor(inputs, device=lm.head.weight.device))
    return F.log_softmax(logits, axis=-1)  # (B, T, V)


def _picked(logp_all: Tensor, ids) -> Tensor:
    B, T = ids.shape
    return logp_all[np.arange(B)[:, None], np.arange(T)[None, :], ids]  # (B, T)


def sequence_kl(logp_all: Tensor, ref_logp_all: Tensor, mask) -> np.ndarray:
    """Per sample, ``sum_t KL(pi(. | y_<t) || pi_ref(. | y_<t))`` along the sampled
    prefix (exact at each step): an estimate of the sequence-level KL. (B,)"""
    p = np.exp(logp_all.numpy().astype(float))
    step_kl = (p * (logp_all.numpy() - ref_logp_all.numpy())).sum(-1)  # (B, T)
    return (step_kl * mask).sum(axis=1)


def kl_penalized_reward(scores, logp, ref_logp, mask, beta: float) -> np.ndarray:
    """``R = score - beta * sum_t mask_t * (logp_t - ref_logp_t)``, per sample.

    ``scores`` (B,) from the reward model; ``logp``, ``ref_logp`` (B, T): the log
    probabilities of the sampled tokens under the policy and the reference.

    >>> kl_penalized_reward([1.0], [[-1.0, -2.0]], [[-1.5, -2.0]], [[1, 1]], beta=0.2).tolist()
    [0.9]
    """
    scores, logp, ref_logp, mask = (_array(v) for v in (scores, logp, ref_logp, mask))
    kl = ((logp - ref_logp) * mask).sum(axis=1)  # the sample's log-ratio: a KL estimate
    return scores - beta * kl


def _array(v) -> np.ndarray:
    """A float array of ``v``, a Tensor's values or anything array-like."""
    return np.asarray(v.numpy() if hasattr(v, "numpy") else v, dtype=float)


# ---- the reward model ------------------------------------------------------------


def _bigram_samples(names, n: int, rng, max_len: int = 12) -> list[str]:
    """``n`` strings from an add-one character bigram model of ``names`` (all at once)."""
    counts = np.ones((len(ACTIONS), len(ACTIONS)))
    for name in names:
        ids = [0] + [_INDEX[c] for c in name] + [0]  # "." at both ends
        np.add.at(counts, (ids[:-1], ids[1:]), 1)
    cdf = (counts / counts.sum(axis=1, keepdims=True)).cumsum(axis=1)  # (V, V)
    out, prev, alive = np.zeros((n, max_len), dtype=np.int64), np.zeros(n, dtype=np.int64), None
    for t in range(max_len):
        nxt = np.minimum((cdf[prev] < rng.random((n, 1))).sum(axis=1), len(ACTIONS) - 1)
        alive = nxt != 0 if alive is None else alive & (nxt != 0)
        out[:, t], prev = np.where(alive, nxt, 0), nxt
    return decode(out, np.ones_like(out))


def look_alikes(names, n: int, seed: int = 0) -> list[str]:
    """``n`` strings that resemble names but are (almost always) not: half sampled
    from a character bigram model of ``names``, half real names with one or two
    letters replaced, inserted or deleted. (Empty strings are dropped.)"""
    rng = np.random.default_rng(seed)
    half = n // 2
    fakes = _bigram_samples(names, half, rng)
    letters = ACTIONS[1:]
    for i in rng.integers(0, len(names), n - half):
        s = list(names[i])
        for _ in range(rng.integers(1, 3)):
            k, op = int(rng.integers(0, len(s) + 1)), rng.integers(3)
            c = letters[rng.integers(26)]
            if op == 0 and k < len(s):
                s[k] = c
            elif op == 1 or len(s) <= 2:
                s.insert(k, c)
            else:
                del s[min(k, len(s) - 1)]
        fakes.append("".join(s))
    return [f for f in fakes if f]


class NameScorer(nn.Module):
    """A GRU over a name's characters (started by ``.``); a linear head on the state
    after the closing ``.`` gives the logit of "this is a real name".

    >>> import minilm
    >>> NameScorer(hidden=8).score(["emma", "zzzq"]).shape
    (2,)
    """

    def __init__(self, embed: int = 16, hidden: int = 64, max_len: int = 12, device="cpu"):
        super().__init__()
        self.max_len = max_len
        self.embed = nn.Embedding(len(ACTIONS), embed, device=device)
        self.rnn = nn.GRU(embed, hidden, device=device)
        self.head = nn.Linear(hidden, 1, device=device)

    def forward(self, ids, mask) -> Tensor:
        """ids, mask (B, T) from :func:`encode` -> logits (B,)."""
        ids = np.asarray(ids)
        inputs = np.concatenate([np.zeros((len(ids), 1), dtype=np.int64), ids], axis=1)
        out, _ = self.rnn(self.embed(tensor(inputs, device=self.head.weight.device)))
        last = np.asarray(mask).sum(axis=1).astype(np.int64)  # index of the state after "."
        h = out[np.arange(len(ids)), last]  # (B, H)
        return self.head(h).reshape(-1)

    def score(self, names) -> np.ndarray:
        """The logit of each name (NumPy, no graph)."""
        with no_grad():
            return self(*encode(list(names), self.max_len)).numpy()


def train_scorer(scorer: NameScorer, steps: int = 600, batch_size: int = 64, lr: float = 3e-3,
                 progress: bool = True) -> float:  # fmt: skip
    """Train on real names (train split) against :func:`look_alikes`; return the
    accuracy on the val split's names and fresh look-alikes."""
    real = [n for n in load_split("names", "train") if len(n) < scorer.max_len]
    real_set = set(real)
    fake = [f for f in look_alikes(real, 20000) if f not in real_set and len(f) < scorer.max_len]
    rng = np.random.default_rng(0)
    opt = optim.Adam(scorer.parameters(), lr=lr)
    half = batch_size // 2
    for _ in progress_bar(range(steps), desc="reward model", enabled=progress):
        names = [real[i] for i in rng.integers(0, len(real), half)]
        names += [fake[i] for i in rng.integers(0, len(fake), half)]
        y = tensor(np.r_[np.ones(half), np.zeros(half)].astype(np.float32))
        loss = F.binary_cross_entropy_with_logits(scorer(*encode(names, scorer.max_len)), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
    val_real = [n for n in load_split("names", "val") if len(n) < scorer.max_len][:1000]
    val_fake = [f for f in look_alikes(val_real, 1000, seed=1) if f not in real_set]
    right = (scorer.score(val_real) > 0).sum() + (scorer.score(val_fake) <= 0).sum()
    return float(right / (len(val_real) + len(val_fake)))


# ---- RL fine-tuning ----------------------------------------------------------------


@dataclass
class RLHFConfig:
    """``beta``: weight of the KL penalty (0: none); ``baseline``: the batch mean
    of R is subtracted (a baseline, see :mod:`minilm.rl.reinforce`)."""

    beta: float = 0.1
    lr: float = 1e-3
    batch_size: int = 64
    max_len: int = 12
    clip_grad_norm: float = 1.0


@dataclass
class RLHFHistory:
    """Per step: mean reward-model score, mean KL(pi || pi_ref) (nats per name),
    mean penalized reward, share of real names and of distinct samples; samples."""

    score: list = field(default_factory=list)
    kl: list = field(default_factory=list)
    reward: list = field(default_factory=list)
    real: list = field(default_factory=list)
    unique: list = field(default_factory=list)
    samples: list = field(default_factory=list)


def rl_finetune(lm, scorer: NameScorer, steps: int, config: RLHFConfig | None = None,
                progress: bool = True, sample_every: int = 0):  # fmt: skip
    """Fine-tune a copy of ``lm`` toward ``scorer`` for ``steps`` REINFORCE steps.
    Returns (policy, history); ``lm`` itself stays unchanged as the reference."""
    c = config or RLHFConfig()
    ref = lm
    policy = copy.deepcopy(lm)
    policy.train()
    opt = optim.Adam(policy.parameters(), lr=c.lr)
    hist = RLHFHistory()
    bar = progress_bar(
        range(1, steps + 1), desc=f"RL fine-tuning (beta={c.beta})", enabled=progress
    )
    for step in bar:
        ids, mask = sample_names(policy, c.batch_size, c.max_len)
        names = decode(ids, mask)
        logp_all = token_logprobs(policy, ids)  # (B, T, V), with graph
        with no_grad():
            ref_all = token_logprobs(ref, ids)
        logp = _picked(logp_all, ids)  # (B, T)
        scores = scorer.score(names)
        R = kl_penalized_reward(scores, logp.detach(), _picked(ref_all, ids), mask, c.beta)
        adv = as_tensor(logp.xp.asarray((R - R.mean())[:, None] * mask, dtype=logp.dtype))
        loss = -(logp * adv).sum() * (1.0 / c.batch_size)
        opt.zero_grad()
        loss.backward()
        if c.clip_grad_norm:
            optim.clip_grad_norm_(policy.parameters(), c.clip_grad_norm)
        opt.step()
        stats = name_stats(names)
        hist.score.append(float(scores.mean()))
        hist.kl.append(float(sequence_kl(logp_all, ref_all, mask).mean()))
        hist.reward.append(float(R.mean()))
        hist.real.append(stats.real)
        hist.unique.append(stats.unique)
        if sample_every and step % sample_every == 0:
            hist.samples.append((step, names[:10]))
        bar.set_postfix(score=f"{hist.score[-1]:.2f}", kl=f"{hist.kl[-1]:.2f}")
    return policy, hist


def plot_rlhf(histories: dict, smoothing: float = 0.8):
    """Reward-model score, KL to the reference and share of distinct samples
    against steps, one line per labelled :class:`RLHFHistory`. Returns the Figure."""
    from ..plot import pyplot, smooth

    fig, axes = pyplot().subplots(1, 3, figsize=(13, 3.5))
    for label, h in histories.items():
        x = range(1, len(h.score) + 1)
        axes[0].plot(x, smooth(h.score, smoothing), label=label)
        axes[1].plot(x, smooth(h.kl, smoothing), label=label)
        axes[2].plot(x, smooth(h.unique, smoothing), label=label)
    for ax, name in zip(axes, ["reward-model score", "KL(pi || pi_ref), nats", "distinct share"]):
        ax.set_xlabel("step")
        ax.set_ylabel(name)
        ax.grid(alpha=0.3)
        ax.legend()
    fig.tight_layout()
    return fig
