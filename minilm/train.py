"""The training loop every chapter uses: :func:`fit`.

One call trains a model for a number of optimizer steps and returns a
:class:`History`. Around the three lines at its heart (``loss.backward()``,
``optimizer.step()``, ``optimizer.zero_grad()``) it adds what real training
needs: gradient accumulation and clipping, a learning-rate schedule, periodic
evaluation, early stopping, a progress bar (loss, lr, tokens/s), checkpoints
every N steps and on Ctrl-C, exact resumption, a guard against a non-finite
loss, a seed, mixed precision with loss scaling (``precision="fp16"``, see
:mod:`minilm.precision`) and data-parallel training across MPI processes
(``world=``, see :mod:`minilm.distributed`).

>>> import minilm, minilm.nn as nn, minilm.optim as optim
>>> from minilm.train import fit
>>> X = minilm.tensor([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
>>> y = minilm.tensor([0, 1, 1, 0])
>>> minilm.manual_seed(0)
>>> model = nn.Sequential(nn.Linear(2, 16), nn.Tanh(), nn.Linear(16, 2))
>>> hist = fit(model, optim.Adam(model.parameters(), lr=0.05), [(X, y)], steps=200,
...            progress=False)
>>> hist.loss[-1] < 0.05
True

How resuming stays exact: a step changes the model, optimizer and scheduler
only in its *commit* (``optimizer.step()``, ``scheduler.step()``, the history),
and a Ctrl-C that arrives during a commit is held until the commit is whole.
Everything else a step changes (the random generator, the data position) is
remembered as it was when the step began; a Ctrl-C anywhere else saves that,
so the checkpoint always holds the state after the last completed step.
"""

from __future__ import annotations

import contextlib
import errno
import math
import os
import signal
import threading
import time
import warnings
from dataclasses import asdict, dataclass, field

from . import backend, precision
from . import functional as F
from .distributed import GradientSync, World, broadcast_parameters
from .io import load_checkpoint, save_checkpoint
from .optim.clip import clip_grad_norm_
from .precision import LossScaler, low_dtype
from .progress import progress_bar
from .tensor import Tensor, manual_seed, no_grad


class NonFiniteError(FloatingPointError):
    """``fit`` met a non-finite loss or gradient norm (with the default
    ``on_nonfinite="raise"``). ``step`` is the step it appeared at (numbered as in
    ``History.step``); no update was applied for it, so the model holds its weights
    after the step before. ``history`` is the history up to then."""

    def __init__(self, message: str, step: int, history: History):
        super().__init__(message)
        self.step, self.history = step, history


@dataclass
class History:
    """What happened during training: one entry per step in ``step``, ``loss`` and
    ``lr``; one dict per evaluation in ``eval`` (with its ``step``); in ``skipped``
    the steps whose batch was skipped for a non-finite loss or gradient norm
    (``on_nonfinite="skip"``: no update, but they count as steps). Under
    ``precision="fp16"``: ``loss_scale``, the loss scale each step used, and
    ``overflows``, the steps the loss scaler skipped (their scaled gradients
    overflowed; the scale was halved)."""

    step: list = field(default_factory=list)
    loss: list = field(default_factory=list)
    lr: list = field(default_factory=list)
    eval: list = field(default_factory=list)
    skipped: list = field(default_factory=list)
    loss_scale: list = field(default_factory=list)
    overflows: list = field(default_factory=list)
    parallel: dict = field(default_factory=dict)  # several processes: GradientSync.summary()
    epsilon: float | None = None  # privacy=DPSGD: the epsilon spent so far (at privacy.delta)
    noise_multiplier: float | None = None  # privacy=DPSGD: the sigma used
    privacy: dict = field(default_factory=dict)  # privacy=DPSGD: the settings the epsilon assumes
    best_step: int | None = None
    stopped_early: bool = False
    interrupted: bool = False

    def eval_metric(self, name: str = "loss") -> tuple[list, list]:
        """(steps, values) of one evaluation metric, ready to plot."""
        rows = [e for e in self.eval if name in e]
        return [e["step"] for e in rows], [e[name] for e in rows]

    def as_dict(self) -> dict:
        return asdict(self)


