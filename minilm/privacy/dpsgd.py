"""DP-SGD (Abadi et al., 2016): per-example gradients, clipped and noised.

One DP-SGD step: draw a batch by Poisson sampling (each example independently
with probability q), compute every example's gradient, clip each example's
whole gradient (all parameters together) to L2 norm <= C, sum, add Gaussian
noise N(0, (sigma C)^2) per coordinate, and divide by the *expected* batch size
q N (the actual size would leak whether an example is in the batch).

Per-example gradients are computed as Opacus does, per layer, without a loop
over examples: during the forward pass :func:`per_example_grads` records each
supported layer's input ``x`` and output ``y`` (a context manager sets an
instance-level ``forward`` on each supported module and removes it afterwards,
so nothing in :class:`minilm.nn.Module` changes and nothing stays behind), then
takes ``minilm.grad`` of the summed per-example losses with respect to the
recorded outputs. Since example b's loss depends only on row b of ``y``, row b
of ``dL/dy`` is example b's own gradient, and the layer's parameter gradient
follows from ``x`` and ``dL/dy`` alone:

- Linear ``y = x W + b``: ``dW_b = sum_t x[b,t,:]^T g[b,t,:]`` (an einsum over the
  middle axes), ``db_b = sum_t g[b,t,:]``;
- Embedding ``y = E[ids]``: ``dE_b`` is the rows of ``g[b]`` scatter-added at ``ids[b]``;
- LayerNorm ``y = w * x_hat + b``: ``dw_b = sum_t g * x_hat``, ``db_b = sum_t g``.

A layer called twice in one forward pass is recorded twice; its contributions add up.
A parameter used outside its layer's forward (a tied output head, an Embedding's
table sliced directly) would be missed, so the per-example gradients are checked
against the batch gradient of the same backward pass: their sum must match, or
``per_example_grads`` raises, naming the parameter.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass

from .. import nn
from ..autograd import grad
from ..backend import np

__all__ = ["DPSGD", "per_example_grads", "clip_and_noise", "poisson_sample", "SUPPORTED"]

SUPPORTED = (nn.Linear, nn.Embedding, nn.LayerNorm)


@dataclass
class DPSGD:
    """The privacy settings for ``fit(..., privacy=DPSGD(...))``.

    - ``data``: a tuple of arrays indexable by example, e.g. ``(X, Y)``; each step
      draws a Poisson batch of it with ``sample_rate`` q.
    - ``per_example_loss(model, batch) -> Tensor (B,)``: one loss per example.
    - ``noise_multiplier`` sigma, or ``target_epsilon`` (sigma is then the
      smallest that keeps the whole run within it, via ``noise_multiplier_for``).
    - ``max_grad_norm`` C; ``delta`` of (epsilon, delta)-DP.
    - ``seed``: seeds the generator of the sampling and the noise; None (the
      default) draws fresh OS entropy. A known seed lets anyone replay the noise and
      voids the guarantee: set it only to make a lesson or a test repeatable. fit
      saves the generator's state with the checkpoint (resuming is exact), so a
      checkpoint is as secret as the data.
    """

    data: tuple
    per_example_loss: object
    noise_multiplier: float | None = None
    target_epsilon: float | None = None
    max_grad_norm: float = 1.0
    sample_rate: float = 0.01
    delta: float = 1e-5
    seed: int | None = None

    def __post_init__(self):
        if (not isinstance(self.data, (tuple, list)) or not self.data
                or any(np.ndim(a) == 0 for a in self.data)):  # fmt: skip
            raise ValueError("DPSGD: data must be a tuple of arrays indexable by example, "
                             f"e.g. (X, Y); got {type(self.data).__name__}")  # fmt: skip
        sizes = {len(a) for a in self.data}
        if len(sizes) != 1 or 0 in sizes:
            raise ValueError(f"DPSGD: the arrays in data must have the same nonzero number "
                             f"of examples, got {[len(a) for a in self.data]}")  # fmt: skip
        if (self.noise_multiplier is None) == (self.target_epsilon is None):
            raise ValueError("DPSGD: give exactly one of noise_multiplier and target_epsilon")
        if self.noise_multiplier is not None and self.noise_multiplier < 0:
            raise ValueError(f"DPSGD: noise_multiplier must be >= 0, got {self.noise_multiplier}")
        if self.target_epsilon is not None and self.target_epsilon <= 0:
            raise ValueError(f"DPSGD: target_epsilon must be > 0, got {self.target_epsilon}")
        if not 0 < self.sample_rate <= 1:
            raise ValueError(f"DPSGD: sample_rate must be in (0, 1], got {self.sample_rate}")
        if not self.max_grad_norm > 0:
            raise ValueError(f"DPSGD: max_grad_norm must be > 0, got {self.max_grad_norm}")
        if not 0 < self.delta < 1:
            raise ValueError(f"DPSGD: delta must be in (0, 1), got {self.delta}")

    @property
    def n(self) -> int:
        return len(self.data[0])


def poisson_sample(n: int, sample_rate: float, rng) -> np.ndarray:
    """Indices of a Poisson batch: each of ``n`` examples independently with
    probability ``sample_rate`` (so the size is Binomial(n, q), possibly 0)."""
    return np.flatnonzero(rng.random(n) < sample_rate)


@contextlib.contextmanager
def _recording(model):
    """Record (layer, input, output) of every call of a supported layer in ``model``."""
    records, patched = [], []
    for _, m in model.named_modules():
        own = [p for _, p in m.named_parameters(recurse=False) if p.requires_grad]
        if own and type(m) not in SUPPORTED:  # a subclass may compute something else
            names = ", ".join(t.__name__ for t in SUPPORTED)
            raise TypeError(f"per_example_grads: {type(m).__name__} holds trainable "
                            f"parameters, but per-example gradients are implemented only for "
                            f"{names}; freeze them (requires_grad=False) or use those "
                            "layers")  # fmt: skip
        if type(m) in SUPPORTED and "forward" not in vars(m):

            def forward(x, _m=m, _orig=m.forward):
                y = _orig(x)
                records.append((_m, x, y))
                return y

            m.forward = forward
            patched.append(m)
    try:
        yield records
    finally:
        for m in patched:
            del m.forward


def _array(t):
    """The array of a Tensor (on its device), or ``t`` as an array."""
    return np.asarray(getattr(t, "data", t))


def _layer_grads(m, x, g) -> dict:
    """Per-example gradients (B, *param.shape) of layer ``m``'s own parameters."""
    B = g.shape[0]
    if isinstance(m, nn.Linear):
        xs, gs = _array(x).reshape(B, -1, m.in_features), g.reshape(B, -1, m.out_features)
        out = {"weight": np.einsum("bti,bto->bio", xs, gs)}
        if m.bias is not None:
            out["bias"] = gs.sum(axis=1)
        return out
    if isinstance(m, nn.Embedding):
        ids = _array(x).reshape(B, -1)
        gs = g.reshape(B, -1, m.embedding_dim)
        table = np.zeros((B, m.num_embeddings, m.embedding_dim), dtype=g.dtype)
        rows = np.broadcast_to(np.arange(B)[:, None], ids.shape)
        np.add.at(table, (rows, ids), gs)
        return {"weight": table}
    # LayerNorm over the last len(normalized_shape) axes
    shape = m.normalized_shape
    xs = _array(x).astype(np.float64).reshape(B, -1, int(np.prod(shape)))
    mean, var = xs.mean(axis=-1, keepdims=True), xs.var(axis=-1, keepdims=True)
    x_hat = ((xs - mean) / np.sqrt(var + m.eps)).reshape(B, -1, *shape)
    gs = g.reshape(B, -1, *shape)
    out = {}
    if m.weight is not None:
        out["weight"] = (gs * x_hat).sum(axis=1).astype(g.dtype)
    if m.bias is not None:
        out["bias"] = gs.sum(axis=1)
    return out


