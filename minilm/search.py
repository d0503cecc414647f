"""Hyperparameter search: grid, random and successive halving, trials in parallel processes.

``python -m minilm.search [--budget STEPS] [--workers 2] [--seed 0] [--n 27] [--eta 3]
[--confirm K] [--plot PATH] [--out JSON]``

Searches the learning rate, width and dropout of the tour's GPT (2 layers, 4
heads) on the names corpus, three ways, each spending the same total number of
training steps (the budget):

- **grid**: every point of :data:`GPT_GRID` (3 x 3 x 2 = 18), each trained for
  ``budget // 18`` steps;
- **random**: as many configurations drawn from :data:`GPT_SPACE` (the same box:
  learning rate log-uniform), at the same steps each;
- **successive halving** (Hyperband's core): ``n`` random configurations at a
  small number of steps; the best ``1/eta`` of them go on with ``eta`` times the
  steps, and so on until one is left, trained longest. Each rung trains its
  configurations from scratch (the learning-rate schedule then fits each
  rung's length; continuing from the last rung's weights would save steps but
  would resume a cosine schedule that had already decayed).

A trial's score is the validation loss in nats per character; it prints one
line per finished trial, then a table of each strategy's best. ``--confirm K``
retrains each strategy's best configuration with K fresh seeds and scores it on
the *test* split: the search chose on validation with one seed, so its own best
is optimistic, and fresh seeds show whether two strategies differ by more than
seed noise. The budget counts steps, not seconds: a wider model costs more per
step (the table reports the seconds too).

The searches in Python take any ``train_eval(config, steps, seed) -> float``
(lower is better; see :func:`grid_search`).
"""

from __future__ import annotations

import contextlib
import functools
import itertools
import math
import multiprocessing
import numbers
import os
import pickle
import signal
import sys
import threading
import time
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field

from .backend import np

__all__ = [
    "Uniform",
    "LogUniform",
    "grid",
    "random_configs",
    "successive_halving_round",
    "halving_rungs",
    "equal_budget",
    "SearchResult",
    "grid_search",
    "random_search",
    "successive_halving",
    "rerun",
    "compare",
    "default_workers",
    "gpt_trial",
    "GPT_GRID",
    "GPT_SPACE",
    "format_config",
    "format_table",
    "plot_search",
    "main",
]


# ---------------------------------------------------------------- search spaces


@dataclass(frozen=True)
class Uniform:
    """A number drawn uniformly from [lo, hi] (dropout, a mixing weight)."""

    lo: float
    hi: float

    def __post_init__(self):
        if not (math.isfinite(self.lo) and math.isfinite(self.hi) and self.lo < self.hi):
            raise ValueError(f"Uniform needs finite lo < hi, got lo={self.lo}, hi={self.hi}")

    def sample(self, rng) -> float:
        return float(rng.uniform(self.lo, self.hi))


@dataclass(frozen=True)
class LogUniform:
    """A number whose logarithm is uniform on [log lo, log hi]: each factor of ten
    in the range is equally likely (learning rates, weight decays)."""

    lo: float
    hi: float

    def __post_init__(self):
        if not (0 < self.lo < self.hi and math.isfinite(self.hi)):
            raise ValueError(f"LogUniform needs 0 < lo < hi, got lo={self.lo}, hi={self.hi}")

    def sample(self, rng) -> float:
        return float(math.exp(rng.uniform(math.log(self.lo), math.log(self.hi))))


def _check_space(space: dict, lists_only: bool) -> None:
    if not isinstance(space, dict) or not space:
        raise ValueError(f"a search space is a non-empty dict of name -> values, got {space!r}")
    for name, values in space.items():
        if isinstance(values, (Uniform, LogUniform)) and not lists_only:
            continue
        if not isinstance(values, (list, tuple)) or not values:
            what = "a non-empty list" if lists_only else "a non-empty list, Uniform or LogUniform"
            hint = " (a grid needs lists: pick a few values)" if lists_only else ""
            raise ValueError(f"space[{name!r}] must be {what}, got {values!r}{hint}")


