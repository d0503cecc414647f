"""Data-parallel training across processes, on MPI.

``mpiexec -n K python -m minilm train ...`` starts K copies of the same program.
Each copy is a *rank* (0 .. K-1) of one :class:`World`. Data parallelism is three
promises kept together:

1. every rank starts from the same parameters (:func:`broadcast_parameters`
   copies rank 0's to the others);
2. each step, rank r computes the gradient of *its* micro-batches only (the
   loop in :func:`minilm.train.fit` draws the same K micro-batches on every rank
   and each rank keeps its own share);
3. before the update, the gradients are summed across ranks
   (:class:`GradientSync`, one MPI ``Allreduce`` per bucket of gradients), so
   every rank applies the same update and the parameters stay identical.

The result is the same model that one process gets with ``accumulate=K``, to
rounding (the sum is taken in another order). Only rank 0 prints and writes files.

MPI comes from ``mpi4py`` and the ``mpich`` wheel (``pip install
'minilm[parallel]'``): a working MPI with no system install. Run as one plain
process, :func:`world` is a world of one and nothing here imports mpi4py.

How an allreduce works is shown by :func:`ring_allreduce`, the ring algorithm
that MPI libraries and NCCL use for large messages, written with NumPy arrays
standing in for the ranks.
"""

from __future__ import annotations

import os
import sys
import time

from . import backend

__all__ = [
    "World",
    "world",
    "launched_ranks",
    "environment_outside_mpi",
    "broadcast_parameters",
    "GradientSync",
    "ring_allreduce",
    "ring_reduce_scatter_step",
    "ring_allgather_step",
]

# The environment variables that MPI launchers set in every process they start:
# MPICH's Hydra (PMI_SIZE), Open MPI, Slurm's srun with PMI.
_SIZE_VARS = ("PMI_SIZE", "OMPI_COMM_WORLD_SIZE", "MPI_LOCALNRANKS")


def environment_outside_mpi(environ=None) -> dict:
    """``environ`` (default: this process's) without the MPI launcher's variables:
    for starting a fresh program, or a fresh ``mpiexec``, from inside an MPI run."""
    environ = os.environ if environ is None else environ
    return {k: v for k, v in environ.items() if not k.startswith(("PMI_", "MPI_", "OMPI_"))}


def launched_ranks() -> int:
    """How many processes the MPI launcher started (1 when run as a plain process)."""
    for var in _SIZE_VARS:
        value = os.environ.get(var)
        if value and value.isdigit():
            return int(value)
    return 1


class World:
    """The processes training together: ``rank`` (this one's number), ``size``
    (how many), ``comm`` (the mpi4py communicator, or None for a world of one).

    The collective methods take NumPy arrays (CuPy arrays are copied through the
    host: correct, but untested here, with no GPU; NCCL would keep them on the GPU)."""

    def __init__(self, rank: int = 0, size: int = 1, comm=None):
        self.rank, self.size, self.comm = rank, size, comm

    @property
    def is_root(self) -> bool:
        """True on rank 0, the one rank that prints and writes files."""
        return self.rank == 0

    def __repr__(self):
        return f"World(rank={self.rank}, size={self.size})"

    def allreduce_(self, array) -> None:
        """Sum ``array`` over all ranks, in place: every rank ends with the sum."""
        if self.size == 1:
            return
        from mpi4py import MPI

        host = backend.to_numpy(array)  # a CuPy array goes through the host
        self.comm.Allreduce(MPI.IN_PLACE, host, op=MPI.SUM)
        if host is not array:
            array[...] = backend.to_device(host, backend.device_of(array))

    def sum(self, values: list[float]) -> list[float]:
        """Each float summed over all ranks (one small allreduce)."""
        if self.size == 1:
            return list(values)
        buf = backend.np.asarray(values, dtype=backend.np.float64)
        self.allreduce_(buf)
        return buf.tolist()

    def broadcast_(self, array, root: int = 0) -> None:
        """Copy rank ``root``'s ``array`` into every rank's, in place."""
        if self.size == 1:
            return
        host = backend.to_numpy(array)
        self.comm.Bcast(host, root=root)
        if host is not array:
            array[...] = backend.to_device(host, backend.device_of(array))

    def bcast(self, obj, root: int = 0):
        """A small Python value from rank ``root`` to all (between our own
        processes only: mpi4py pickles it)."""
        return obj if self.size == 1 else self.comm.bcast(obj, root=root)

    def barrier(self) -> None:
        if self.size > 1:
            self.comm.Barrier()

    def abort(self, code: int = 1) -> None:
        """End every process of the world now, with exit status ``code`` (a rank
        that stops on an error it handled would leave the others waiting)."""
        if self.size > 1:
            sys.stdout.flush()
            sys.stderr.flush()
            self.comm.Abort(code)


