"""Pruning: remove the weights (or whole units) a model needs least.

**Unstructured** (magnitude) pruning sets the weights of smallest ``|w|`` to zero,
across the whole model (*global*: layers that matter less give up more) or the
same fraction in every matrix (*layer*). The model keeps its shape; what it
gains is a sparse matrix that a sparse format or sparse hardware could store and
multiply in proportion to its nonzeros (NumPy cannot, so it is no faster here).
Fine-tuning afterwards recovers much of the loss, but only if the pruned weights
*stay* zero: :class:`MaskedOptimizer` re-applies the masks after every update.

**Structured** pruning removes whole attention heads (:func:`prune_heads`) or MLP
hidden neurons (:func:`prune_neurons`): the Linear layers are replaced by smaller
ones, so the model has fewer parameters and every matmul is smaller and faster.
Removing a unit is exactly zeroing what it writes to the residual stream (its
rows of ``out_proj`` or ``ff.proj``), which is how the tests check it.

Which weights go is decided by a score: ``|w|`` for single weights, and for units
either the norms of the weights that read from and write to the unit, or a
first-order Taylor estimate of how much the loss changes when the unit is removed
(:func:`head_importance`, :func:`neuron_importance`).

>>> import numpy as np
>>> m = global_magnitude_mask([np.array([0.3, -0.1]), np.array([[0.2, -0.4]])], 0.5)
>>> [a.tolist() for a in m]
[[True, False], [[False, True]]]
"""

from __future__ import annotations

import copy
import time

from . import functional as F
from .backend import get_array_module, np, to_device, to_numpy
from .nn import Embedding, Linear, Parameter
from .recipes.gpt import GPTTrainConfig, evaluate_gpt, train_gpt
from .tensor import Tensor, as_tensor, no_grad

__all__ = [
    "global_magnitude_mask",
    "layer_magnitude_mask",
    "prunable",
    "magnitude_prune",
    "apply_masks",
    "MaskedOptimizer",
    "sparsity",
    "nonzero_parameters",
    "finetune",
    "iterative_prune",
    "sparsity_curve",
    "plot_sparsity_curve",
    "head_importance",
    "neuron_importance",
    "prune_heads",
    "prune_neurons",
    "forward_time",
]


# ---- unstructured: masks ----


def _check_sparsity(sparsity) -> float:
    number = isinstance(sparsity, (int, float)) and not isinstance(sparsity, bool)
    if not number or not 0.0 <= sparsity <= 1.0:
        raise ValueError(f"prune: sparsity must be a number in [0, 1] (the fraction of weights "
                         f"to remove), got sparsity={sparsity!r}")  # fmt: skip
    return float(sparsity)


def _magnitudes(weights) -> list:
    out = []
    for i, w in enumerate(weights):
        a = to_numpy(w.data if isinstance(w, Tensor) else w)
        if a.dtype.kind != "f":
            raise TypeError(f"prune: weight {i} has dtype {a.dtype}; masks are for float arrays")
        if not np.isfinite(a).all():
            raise ValueError(f"prune: weight {i} (shape {a.shape}) holds inf or NaN")
        out.append(np.abs(a))
    return out


def _mask_smallest(mags: list, sparsity: float) -> list:
    """Masks for ``mags`` (NumPy arrays of |w|) with the n smallest entries of
    their concatenation pruned, ties in concatenation order."""
    flat = np.concatenate([m.ravel() for m in mags]) if mags else np.zeros(0)
    n = round(sparsity * flat.size)
    keep = np.ones(flat.size, dtype=bool)
    keep[np.argsort(flat, kind="stable")[:n]] = False
    out, start = [], 0
    for m in mags:
        out.append(keep[start : start + m.size].reshape(m.shape))
        start += m.size
    return out