def cross_entropy_loss(model, batch) -> Tensor:
    """The default loss: ``batch = (x, y)``, ``cross_entropy(model(x), y)``."""
    x, y = batch
    return F.cross_entropy(model(x), y)


class _Batches:
    """An endless stream of batches: call ``data()`` each time, or loop over an
    iterable (a list, a data loader) epoch after epoch. ``position`` counts the
    batches drawn so far."""

    def __init__(self, data):
        self.data, self.position, self._it, self._epoch_n = data, 0, None, 0

    def next(self, step: int | None):
        if callable(self.data):
            batch = self.data()
        else:
            batch = self._next_from_iterable(step)
        self.position += 1
        return batch

    def _next_from_iterable(self, step):
        for fresh in (False, True):
            if fresh or self._it is None:
                self._it, self._epoch_n = iter(self.data), 0
            try:
                batch = next(self._it)
            except StopIteration:
                if fresh or self._epoch_n == 0:
                    break  # a whole epoch without a batch
                continue  # the epoch ended: start the next one
            self._epoch_n += 1
            return batch
        if self.position == 0:
            raise ValueError("fit: the training data yielded no batches")
        who = f"step {step}" if step is not None else "resuming"
        raise ValueError(
            f"fit: the training data ran out after {self.position} batches ({who} needed "
            "more) and gives none when looped over again: a one-shot iterator (a generator) "
            "is read once; pass a list, or a function that returns a batch"
        )


def _count_tokens(batch) -> int:
    """Targets counted as 'tokens': (B, T) targets are B*T tokens, (B,) labels B."""
    last = batch[-1] if isinstance(batch, (tuple, list)) else batch
    return last.size if isinstance(last, Tensor) else 0


def _evaluate(model, eval_fn) -> dict:
    was_training = model.training
    model.eval()
    try:
        with no_grad():
            result = eval_fn(model)
    finally:
        model.train(was_training)
    result = result if isinstance(result, dict) else {"loss": result}
    return {k: float(v.item() if isinstance(v, Tensor) else v) for k, v in result.items()}


class _Step:
    """How one step's micro-batches are computed: ``accumulate`` per process,
    ``world.size`` processes (rank r takes micro-batches r, r + size, ... of the
    ``accumulate * size`` drawn), in ``precision``, the loss multiplied by the
    scaler's scale. With more than one micro-batch a step, each draws its dropout
    masks from a generator seeded by (``seed``, step, micro-batch), so that
    ``accumulate=K`` in one process and K processes draw the same masks."""

    def __init__(self, accumulate, world, precision_, scaler, seed, device):
        self.world, self.precision = world, precision_
        self.scaler, self.seed, self.device = scaler, seed, device
        self.total = accumulate * world.size

    def quiet(self):
        """Under loss scaling, NumPy's overflow warnings silenced: an overflowed
        step is expected now and then, and the scaler deals with it."""
        if self.scaler is None:
            return contextlib.nullcontext()
        return backend.np.errstate(over="ignore", invalid="ignore")

    def rng(self, step, i):
        if self.total == 1:
            return contextlib.nullcontext()
        return backend.seeded_rng(self.device, self.seed, step, i)

    def run(self, model, stream, loss_fn, step, sync, stop_requested=False):
        """Forward and backward of the step's micro-batches; returns (mean loss,
        tokens, problem, stop), all four the same on every process; ``stop``: some
        process was asked to stop (Ctrl-C), so all stop after this step. ``problem``
        describes the first non-finite loss, or is None: a non-finite loss is
        never backpropagated, and the step's remaining batches are drawn but not
        used (each step draws ``accumulate * size`` batches, whatever happens)."""
        total, size, rank = self.total, self.world.size, self.world.rank
        loss_sum, tokens, problem = 0.0, 0, None
        scale = 1.0 if self.scaler is None else self.scaler.scale_value
        for i in range(total):
            batch = stream.next(step)
            if problem is not None or i % size != rank:
                continue
            with self.rng(step, i):
                with precision.autocast(self.precision, self.device):
                    loss = loss_fn(model, batch)
                value = float(loss.item())
                loss_sum, tokens = loss_sum + value, tokens + _count_tokens(batch)
                if not math.isfinite(value):
                    where = f" (micro-batch {i + 1} of {total})" if total > 1 else ""
                    problem = f"the loss is {value}{where}"
                    continue
                factor = scale / total
                with self.quiet():  # an overflow here is the scaler's to handle
                    (loss * factor if factor != 1.0 else loss).backward()
        stop = False
        if size > 1:  # every process must agree on the loss and on whether to go on
            loss_sum, tokens, bad, stop = self.world.sum(
                [loss_sum, tokens, problem is not None, bool(stop_requested)]
            )
            tokens, stop = int(tokens), stop > 0
            if bad and problem is None:
                problem = "the loss is not finite on another process"
            if problem is None:
                sync()
        return loss_sum / total, tokens, problem, stop