_WORLD: World | None = None


def world() -> World:
    """This process's :class:`World`: MPI's when started by ``mpiexec -n K`` with
    K > 1, else a world of one (rank 0 of 1). The same object on every call."""
    global _WORLD
    if _WORLD is None:
        if launched_ranks() > 1:
            try:
                from mpi4py import MPI
            except ImportError as e:
                raise RuntimeError(
                    "this process was started by an MPI launcher (mpiexec), but mpi4py "
                    "does not import: pip install 'minilm[parallel]' (mpi4py and the "
                    f"mpich wheel) ({e})"
                ) from e
            comm = MPI.COMM_WORLD
            _WORLD = World(comm.Get_rank(), comm.Get_size(), comm)
            _share_cores(comm.Get_size())
            _abort_on_error(comm)
        else:
            _WORLD = World()
    return _WORLD


def _abort_on_error(comm) -> None:
    """An error that ends one process ends them all: the others would otherwise
    wait forever in their next allreduce for a process that is gone."""
    previous = sys.excepthook

    def hook(kind, value, tb):
        previous(kind, value, tb)
        sys.stderr.flush()
        comm.Abort(1)

    sys.excepthook = hook


def _share_cores(size: int) -> None:
    """Give each of the ``size`` processes on this host its share of the cores for
    BLAS: K processes that each start one BLAS thread per core fight over the cores
    (on 2 cores, 2 ranks ran 4x slower than with 1 thread each). Needs threadpoolctl
    (in the [parallel] extra); the launcher's OMP_NUM_THREADS wins when set."""
    if os.environ.get("OMP_NUM_THREADS") or os.environ.get("OPENBLAS_NUM_THREADS"):
        return
    local = os.environ.get("MPI_LOCALNRANKS", "")
    local_size = int(local) if local.isdigit() else size
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        return
    threadpool_limits(max(1, (os.cpu_count() or 1) // max(local_size, 1)))


def broadcast_parameters(model, world: World, root: int = 0) -> None:
    """Give every rank rank ``root``'s parameters and buffers (promise 1)."""
    for tensor in model.state_dict().values():
        world.broadcast_(tensor.data, root)


class GradientSync:
    """Sums the gradients of ``params`` over the ranks of ``world`` (promise 3),
    in buckets: the gradients are copied into flat buffers of about
    ``bucket_bytes`` each and each buffer is one ``Allreduce``. One call per
    parameter would pay MPI's per-message latency hundreds of times a step; one
    buffer for everything would need a copy of all the gradients at once.
    Buckets are filled in reverse parameter order, the order in which the
    backward pass finishes them.

    After each call, ``calls``, ``bytes`` and ``seconds`` hold what that call sent
    and how long its allreduces took (the communication time of a step);
    :meth:`summary` averages them over every call so far."""

    def __init__(self, params, world: World, bucket_bytes: int = 4 << 20):
        if bucket_bytes < 1:
            raise ValueError(f"GradientSync: bucket_bytes must be >= 1, got {bucket_bytes}")
        self.params, self.world = [p for p in params if p.requires_grad], world
        self.buckets: list[list] = []
        size, dtype = 0, None
        for p in reversed(self.params):
            nbytes = p.data.nbytes
            if self.buckets and size + nbytes <= bucket_bytes and p.dtype == dtype:
                self.buckets[-1].append(p)
                size += nbytes
            else:
                self.buckets.append([p])
                size, dtype = nbytes, p.dtype
        self.calls = self.bytes = self.steps = 0
        self.seconds = self.total_seconds = 0.0

    def summary(self) -> dict:
        """Per call, averaged over all calls: allreduces, megabytes sent into
        each, seconds spent in them; and the number of buckets."""
        n = max(self.steps, 1)
        return {"processes": self.world.size, "buckets": len(self.buckets),
                "allreduces_per_step": self.calls, "mb_per_step": self.bytes / 1e6,
                "comm_seconds_per_step": self.total_seconds / n, "steps": self.steps}  # fmt: skip

    def __call__(self) -> None:
        self.calls = self.bytes = 0
        self.seconds = 0.0
        if self.world.size == 1:
            return
        for bucket in self.buckets:
            xp = bucket[0].xp
            flat = xp.concatenate([
                (p.grad.data if p.grad is not None else xp.zeros(p.shape, p.dtype)).reshape(-1)
                for p in bucket
            ])  # fmt: skip
            t0 = time.perf_counter()
            self.world.allreduce_(flat)
            self.seconds += time.perf_counter() - t0
            self.calls, self.bytes = self.calls + 1, self.bytes + flat.nbytes
            offset = 0
            for p in bucket:
                part = flat[offset : offset + p.size].reshape(p.shape)
                offset += p.size
                if p.grad is None:
                    p.grad = p._make(part.copy())
                else:
                    p.grad.data[...] = part
        self.steps += 1
        self.total_seconds += self.seconds


# ---- the ring algorithm, with arrays standing in for ranks ----


def _chunks(n: int, k: int) -> list[slice]:
    """``k`` contiguous slices covering range(n), sizes differing by at most one."""
    bounds = [n * i // k for i in range(k + 1)]
    return [slice(bounds[i], bounds[i + 1]) for i in range(k)]


def ring_reduce_scatter_step(buffers: list, step: int) -> None:
    """One step of the reduce-scatter phase, in place. With K ranks in a ring,
    each buffer cut into K chunks: at step s, rank r sends chunk (r - s) mod K to
    rank r+1, which adds it into its own. After K-1 steps rank r holds the full
    sum of chunk (r + 1) mod K."""
    k = len(buffers)
    parts = _chunks(buffers[0].size, k)
    sent = [buffers[r][parts[(r - step) % k]].copy() for r in range(k)]  # all send at once
    for r in range(k):
        buffers[(r + 1) % k][parts[(r - step) % k]] += sent[r]


def ring_allgather_step(buffers: list, step: int) -> None:
    """One step of the all-gather phase, in place: at step s, rank r sends its
    finished chunk (r + 1 - s) mod K to rank r+1, which overwrites its own copy.
    After K-1 steps every rank holds every summed chunk."""
    k = len(buffers)
    parts = _chunks(buffers[0].size, k)
    sent = [buffers[r][parts[(r + 1 - step) % k]].copy() for r in range(k)]
    for r in range(k):
        buffers[(r + 1) % k][parts[(r + 1 - step) % k]] = sent[r]


def ring_allreduce(arrays: list) -> list:
    """The sum of ``arrays`` (one 1-D array per rank), computed as a ring of K
    ranks would: K-1 reduce-scatter steps, then K-1 all-gather steps. Each rank
    sends 2(K-1)/K times its buffer in all, whatever K is: why the ring is the
    bandwidth-optimal allreduce. Returns one buffer per rank, all equal to the sum.

    >>> import numpy as np
    >>> out = ring_allreduce([np.arange(5.0), np.ones(5), np.full(5, 2.0)])
    >>> out[2].tolist()
    [3.0, 4.0, 5.0, 6.0, 7.0]
    """
    if not arrays:
        raise ValueError("ring_allreduce: need one array per rank, got none")
    shape = arrays[0].shape
    if any(a.shape != shape for a in arrays):
        raise ValueError(f"ring_allreduce: every rank's array must have one shape, got "
                         f"{[a.shape for a in arrays]}")  # fmt: skip
    buffers = [a.astype(a.dtype, copy=True).reshape(-1) for a in arrays]
    for s in range(len(buffers) - 1):
        ring_reduce_scatter_step(buffers, s)
    for s in range(len(buffers) - 1):
        ring_allgather_step(buffers, s)
    return [b.reshape(shape) for b in buffers]