def global_magnitude_mask(weights, sparsity: float) -> list:
    """Boolean masks, one per array of ``weights`` and of its shape, True = keep.

    The rule, exactly: flatten every array (C order) and concatenate them in list
    order into one vector ``a`` of ``total`` entries; let
    ``n = round(sparsity * total)`` (Python's ``round``, halves to even); sort
    ``|a|`` ascending with a *stable* sort (equal values keep their order in ``a``);
    the first ``n`` positions of that order are pruned (False), all others kept.
    So exactly ``n`` entries are pruned and every pruned ``|w|`` is <= every kept
    one. ``sparsity`` must be in [0, 1]. Arrays may be NumPy/CuPy arrays or
    Tensors; the masks are NumPy arrays.

    >>> import numpy as np
    >>> [m.tolist() for m in global_magnitude_mask([np.array([1.0, -2.0, 0.5])], 1 / 3)]
    [[True, True, False]]
    """
    return _mask_smallest(_magnitudes(weights), _check_sparsity(sparsity))


def layer_magnitude_mask(weights, sparsity: float) -> list:
    """The rule of :func:`global_magnitude_mask` applied to each array on its own:
    ``round(sparsity * w.size)`` entries pruned in every array.

    >>> import numpy as np
    >>> masks = layer_magnitude_mask([np.array([1.0, 2.0]), np.array([4.0, 3.0])], 0.5)
    >>> [m.tolist() for m in masks]
    [[False, True], [True, False]]
    """
    s = _check_sparsity(sparsity)
    return [_mask_smallest([m], s)[0] for m in _magnitudes(weights)]


def prunable(model, include_embeddings: bool = False) -> list:
    """``(name, Parameter)`` for the weights magnitude pruning acts on: the 2-D
    weight of every Linear layer (biases and norms are few and kept). With
    ``include_embeddings`` the Embedding tables too (for a GPT the token embedding
    is also the output layer, tied; the position table is ``wpe.embedding``).
    A tensor shared by two layers is listed once, under its first name.

    >>> from minilm.models.gpt import GPT, GPTConfig
    >>> model = GPT(GPTConfig(vocab_size=11, block_size=8, n_layer=1, n_head=2, n_embd=8))
    >>> [name for name, _ in prunable(model)]
    ['blocks.0.attn.qkv_proj.weight', 'blocks.0.attn.out_proj.weight', 'blocks.0.ff.fc.weight', \
'blocks.0.ff.proj.weight']
    """
    kinds = (Linear, Embedding) if include_embeddings else (Linear,)
    out, seen = [], set()
    for name, m in model.named_modules():
        if isinstance(m, kinds) and m.weight.ndim == 2 and id(m.weight) not in seen:
            seen.add(id(m.weight))
            out.append((f"{name}.weight" if name else "weight", m.weight))
    return out


def _named_tensors(model) -> dict:
    """Every parameter under every name it has (tied weights under each)."""
    out = {}
    for mod_name, m in model.named_modules():
        for name, value in vars(m).items():
            if isinstance(value, Parameter):
                out[f"{mod_name}.{name}" if mod_name else name] = value
    return out


def _resolve(model, masks: dict) -> list:
    """``[(parameter, mask on its device)]`` for a dict name -> boolean mask."""
    params = _named_tensors(model)
    out = []
    for name, mask in masks.items():
        if name not in params:
            raise KeyError(f"prune: the model has no parameter {name!r}; masks are keyed "
                           "by the names prunable(model) gives")  # fmt: skip
        p = params[name]
        m = to_numpy(mask.data if isinstance(mask, Tensor) else mask)
        if m.shape != p.shape or m.dtype != bool:
            raise ValueError(f"prune: the mask for {name!r} is {m.dtype} {m.shape}; it must be "
                             f"a boolean array of the parameter's shape {p.shape}")  # fmt: skip
        out.append((p, to_device(m, p.device)))
    return out


def _zero_pruned(pairs) -> None:
    for p, m in pairs:
        xp = get_array_module(p.data)
        p.data[...] = xp.where(m, p.data, 0)  # in place: an optimizer may hold the array
        p._bump()


def apply_masks(model, masks: dict) -> None:
    """Set the pruned entries (mask False) of the named parameters to exactly 0."""
    _zero_pruned(_resolve(model, masks))