class _Commit:
    """``with commit:`` marks a block that a Ctrl-C must not cut in two. While
    :meth:`hold_sigint` is active, a SIGINT arriving inside the block is held and
    raised as KeyboardInterrupt when the block ends. ``torn`` records a
    KeyboardInterrupt that got inside anyway (raised by code, or with SIGINT not
    held: outside the main thread, or under someone else's SIGINT handler)."""

    def __init__(self, defer: bool = False):
        self.inside = self.pending = self.torn = False
        self.defer, self.requested = defer, False  # several processes: agree, then stop

    def _on_sigint(self, signum, frame):
        if self.defer:  # only note it: the ranks agree at the next step to stop after it
            self.requested = True
        elif self.inside:
            self.pending = True
        else:
            signal.default_int_handler(signum, frame)

    def hold_sigint(self) -> bool:
        """Install the holding handler if SIGINT has Python's default one; True if so."""
        if threading.current_thread() is not threading.main_thread():
            return False
        if signal.getsignal(signal.SIGINT) is not signal.default_int_handler:
            return False
        signal.signal(signal.SIGINT, self._on_sigint)
        return True

    def __enter__(self):
        self.inside = True

    def __exit__(self, exc_type, exc, tb):
        self.inside = False
        if exc_type is not None and issubclass(exc_type, KeyboardInterrupt):
            self.torn = True
        elif exc_type is None and self.pending:
            self.pending = False
            raise KeyboardInterrupt
        return False


def _rng_states(generators) -> list:
    return [backend.rng("cpu").bit_generator.state] + [g.bit_generator.state for g in generators]


def _set_rng_states(states, generators) -> None:
    for gen, state in zip([backend.rng("cpu"), *generators], states):
        gen.bit_generator.state = state


def _peek_seed() -> int:
    """A seed drawn from a copy of minilm's generator: the generator itself does not
    move, so the batches a data function draws are those of ``accumulate=1``."""
    copy = backend.np.random.default_rng()
    copy.bit_generator.state = backend.rng("cpu").bit_generator.state
    return int(copy.integers(2**31))


def _loss_scaler(precision_: str, loss_scale) -> LossScaler | None:
    if precision_ != "fp16":
        if loss_scale != "dynamic":
            raise ValueError(f"fit: loss_scale is for precision='fp16', got precision="
                             f"{precision_!r} with loss_scale={loss_scale!r}")  # fmt: skip
        return None
    if loss_scale == "dynamic":
        return LossScaler()
    if isinstance(loss_scale, LossScaler):
        return loss_scale
    if isinstance(loss_scale, (int, float)) and not isinstance(loss_scale, bool):
        return LossScaler(init_scale=float(loss_scale), dynamic=False)
    raise ValueError(f"fit: loss_scale must be 'dynamic', a positive number or a LossScaler, "
                     f"got {loss_scale!r}")  # fmt: skip


