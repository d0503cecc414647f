"""Pipeline (model) parallelism for :class:`~minilm.models.gpt.GPT`, GPipe style, on MPI.

Data parallelism (:mod:`minilm.distributed`) gives every rank the whole model and
a share of the batch. Pipeline parallelism gives every rank a share of the *model*
and the whole batch: the layers are cut into consecutive **stages**, one per rank.
Stage 0 owns the embeddings and the first blocks, the last stage the remaining
blocks, the final layer norm and the head (:class:`PipelineStage`,
:func:`stage_layers`). A forward pass runs stage 0, sends its activation
(B, T, C) to rank 1, which runs stage 1 and sends on; the backward pass comes back
the same way, each rank sending the gradient of the activation it received.

**Why micro-batches.** Sent whole, the batch keeps one rank busy at a time: with
S stages, each rank idles (S-1)/S of the step. GPipe (Huang et al., 2019) cuts
the batch into M micro-batches: while stage 1 works on micro-batch 0, stage 0
already works on micro-batch 1. :func:`gpipe_schedule` writes the schedule out
tick by tick (all forwards, then all backwards). Each stage still idles S-1 ticks
in each phase, waiting for the first micro-batch to reach it or for the last one
to clear the stages after it: the **bubble**. Its share of the step,
:func:`bubble_fraction` = (S-1)/(M+S-1), shrinks as M grows. Each micro-batch's
loss is scaled by 1/M, so the gradients are exactly those of gradient
accumulation over the same M micro-batches in one process (to rounding).

**What it costs.** Every stage keeps the activations of all M micro-batches
until their backward pass (memory grows with M; real systems recompute them
instead, "activation checkpointing"); the bubble stays idle time; and every
micro-batch crosses every cut twice (activation forward, gradient backward).
Ranks must agree on every message: each one runs the same schedule, so all
input checks happen before the first message (a rank that raised halfway would
leave the others waiting).

**Tied weights.** With ``tie_weights`` the token embedding is also the head, so
the first and the last stage both use it. As real pipelines (Megatron-LM) do,
each of the two ranks holds its own copy; after the backward pass the two
copies' gradients are summed between those two ranks, so both apply the same
update and the copies stay equal.

**Tensor parallelism** is the other way to split a model: it cuts *one* layer,
splitting a matmul's weight by columns (each rank computes some output features)
or by rows (each computes a partial sum, then an allreduce), so every rank works
on every layer at once. It needs fast links inside a layer; pipelines only send
at stage boundaries. Large runs combine data, pipeline and tensor parallelism.
It is not built here.

Here each rank is a CPU process that builds the whole model (simple, and it keeps
the parameter names) but runs and updates only its stage; messages go through
MPI ``Send``/``Recv`` of NumPy arrays; on a cluster the same code runs with one
stage per GPU and NCCL sends. The sends block (``Isend`` would overlap
communication with compute), and with dropout > 0 each rank draws its own masks,
so training is right but no longer equal to the one-process run.

>>> gpipe_schedule(2, 2)[1]   # tick 1: stage 0 starts micro-batch 1, stage 1 micro-batch 0
[(0, 'F', 1), (1, 'F', 0)]
"""

from __future__ import annotations

import numbers

from . import backend
from . import functional as F
from .backend import np
from .models.gpt import GPT
from .tensor import as_tensor

__all__ = [
    "gpipe_schedule",
    "bubble_fraction",
    "split_microbatches",
    "stage_layers",
    "PipelineStage",
    "lm_loss",
    "pipeline_step",
]