def magnitude_prune(model, sparsity: float, scope: str = "global",
                    include_embeddings: bool = False) -> dict:  # fmt: skip
    """Zero the smallest weights of ``prunable(model)`` in place and return the
    masks, ``{name: boolean array, True = kept}``.

    ``scope="global"`` ranks all prunable weights together
    (:func:`global_magnitude_mask`), ``"layer"`` prunes ``sparsity`` of each matrix
    (:func:`layer_magnitude_mask`). Weights already zero are the smallest there
    are, so pruning again to a higher sparsity keeps every earlier mask.

    >>> from minilm.models.gpt import GPT, GPTConfig
    >>> model = GPT(GPTConfig(vocab_size=11, block_size=8, n_layer=1, n_head=2, n_embd=8))
    >>> masks = magnitude_prune(model, 0.5)
    >>> round(sparsity(model), 3)
    0.5
    """
    rules = {"global": global_magnitude_mask, "layer": layer_magnitude_mask}
    if scope not in rules:
        raise ValueError(f"magnitude_prune: scope must be 'global' or 'layer', got {scope!r}")
    named = prunable(model, include_embeddings)
    masks = dict(zip((n for n, _ in named), rules[scope]([p for _, p in named], sparsity)))
    apply_masks(model, masks)
    return masks


class MaskedOptimizer:
    """Wrap any minilm optimizer so pruned weights stay exactly zero while training.

    ``step()`` zeroes the gradients of pruned entries (:meth:`prepare_grads`;
    :func:`minilm.train.fit` calls it before its loss-scale overflow check and
    clipping, so both see the kept weights only), so the inner optimizer's momentum and variance for
    them stay zero; it runs the inner step, then sets the
    pruned weights to 0 again (weight decay, or an optimizer state from before
    pruning, could move them). Everything else (``zero_grad``, ``param_groups``,
    ``state``, ``state_dict``/``load_state_dict``) is the inner optimizer's, so
    schedulers, :func:`minilm.train.fit` and its checkpoints work unchanged. The
    masks are applied once when the wrapper is built.

    >>> import minilm, minilm.nn as nn, minilm.optim as optim, numpy as np
    >>> layer = nn.Linear(2, 2)
    >>> opt = MaskedOptimizer(optim.SGD(layer.parameters(), lr=0.1), layer,
    ...                       {"weight": np.array([[True, False], [True, True]])})
    >>> layer(minilm.ones(1, 2)).sum().backward()
    >>> opt.step()
    >>> float(layer.weight.data[0, 1])
    0.0
    """

    def __init__(self, optimizer, model, masks: dict):
        self.optimizer = optimizer
        self.masks = dict(masks)
        self._pairs = _resolve(model, self.masks)
        _zero_pruned(self._pairs)

    def prepare_grads(self) -> None:
        """Zero the pruned entries' gradients. :func:`minilm.train.fit` calls this
        before its overflow check and clipping, so both see the gradients the
        weights get (``step`` calls it again, which changes nothing)."""
        for p, m in self._pairs:
            if p.grad is not None:
                xp = get_array_module(p.grad.data)
                p.grad.data[...] = xp.where(m, p.grad.data, 0)

    def step(self, closure=None):
        self.prepare_grads()
        loss = self.optimizer.step(closure)
        _zero_pruned(self._pairs)
        return loss

    def zero_grad(self) -> None:
        self.optimizer.zero_grad()

    @property
    def param_groups(self) -> list:
        return self.optimizer.param_groups

    @property
    def state(self) -> dict:
        return self.optimizer.state

    @property
    def defaults(self) -> dict:
        return self.optimizer.defaults

    def add_param_group(self, group: dict) -> None:
        self.optimizer.add_param_group(group)

    def state_dict(self) -> dict:
        return self.optimizer.state_dict()

    def load_state_dict(self, state_dict: dict) -> None:
        self.optimizer.load_state_dict(state_dict)

    def __repr__(self) -> str:
        return f"MaskedOptimizer({len(self._pairs)} masks) over {self.optimizer!r}"


def sparsity(model, include_embeddings: bool = False) -> float:
    """The fraction of exact zeros among ``prunable(model)``'s weights."""
    ps = [p for _, p in prunable(model, include_embeddings)]
    total = sum(p.size for p in ps)
    return sum(int((p.data == 0).sum()) for p in ps) / max(total, 1)


def nonzero_parameters(model) -> int:
    """How many of the model's parameters (a tied tensor once) are not zero: what a
    sparse format would have to store (plus their positions)."""
    return sum(int((p.data != 0).sum()) for p in model.parameters())