class _Private:
    """What ``fit(privacy=DPSGD(...))`` needs: the Poisson batches and one DP-SGD
    step's gradients (set as ``p.grad``)."""

    def __init__(self, privacy, data, steps, accumulate, world, precision_, clip):
        from .privacy import noise_multiplier_for

        if data is not None:
            raise ValueError("fit: with privacy=DPSGD(...) the batches come from privacy.data; "
                             "pass data=None")  # fmt: skip
        refused = [(accumulate > 1, f"accumulate={accumulate}"),
                   (world.size > 1, f"{world.size} processes"),
                   (precision_ != "fp32", f"precision={precision_!r}"),
                   (clip is not None, f"clip_grad_norm={clip} (DP-SGD clips per example: "
                                      "set privacy.max_grad_norm)")]  # fmt: skip
        for bad, what in refused:
            if bad:
                raise ValueError(f"fit: privacy=DPSGD(...) does not support {what}")
        self.p = privacy
        # the noise must be secret: fresh OS entropy unless privacy.seed is given
        self.rng = backend.np.random.default_rng(privacy.seed)
        self.sigma = privacy.noise_multiplier
        if self.sigma is None:
            self.sigma = noise_multiplier_for(privacy.target_epsilon, privacy.sample_rate,
                                              max(steps, 1), privacy.delta)  # fmt: skip
        self.settings = {"noise_multiplier": float(self.sigma),
                         "sample_rate": float(privacy.sample_rate),
                         "delta": float(privacy.delta),
                         "max_grad_norm": float(privacy.max_grad_norm),
                         "examples": privacy.n}  # fmt: skip

    def check_resume(self, saved: dict) -> None:
        """A resumed run's epsilon adds up one step's RDP over every step, so every
        step must have had the same settings."""
        changed = {k: (saved[k], v) for k, v in self.settings.items()
                   if k in saved and saved[k] != v}  # fmt: skip
        if changed:
            what = ", ".join(f"{k} {a!r} -> {b!r}" for k, (a, b) in changed.items())
            raise ValueError(f"fit: the checkpoint was trained with other privacy settings "
                             f"({what}; with target_epsilon, sigma follows from steps), so "
                             "the epsilon of the whole run would be wrong; resume with the "
                             "same settings or start a new run")  # fmt: skip

    def draw(self):
        from .privacy import poisson_sample

        idx = poisson_sample(self.p.n, self.p.sample_rate, self.rng)
        return tuple(a[idx] for a in self.p.data)

    def run(self, model, stream, step) -> float:
        """Draw a batch, set each parameter's ``.grad`` to the DP-SGD gradient;
        return the batch's mean loss (NaN for an empty batch)."""
        from .privacy import clip_and_noise, per_example_grads

        batch = stream.next(step)
        as_t = lambda a: a if isinstance(a, Tensor) else Tensor(backend.np.asarray(a))
        batch = tuple(as_t(a) for a in batch)
        named = [(n, p) for n, p in model.named_parameters() if p.requires_grad]
        if len(batch[0]) == 0:  # an empty batch: a step of noise only
            per_ex = {n: backend.np.zeros((0, *p.shape), dtype=p.dtype) for n, p in named}
            loss = math.nan
        else:
            per_ex, loss = per_example_grads(model, self._record_loss, batch), self._last
        grads = clip_and_noise(per_ex, self.p.max_grad_norm, self.sigma,
                               self.p.sample_rate * self.p.n, self.rng)  # fmt: skip
        for n, p in named:
            p.grad = Tensor(grads[n])
        return loss

    def _record_loss(self, model, batch):
        losses = self.p.per_example_loss(model, batch)
        self._last = float(losses.data.mean()) if losses.ndim == 1 else math.nan
        return losses

    def epsilon(self, steps_done) -> float:
        """The epsilon spent after ``steps_done`` steps."""
        from .privacy import rdp_epsilon

        return rdp_epsilon(self.sigma, self.p.sample_rate, steps_done, self.p.delta)