def grid(space: dict[str, list]) -> list[dict]:
    """Every combination of the values in ``space`` (its cartesian product), in the
    order of nested loops over the keys in their order: the last key varies fastest.

    >>> grid({"a": [1, 2], "b": ["x", "y"]})
    [{'a': 1, 'b': 'x'}, {'a': 1, 'b': 'y'}, {'a': 2, 'b': 'x'}, {'a': 2, 'b': 'y'}]
    """
    _check_space(space, lists_only=True)
    names = list(space)
    return [dict(zip(names, values)) for values in itertools.product(*space.values())]


def random_configs(space: dict, n: int, seed: int = 0) -> list[dict]:
    """``n`` configurations drawn independently from ``space``: a list value is chosen
    from uniformly, a :class:`Uniform` or :class:`LogUniform` is sampled. The same
    seed gives the same configurations.

    >>> configs = random_configs({"lr": LogUniform(1e-4, 1e-2), "width": [8, 16]}, 3, seed=0)
    >>> len(configs), all(1e-4 <= c["lr"] <= 1e-2 and c["width"] in (8, 16) for c in configs)
    (3, True)
    """
    _check_space(space, lists_only=False)
    if not isinstance(n, numbers.Integral) or n < 0:
        raise ValueError(f"n is how many configurations to draw, a whole number >= 0, got {n!r}")
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(n):
        config = {}
        for name, values in space.items():
            if isinstance(values, (Uniform, LogUniform)):
                config[name] = values.sample(rng)
            else:
                config[name] = values[int(rng.integers(len(values)))]
        out.append(config)
    return out


# ---------------------------------------------------------------- successive halving