# ---- fine-tuning a GPT with masks ----


def finetune(model, corpus, masks: dict | None, steps: int, lr: float = 3e-4, *,
             batch_size: int = 32, warmup: int = 0, weight_decay: float = 0.1,
             clip: float = 1.0, seed: int = 0, progress: bool = False,
             eval_every: int | None = None, eval_split: str = "val"):  # fmt: skip
    """Train a GPT on a :class:`~minilm.data.lm_corpus.CharCorpus` with
    :func:`minilm.recipes.gpt.train_gpt` (AdamW without decay on biases and
    norms, warmup then cosine decay to lr/10, gradient clipping), with the
    optimizer wrapped in :class:`MaskedOptimizer` when ``masks`` is given, so the
    pruned weights stay zero. Returns fit's History (evaluated on ``eval_split``
    only with ``eval_every``)."""
    config = GPTTrainConfig(steps=steps, batch_size=batch_size, lr=lr, warmup=warmup,
                            weight_decay=weight_decay, clip=clip, seed=seed)  # fmt: skip
    wrap = (lambda opt: MaskedOptimizer(opt, model, masks)) if masks else None
    return train_gpt(model, corpus, config, progress=progress, eval_every=eval_every,
                     eval_split=eval_split if eval_every else None,
                     wrap_optimizer=wrap)  # fmt: skip


def _and(old: dict | None, new: dict) -> dict:
    return new if not old else {k: v & old[k] if k in old else v for k, v in new.items()}


def iterative_prune(model, corpus, targets=(0.5, 0.75, 0.9), finetune_steps: int = 200,
                    lr: float = 3e-4, scope: str = "global", max_chars: int | None = None,
                    progress: bool = False, **finetune_kwargs) -> list:  # fmt: skip
    """Prune ``model`` to each sparsity of ``targets`` in turn (increasing), fine-tuning
    ``finetune_steps`` with every mask so far kept between them. Returns a row per
    target: ``{"target", "sparsity", "val_before", "val_after"}`` (val nats/char
    right after pruning and after fine-tuning; ``max_chars`` limits the scoring)."""
    if list(targets) != sorted(targets):
        raise ValueError(f"iterative_prune: targets must increase, got {tuple(targets)}")
    rows, masks = [], None
    for target in targets:
        masks = _and(masks, magnitude_prune(model, target, scope))
        apply_masks(model, masks)
        before = evaluate_gpt(model, corpus, "val", max_chars=max_chars)
        finetune(model, corpus, masks, finetune_steps, lr, progress=progress, **finetune_kwargs)
        after = evaluate_gpt(model, corpus, "val", max_chars=max_chars)
        rows.append({"target": target, "sparsity": sparsity(model), "val_before": before,
                     "val_after": after})  # fmt: skip
    return rows


def sparsity_curve(model_factory, corpus, sparsities=(0.0, 0.5, 0.75, 0.9),
                   finetune_steps: int = 200, scope: str = "global", lr: float = 3e-4,
                   max_chars: int | None = None, **finetune_kwargs) -> list:  # fmt: skip
    """One-shot magnitude pruning of a fresh ``model_factory()`` to each sparsity:
    rows ``{"scope", "sparsity", "val_before", "val_after", "finetune_steps"}``,
    val nats/char straight after pruning and after ``finetune_steps`` of masked
    fine-tuning. The 0 row fine-tunes the unpruned model: the part of the gain
    that fine-tuning would bring anyway."""
    rows = []
    for s in sparsities:
        model = model_factory()
        masks = magnitude_prune(model, s, scope)
        before = evaluate_gpt(model, corpus, "val", max_chars=max_chars)
        after = before
        if finetune_steps:
            finetune(model, corpus, masks, finetune_steps, lr, **finetune_kwargs)
            after = evaluate_gpt(model, corpus, "val", max_chars=max_chars)
        rows.append({"scope": scope, "sparsity": s, "val_before": before, "val_after": after,
                     "finetune_steps": finetune_steps})  # fmt: skip
    return rows