def fit(model, optimizer, data, steps: int, *, loss_fn=cross_entropy_loss, scheduler=None,
        eval_fn=None, eval_every: int | None = None, clip_grad_norm: float | None = None,
        accumulate: int = 1, patience: int | None = None, monitor: str = "loss",
        restore_best: bool = True, checkpoint_path=None, checkpoint_every: int | None = None,
        resume: bool | str = False, config=None, seed: int | None = None,
        progress: bool = True, on_nonfinite: str = "raise", generators=(),
        precision: str = "fp32", loss_scale="dynamic", world: World | None = None,
        bucket_bytes: int = 4 << 20, privacy=None) -> History:  # fmt: skip
    """Train ``model`` for ``steps`` optimizer steps; return a :class:`History`.

    - ``data``: a function returning a batch, or an iterable of batches (looped over).
    - ``loss_fn(model, batch) -> scalar Tensor``; by default cross-entropy of
      ``model(x)`` against ``y`` for ``batch = (x, y)``.
    - ``accumulate``: micro-batches per step (their gradients add up, each loss
      scaled by 1/accumulate: the step's loss is the mean of the micro-batches'
      losses, which for a loss averaged over a varying count of tokens, padded
      names say, is not quite the mean over all tokens of one big batch);
      ``clip_grad_norm``: clip the total gradient norm. An optimizer with a
      ``prepare_grads()`` method (:class:`minilm.prune.MaskedOptimizer`) gets to
      change the step's complete gradients first, so the loss scaler's overflow
      check and the norm see what it uses.
    - ``scheduler``: stepped after every optimizer step.
    - ``on_nonfinite``: every loss is checked before its backward pass, and the
      total gradient norm before each update. A NaN or infinity raises
      :class:`NonFiniteError` (a ``FloatingPointError``) naming the step, before
      any update from it (``"raise"``, the default), or with ``"skip"`` the step's
      batches are dropped (no update, gradients zeroed; the step still counts and
      the schedule moves on) and the step is listed in ``History.skipped``.
      Non-finite weights are never written to a checkpoint.
    - ``eval_fn(model) -> float or dict``: run (in eval mode, without gradients)
      every ``eval_every`` steps and at the end. ``patience``: stop after that many
      evaluations without a new lowest ``monitor``; ``restore_best`` then reloads
      the best weights.
    - ``checkpoint_path``: saved every ``checkpoint_every`` steps, at the end and
      on Ctrl-C (which stops training and returns the history so far). The file
      holds the state after the last completed step: model, optimizer, scheduler,
      random generators, data position, history and early-stopping state
      (patience count, best value and best weights).
    - ``resume=True`` continues from ``checkpoint_path``, exactly (bit for bit on
      the CPU): the same batches, dropout masks, updates and evaluations as an
      uninterrupted run. Without a file there it warns and starts from step 0;
      ``resume="must"`` raises FileNotFoundError instead. A run that stopped early
      stays stopped. Exactness needs the same arguments, and batches that follow
      from the saved state: a ``data`` function that draws from minilm's
      generator (``minilm.backend.rng()``, fetched at each call) or from NumPy
      generators passed as ``generators`` (their states are saved too), or an
      iterable that gives the same batches each time it is read (a list: it is
      replayed and the batches used skipped). Other state in ``data`` or
      ``loss_fn``, and CuPy's generator on the GPU, are not saved.
    - ``seed``: calls ``minilm.manual_seed(seed)`` first.
    - ``precision``: "fp32" (default), or "fp16" / "bf16" mixed precision (see
      :mod:`minilm.precision`): the forward pass runs under ``autocast``, the
      parameters and optimizer stay float32 (``eval_fn`` runs in float32,
      outside autocast). With "fp16" a :class:`LossScaler`
      scales the loss (``loss_scale="dynamic"``: from 2**16, halved on every
      overflow, doubled after 1000 clean steps; a :class:`LossScaler` of your own
      for other settings; a number: a fixed scale, 1.0 for none). With a dynamic
      scale a step whose scaled gradients overflow is skipped by the scaler
      (listed in ``History.overflows``), not by ``on_nonfinite``, which still
      guards the loss itself; a fixed scale cannot adapt, so its overflows go to
      ``on_nonfinite`` (raise, by default).
    - ``world``: a :class:`minilm.distributed.World` of K processes (from
      ``minilm.distributed.world()`` under ``mpiexec -n K``): data-parallel
      training. Each step draws ``accumulate * K`` micro-batches on every
      process, each process computes its share, the gradients are summed with
      MPI allreduce in buckets of ``bucket_bytes``; parameters start as rank 0's.
      The result equals one process with ``accumulate * K``. Only rank 0 shows
      progress, evaluates (and shares the result) and writes checkpoints; to
      resume, every process reads ``checkpoint_path`` (one shared file). A
      Ctrl-C (mpiexec passes it to every process) stops all of them after the
      same step. ``eval_fn`` must be given on every process (rank 0 runs it).
      With more than one micro-batch a step (either way), each micro-batch's
      dropout masks come from a generator seeded by (seed, step, micro-batch).
    - ``privacy``: a :class:`minilm.privacy.DPSGD`: train with DP-SGD. ``data``
      must then be None: each step draws a Poisson batch of ``privacy.data``,
      computes per-example gradients, clips and noises them (see
      :mod:`minilm.privacy.dpsgd`), then the optimizer and scheduler step as
      usual. The sampling and noise come from ``privacy.seed``'s generator, or
      fresh OS entropy when it is None (anyone who knows the seed can replay the
      noise, which voids the guarantee); its state is saved with checkpoints
      (resuming is exact; keep them private), and resuming with other privacy
      settings is refused. ``History.epsilon``: the epsilon spent, from
      ``rdp_epsilon``.
      Not with ``accumulate > 1``, several processes, ``precision`` other than
      fp32, or ``clip_grad_norm`` (DP-SGD clips per example).
    """
    if steps < 0 or accumulate < 1:
        raise ValueError(f"fit: need steps >= 0 and accumulate >= 1, got {steps}, {accumulate}")
    if patience is not None and eval_fn is None:
        raise ValueError("fit: early stopping (patience) needs an eval_fn")
    if on_nonfinite not in ("raise", "skip"):
        raise ValueError(f"fit: on_nonfinite must be 'raise' or 'skip', got {on_nonfinite!r}")
    if resume not in (False, True, "must"):
        raise ValueError(f"fit: resume must be False, True or 'must', got {resume!r}")
    if resume == "must" and checkpoint_path is None:
        raise ValueError("fit: resume='must' needs a checkpoint_path")
    low_dtype(precision)  # a clear error for an unknown precision
    scaler = _loss_scaler(precision, loss_scale)
    world = world if world is not None else World()
    generators = list(generators)
    private = None
    if privacy is not None:
        private = _Private(privacy, data, steps, accumulate, world, precision, clip_grad_norm)
        generators.append(private.rng)
        data = private.draw
    if seed is not None:
        manual_seed(seed)
    history, start, ckpt = History(), 0, {}
    if resume and checkpoint_path is not None and os.path.exists(checkpoint_path):
        ckpt = load_checkpoint(checkpoint_path, model=model, optimizer=optimizer,
                               scheduler=scheduler)  # fmt: skip
        start, history = ckpt["step"], History(**ckpt.get("history", {}))
        history.interrupted = False
        if private is not None:
            private.check_resume(history.privacy)
        saved_gens = ckpt.get("generators") or []
        if len(saved_gens) != len(generators):
            raise ValueError(f"fit: {os.fspath(checkpoint_path)!r} holds the state of "
                             f"{len(saved_gens)} generators, but fit got "
                             f"{len(generators)}")  # fmt: skip
        for gen, state in zip(generators, saved_gens):
            gen.bit_generator.state = state
        if scaler is not None and ckpt.get("loss_scaler") is not None:
            scaler.load_state_dict(ckpt["loss_scaler"])
    elif resume == "must":
        raise FileNotFoundError(errno.ENOENT, "fit: resume='must' but there is no checkpoint",
                                os.fspath(checkpoint_path))  # fmt: skip
    elif resume and world.is_root:
        where = f"at {os.fspath(checkpoint_path)!r}" if checkpoint_path is not None else "path"
        warnings.warn(f"fit: resume=True but there is no checkpoint {where}; "
                      "training starts from step 0", stacklevel=2)  # fmt: skip
    params = list(model.parameters())
    device = params[0].device if params else "cpu"
    if precision == "bf16" and device != "cpu":
        raise ValueError("fit: precision='bf16' on the GPU is not available (CuPy has no "
                         "bfloat16); use precision='fp16' there")  # fmt: skip
    if world.size > 1:
        root_start = world.bcast(start)
        if root_start != start:
            raise RuntimeError(
                f"fit: rank {world.rank} resumes from step {start} but rank 0 from step "
                f"{root_start}: every process must read the same checkpoint_path (one file "
                "on a file system they share)"
            )
        broadcast_parameters(model, world)
    microbatch_seed = ckpt.get("microbatch_seed")
    if microbatch_seed is None and accumulate * world.size > 1:  # alike on every process
        microbatch_seed = seed if seed is not None else _peek_seed()
    plan = _Step(accumulate, world, precision, scaler, microbatch_seed, device)
    sync = GradientSync(params, world, bucket_bytes)
    progress = progress and world.is_root
    stream, position = _Batches(data), ckpt.get("data_position", start * plan.total)
    if not callable(data):  # an iterable replays from the start: skip what was used
        for _ in range(position):
            stream.next(None)
    stream.position = position

    best, bad_evals, best_state = math.inf, 0, None
    if ckpt.get("early_stopping") is not None:
        es = ckpt["early_stopping"]
        best = math.inf if es["best"] is None else es["best"]
        bad_evals, best_state = es["bad_evals"], es["best_state"]
    elif history.eval and history.best_step is not None:  # a checkpoint from before they were saved
        best = min(e[monitor] for e in history.eval if monitor in e)
    # What a checkpoint written now must hold besides model, optimizer and scheduler:
    # updated only inside `with commit:` blocks, so it always describes a whole step.
    point = {"step": start, "rng": _rng_states(generators), "position": stream.position,
             "eval_pending": bool(ckpt.get("eval_pending", False))}  # fmt: skip
    commit = _Commit(defer=world.size > 1)

    def checkpoint():
        if checkpoint_path is None or not world.is_root:
            return
        for name, value in model.named_parameters():  # buffers may hold -inf on purpose
            if not bool(value.xp.isfinite(value.data).all()):
                raise NonFiniteError(f"fit: {name} is not finite after step {point['step']}; "
                                     f"{os.fspath(checkpoint_path)!r} was not overwritten",
                                     point["step"], history)  # fmt: skip
        early = {"best": None if best == math.inf else best, "bad_evals": bad_evals,
                 "best_state": best_state}  # fmt: skip
        save_checkpoint(checkpoint_path, model=model, optimizer=optimizer, scheduler=scheduler,
                        step=point["step"], config=config, history=history.as_dict(),
                        data_position=point["position"], eval_pending=point["eval_pending"],
                        early_stopping=early, generators=point["rng"][1:],
                        loss_scaler=None if scaler is None else scaler.state_dict(),
                        microbatch_seed=microbatch_seed)  # fmt: skip

    def report_interrupt():
        if progress:
            saved = f"; checkpoint saved to {checkpoint_path}" if checkpoint_path else ""
            bar.write(f"interrupted after step {point['step']}{saved}")

    def evaluate(done) -> bool:
        """Evaluate after step ``done``; True when early stopping says stop."""
        nonlocal best, bad_evals, best_state
        metrics = _evaluate(model, eval_fn) if world.is_root else None
        metrics = world.bcast(metrics)  # rank 0 evaluates; all decide alike
        with commit:
            history.eval.append({"step": done, **metrics})
            if metrics.get(monitor, math.inf) < best:
                best, bad_evals, history.best_step = metrics[monitor], 0, done
                if patience is not None and restore_best:
                    best_state = {k: v.data.copy() for k, v in model.state_dict().items()}
            elif patience is not None:
                bad_evals += 1
                history.stopped_early = bad_evals >= patience
            point.update(rng=_rng_states(generators), eval_pending=False)
        if progress:
            bar.write(f"step {done} ({time.perf_counter() - t0:.0f} s): "
                      + ", ".join(f"{k} {v:.4f}" for k, v in metrics.items()))  # fmt: skip
        return history.stopped_early

    model.train()
    optimizer.zero_grad()
    bar = progress_bar(total=steps, initial=start, enabled=progress, desc="fit")
    t0, tokens, held = time.perf_counter(), 0, commit.hold_sigint()
    try:
        if point["eval_pending"] and eval_fn is not None:  # interrupted during this evaluation
            evaluate(start)
        for step in range(start, steps):
            if history.stopped_early:
                break
            lr = optimizer.param_groups[0]["lr"]
            if private is not None:
                loss, n_tokens, problem, stop = private.run(model, stream, step + 1), 0, None, False
            else:
                loss, n_tokens, problem, stop = plan.run(model, stream, loss_fn, step + 1, sync,
                                                         commit.requested)  # fmt: skip
            overflow = False
            if problem is None and hasattr(optimizer, "prepare_grads"):  # e.g. pruning's
                optimizer.prepare_grads()  # masks: the overflow check and the clipped norm
                # then see the gradients the step uses
            if problem is None and scaler is not None:  # a dynamic scaler's business
                overflow = scaler.unscale_(params)
                if overflow and not scaler.dynamic:  # a fixed scale cannot adapt: the guard's
                    overflow = False
                    problem = (f"the gradients overflowed float16 (a fixed loss scale of "
                               f"{scaler.scale_value:g})")  # fmt: skip
            if problem is None and not overflow:
                max_norm = math.inf if clip_grad_norm is None else clip_grad_norm
                norm = float(clip_grad_norm_(model.parameters(), max_norm).item())
                problem = None if math.isfinite(norm) else f"the gradient norm is {norm}"
            if problem is not None and on_nonfinite == "raise":
                raise NonFiniteError(
                    f"fit: {problem} at step {step + 1}; no update was applied (the model "
                    f"holds its weights after step {step}). Lower the learning rate, clip "
                    "gradients, or pass on_nonfinite='skip' to skip such batches",
                    step + 1, history)  # fmt: skip
            with commit:  # the step is applied whole, or not at all
                if scaler is not None:
                    history.loss_scale.append(scaler.scale_value)
                if problem is None and not overflow:
                    optimizer.step()
                elif overflow:
                    history.overflows.append(step + 1)
                else:
                    history.skipped.append(step + 1)
                if scaler is not None and problem is None:
                    scaler.update(overflow)
                optimizer.zero_grad()
                if scheduler is not None:
                    scheduler.step()
                history.step.append(step + 1)
                history.loss.append(loss)
                history.lr.append(lr)
                done = step + 1
                if private is not None:
                    history.epsilon = private.epsilon(done)
                    history.noise_multiplier, history.privacy = private.sigma, private.settings
                due = done == steps or bool(eval_every and done % eval_every == 0)
                eval_due = eval_fn is not None and due
                point.update(step=done, rng=_rng_states(generators), position=stream.position,
                             eval_pending=eval_due)  # fmt: skip
            tokens += n_tokens
            rate = tokens / max(time.perf_counter() - t0, 1e-9)
            postfix = {"loss": f"{loss:.4f}", "lr": f"{lr:.2e}", "tok/s": f"{rate:,.0f}"}
            if history.skipped:
                postfix["skipped"] = len(history.skipped)
            if scaler is not None:
                postfix["scale"] = f"{scaler.scale_value:g}"
            bar.set_postfix(postfix, refresh=False)
            bar.update(1)
            if stop:  # Ctrl-C under mpiexec: every process stops after this same step
                history.interrupted = True
                report_interrupt()
                break
            if eval_due and evaluate(done):
                break
            if checkpoint_every and done % checkpoint_every == 0 and done != steps:
                checkpoint()
    except KeyboardInterrupt:
        if commit.torn:  # the model may be half-updated: keep the last checkpoint
            if progress:
                bar.write(f"interrupted while applying step {point['step'] + 1}; "
                          "no checkpoint written")  # fmt: skip
            raise
        history.interrupted = True
        optimizer.zero_grad()
        _set_rng_states(point["rng"], generators)  # as it was after the last whole step
        report_interrupt()
    finally:
        if held:
            signal.signal(signal.SIGINT, signal.default_int_handler)
        bar.close()
    if world.size > 1:
        history.parallel = sync.summary()
    if history.stopped_early and best_state is not None:
        model.load_state_dict(best_state)
    checkpoint()
    if world.size > 1 and checkpoint_path is not None:
        world.barrier()  # rank 0's file is whole before any process goes on (to resume)
    return history


def evaluate_loss(model, batches, loss_fn=cross_entropy_loss) -> float:
    """Mean loss over ``batches`` without gradients (a ready-made ``eval_fn`` body).

    >>> import minilm, minilm.nn as nn
    >>> model = nn.Linear(2, 3)
    >>> loss = evaluate_loss(model, [(minilm.randn(4, 2), minilm.tensor([0, 1, 2, 0]))])
    >>> loss > 0
    True
    """
    with no_grad():
        losses = [float(loss_fn(model, b).item()) for b in batches]
    return sum(losses) / max(len(losses), 1)


__all__ = ["fit", "History", "NonFiniteError", "cross_entropy_loss", "evaluate_loss"]