def successive_halving_round(configs: list, scores: list[float], eta: int = 3) -> list:
    """The configurations that go on to the next rung of successive halving.

    The rule: keep ``n_keep = max(1, len(configs) // eta)`` configurations, those
    with the LOWEST scores (a score is a loss), returned in order of increasing
    score. Equal scores keep their order in ``configs`` (a stable sort). A NaN
    score (a failed or diverged trial) ranks after every number, +inf included.
    Raises ValueError when ``configs`` and ``scores`` differ in length, when they
    are empty, or when ``eta`` is not a whole number >= 2.

    >>> successive_halving_round(["a", "b", "c", "d", "e", "f"], [3.0, 1.0, 2.0, 1.0, 5.0, 0.5])
    ['f', 'b']
    >>> successive_halving_round(["a", "b"], [float("nan"), 9.0], eta=2)
    ['b']
    """
    if len(configs) != len(scores):
        raise ValueError(f"successive_halving_round: {len(configs)} configs but {len(scores)} "
                         "scores; pass one score per configuration, in the same order")  # fmt: skip
    if not configs:
        raise ValueError("successive_halving_round: no configurations to choose from")
    if isinstance(eta, bool) or not isinstance(eta, numbers.Integral) or eta < 2:
        raise ValueError(f"successive_halving_round: eta is the factor each rung shrinks by, "
                         f"a whole number >= 2, got {eta!r}")  # fmt: skip
    n_keep = max(1, len(configs) // eta)
    nan_last = lambda i: (math.isnan(scores[i]), 0.0 if math.isnan(scores[i]) else scores[i])
    order = sorted(range(len(configs)), key=nan_last)  # sorted() is stable
    return [configs[i] for i in order[:n_keep]]


def halving_rungs(n: int, min_steps: int, eta: int = 3) -> list[tuple[int, int]]:
    """(configurations, steps each) for every rung of :func:`successive_halving`:
    ``n`` at ``min_steps``, then ``max(1, n // eta)`` at ``eta`` times the steps, and
    so on down to one configuration. The steps it spends are
    ``sum(k * s for k, s in rungs)``.

    >>> halving_rungs(27, 10, eta=3)
    [(27, 10), (9, 30), (3, 90), (1, 270)]
    """
    if n < 1 or min_steps < 1 or eta < 2:
        raise ValueError(f"halving_rungs needs n >= 1, min_steps >= 1 and eta >= 2, got n={n}, "
                         f"min_steps={min_steps}, eta={eta}")  # fmt: skip
    rungs = [(n, min_steps)]
    while rungs[-1][0] > 1:
        k, s = rungs[-1]
        rungs.append((max(1, k // eta), s * eta))
    return rungs


def equal_budget(budget: int, grid_size: int, n: int = 27, eta: int = 3) -> dict[str, dict]:
    """The arguments that make each strategy spend at most ``budget`` steps:
    the grid's ``grid_size`` trials and as many random ones at ``budget //
    grid_size`` steps each, and successive halving over ``n`` configurations with
    the largest ``min_steps`` that fits (its rungs cost ``sum(k * eta**i)`` times
    ``min_steps``). Each also gets ``"spent"``: the steps it will spend exactly.

    >>> plan = equal_budget(1000, grid_size=10, n=9, eta=3)
    >>> plan["grid"], plan["halving"]
    ({'steps_per_trial': 100, 'spent': 1000}, {'n': 9, 'min_steps': 37, 'eta': 3, 'spent': 999})
    """
    units = sum(k * s for k, s in halving_rungs(n, 1, eta))
    per_trial, min_steps = budget // grid_size, budget // units
    if per_trial < 1 or min_steps < 1:
        raise ValueError(f"a budget of {budget} steps is too small: a grid of {grid_size} "
                         f"needs at least {grid_size} and successive halving over {n} "
                         f"configurations with eta={eta} at least {units}; raise the budget "
                         "or lower n")  # fmt: skip
    return {
        "grid": {"steps_per_trial": per_trial, "spent": per_trial * grid_size},
        "random": {"n": grid_size, "steps_per_trial": per_trial, "spent": per_trial * grid_size},
        "halving": {"n": n, "min_steps": min_steps, "eta": eta, "spent": min_steps * units},
    }


# ---------------------------------------------------------------- results


@dataclass
class SearchResult:
    """What a search did: every trial, in the order it was planned (not the order the
    processes finished them), as a dict with ``config``, ``steps``, ``score``,
    ``seconds``, ``error`` (None, or the exception as text) and ``rung``; and the
    wall-clock ``seconds`` of the whole search."""

    strategy: str
    trials: list[dict] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def best(self) -> dict | None:
        """The trial with the lowest finite score (the earliest among equals); None
        when no trial succeeded."""
        ok = [t for t in self.trials if t["error"] is None and math.isfinite(t["score"])]
        return min(ok, key=lambda t: t["score"]) if ok else None

    @property
    def total_steps(self) -> int:
        """The training steps the search asked for, summed over its trials (a failed
        trial counts in full: the budget was set aside for it)."""
        return sum(t["steps"] for t in self.trials)

    @property
    def failed(self) -> list[dict]:
        return [t for t in self.trials if t["error"] is not None]

    def to_dict(self) -> dict:
        return {"strategy": self.strategy, "seconds": self.seconds, "trials": self.trials,
                "total_steps": self.total_steps, "best": self.best}  # fmt: skip


# ---------------------------------------------------------------- running trials


def _run_trial(train_eval, config: dict, steps: int, seed: int) -> dict:
    """One trial; an exception (``SystemExit`` too) becomes the trial's ``error``
    and the search goes on. KeyboardInterrupt is not caught: it stops the search."""
    t0 = time.perf_counter()
    try:
        score, error = float(train_eval(dict(config), steps, seed)), None
    except (Exception, SystemExit) as e:  # any failure of the user's code is the trial's
        score, error = math.nan, f"{type(e).__name__}: {e}"  # result (sys.exit() included)
    return {"config": dict(config), "steps": steps, "score": score,
            "seconds": time.perf_counter() - t0, "error": error}  # fmt: skip


# Each worker does its matrix products on one BLAS thread: K processes that each
# start one thread per core fight over the cores (minilm.distributed measured 4x
# slower on 2 cores). Set in the environment the spawned workers inherit, so the
# limit is in place before they import NumPy.
_ONE_THREAD = {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


def _init_worker() -> None:
    """In each worker: Ctrl-C is the parent's to handle (it stops the workers), and
    BLAS keeps to one thread even if NumPy was loaded before the variables were seen."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    with contextlib.suppress(ImportError):
        from threadpoolctl import threadpool_limits

        threadpool_limits(1)
    # fit's progress bar (tqdm) would make a multiprocessing lock here: a named
    # semaphore that a terminated worker leaves to the resource tracker, which then
    # warns of a leak. A worker draws no bars, so a thread lock does.
    from tqdm import tqdm

    tqdm.set_lock(threading.RLock())


@contextlib.contextmanager
def _environment(values: dict):
    saved = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def default_workers() -> int:
    """min(2, the CPU count): the course's machines have two cores."""
    return min(2, os.cpu_count() or 1)


def _check_picklable(train_eval) -> None:
    module = sys.modules.get(getattr(train_eval, "__module__", None) or "")
    if getattr(train_eval, "__module__", None) == "__main__" and not hasattr(module, "__file__"):
        raise ValueError(f"{getattr(train_eval, '__name__', train_eval)!r} is defined in a "
                         "notebook or an interactive session, which worker processes cannot "
                         "import: move it into a .py module, or pass workers=1")  # fmt: skip
    try:
        pickle.dumps(train_eval)
    except (pickle.PicklingError, AttributeError, TypeError) as e:
        raise ValueError(
            f"train_eval must be a function defined at the top level of a module "
            f"(worker processes import it by name); {train_eval!r} is not ({e}). "
            "A lambda or a nested function works with workers=1"
        ) from None


class _Trials:
    """Runs batches of trials, in this process (``workers=1``) or in a pool of
    spawned processes, and returns each batch's results in the order submitted.

    A worker that dies (killed, out of memory, ``os._exit``) breaks its whole pool,
    and every trial still in it comes back broken, whichever one was to blame. So
    the unfinished trials are run again, each in a pool of its own (``workers`` of
    them at a time): a trial that kills its process then fails alone, and the
    others finish. On Ctrl-C (or any error here) the workers are terminated, not
    waited for."""

    def __init__(self, train_eval, workers: int | None, log, label: str):
        self.train_eval, self.log, self.label = train_eval, log, label
        self.workers = default_workers() if workers is None else int(workers)
        if self.workers < 1:
            raise ValueError(f"workers must be >= 1, got {workers}")
        if self.workers > 1:
            _check_picklable(train_eval)
        self.pool, self.done, self.spawned = None, 0, set()
        self.alone = set()  # the one-trial pools running after a crash
        self.others = {p.pid for p in multiprocessing.active_children()}  # not ours to stop

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        if exc_type is None:
            self._close(wait=True)
        else:
            self._kill()
        return False

    def _new_pool(self, workers: int) -> ProcessPoolExecutor:
        return ProcessPoolExecutor(workers, multiprocessing.get_context("spawn"),
                                   initializer=_init_worker)  # fmt: skip

    def _submit(self, pool: ProcessPoolExecutor, job: tuple):
        """Submits one trial; the worker it may start inherits one BLAS thread."""
        with _environment(_ONE_THREAD):
            future = pool.submit(_run_trial, self.train_eval, *job)
        self.spawned |= {p.pid for p in multiprocessing.active_children()} - self.others
        return future

    def _close(self, wait: bool) -> None:
        for pool in [self.pool, *self.alone]:
            if pool is not None:
                pool.shutdown(wait=wait, cancel_futures=True)
        self.pool, self.alone = None, set()

    def _kill(self) -> None:
        for child in multiprocessing.active_children():
            if child.pid in self.spawned:
                child.terminate()
        for child in multiprocessing.active_children():
            if child.pid in self.spawned:
                child.join(5)
        self._close(wait=True)  # the workers are gone: this only tidies up

    def _report(self, result: dict, total: int, rung: int) -> None:
        self.done += 1
        if self.log is None:
            return
        where = f"{self.label} rung {rung}" if self.label == "halving" else self.label
        outcome = (f"FAILED ({result['error']})" if result["error"] is not None
                   else f"{result['score']:.4f}")  # fmt: skip
        self.log(f"[{where} {self.done}/{total}] {format_config(result['config'])}, "
                 f"{result['steps']} steps: {outcome} ({result['seconds']:.1f} s)")  # fmt: skip

    def run(self, jobs: list[tuple[dict, int, int]], total: int, rung: int = 0) -> list[dict]:
        """``jobs``: (config, steps, seed) each; ``total``: the search's trial count
        (for the progress lines)."""
        results = [None] * len(jobs)

        def finish(i: int, result: dict) -> None:
            results[i] = {**result, "rung": rung}
            self._report(results[i], total, rung)

        if self.workers == 1:
            for i, job in enumerate(jobs):
                finish(i, _run_trial(self.train_eval, *job))
            return results
        if self.pool is None:
            self.pool = self._new_pool(self.workers)
        pending = {self._submit(self.pool, job): i for i, job in enumerate(jobs)}
        broken = []
        while pending:
            finished, _ = wait(pending, return_when=FIRST_COMPLETED)
            for future in finished:
                i = pending.pop(future)
                try:
                    finish(i, future.result())
                except BrokenProcessPool:
                    broken.append(i)
        if broken:
            self._close(wait=False)
            self._run_alone(jobs, sorted(broken), finish)
        return results

    def _run_alone(self, jobs: list, indices: list[int], finish) -> None:
        """Runs each of ``jobs[indices]`` in a one-process pool of its own, at most
        ``workers`` at once; a pool that breaks now names its trial."""
        queue, running = list(indices), {}
        while queue or running:
            while queue and len(running) < self.workers:
                i, pool = queue.pop(0), self._new_pool(1)
                self.alone.add(pool)
                running[self._submit(pool, jobs[i])] = (i, pool)
            finished, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in finished:
                i, pool = running.pop(future)
                try:
                    result = future.result()
                except BrokenProcessPool as e:
                    config, steps, _ = jobs[i]
                    error = f"its worker process died ({e})"
                    result = {"config": dict(config), "steps": steps, "score": math.nan,
                              "seconds": 0.0, "error": error}  # fmt: skip
                pool.shutdown(wait=True)
                self.alone.discard(pool)
                finish(i, result)


def _search(strategy: str, train_eval, jobs: list, workers, log) -> SearchResult:
    t0 = time.perf_counter()
    with _Trials(train_eval, workers, log, strategy) as trials:
        results = trials.run(jobs, len(jobs))
    return SearchResult(strategy, results, time.perf_counter() - t0)


def grid_search(train_eval, space: dict[str, list], steps_per_trial: int,
                workers: int | None = None, seed: int = 0, log=None) -> SearchResult:  # fmt: skip
    """Train every configuration of :func:`grid` ``(space)`` for ``steps_per_trial``
    steps with the same ``seed``; ``log``: a function given one line per finished
    trial (e.g. ``print``). ``workers``: processes (default :func:`default_workers`).

    ``train_eval(config, steps, seed) -> float`` trains and returns a loss. With
    ``workers > 1`` it must be defined at the top level of a module (a .py file),
    because each worker process imports it by name; a lambda, a nested function
    or a notebook's function works with ``workers=1``.

    >>> def quadratic(config, steps, seed):  # a stand-in for training
    ...     return (config["x"] - 2) ** 2 + 1 / steps
    >>> result = grid_search(quadratic, {"x": [0, 1, 2, 3]}, steps_per_trial=10, workers=1)
    >>> result.best["config"], result.total_steps
    ({'x': 2}, 40)
    """
    jobs = [(c, steps_per_trial, seed) for c in grid(space)]
    return _search("grid", train_eval, jobs, workers, log)


def random_search(train_eval, space: dict, n: int, steps_per_trial: int, seed: int = 0,
                  workers: int | None = None, log=None) -> SearchResult:  # fmt: skip
    """Train ``n`` configurations of :func:`random_configs` ``(space, n, seed)`` for
    ``steps_per_trial`` steps each (training seed ``seed`` for every one)."""
    jobs = [(c, steps_per_trial, seed) for c in random_configs(space, n, seed)]
    return _search("random", train_eval, jobs, workers, log)


def successive_halving(train_eval, space: dict, n: int, min_steps: int, eta: int = 3,
                       seed: int = 0, workers: int | None = None,
                       log=None) -> SearchResult:  # fmt: skip
    """Successive halving over ``n`` configurations of :func:`random_configs`
    ``(space, n, seed)``: train them all for ``min_steps`` steps, keep
    :func:`successive_halving_round` of them, train those from scratch for ``eta``
    times the steps, and so on until one configuration has been trained (the rungs
    of :func:`halving_rungs`, which also says the steps it spends). A rung in which
    every trial failed ends the search early."""
    rungs = halving_rungs(n, min_steps, eta)
    total = sum(k for k, _ in rungs)
    configs = random_configs(space, n, seed)
    t0, spent = time.perf_counter(), []
    with _Trials(train_eval, workers, log, "halving") as trials:
        for rung, (_, steps) in enumerate(rungs):
            results = trials.run([(c, steps, seed) for c in configs], total, rung)
            spent += results
            if all(r["error"] is not None for r in results):
                break
            if rung + 1 < len(rungs):
                configs = successive_halving_round(configs, [r["score"] for r in results], eta)
    return SearchResult("halving", spent, time.perf_counter() - t0)


def rerun(train_eval, trial: dict, seeds: list[int], workers: int | None = None,
          log=None) -> SearchResult:  # fmt: skip
    """Train one trial's configuration again, for its steps, once per seed (is the
    winner's score more than its seed's luck?)."""
    jobs = [(trial["config"], trial["steps"], s) for s in seeds]
    return _search("rerun", train_eval, jobs, workers, log)


def compare(train_eval, grid_space: dict[str, list], space: dict, budget: int, n: int = 27,
            eta: int = 3, seed: int = 0, workers: int | None = None,
            strategies=("grid", "random", "halving"), log=None) -> list[SearchResult]:  # fmt: skip
    """Each strategy at the same ``budget`` of steps, sized by :func:`equal_budget`:
    the grid over ``grid_space``, random search and successive halving over ``space``
    (the same box, with distributions where the grid has a few values)."""
    plan = equal_budget(budget, len(grid(grid_space)), n, eta)
    common = {"seed": seed, "workers": workers, "log": log}
    run = {
        "grid": lambda kw: grid_search(train_eval, grid_space, **kw, **common),
        "random": lambda kw: random_search(train_eval, space, **kw, **common),
        "halving": lambda kw: successive_halving(train_eval, space, **kw, **common),
    }
    unknown = set(strategies) - set(run)
    if unknown:
        raise ValueError(f"unknown strategies {sorted(unknown)}; choose from {sorted(run)}")
    return [run[name]({k: v for k, v in plan[name].items() if k != "spent"})
            for name in strategies]  # fmt: skip


# ---------------------------------------------------------------- the real target

# The tour's GPT on names (2 layers, 4 heads, context 64, batch 32); the grid and
# the random space cover the same box.
GPT_GRID = {"lr": [1e-3, 3e-3, 1e-2], "n_embd": [32, 64, 96], "dropout": [0.0, 0.2]}
GPT_SPACE = {"lr": LogUniform(1e-3, 1e-2), "n_embd": [32, 64, 96], "dropout": Uniform(0.0, 0.2)}
GPT_DEFAULTS = {"lr": 3e-3, "n_embd": 64, "dropout": 0.0}


@functools.lru_cache(maxsize=1)
def _names():
    from .data.lm_corpus import CharCorpus

    return CharCorpus.load("names")


def gpt_trial(config: dict, steps: int, seed: int, split: str = "val") -> float:
    """Train the tour's names GPT (2 layers, 4 heads, context 64, batch 32, AdamW
    with warmup and cosine decay) with ``config``'s ``lr``, ``n_embd`` (the width,
    a multiple of 4) and ``dropout`` for ``steps`` steps from ``seed``; return its
    ``split`` loss in nats per character."""
    import minilm

    from .models.gpt import GPT, GPTConfig
    from .recipes.gpt import GPTTrainConfig, evaluate_gpt, train_gpt

    unknown = set(config) - set(GPT_DEFAULTS)
    if unknown:
        raise ValueError(f"gpt_trial: unknown config keys {sorted(unknown)}; it searches "
                         f"{sorted(GPT_DEFAULTS)}")  # fmt: skip
    c = {**GPT_DEFAULTS, **config}
    corpus = _names()
    minilm.manual_seed(seed)
    model = GPT(GPTConfig(vocab_size=corpus.vocab_size, block_size=64, n_layer=2, n_head=4,
                          n_embd=int(c["n_embd"]), dropout=float(c["dropout"])))  # fmt: skip
    train = GPTTrainConfig(steps=steps, batch_size=32, lr=float(c["lr"]),
                           warmup=min(50, steps // 10), seed=seed)  # fmt: skip
    history = train_gpt(model, corpus, train, progress=False)
    if history.interrupted:
        raise KeyboardInterrupt
    return corpus.nats_per_char(evaluate_gpt(model, corpus, split), split)


# ---------------------------------------------------------------- reporting


def format_config(config: dict) -> str:
    """``lr=0.00312, n_embd=64``: floats to 3 significant digits.

    >>> format_config({"lr": 0.0031234, "n_embd": 64})
    'lr=0.00312, n_embd=64'
    """
    show = lambda v: f"{v:.3g}" if isinstance(v, float) else str(v)
    return ", ".join(f"{k}={show(v)}" for k, v in config.items())


def format_table(results: list[SearchResult], score_name: str = "score",
                 reruns: dict | None = None) -> str:  # fmt: skip
    """A markdown table, one row per search: its best score and configuration, the
    steps that trial trained, the steps and wall-clock seconds the search spent.
    ``reruns``: strategy -> :class:`SearchResult` of :func:`rerun`, shown as mean
    +- standard deviation over its seeds."""
    head = f"| strategy | trials (failed) | best {score_name} | best config | its steps | "
    head += "steps spent | seconds |"
    if reruns:
        head += " rerun: mean +- sd (seeds) |"
    lines = [head, "|" + " --- |" * (head.count("|") - 1)]
    for r in results:
        best = r.best
        cells = [r.strategy, f"{len(r.trials)} ({len(r.failed)})",
                 "-" if best is None else f"{best['score']:.4f}",
                 "-" if best is None else format_config(best["config"]),
                 "-" if best is None else str(best["steps"]),
                 f"{r.total_steps:,}", f"{r.seconds:.0f}"]  # fmt: skip
        if reruns:
            again = reruns.get(r.strategy)
            scores = [t["score"] for t in again.trials if t["error"] is None] if again else []
            sd = float(np.std(scores, ddof=1)) if len(scores) > 1 else math.nan
            cells.append(f"{np.mean(scores):.4f} +- {sd:.4f} ({len(scores)})" if scores else "-")
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def plot_search(results: list[SearchResult], path=None, score_name: str = "score"):
    """Two panels: every trial's score against the steps it trained (successive
    halving's rungs stand in columns), and each search's best score so far against
    the steps it had spent. Saves to ``path`` when given; returns the Figure."""
    from .plot import pyplot

    plt = pyplot()
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.2))
    for i, (r, marker) in enumerate(zip(results, itertools.cycle("os^Dv"))):
        ok = [t for t in r.trials if t["error"] is None and math.isfinite(t["score"])]
        left.scatter([t["steps"] for t in ok], [t["score"] for t in ok], marker=marker,
                     color=f"C{i}", alpha=0.7, label=r.strategy)  # fmt: skip
        spent, best, xs, ys = 0, math.inf, [], []
        for t in r.trials:
            spent += t["steps"]
            if t["error"] is None and math.isfinite(t["score"]):
                best = min(best, t["score"])
            if math.isfinite(best):
                xs.append(spent)
                ys.append(best)
        right.step(xs, ys, where="post", color=f"C{i}", label=f"{r.strategy} (best {best:.4f})")
    left.set_xscale("log")
    left.set_xlabel("steps the trial trained")
    left.set_ylabel(score_name)
    left.set_title("every trial")
    right.set_xlabel("steps spent by the search")
    right.set_ylabel(f"best {score_name} so far")
    right.set_title("best so far, at equal budget")
    for ax in (left, right):
        ax.grid(alpha=0.3)
        ax.legend()
    fig.tight_layout()
    if path is not None:
        fig.savefig(path, dpi=120)
    return fig


# ---------------------------------------------------------------- command line


def main(argv=None) -> int:
    import argparse
    import json

    from . import argtypes

    raw = argparse.RawDescriptionHelpFormatter
    parser = argparse.ArgumentParser(prog="python -m minilm.search", description=__doc__,
                                     formatter_class=raw)  # fmt: skip
    parser.add_argument("--budget", type=argtypes.positive_int, default=5400,
                        help="training steps each strategy spends (default 5400: the grid's "
                        "18 trials at 300 steps each)")  # fmt: skip
    parser.add_argument(
        "--workers",
        type=argtypes.positive_int,
        default=default_workers(),
        help="trials at once, one process each (default min(2, cores))",
    )
    parser.add_argument("--seed", type=argtypes.seed, default=0,
                        help="draws the random configurations and seeds every trial")  # fmt: skip
    parser.add_argument(
        "--n",
        type=argtypes.positive_int,
        default=27,
        help="configurations successive halving starts from (default 27)",
    )
    parser.add_argument("--eta", type=argtypes.int_between(2, 100), default=3,
                        help="successive halving keeps 1/eta a rung and gives them eta times "
                        "the steps (default 3)")  # fmt: skip
    parser.add_argument("--strategies", type=argtypes.comma_list(["grid", "random", "halving"]),
                        default=["grid", "random", "halving"])  # fmt: skip
    parser.add_argument("--confirm", type=argtypes.nonnegative_int, default=0, metavar="K",
                        help="retrain each strategy's best with K fresh seeds, scored on the "
                        "test split (default 0: skip)")  # fmt: skip
    parser.add_argument("--plot", type=argtypes.output_file, default=None,
                        help="write the plot (PNG) here")  # fmt: skip
    parser.add_argument("--out", type=argtypes.output_file, default=None,
                        help="write every trial as JSON here")  # fmt: skip
    args = parser.parse_args(argv)
    try:
        plan = equal_budget(args.budget, len(grid(GPT_GRID)), args.n, args.eta)
    except ValueError as e:
        parser.error(str(e))
    log = functools.partial(print, flush=True)
    log(f"budget {args.budget:,} steps per strategy, {args.workers} process(es): "
        + "; ".join(f"{k} {v}" for k, v in plan.items() if k in args.strategies))  # fmt: skip
    results, reruns, seeds = [], {}, [args.seed + 1 + i for i in range(args.confirm)]
    try:
        results = compare(gpt_trial, GPT_GRID, GPT_SPACE, args.budget, args.n, args.eta,
                          args.seed, args.workers, args.strategies, log)  # fmt: skip
        test = functools.partial(gpt_trial, split="test")
        for r in results if seeds else []:
            if r.best is not None:
                reruns[r.strategy] = rerun(test, r.best, seeds, args.workers, log)
    except KeyboardInterrupt:
        print("\ninterrupted: the worker processes were stopped", file=sys.stderr)
        return 130
    table = format_table(results, "val nats/char", reruns)
    print("\n" + table)
    if reruns:
        print(f"\nrerun: the best config retrained with seeds {seeds}, test nats/char")
    if args.plot:
        plot_search(results, args.plot, "val nats/char")
        print(f"wrote {args.plot}")
    if args.out:
        with open(args.out, "w") as f:
            json.dump({"plan": plan, "results": [r.to_dict() for r in results],
                       "reruns": {k: v.to_dict() for k, v in reruns.items()}},
                      f, indent=1)  # fmt: skip
        print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    # run the module's own copy, so that gpt_trial pickles as minilm.search.gpt_trial
    # (the worker processes import that), not as __main__.gpt_trial
    from minilm.search import main as _main

    sys.exit(_main())