def plot_sparsity_curve(rows, path=None, ax=None, baseline: float | None = None,
                        log: bool = False):  # fmt: skip
    """Validation nats/char against sparsity, one line per scope, without (dashed)
    and with (solid) fine-tuning, from :func:`sparsity_curve` rows (or
    :func:`iterative_prune` rows, scope "iterative"). Saves to ``path`` if given;
    returns the Axes. ``baseline``: the unpruned model's value, drawn as a line."""
    from .plot import axes_or_new

    ax = axes_or_new(ax)
    scopes = list(dict.fromkeys(r.get("scope", "iterative") for r in rows))
    for i, scope in enumerate(scopes):
        rs = sorted((r for r in rows if r.get("scope", "iterative") == scope),
                    key=lambda r: r["sparsity"])  # fmt: skip
        xs = [r["sparsity"] for r in rs]
        color = f"C{i}"
        ax.plot(xs, [r["val_before"] for r in rs], "o--", color=color, ms=4,
                label=f"{scope}, pruned")  # fmt: skip
        steps = rs[0].get("finetune_steps")
        tuned = f"{scope}, + {steps} steps fine-tuning" if steps else f"{scope}, fine-tuned"
        ax.plot(xs, [r["val_after"] for r in rs], "o-", color=color, ms=4, label=tuned)
    if baseline is not None:
        ax.axhline(baseline, color="gray", lw=1, ls=":", label="unpruned")
    ax.set_xlabel("sparsity (fraction of Linear weights zero)")
    ax.set_ylabel("validation nats/char")
    if log:
        ax.set_yscale("log")
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3, which="both")
    if path is not None:
        ax.figure.tight_layout()
        ax.figure.savefig(path, dpi=120)
    return ax


# ---- structured: heads and neurons ----


def _blocks(model):
    blocks = getattr(model, "blocks", None)
    if blocks is None or not all(hasattr(b, "attn") and hasattr(b, "ff") for b in blocks):
        raise TypeError(f"prune: structured pruning needs a model with .blocks of transformer "
                        f"blocks (attn, ff), like GPT; got {type(model).__name__}")  # fmt: skip
    for b in blocks:
        if b.attn.cross:
            raise TypeError("prune: heads of cross-attention are not supported")
    return list(blocks)


def _head_rows(attn, h: int):
    """The positions of head ``h`` in the attention's (H*hd)-wide inner space."""
    return np.arange(h * attn.head_dim, (h + 1) * attn.head_dim)


def _taylor_grads(model, batches):
    """Gradients of the mean training loss over ``batches`` (given as (x, y))."""
    model.zero_grad()
    was = model.training
    model.eval()  # no dropout: the score is of the model as it predicts
    try:
        for x, y in batches:
            (F.cross_entropy(model(x), y) / len(batches)).backward()
    finally:
        model.train(was)


def _taylor_score(w, idx):
    """|sum over the unit's output weights of w * dL/dw|: the first-order change in
    the loss when they are zeroed (which removes the unit)."""
    return abs(float((to_numpy(w.data)[idx] * to_numpy(w.grad.data)[idx]).sum()))


def _norm(a) -> float:
    return float(np.sqrt((to_numpy(a).astype(np.float64) ** 2).sum()))


def head_importance(model, method: str = "weight", batches=None) -> list:
    """A score per attention head of every block, ``[array (H,) per block]``; low
    scores go first.

    - ``"weight"``: ``||W_v[:, head]|| * ||W_o[head, :]||`` (Frobenius norms of
      the head's value columns in ``qkv_proj`` and its rows of ``out_proj``): the
      head's output is an average of ``x W_v`` rows mapped by ``W_o``, so this
      bounds how much it can write.
    - ``"taylor"``: ``|sum(W_o * dL/dW_o)|`` over the head's rows of
      ``out_proj``, with the loss gradient of ``batches`` (a list of (x, y)):
      the first-order estimate of the loss change when the head is removed.
    """
    blocks = _blocks(model)
    if method == "taylor":
        if not batches:
            raise ValueError("head_importance: method='taylor' needs batches, a list of (x, y)")
        _taylor_grads(model, batches)
    elif method != "weight":
        raise ValueError(f"head_importance: method must be 'weight' or 'taylor', got {method!r}")
    out = []
    for b in blocks:
        a = b.attn
        inner = a.num_heads * a.head_dim
        wqkv, wo = to_numpy(a.qkv_proj.weight.data), to_numpy(a.out_proj.weight.data)
        scores = []
        for h in range(a.num_heads):
            rows = _head_rows(a, h)
            if method == "taylor":
                scores.append(_taylor_score(a.out_proj.weight, rows))
            else:
                scores.append(_norm(wqkv[:, 2 * inner + rows]) * _norm(wo[rows]))
        out.append(np.array(scores))
    if method == "taylor":
        model.zero_grad()
    return out