def per_example_grads(model, per_example_loss_fn, batch) -> dict:
    """{parameter name: array (B, *param.shape)}: each example's gradient of its
    own loss, for the trainable parameters of ``model`` (layers in :data:`SUPPORTED`).

    ``per_example_loss_fn(model, batch) -> Tensor (B,)``. The batch axis is the
    first axis of every supported layer's input. A parameter the batch did not
    reach gets zeros.
    """
    params = {n: p for n, p in model.named_parameters() if p.requires_grad}
    names = {id(p): n for n, p in params.items()}
    with _recording(model) as records:
        losses = per_example_loss_fn(model, batch)
    if losses.ndim != 1:
        raise ValueError(f"per_example_grads: per_example_loss_fn must return one loss per "
                         f"example, shape (B,), got {losses.shape}")  # fmt: skip
    B = losses.shape[0]
    out = {n: np.zeros((B, *p.shape), dtype=np.float32) for n, p in params.items()}
    live = [r for r in records if r[2].requires_grad]
    if B == 0:
        return out
    # one backward pass gives the recorded outputs' gradients and, to check the
    # result, each parameter's batch gradient
    targets, plist = [y for _, _, y in live], list(params.values())
    gs = grad(losses.sum(), targets + plist, allow_unused=True)
    for (m, x, _y), g in zip(live, gs[: len(targets)]):
        if g is None:
            continue
        g = _array(g)
        if g.shape[0] != B:
            raise ValueError(f"per_example_grads: {type(m).__name__}'s output has "
                             f"{g.shape[0]} rows on its first axis but there are {B} "
                             "examples; the batch axis must come first")  # fmt: skip
        for pname, value in _layer_grads(m, x, g).items():
            p = getattr(m, pname)
            if id(p) in names:
                out[names[id(p)]] += value
    for name, full in zip(params, gs[len(targets) :]):
        full = np.zeros(params[name].shape) if full is None else _array(full)
        error = float(np.abs(out[name].sum(axis=0) - full).max()) if full.size else 0.0
        if error > 1e-3 * float(np.abs(full).max(initial=0.0)) + 1e-6:
            raise ValueError(
                f"per_example_grads: {name} is used outside its layer's forward (a tied "
                "output head reading an embedding's weight, positions sliced from an "
                "Embedding's table, ...), so its per-example gradients cannot be computed "
                "from the layer's inputs and outputs; untie it or freeze it "
                "(requires_grad=False)"
            )
    return out


def clip_and_noise(per_example: dict, max_grad_norm: float, noise_multiplier: float,
                   expected_batch_size: float, rng) -> dict:  # fmt: skip
    """Clip each example's whole gradient to norm <= C, sum, add N(0, (sigma C)^2)
    per coordinate, divide by ``expected_batch_size`` (q N). {name: array param.shape}.

    The clip factor is ``min(1, C / (norm + 1e-6))``, as in Opacus.
    """
    if not per_example:
        return {}
    C = float(max_grad_norm)
    B = next(iter(per_example.values())).shape[0]
    sq = np.zeros(B, dtype=np.float64)
    for g in per_example.values():
        sq += (g.astype(np.float64).reshape(B, int(np.prod(g.shape[1:]))) ** 2).sum(axis=1)
    factor = np.minimum(1.0, C / (np.sqrt(sq) + 1e-6))
    out = {}
    for name, g in per_example.items():
        total = np.tensordot(factor, g.astype(np.float64), axes=(0, 0))
        noise = rng.normal(0.0, noise_multiplier * C, size=total.shape)
        out[name] = ((total + noise) / expected_batch_size).astype(g.dtype)
    return out
