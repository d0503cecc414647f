"""REINFORCE: the policy-gradient method, with baselines, an entropy bonus and
advantage normalization, for agents that write text character by character.

A policy pi_theta(a | s) is a distribution over actions. Its expected return
``J(theta) = E[G_0]``, with ``G_t = sum_{k >= t} gamma^(k-t) r_k`` the return
from step t on, has the gradient (the policy-gradient theorem)

    grad J = E[ sum_t gamma^t grad log pi(a_t | s_t) * (G_t - b(s_t)) ]

for any baseline ``b`` that does not depend on the action: subtracting it
leaves the expectation unchanged (``E[grad log pi] = 0``) and, when b is close
to the expected return, shrinks the variance of the estimate. With the default
``gamma = 1`` the factor ``gamma^t`` is 1 and J is the expected total reward;
with ``gamma < 1`` minilm, like most implementations, leaves the factor out
(every step's advantage counts alike), which is no longer the exact gradient
of J. REINFORCE samples a
batch of episodes, computes :func:`reinforce_loss` (whose gradient is minus
that estimate) and steps the optimizer. Baselines here (``ReinforceConfig.baseline``):

- ``"none"``;
- ``"mean"``: a running mean of the return at each time step, from earlier batches;
- ``"value"``: a learned value head V(s_t) on the policy's hidden state, fit by
  least squares to the returns (on the detached state, so it never changes the policy).

``entropy_coef`` adds ``coef * H(pi(. | s_t))`` to the objective, which keeps
the policy from becoming deterministic too early; ``normalize`` rescales the
advantages ``G_t - b_t`` of each batch to mean 0 and standard deviation 1.

>>> import minilm
>>> from minilm.rl.env import PatternEnv
>>> minilm.manual_seed(0)
>>> agent = Reinforce(CharPolicy(hidden=16), ReinforceConfig(batch_size=8))
>>> hist = agent.train(lambda: PatternEnv("cv"), steps=2, progress=False)
>>> len(hist.reward)
2
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .. import functional as F
from .. import nn, optim
from ..backend import np
from ..backend import rng as _rng
from ..ops import stack
from ..progress import progress_bar
from ..tensor import Tensor, as_tensor, grad, no_grad, tensor, zeros
from .env import ACTIONS, END

__all__ = ["CharPolicy", "Rollout", "rollout", "discounted_returns", "reinforce_loss",
           "ReinforceConfig", "ReinforceHistory", "Reinforce", "gradient_variance",
           "plot_reward_curves"]  # fmt: skip


class CharPolicy(nn.Module):
    """A GRU policy over characters: it reads the character written last (``"."``
    at the start) and gives logits over the actions; a value head (an MLP on the
    detached hidden state) estimates the return from here.

    >>> import minilm
    >>> pol = CharPolicy(hidden=8)
    >>> logits, value, h = pol(minilm.tensor([0, 3]), pol.initial_state(2))
    >>> logits.shape, value.shape, h.shape
    ((2, 27), (2,), (2, 8))
    """

    def __init__(self, num_actions: int = len(ACTIONS), embed: int = 16, hidden: int = 64,
                 device="cpu"):  # fmt: skip
        super().__init__()
        self.hidden = hidden
        self.embed = nn.Embedding(num_actions, embed, device=device)
        self.cell = nn.GRUCell(embed, hidden, device=device)
        self.head = nn.Linear(hidden, num_actions, device=device)
        self.value_head = nn.Sequential(nn.Linear(hidden, hidden, device=device), nn.Tanh(),
                                        nn.Linear(hidden, 1, device=device))  # fmt: skip

    def initial_state(self, batch_size: int) -> Tensor:
        return zeros(batch_size, self.hidden, device=self.head.weight.device)

    def policy_parameters(self):
        """The parameters the policy gradient trains (all but the value head's)."""
        skip = {id(p) for p in self.value_head.parameters()}
        return [p for p in self.parameters() if id(p) not in skip]

    def forward(self, prev: Tensor, h: Tensor):
        """prev (B,) action ids, h (B, H) -> logits (B, A), value (B,), new h (B, H)."""
        h = self.cell(self.embed(prev), h)
        return self.head(h), self.value_head(h.detach()).reshape(-1), h


@dataclass
class Rollout:
    """A batch of B episodes run side by side, padded to T steps.

    ``log_probs``, ``entropies``, ``values``: Tensors (B, T) that carry the graph;
    ``actions``, ``rewards``, ``mask`` (1 where the episode was still running):
    NumPy arrays (B, T); ``texts``: what each episode wrote."""

    log_probs: Tensor
    entropies: Tensor
    values: Tensor
    actions: np.ndarray
    rewards: np.ndarray
    mask: np.ndarray
    texts: list

    @property
    def episode_returns(self) -> np.ndarray:
        return (self.rewards * self.mask).sum(axis=1)


def rollout(policy: CharPolicy, envs, seed: int | None = None, greedy: bool = False) -> Rollout:
    """Run one episode in each environment of ``envs`` with ``policy``, all at once.

    Actions are sampled from the policy (the most likely one with ``greedy``) with
    minilm's generator; environment ``i`` is reset with ``seed + i`` when ``seed``
    is given. The policy reads the character each environment actually wrote (a
    slip changes it).
    """
    B, T = len(envs), max(e.max_len for e in envs)
    for i, env in enumerate(envs):
        env.reset(None if seed is None else seed + i)
    device = policy.head.weight.device
    h = policy.initial_state(B)
    prev = np.zeros(B, dtype=np.int64)  # "." starts every episode
    alive = np.ones(B, dtype=bool)
    logps, ents, vals = [], [], []
    actions, rewards, mask = (np.zeros((B, T), dtype=np.int64), np.zeros((B, T)),
                              np.zeros((B, T)))  # fmt: skip
    for t in range(T):
        logits, value, h = policy(tensor(prev, device=device), h)
        logp = F.log_softmax(logits, axis=-1)  # (B, A)
        p = np.exp(logp.numpy().astype(np.float64))
        if greedy:
            a = p.argmax(axis=1)
        else:  # inverse-CDF sampling, one uniform per row
            u = _rng("cpu").random((B, 1))
            a = np.minimum((p.cumsum(axis=1) < u * p.sum(axis=1, keepdims=True)).sum(axis=1),
                           p.shape[1] - 1)  # fmt: skip
        logps.append(logp[np.arange(B), a])
        ents.append(-(logp.exp() * logp).sum(axis=-1))
        vals.append(value)
        for i in np.flatnonzero(alive):
            text, r, done, _ = envs[i].step(int(a[i]))
            actions[i, t], rewards[i, t], mask[i, t] = a[i], r, 1.0
            prev[i] = ACTIONS.index(text[-1]) if text and not done else ACTIONS.index(END)
            alive[i] = not done
        if not alive.any():
            break
    n = len(logps)
    return Rollout(stack(logps, axis=1), stack(ents, axis=1), stack(vals, axis=1),
                   actions[:, :n], rewards[:, :n], mask[:, :n],
                   [env.text for env in envs])  # fmt: skip


def discounted_returns(rewards, mask, gamma: float = 1.0) -> np.ndarray:
    """``G_t = sum_{k >= t} gamma^(k-t) r_k`` within each episode (rows of (B, T)).

    >>> discounted_returns(np.array([[1.0, 0.0, 2.0]]), np.ones((1, 3)), 0.5).tolist()
    [[1.5, 1.0, 2.0]]
    """
    rewards = np.asarray(rewards, dtype=float) * mask
    G = np.zeros_like(rewards)
    running = np.zeros(rewards.shape[0])
    for t in range(rewards.shape[1] - 1, -1, -1):
        running = rewards[:, t] + gamma * running
        G[:, t] = running
    return G * mask


def reinforce_loss(log_probs: Tensor, returns, baseline=None, mask=None) -> Tensor:
    """``-(1/B) sum_b sum_t mask * log_prob * (G_t - b_t)``: its gradient is minus
    the REINFORCE estimate of grad J. ``returns``, ``baseline`` and ``mask`` are
    constants (arrays or Tensors, no gradient flows into them); (B, T) each, or (B,).

    >>> import minilm
    >>> lp = minilm.tensor([[-1.0, -2.0]], requires_grad=True)
    >>> reinforce_loss(lp, [[3.0, 1.0]], baseline=[[1.0, 1.0]]).item()
    2.0
    """

    def constant(v):  # a copy without a graph: no gradient flows into it
        return tensor(v, dtype=log_probs.dtype, device=log_probs.device)

    advantage = constant(returns)
    if baseline is not None:
        advantage = advantage - constant(baseline)
    if mask is not None:
        advantage = advantage * constant(mask)
    B = log_probs.shape[0]
    return -(log_probs * advantage).sum() / B


@dataclass
class ReinforceConfig:
    """Training settings. ``baseline``: "none", "mean" or "value";
    ``mean_momentum``: how slowly the running mean forgets."""

    baseline: str = "value"
    entropy_coef: float = 0.01
    normalize: bool = False
    gamma: float = 1.0
    lr: float = 3e-3
    batch_size: int = 64
    value_coef: float = 0.5
    mean_momentum: float = 0.9
    clip_grad_norm: float = 1.0

    def __post_init__(self):
        if self.baseline not in ("none", "mean", "value"):
            raise ValueError(
                f"ReinforceConfig.baseline must be 'none', 'mean' or 'value', got {self.baseline!r}"
            )


@dataclass
class ReinforceHistory:
    """Per update: mean episode return, mean entropy per step, value loss, samples."""

    reward: list = field(default_factory=list)
    entropy: list = field(default_factory=list)
    value_loss: list = field(default_factory=list)
    samples: list = field(default_factory=list)


class Reinforce:
    """The REINFORCE learner: holds the policy, its optimizer and the baseline's state."""

    def __init__(self, policy: CharPolicy, config: ReinforceConfig | None = None):
        self.policy, self.config = policy, config or ReinforceConfig()
        self.optimizer = optim.Adam(policy.parameters(), lr=self.config.lr)
        self.running_mean = None  # (T,) mean return at each step, for baseline="mean"

    def baseline(self, ro: Rollout, returns: np.ndarray):
        """b_t for each step of the batch (B, T), or None."""
        kind = self.config.baseline
        if kind == "value":
            return ro.values.numpy()
        if kind == "mean" and self.running_mean is not None:
            T = returns.shape[1]
            m = np.zeros(T)
            k = min(T, len(self.running_mean))
            m[:k] = self.running_mean[:k]
            return np.broadcast_to(m, returns.shape)
        return None

    def _update_running_mean(self, returns, mask):
        counts = mask.sum(axis=0)
        batch_mean = returns.sum(axis=0) / np.maximum(counts, 1)
        if self.running_mean is None:
            self.running_mean = batch_mean
            return
        m, T = self.config.mean_momentum, max(len(self.running_mean), len(batch_mean))
        old = np.pad(self.running_mean, (0, T - len(self.running_mean)))
        new = np.pad(batch_mean, (0, T - len(batch_mean)))
        seen = np.pad(counts, (0, T - len(counts))) > 0
        self.running_mean = np.where(seen, m * old + (1 - m) * new, old)

    def loss(self, ro: Rollout):
        """(total loss, value loss) of one batch; updates the running mean."""
        c = self.config
        G = discounted_returns(ro.rewards, ro.mask, c.gamma)
        b = self.baseline(ro, G)
        adv = G - (0 if b is None else b)
        if c.normalize:
            valid = ro.mask > 0
            adv = (adv - adv[valid].mean()) / (adv[valid].std() + 1e-8)
        loss = reinforce_loss(ro.log_probs, adv, mask=ro.mask)
        mask = as_tensor(ro.log_probs.xp.asarray(ro.mask, dtype=ro.log_probs.dtype))
        steps = float(ro.mask.sum())
        if c.entropy_coef:
            loss = loss - c.entropy_coef * (ro.entropies * mask).sum() * (1.0 / steps)
        value_loss = ((ro.values - as_tensor(G.astype(ro.values.dtype))) ** 2 * mask).sum()
        value_loss = value_loss * (1.0 / steps)
        if c.baseline == "value":
            loss = loss + c.value_coef * value_loss
        if c.baseline == "mean":
            self._update_running_mean(G, ro.mask)
        return loss, value_loss

    def update(self, make_env) -> Rollout:
        """One batch of episodes and one optimizer step."""
        ro = rollout(self.policy, [make_env() for _ in range(self.config.batch_size)])
        loss, value_loss = self.loss(ro)
        self.optimizer.zero_grad()
        loss.backward()
        if self.config.clip_grad_norm:
            optim.clip_grad_norm_(self.policy.parameters(), self.config.clip_grad_norm)
        self.optimizer.step()
        self._last_value_loss = value_loss.item()
        return ro

    def train(self, make_env, steps: int, progress: bool = True, sample_every: int = 0):
        """``steps`` updates on fresh environments from ``make_env()``; returns the history."""
        hist = ReinforceHistory()
        desc = f"REINFORCE ({self.config.baseline})"
        bar = progress_bar(range(1, steps + 1), desc=desc, enabled=progress)
        for step in bar:
            ro = self.update(make_env)
            hist.reward.append(float(ro.episode_returns.mean()))
            hist.entropy.append(float((ro.entropies.numpy() * ro.mask).sum() / ro.mask.sum()))
            hist.value_loss.append(self._last_value_loss)
            if sample_every and step % sample_every == 0:
                hist.samples.append((step, ro.texts[:8]))
            bar.set_postfix(reward=f"{hist.reward[-1]:.3f}")
        return hist


def gradient_variance(
    policy: CharPolicy,
    make_env,
    baseline: str,
    n_batches: int = 20,
    batch_size: int = 32,
    value_fit_steps: int = 0,
    seed: int = 0,
) -> float:
    """The variance of the REINFORCE gradient estimate of a fixed policy, summed over
    all policy parameters (the trace of its covariance), over ``n_batches``
    independent batches, with a given baseline.

    For ``"mean"`` the baseline is the mean return at each step over 10 separate
    batches; for ``"value"`` the value head is first fit for ``value_fit_steps``
    Adam steps (only the value head moves: the policy stays fixed).
    """
    from ..tensor import manual_seed

    manual_seed(seed)
    learner = Reinforce(policy, ReinforceConfig(baseline=baseline, batch_size=batch_size,
                                                entropy_coef=0.0))  # fmt: skip
    if baseline == "mean":
        for _ in range(10):
            with no_grad():
                ro = rollout(policy, [make_env() for _ in range(batch_size)])
            learner._update_running_mean(discounted_returns(ro.rewards, ro.mask), ro.mask)
    if baseline == "value":
        opt = optim.Adam(policy.value_head.parameters(), lr=3e-3)
        for _ in range(value_fit_steps):
            ro = rollout(policy, [make_env() for _ in range(batch_size)])
            _, value_loss = learner.loss(ro)
            opt.zero_grad()
            value_loss.backward()
            opt.step()
    params = policy.policy_parameters()
    estimates = []
    for _ in range(n_batches):
        ro = rollout(policy, [make_env() for _ in range(batch_size)])
        G = discounted_returns(ro.rewards, ro.mask)
        pg = reinforce_loss(ro.log_probs, G, learner.baseline(ro, G), ro.mask)
        grads = grad(pg, params, allow_unused=True)
        estimates.append(np.concatenate([g.numpy().ravel() for g in grads if g is not None]))
    return float(np.var(np.stack(estimates), axis=0, ddof=1).sum())


def plot_reward_curves(histories: dict, ax=None, smoothing: float = 0.9, title: str = ""):
    """Mean episode return per update for each labelled :class:`ReinforceHistory`."""
    from ..plot import axes_or_new, smooth

    ax = axes_or_new(ax)
    for label, h in histories.items():
        ax.plot(range(1, len(h.reward) + 1), smooth(h.reward, smoothing), label=label)
    ax.set_xlabel("update")
    ax.set_ylabel("mean episode return (smoothed)")
    ax.set_title(title)
    ax.legend()
    ax.grid(alpha=0.3)
    return ax