def neuron_importance(model, method: str = "weight", batches=None) -> list:
    """A score per MLP hidden neuron of every block, ``[array (d_ff,) per block]``.

    - ``"weight"``: ``||fc.W[:, j]|| * ||proj.W[j, :]||``, the norms of the
      weights that read into neuron j and that it writes with.
    - ``"taylor"``: ``|sum_k proj.W[j, k] * dL/dproj.W[j, k]|`` on ``batches``,
      the first-order loss change when neuron j is removed.
    """
    blocks = _blocks(model)
    if method == "taylor":
        if not batches:
            raise ValueError("neuron_importance: method='taylor' needs batches, a list of (x, y)")
        _taylor_grads(model, batches)
    elif method != "weight":
        raise ValueError(f"neuron_importance: method must be 'weight' or 'taylor', got "
                         f"{method!r}")  # fmt: skip
    out = []
    for b in blocks:
        fc, proj = b.ff.fc.weight, b.ff.proj.weight
        if method == "taylor":
            w, g = to_numpy(proj.data), to_numpy(proj.grad.data)
            out.append(np.abs((w.astype(np.float64) * g).sum(axis=1)))
        else:
            a, p = to_numpy(fc.data).astype(np.float64), to_numpy(proj.data).astype(np.float64)
            out.append(np.sqrt((a**2).sum(axis=0)) * np.sqrt((p**2).sum(axis=1)))
    if method == "taylor":
        model.zero_grad()
    return out


def _choose(amount, sizes: list, scores: list, what: str) -> list:
    """Indices to remove per block: ``amount`` is a fraction of each block's units,
    a count per block, or explicit ``{block: [indices]}``."""
    n_blocks = len(sizes)
    if isinstance(amount, dict):
        chosen = [sorted(int(i) for i in amount.get(b, ())) for b in range(n_blocks)]
        for b, idx in enumerate(chosen):
            if len(set(idx)) != len(idx) or any(not 0 <= i < sizes[b] for i in idx):
                raise ValueError(f"prune_{what}: block {b} has {what} 0..{sizes[b] - 1}; "
                                 f"cannot remove {idx}")  # fmt: skip
        extra = set(amount) - set(range(n_blocks))
        if extra:
            raise ValueError(f"prune_{what}: no blocks {sorted(extra)} (the model has {n_blocks})")
    else:
        if isinstance(amount, float):
            if not 0.0 <= amount < 1.0:
                raise ValueError(f"prune_{what}: a fraction must be in [0, 1), got {amount}")
            counts = [round(amount * s) for s in sizes]
        elif isinstance(amount, (list, tuple)) and len(amount) == n_blocks:
            counts = [int(c) for c in amount]
        else:
            raise ValueError(f"prune_{what}: amount must be a fraction, a list of "
                             f"{n_blocks} counts (one per block) or {{block: [indices]}}; "
                             f"got {amount!r}")  # fmt: skip
        chosen = []
        for b, (c, s) in enumerate(zip(counts, sizes)):
            if not 0 <= c < s:
                raise ValueError(f"prune_{what}: block {b} has {s} {what}; remove 0 to {s - 1} "
                                 f"of them (a block keeps at least one), not {c}")  # fmt: skip
            order = np.argsort(np.asarray(scores[b]), kind="stable")
            chosen.append(sorted(int(i) for i in order[:c]))
    for b, idx in enumerate(chosen):
        if len(idx) >= sizes[b]:
            raise ValueError(f"prune_{what}: block {b} would keep none of its {sizes[b]} {what}")
    return chosen