def _count(value, name: str, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
        raise ValueError(f"{where}: {name} must be an integer >= 1, got {value!r}")
    return int(value)


# ---- the schedule ----


def gpipe_schedule(n_stages: int, n_micro: int) -> list[list[tuple[int, str, int]]]:
    """The GPipe schedule as clock ticks: ``schedule[t]`` lists the ``(stage, "F" or
    "B", micro)`` steps that run at tick t, each taking one tick.

    Forward phase: stage s runs micro-batch m's forward at tick s + m (it needs
    stage s-1's output of tick s + m - 1). Backward phase: the forward phase played
    backwards in time, so the last stage starts with the last micro-batch and each
    backward at stage s follows the one at stage s + 1. Each phase lasts
    ``n_stages + n_micro - 1`` ticks.

    >>> for tick in gpipe_schedule(2, 3):
    ...     print(tick)
    [(0, 'F', 0)]
    [(0, 'F', 1), (1, 'F', 0)]
    [(0, 'F', 2), (1, 'F', 1)]
    [(1, 'F', 2)]
    [(1, 'B', 2)]
    [(0, 'B', 2), (1, 'B', 1)]
    [(0, 'B', 1), (1, 'B', 0)]
    [(0, 'B', 0)]
    """
    S = _count(n_stages, "n_stages", "gpipe_schedule")
    M = _count(n_micro, "n_micro", "gpipe_schedule")
    span = S + M - 1  # ticks per phase
    schedule: list[list[tuple[int, str, int]]] = [[] for _ in range(2 * span)]
    for s in range(S):
        for m in range(M):
            schedule[s + m].append((s, "F", m))
            schedule[2 * span - 1 - (s + m)].append((s, "B", m))
    return schedule


def bubble_fraction(n_stages: int, n_micro: int) -> float:
    """The share of :func:`gpipe_schedule`'s ticks that each stage sits idle:
    (S - 1) / (M + S - 1). More micro-batches, a smaller bubble.

    >>> bubble_fraction(4, 1)   # no micro-batching: one stage works at a time
    0.75
    >>> round(bubble_fraction(4, 32), 4)
    0.0857
    """
    S = _count(n_stages, "n_stages", "bubble_fraction")
    M = _count(n_micro, "n_micro", "bubble_fraction")
    return (S - 1) / (M + S - 1)


def split_microbatches(x, y, n_micro: int) -> list[tuple]:
    """``x`` and ``y`` cut along axis 0 into ``n_micro`` equal, consecutive parts:
    a list of ``(x_m, y_m)``.

    >>> import minilm
    >>> parts = split_microbatches(minilm.arange(6), minilm.arange(6) * 10, 3)
    >>> [(a.tolist(), b.tolist()) for a, b in parts]
    [([0, 1], [0, 10]), ([2, 3], [20, 30]), ([4, 5], [40, 50])]
    """
    M = _count(n_micro, "n_micro", "split_microbatches")
    if len(x) != len(y):
        raise ValueError(
            f"split_microbatches: x and y must have the same length along axis 0, "
            f"got {len(x)} and {len(y)}"
        )
    if len(x) % M:
        raise ValueError(
            f"split_microbatches: a batch of {len(x)} does not split into {M} equal "
            f"micro-batches; use a batch size that is a multiple of n_micro"
        )
    n = len(x) // M
    return [(x[i * n : (i + 1) * n], y[i * n : (i + 1) * n]) for i in range(M)]


# ---- the stages ----


def stage_layers(model: GPT, n_stages: int) -> list[range]:
    """The block indices each of ``n_stages`` stages runs: consecutive, as even as
    possible (sizes differ by at most one, the earlier stages get the extra ones).

    >>> from minilm.models.gpt import GPTConfig
    >>> model = GPT(GPTConfig(vocab_size=5, block_size=4, n_layer=5, n_head=1, n_embd=4))
    >>> stage_layers(model, 2)
    [range(0, 3), range(3, 5)]
    """
    S = _count(n_stages, "n_stages", "stage_layers")
    L = len(model.blocks)
    if S > L:
        raise ValueError(
            f"stage_layers: {S} stages but the model has {L} blocks; every stage needs "
            f"at least one, so use at most {L} stages (processes)"
        )
    sizes = [L // S + (s < L % S) for s in range(S)]
    starts = [sum(sizes[:s]) for s in range(S)]
    return [range(a, a + k) for a, k in zip(starts, sizes)]


class PipelineStage:
    """Stage ``index`` of ``n_stages`` of a GPT: the part of the model that one rank
    runs. ``stage(inp)`` maps token ids (B, T) (stage 0) or the previous stage's
    activation (B, T, C) to the next activation (B, T, C), or to logits (B, T, V)
    at the last stage.

    :meth:`parameters` are the ones this stage owns (give them to this rank's
    optimizer). With tied weights, ``wte.weight`` belongs to the first *and* the
    last stage: each holds a copy (see the module's notes).

    >>> import minilm
    >>> from minilm.models.gpt import GPTConfig
    >>> model = GPT(GPTConfig(vocab_size=5, block_size=4, n_layer=2, n_head=1, n_embd=4))
    >>> first, last = PipelineStage(model, 0, 2), PipelineStage(model, 1, 2)
    >>> h = first(minilm.tensor([[1, 2, 3]]))
    >>> h.shape, last(h).shape
    ((1, 3, 4), (1, 3, 5))
    >>> [name for name, _ in last.named_parameters()][-3:]
    ['ln_f.weight', 'ln_f.bias', 'wte.weight']
    """

    def __init__(self, model: GPT, index: int, n_stages: int):
        if not isinstance(model, GPT):
            raise TypeError(
                f"PipelineStage: splits a minilm.models.gpt.GPT, got {type(model).__name__}"
            )
        layers = stage_layers(model, n_stages)
        if not isinstance(index, numbers.Integral) or not 0 <= index < n_stages:
            raise ValueError(f"PipelineStage: index must be in 0..{n_stages - 1}, got {index!r}")
        self.model, self.index, self.n_stages = model, int(index), int(n_stages)
        self.layers = layers[self.index]
        self.is_first, self.is_last = self.index == 0, self.index == n_stages - 1

    def __repr__(self):
        return (f"PipelineStage({self.index} of {self.n_stages}, "
                f"blocks {self.layers.start}..{self.layers.stop - 1})")  # fmt: skip

    def __call__(self, inp):
        m = self.model
        x = inp
        if self.is_first:
            x = m.drop(m.wpe(m.wte(inp)))  # (B, T, C)
        for i in self.layers:
            x = m.blocks[i](x, causal=True)  # (B, T, C)
        if self.is_last:
            x = m.ln_f(x)
            x = m.lm_head(x) if m.lm_head is not None else x @ m.wte.weight.T  # (B, T, V)
        return x

    def named_parameters(self) -> list[tuple[str, object]]:
        """``(name, parameter)`` of the parameters this stage owns, named as in the model."""
        prefixes = tuple(f"blocks.{i}." for i in self.layers)
        if self.is_first:
            prefixes += ("wte.", "wpe.")
        if self.is_last:
            prefixes += ("ln_f.", "lm_head.")
        owned = [(n, p) for n, p in self.model.named_parameters() if n.startswith(prefixes)]
        if self.is_last and not self.is_first and self.model.lm_head is None:
            owned.append(("wte.weight", self.model.wte.weight))  # the tied head's copy
        return owned

    def parameters(self) -> list:
        """The parameters this stage owns (for this rank's optimizer)."""
        return [p for _, p in self.named_parameters()]

    @property
    def shares_embedding(self) -> bool:
        """True on the first and last stage of a tied model split in two or more:
        these two ranks hold copies of ``wte.weight`` and sum their gradients."""
        tied = self.model.lm_head is None
        return tied and self.n_stages > 1 and (self.is_first or self.is_last)


def lm_loss(logits, targets):
    """The default ``loss_fn`` of :func:`pipeline_step`: mean cross-entropy of
    logits (B, T, V) against targets (B, T), as :func:`minilm.train.fit` uses."""
    return F.cross_entropy(logits, targets)


# ---- one training step ----


def _send(comm, array, dest: int, tag: int) -> None:
    comm.Send(np.ascontiguousarray(backend.to_numpy(array)), dest=dest, tag=tag)


def _recv(comm, shape, dtype, source: int, tag: int, device: str):
    buf = np.empty(shape, dtype=dtype)
    comm.Recv(buf, source=source, tag=tag)
    return as_tensor(backend.to_device(buf, device))


def _check_step(model, x, world) -> None:
    """Everything that could stop a rank, checked on every rank before any message."""
    if not isinstance(model, GPT):
        raise TypeError(
            f"pipeline_step: pipelines a minilm.models.gpt.GPT, got {type(model).__name__}"
        )
    if world.size > len(model.blocks):
        raise ValueError(
            f"pipeline_step: {world.size} processes means {world.size} stages, but the model "
            f"has {len(model.blocks)} blocks; start at most {len(model.blocks)} processes "
            f"(mpiexec -n {len(model.blocks)}) or use a deeper model"
        )
    if x.ndim != 2:
        raise ValueError(f"pipeline_step: x must be (B, T) token ids, got shape {x.shape}")
    if x.shape[1] > model.config.block_size:
        raise ValueError(
            f"pipeline_step: {x.shape[1]} positions exceed block_size="
            f"{model.config.block_size}; crop the batch to block_size tokens"
        )


def pipeline_step(model: GPT, x, y, world, n_micro: int, loss_fn=lm_loss) -> float:
    """One GPipe training step of ``model`` on the batch ``(x, y)`` across the ranks of
    ``world`` (from :func:`minilm.distributed.world`), one stage per rank.

    Every rank passes the same model (same parameters, e.g. after
    :func:`~minilm.distributed.broadcast_parameters`) and the same batch. The batch
    is cut into ``n_micro`` micro-batches, which run through :func:`gpipe_schedule`.
    ``loss_fn(logits, y_m)`` is each micro-batch's loss; it is scaled by 1/n_micro,
    so the gradients are one process's gradient accumulation over the same
    micro-batches. Gradients are *added* into ``.grad`` (as ``loss.backward()``
    does; zero them first), on each rank for its own stage's parameters only:
    then step an optimizer made from ``PipelineStage(model, world.rank,
    world.size).parameters()`` on every rank. Returns the mean loss, on every rank.

    A world of one runs the whole model locally, with the same result.

    >>> import minilm
    >>> from minilm.distributed import World
    >>> from minilm.models.gpt import GPTConfig
    >>> model = GPT(GPTConfig(vocab_size=5, block_size=4, n_layer=2, n_head=1, n_embd=4))
    >>> x = minilm.tensor([[1, 2, 3], [3, 2, 1]])
    >>> loss = pipeline_step(model, x, x, World(), n_micro=2)
    >>> round(loss, 1), model.ln_f.weight.grad.shape
    (1.6, (4,))
    """
    _check_step(model, x, world)
    micro = split_microbatches(x, y, n_micro)
    if world.size == 1:
        total = 0.0
        for x_m, y_m in micro:
            loss = loss_fn(model(x_m), y_m)
            total += float(loss.item())
            (loss * (1.0 / n_micro)).backward()
        return total / n_micro
    if world.comm is None:
        raise ValueError(
            f"pipeline_step: {world} has no communicator; under mpiexec, pass "
            "minilm.distributed.world()"
        )

    comm, rank, last = world.comm, world.rank, world.size - 1
    stage = PipelineStage(model, rank, world.size)
    weight = model.wte.weight
    device, dtype = weight.device, weight.dtype
    act_shape = (len(micro[0][0]), x.shape[1], model.config.n_embd)  # (B/M, T, C)
    if stage.shares_embedding:  # keep the earlier gradient aside: only this step's is summed
        earlier, weight.grad = weight.grad, None

    held = {}  # micro -> (input, output): what its backward pass needs, kept until then
    losses = []
    for tick in gpipe_schedule(world.size, n_micro):
        for s, kind, m in tick:
            if s != rank:
                continue
            if kind == "F":
                x_m, y_m = micro[m]
                if stage.is_first:
                    inp = x_m
                else:
                    inp = _recv(comm, act_shape, dtype, rank - 1, 2 * m, device)
                    inp.requires_grad_(True)  # a leaf: its .grad is what goes back
                out = stage(inp)
                if stage.is_last:
                    loss = loss_fn(out, y_m)
                    losses.append(float(loss.item()))
                    out = loss * (1.0 / n_micro)
                else:
                    if out.shape != act_shape or out.dtype != dtype:
                        raise RuntimeError(
                            f"pipeline_step: stage {rank} made an activation {out.shape} "
                            f"{out.dtype}; the next stage expects {act_shape} {dtype}"
                        )
                    _send(comm, out.data, rank + 1, 2 * m)
                held[m] = (inp, out)
            else:
                inp, out = held.pop(m)
                if stage.is_last:
                    out.backward()
                else:
                    out.backward(_recv(comm, out.shape, out.dtype, rank + 1, 2 * m + 1, device))
                if not stage.is_first:
                    _send(comm, inp.grad.data, rank - 1, 2 * m + 1)

    if stage.shares_embedding:
        _sum_shared_gradient(comm, weight, 0 if stage.is_last else last)
        if earlier is not None:
            weight.grad = as_tensor(earlier.data + weight.grad.data)
    return world.bcast(sum(losses) / n_micro if stage.is_last else None, root=last)


def _sum_shared_gradient(comm, weight, other: int) -> None:
    """``weight.grad`` becomes this copy's gradient plus the other copy's (rank
    ``other``): both ranks compute mine + theirs, the same numbers (float addition
    commutes), so the two copies take the same optimizer step."""
    mine = np.ascontiguousarray(backend.to_numpy(weight.grad.data))
    theirs = np.empty_like(mine)
    comm.Sendrecv(mine, dest=other, sendtag=0, recvbuf=theirs, source=other, recvtag=0)
    weight.grad = as_tensor(backend.to_device(mine + theirs, weight.device))