def _smaller_linear(layer: Linear, rows=None, cols=None) -> Linear:
    """A new Linear holding ``layer``'s weight rows (inputs) ``rows`` and columns
    (outputs) ``cols`` (None: all), with the bias entries of those outputs. Built by
    copying, not by ``Linear(...)``, so no random numbers are drawn."""
    w = layer.weight.data
    xp = get_array_module(w)
    if rows is not None:
        w = w[xp.asarray(rows)]
    if cols is not None:
        w = w[:, xp.asarray(cols)]
    new = copy.copy(layer)
    new.in_features, new.out_features = w.shape
    new.weight = Parameter(as_tensor(xp.ascontiguousarray(w)))
    if layer.bias is not None:
        b = layer.bias.data if cols is None else layer.bias.data[xp.asarray(cols)]
        new.bias = Parameter(as_tensor(xp.ascontiguousarray(b)))
    return new


def prune_heads(model, amount, scores=None) -> list:
    """Remove attention heads from every block of a GPT (in place): the heads'
    q, k and v columns of ``qkv_proj`` and rows of ``out_proj`` go (``out_proj``'s
    bias stays: it does not belong to a head), so ``num_parameters()`` drops by
    ``(3 + 1) * d * hd + 3 * hd`` per head (with biases). Returns the removed
    head indices per block (numbered as they were).

    ``amount``: a fraction of each block's heads, a list of counts per block, or
    ``{block: [head indices]}``; by count or fraction the lowest ``scores`` go
    (default :func:`head_importance`). ``config.n_head`` keeps its old value (a
    block's ``attn.num_heads`` says how many it has now), so such a model cannot be
    saved with :func:`minilm.save_model` and loaded back: its tensors no longer fit
    the GPT its config describes, and ``load_model`` refuses it. Save its
    ``state_dict()`` with ``minilm.save`` and prune a fresh model the same way to load.
    """
    blocks = _blocks(model)
    scores = head_importance(model) if scores is None else scores
    removed = _choose(amount, [b.attn.num_heads for b in blocks], scores, "heads")
    for b, gone in zip(blocks, removed):
        a = b.attn
        if not gone:
            continue
        keep = [h for h in range(a.num_heads) if h not in gone]
        inner = np.concatenate([_head_rows(a, h) for h in keep])  # (H' hd,)
        width = a.num_heads * a.head_dim
        cols = np.concatenate([inner, width + inner, 2 * width + inner])  # q, k, v
        a.qkv_proj = _smaller_linear(a.qkv_proj, cols=cols)
        a.out_proj = _smaller_linear(a.out_proj, rows=inner)
        a.num_heads = len(keep)
    return removed


def prune_neurons(model, amount, scores=None) -> list:
    """Remove MLP hidden neurons from every block (in place): their columns of
    ``ff.fc`` (and its bias) and rows of ``ff.proj``; ``num_parameters()`` drops by
    ``2 * d + 1`` per neuron (with biases). ``amount`` and ``scores`` as in
    :func:`prune_heads` (default :func:`neuron_importance`); returns the removed
    neuron indices per block. The same saving caveat holds."""
    blocks = _blocks(model)
    scores = neuron_importance(model) if scores is None else scores
    removed = _choose(amount, [b.ff.fc.out_features for b in blocks], scores, "neurons")
    for b, gone in zip(blocks, removed):
        if not gone:
            continue
        keep = np.setdiff1d(np.arange(b.ff.fc.out_features), gone)
        b.ff.fc = _smaller_linear(b.ff.fc, cols=keep)
        b.ff.proj = _smaller_linear(b.ff.proj, rows=keep)
    return removed


def forward_time(model, batch_size: int = 8, seq_len: int = 64, repeats: int = 7,
                 seed: int = 0) -> float:  # fmt: skip
    """Median seconds of one forward pass (no gradients) on random token ids
    (batch_size, seq_len), after one warm-up pass."""
    from .tensor import tensor

    gen = np.random.default_rng(seed)
    vocab = model.config.vocab_size
    x = tensor(gen.integers(0, vocab, (batch_size, seq_len)), device=model.wte.weight.device)
    times = []
    with no_grad():
        model(x)
        for _ in range(repeats):
            t = time.perf_counter()
            model(x)
            times.append(time.perf_counter() - t)
    return float(np.median(times))
