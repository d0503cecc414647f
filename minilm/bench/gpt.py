"""``python -m minilm.bench gpt``: train the char GPT for a fixed number of steps.

Reports ms per training step (forward, loss, backward, AdamW update), tokens per
second and achieved FLOP/s on tinyshakespeare batches. When PyTorch is installed,
the same architecture (``minilm/bench/torch_gpt.py``), batch, dtype and optimizer
run in PyTorch eager from the same weights on the same batches, and the ratio
minilm / PyTorch is printed.

**How it times, and why.** On the CPU each side runs alone in its own fresh
process (``python -m minilm.bench gpt --worker minilm|torch|torch-math``), never
two in one process: NumPy's BLAS (OpenBLAS, with its own pool of threads) and
PyTorch's (MKL under OpenMP, with another) slow each other down when they share
a process and its cores, PyTorch most. On a 2-core machine the small config,
timed step by step in one process, read 0.90x (PyTorch 157 ms a step); each
side alone, minutes later, 1.31-1.37x (PyTorch 100 ms). The parent starts the
workers one at a time, alternating the sides (minilm, pytorch, minilm, pytorch,
... for ``--repeats`` runs each, default 3), so that a change in the machine's
load falls on both; each worker times ``--warmup`` then ``--steps`` steps and
prints its step times as one JSON line on stdout. Per side the bench reports
the median over the runs of each run's median step, and the ratio of those
medians. Every worker builds ``GPT(config)`` from the same seed (the PyTorch
worker copies that model's initial weights into its twin) and draws the same
batches; the first step's losses are printed side by side as the check.

Each worker's environment is the parent's with ``OPENBLAS_CORETYPE`` and
``OPENBLAS_L2_SIZE`` removed (some machines set them, and they slow NumPy's
BLAS down), ``OPENBLAS_NUM_THREADS``, ``OMP_NUM_THREADS`` and ``MKL_NUM_THREADS``
set to the thread count (``--threads``; default: the one those variables give,
else the CPUs this process may run on) and ``PYTHONPATH`` starting with the
directory this ``minilm`` was imported from, so the workers run the same code;
the PyTorch worker also calls ``torch.set_num_threads`` with it. Both sides get
the same number of threads.

What it prints: on stderr, each run's median and step times as it ends; then
the table (per side: ms/step, tokens/s and GFLOP/s of the median, and each
run's median), the ratios, the model FLOPs per step by part, the thread pools
each side's worker had loaded (from ``threadpoolctl.threadpool_info()`` when
threadpoolctl is installed: library, version, threading layer, core type,
threads; for PyTorch also its own BLAS, MKL, linked into torch where
threadpoolctl cannot see it), the first step's losses, the ``minilm`` the
workers imported, the variables removed from and set in their environment, and
the load average as each run started. A shared machine's load moves these
numbers a lot (its other work takes cores from the BLAS threads): read the load
line, and the spread of the runs, before the ratio.

On the GPU the sides run in this one process, interleaved step by step with a
device synchronization around every step (the GPU does the work; there is no
CPU thread pool to fight over), and the median step is kept; ``--repeats`` does
not apply there.

The FLOPs are those of the model's matrix products in one training step,
counted exactly for ``minilm/models/gpt.py``'s architecture (see
:func:`flops_per_step`): a product of (m, k) by (k, n) costs 2mkn in the forward
pass and twice that in the backward (a gradient for each operand). Layer norms,
softmax, GELU, the loss and AdamW are not matrix products and are left out.

Configurations: ``small`` (4 layers, 4 heads, width 128, context 64, batch 32;
for the CPU) and ``standard`` (6 layers, 6 heads, width 384, context 256,
batch 64; the GPU char-GPT). Options: ``--config``, ``--steps``, ``--warmup``,
``--device``, ``--repeats``, ``--threads``, ``--no-torch``, ``--torch-math``
(also time PyTorch with its unfused attention, the algorithm minilm runs),
``--profile`` (cProfile of the minilm steps, in this process).
"""

from __future__ import annotations

import argparse
import functools
import importlib.util
import json
import os
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

import minilm

from .. import argtypes, backend, manual_seed, optim, tensor
from .. import functional as F
from ..backend import np
from ..data import lm_batch, load_split
from ..models.gpt import GPT, GPTConfig
from ..recipes.gpt import SETUPS
from ..text import CharTokenizer

# the sides, in the order they run, and their names in the table
LABELS = {"minilm": "minilm", "torch": "pytorch", "torch-math": "pt-math"}
# environment variables removed from a worker's environment: they slow NumPy's OpenBLAS
SCRUBBED = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")
THREAD_VARS = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


@functools.lru_cache(maxsize=1)
def _train_ids():
    text = load_split("tinyshakespeare", "train")
    return np.array(CharTokenizer.from_text(text).encode(text))


def batches(cfg: GPTConfig, batch_size: int, n: int, seed: int = 0):
    """``n`` (x, y) batches of tinyshakespeare training windows, as NumPy arrays."""
    ids = _train_ids()
    gen = np.random.default_rng(seed)
    return [tuple(t.numpy() for t in lm_batch(ids, batch_size, cfg.block_size, rng=gen))
            for _ in range(n)]  # fmt: skip


def minilm_step_fn(model, device):
    """One training step of the minilm model on a NumPy batch; returns the loss."""
    opt = optim.AdamW(model.parameters(), lr=3e-4)

    def step(x, y):
        logits = model(tensor(x, device=device))
        loss = F.cross_entropy(logits, tensor(y, device=device))
        loss.backward()
        opt.step()
        opt.zero_grad()
        return loss.data  # stays on the device: no sync inside the step

    return step


def torch_step_fn(model, device, math_attention: bool = False, threads: int | None = None):
    """The PyTorch twin's step. ``math_attention`` pins ``scaled_dot_product_attention``
    to its unfused MATH backend (the same algorithm as minilm's) instead of letting
    PyTorch pick a fused kernel. On the CPU, ``threads`` (default: the BLAS thread
    count the environment gives NumPy, if any) is passed to ``torch.set_num_threads``."""
    import contextlib

    import torch

    from .torch_gpt import copy_weights, torch_gpt

    threads = _blas_threads() if threads is None else threads
    if threads is not None and device == "cpu":  # the same number of threads as NumPy's BLAS
        torch.set_num_threads(threads)
    ref = torch_gpt(model.config).to(device)
    copy_weights(model, ref)
    opt = torch.optim.AdamW(ref.parameters(), lr=3e-4)
    dev = "cuda" if device == "cuda" else "cpu"

    def attention_backend():
        if not math_attention:
            return contextlib.nullcontext()
        from torch.nn.attention import SDPBackend, sdpa_kernel

        return sdpa_kernel(SDPBackend.MATH)

    def step(x, y):
        with attention_backend():
            logits = ref(torch.from_numpy(x).to(dev))
            loss = torch.nn.functional.cross_entropy(
                logits.reshape(-1, logits.shape[-1]), torch.from_numpy(y).to(dev).reshape(-1)
            )
            loss.backward()
        opt.step()
        opt.zero_grad(set_to_none=True)
        return loss

    return step, ref


def _sync(device):
    if device == "cuda":  # pragma: no cover - GPU only
        backend.cp.cuda.Device().synchronize()
        import torch

        if torch.cuda.is_available():
            torch.cuda.synchronize()


def _timed(step, batch, device) -> float:
    _sync(device)
    t0 = time.perf_counter()
    step(*batch)
    _sync(device)
    return time.perf_counter() - t0


# ---- what is counted ----


def flops_per_step(cfg: GPTConfig, batch_size: int) -> dict:
    """The matrix-product FLOPs of one training step of ``GPT(cfg)`` on a batch of
    ``batch_size`` windows of ``cfg.block_size`` tokens: forward + backward, by part.

    With B the batch, T the context, C the width, L the layers, V the vocabulary
    and N = B T tokens, the forward pass multiplies, per block, (N, C) by the qkv
    projection (C, 3C), the output projection (C, C), the MLP's (C, 4C) and
    (4C, C): 2 N (3 + 1 + 4 + 4) C^2 = 24 N C^2; and per head (T, C/H) q by
    (C/H, T) k^T and (T, T) weights by (T, C/H) v: 2 x 2 B T^2 C over the heads.
    The LM head multiplies (N, C) by the tied embedding's transpose (C, V): 2 N C V.
    Every operand of every product needs a gradient, so the backward pass costs
    twice the forward: the step is 3x the forward, 72 N C^2 + 12 B T^2 C per
    block and 6 N C V for the head (the linear part is the usual 6 x parameters x
    tokens, for the 12 C^2 weights of a block). The attention scores are counted
    over the full T x T square, as the unfused algorithm computes them (a fused
    causal kernel may skip about half of those). Biases, layer norms, softmax,
    GELU, the loss and the optimizer are not matrix products and are not counted.

    >>> f = flops_per_step(GPTConfig(vocab_size=65, block_size=64, n_layer=4, n_head=4,
    ...                              n_embd=128), 32)
    >>> f["total"] == f["linear"] + f["attention"] + f["head"], round(f["total"] / 1e9, 2)
    (True, 10.57)
    """
    B, T, C, L, V = batch_size, cfg.block_size, cfg.n_embd, cfg.n_layer, cfg.vocab_size
    N = B * T
    forward = {
        "linear": L * 2 * N * (3 * C * C + C * C + 4 * C * C + 4 * C * C),
        "attention": L * 2 * (2 * B * T * T * C),  # q @ k^T and weights @ v, all heads
        "head": 2 * N * C * V,  # the tied embedding or the lm_head alike
    }
    out = {part: 3 * f for part, f in forward.items()}  # forward + backward (2x forward)
    out["total"] = sum(out.values())
    return out


# ---- the runner: alternated workers in fresh processes (CPU) ----


def alternation(sides, repeats: int) -> list[str]:
    """The order the runs go in: each side once, ``repeats`` times over.

    >>> alternation(["minilm", "torch"], 3)
    ['minilm', 'torch', 'minilm', 'torch', 'minilm', 'torch']
    """
    return [side for _ in range(repeats) for side in sides]


def median_of_medians(runs) -> float:
    """The median over runs of each run's median (``runs``: a list of lists of times).

    >>> median_of_medians([[1, 2, 9], [4, 5, 6], [3, 3, 100]])
    3
    """
    return statistics.median(statistics.median(r) for r in runs)


def default_threads() -> int:
    """The thread count both sides get: the one the environment gives NumPy's BLAS,
    else the number of CPUs this process may run on."""
    env = _blas_threads()
    if env is not None:
        return env
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


def _package_root() -> str:
    """The directory this ``minilm`` was imported from (the one above the package)."""
    return str(Path(__file__).resolve().parents[2])


def worker_env(threads: int, environ=None) -> dict:
    """A worker's environment: ``environ`` (default ``os.environ``) without
    :data:`SCRUBBED`, with every thread variable set to ``threads`` and this
    ``minilm``'s directory first on ``PYTHONPATH``."""
    env = dict(os.environ if environ is None else environ)
    for var in SCRUBBED:
        env.pop(var, None)
    env.update(dict.fromkeys(THREAD_VARS, str(threads)))
    path = env.get("PYTHONPATH")
    env["PYTHONPATH"] = _package_root() + (os.pathsep + path if path else "")
    return env


def worker_command(side: str, spec: dict) -> list[str]:
    """The command line of one worker."""
    return [sys.executable, "-m", "minilm.bench", "gpt", "--worker", side,
            "--spec", json.dumps(spec)]  # fmt: skip


def spawn(side: str, spec: dict, env: dict) -> dict:
    """Run one worker in a fresh process and return what it printed (its last
    stdout line, JSON). Its stderr is passed on; a failed worker raises."""
    proc = subprocess.run(worker_command(side, spec), env=env, capture_output=True, text=True)
    if proc.stderr:
        sys.stderr.write(proc.stderr)
    lines = [line for line in proc.stdout.splitlines() if line.strip()]
    if proc.returncode != 0 or not lines:
        raise RuntimeError(
            f"bench gpt: the {side} worker failed (exit {proc.returncode}):\n" + proc.stderr[-3000:]
        )
    return json.loads(lines[-1])


def run_workers(spec: dict, sides, repeats: int, launch=None) -> dict:
    """Run ``repeats`` workers per side, alternated (:func:`alternation`), each in a
    fresh process; returns ``{side: [worker result, ...]}`` in the order they ran,
    and says each run's median on stderr as it ends. ``launch(side, spec, env)``
    starts one (default :func:`spawn`)."""
    launch = spawn if launch is None else launch
    env = worker_env(spec["threads"])
    results = {side: [] for side in sides}
    order = alternation(sides, repeats)
    for i, side in enumerate(order, 1):
        results[side].append(out := launch(side, spec, env))
        if "median_s" in out:  # progress on stderr, so a run cut short still tells something
            print(f"bench gpt: run {i}/{len(order)}, {LABELS[side]}: "
                  f"{1000 * out['median_s']:.1f} ms/step (median of {len(out['times_s'])}; "
                  f"each {' '.join(f'{1000 * t:.0f}' for t in out['times_s'])})",
                  file=sys.stderr, flush=True)  # fmt: skip
    return results


def _blas_info() -> list[dict] | str:
    """The thread pools this process has loaded (BLAS and OpenMP), as threadpoolctl sees them."""
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return "threadpoolctl not installed"
    keys = ("user_api", "internal_api", "version", "threading_layer", "architecture",
            "num_threads", "filepath")  # fmt: skip
    return [{k: pool.get(k) for k in keys} for pool in threadpool_info()]


def _torch_info(torch) -> dict:
    """PyTorch's own BLAS and threads (MKL is linked into torch: threadpoolctl misses it)."""
    config = torch.__config__.show()
    blas = next((line.split("BLAS_INFO=")[1].split(",")[0] for line in config.split("\n")
                 if "BLAS_INFO=" in line), None)  # fmt: skip
    parallel = torch.__config__.parallel_info().splitlines()
    mkl = next((line.strip() for line in parallel if "Math Kernel Library" in line), None)
    layer = next((line.split(":", 1)[1].strip() for line in parallel
                  if line.startswith("ATen parallel backend")), None)  # fmt: skip
    return {"version": torch.__version__, "blas": blas, "mkl": mkl, "parallel_backend": layer,
            "threads": torch.get_num_threads()}  # fmt: skip


def run_worker(side: str, spec: dict) -> dict:
    """One worker's work (in its own process): build the model from the seed, time
    ``spec["warmup"]`` + ``spec["steps"]`` steps of ``side``, return the times."""
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else None
    cfg = GPTConfig(**spec["model"])
    device = spec.get("device", "cpu")
    data = batches(cfg, spec["batch_size"], spec["warmup"] + spec["steps"], spec["seed"])
    manual_seed(spec["seed"])
    model = GPT(cfg).to(device)
    out = {"side": side, "pid": os.getpid(), "minilm_file": minilm.__file__,
           "numpy_version": np.__version__, "load_1min": load,
           "env": {v: os.environ.get(v) for v in SCRUBBED + THREAD_VARS}}  # fmt: skip
    if side == "minilm":
        step = minilm_step_fn(model, device)
    elif side in ("torch", "torch-math"):
        import torch

        step, _ = torch_step_fn(model, device, side == "torch-math", spec["threads"])
        out["torch"] = _torch_info(torch)
    else:
        raise ValueError(f"unknown side {side!r}: use one of {sorted(LABELS)}")
    times, losses = [], []
    for i, batch in enumerate(data):
        _sync(device)
        t0 = time.perf_counter()
        loss = step(*batch)
        _sync(device)
        t = time.perf_counter() - t0
        losses.append(float(loss.item()))  # after the clock: not part of the step
        if i >= spec["warmup"]:
            times.append(t)
    out.update(times_s=times, median_s=statistics.median(times), losses=losses,
               blas=_blas_info())  # fmt: skip
    return out


# ---- the two ways to run ----


def _sides(use_torch: bool, torch_math: bool) -> list[str]:
    if use_torch and importlib.util.find_spec("torch") is None:
        use_torch = False
    extra = (["torch"] + (["torch-math"] if torch_math else [])) if use_torch else []
    return ["minilm"] + extra


def _in_process(cfg, bc, device, sides, steps, warmup, seed) -> dict:
    """The sides in this process, interleaved step by step (the GPU's way)."""
    data = batches(cfg, bc.batch_size, warmup + steps, seed)
    manual_seed(seed)
    model = GPT(cfg).to(device)
    fns = {"minilm": minilm_step_fn(model, device)}
    info = {"minilm": {}}
    for side in sides[1:]:
        import torch

        fns[side], _ = torch_step_fn(model, device, side == "torch-math")
        info[side] = {"torch": _torch_info(torch)}
    times = {side: [] for side in sides}
    for i, batch in enumerate(data):
        for side in sides:
            t = _timed(fns[side], batch, device)
            if i >= warmup:
                times[side].append(t)
    blas = _blas_info()
    one_run = lambda side: {**info[side], "times_s": times[side], "blas": blas,
                            "median_s": statistics.median(times[side])}  # fmt: skip
    return {side: [one_run(side)] for side in sides}


def run(config: str = "small", steps: int = 20, warmup: int = 3, device: str | None = None,
        use_torch: bool = True, seed: int = 0, torch_math: bool = False, repeats: int = 3,
        threads: int | None = None, launch=None,
        processes: bool | None = None) -> dict:  # fmt: skip
    """Time ``steps`` training steps (after ``warmup``) per run; returns the
    measurements. With ``processes`` (the default on the CPU), ``repeats`` runs per
    side, each in a fresh process with ``threads`` threads (:func:`run_workers`;
    ``launch`` as there); without (the default on the GPU), one run in this
    process, the sides interleaved step by step. ``torch_math`` also times PyTorch
    with unfused (MATH) attention."""
    bc = SETUPS[config]
    device = backend.check_device(device or bc.device)
    cfg = GPTConfig(**{**bc.model.to_dict(), "vocab_size": 65})
    sides = _sides(use_torch, torch_math)
    if device == "cpu" if processes is None else processes:
        threads = default_threads() if threads is None else threads
        spec = {"config": config, "model": cfg.to_dict(), "batch_size": bc.batch_size,
                "steps": steps, "warmup": warmup, "seed": seed, "threads": threads,
                "device": "cpu"}  # fmt: skip
        runs = run_workers(spec, sides, repeats, launch)
        mode = "processes"
    else:
        runs = _in_process(cfg, bc, device, sides, steps, warmup, seed)
        threads, repeats, mode = _blas_threads() or "default", 1, "in-process"
    tokens = bc.batch_size * cfg.block_size
    flops = flops_per_step(cfg, bc.batch_size)
    result = {
        "config": config, "device": device, "params": cfg.num_parameters(),
        "batch": bc.batch_size, "context": cfg.block_size, "steps": steps, "warmup": warmup,
        "repeats": repeats, "mode": mode, "threads": threads, "tokens": tokens,
        "flops": flops, "order": alternation(sides, repeats) if mode == "processes" else sides,
        "scrubbed": {v: os.environ[v] for v in SCRUBBED if v in os.environ},
        "sides": {},
    }  # fmt: skip
    for side in sides:
        median = median_of_medians([r["times_s"] for r in runs[side]])
        result["sides"][side] = {
            "label": LABELS[side], "median_s": median,
            "runs_ms": [1000 * r["median_s"] for r in runs[side]],
            "ms": 1000 * median, "tok_s": tokens / median, "flop_s": flops["total"] / median,
            "workers": runs[side],
        }  # fmt: skip
    result["minilm_file"] = minilm.__file__
    result["worker_files"] = sorted({w["minilm_file"] for s in result["sides"].values()
                                     for w in s["workers"] if "minilm_file" in w})  # fmt: skip
    ours = result["sides"]["minilm"]
    result.update(minilm_ms=ours["ms"], minilm_tok_s=ours["tok_s"])
    for side, key in (("torch", "ratio"), ("torch-math", "ratio_math")):
        if side in result["sides"]:
            result[key] = ours["median_s"] / result["sides"][side]["median_s"]
    return result


def _blas_threads():
    """The thread count NumPy's BLAS was told to use by the environment, if any.
    (It can only be set before NumPy loads: ``OPENBLAS_NUM_THREADS=1 python -m ...``.)"""
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        if os.environ.get(var):
            return int(os.environ[var])
    return None


# ---- the report ----


def _where(filepath) -> str:
    """A loaded library's folder, short: ``numpy.libs``, ``torch/lib``."""
    if not filepath:
        return "?"
    parts = Path(filepath).parent.parts
    if "site-packages" in parts:
        return "/".join(parts[parts.index("site-packages") + 1 :]) or "site-packages"
    return str(Path(filepath).parent)


def _describe_pools(blas) -> str:
    """threadpoolctl's view of one worker, in a line: per pool, the library and
    version (its folder; threading layer, core type, threads)."""
    if isinstance(blas, str):
        return blas
    if not blas:
        return "threadpoolctl sees no BLAS or OpenMP library"
    parts = []
    for p in blas:
        details = [_where(p.get("filepath"))]
        details += [str(p[k]) for k in ("threading_layer", "architecture") if p.get(k)]
        details.append(f"{p.get('num_threads')} threads")
        name = " ".join(str(x) for x in (p.get("internal_api"), p.get("version")) if x)
        parts.append(f"{name} ({', '.join(details)})")
    return "; ".join(parts)


def _describe_torch(t: dict) -> str:
    mkl = re.search(r"Version ([0-9.]+)", t["mkl"] or "")
    blas = f"{t['blas']} {mkl.group(1)}" if mkl else str(t["blas"])
    return (f"torch {t['version']}: BLAS {blas} (inside torch), {t['parallel_backend']} "
            f"backend, {t['threads']} threads")  # fmt: skip


def format_result(r: dict) -> str:
    sides = r["sides"]
    flops = r["flops"]
    if r["mode"] == "processes":
        how = (
            f"each side alone in a fresh process, {r['threads']} threads each; "
            f"{r['repeats']} run{'s' if r['repeats'] != 1 else ''} per side, alternated; "
            f"per run the median of "
            f"{r['steps']} steps after {r['warmup']} warm-up, then the median of the runs"
        )
    else:
        how = (f"in one process, sides interleaved step by step (synchronized); median of "
               f"{r['steps']} steps after {r['warmup']} warm-up")  # fmt: skip
    lines = [
        f"GPT {r['config']} on {r['device']}: {r['params']:,} parameters, batch {r['batch']} x "
        f"context {r['context']}, float32, AdamW; {how}",
        f"{'':10}{'ms/step':>10}{'tokens/s':>12}{'GFLOP/s':>10}   each run's ms/step",
    ]
    for s in sides.values():
        runs = " ".join(f"{ms:.1f}" for ms in s["runs_ms"])
        lines.append(f"{s['label']:10}{s['ms']:10.1f}{s['tok_s']:12,.0f}"
                     f"{s['flop_s'] / 1e9:10.1f}   {runs}")  # fmt: skip
    torch_side = next((sides[k] for k in ("torch", "torch-math") if k in sides), None)
    if "ratio" in r:
        t = torch_side["workers"][0]["torch"]
        lines.append(f"ratio minilm / pytorch eager = {r['ratio']:.2f} (torch {t['version']}, "
                     f"{t['threads']} threads; NumPy BLAS threads: {r['threads']})")  # fmt: skip
    if "ratio_math" in r:
        lines.append(f"ratio minilm / pytorch eager with unfused (MATH) attention = "
                     f"{r['ratio_math']:.2f}")  # fmt: skip
    if "ratio" not in r:
        lines.append("(PyTorch not installed or --no-torch: no ratio)")
    lines.append(
        f"model FLOPs per step (matrix products, forward + backward): "
        f"{flops['total'] / 1e9:.2f} GFLOP = {flops['linear'] / 1e9:.2f} linear layers + "
        f"{flops['attention'] / 1e9:.2f} attention (q k^T, weights v) + "
        f"{flops['head'] / 1e9:.2f} LM head"
    )
    for s in sides.values():
        w = s["workers"][0]
        lines.append(f"BLAS, {s['label']}: {_describe_pools(w['blas'])}"
                     + (f"; {_describe_torch(w['torch'])}" if "torch" in w else ""))  # fmt: skip
    if r["mode"] == "processes":
        losses = ", ".join(f"{s['label']} {s['workers'][0]['losses'][0]:.5f}"
                           for s in sides.values())  # fmt: skip
        lines.append(f"first step's loss (same weights, same batch): {losses}")
        scrubbed = ", ".join(f"{k}={v}" for k, v in r["scrubbed"].items())
        scrubbed = f"removed {scrubbed}" if scrubbed else f"no {' or '.join(SCRUBBED)} to remove"
        theirs = r["worker_files"]
        if theirs == [r["minilm_file"]]:
            lines.append(f"minilm imported from {Path(r['minilm_file']).parent} (here and in "
                         "every worker)")  # fmt: skip
        elif theirs:  # (test doubles name no file)
            lines.append(f"WARNING: the workers imported minilm from {', '.join(theirs)}, "
                         f"this process from {r['minilm_file']}")  # fmt: skip
        lines.append(f"workers' environment: {scrubbed}; "
                     f"{'='.join(THREAD_VARS)}={r['threads']}")  # fmt: skip
        loads = " ".join(f"{w['load_1min']:.2f}" for w in _in_run_order(r) if w["load_1min"]
                         is not None)  # fmt: skip
        if loads:
            lines.append(f"load average (1 min) as each run started, in run order: {loads}")
    return "\n".join(lines)


def _in_run_order(r: dict) -> list[dict]:
    """The worker results in the order the runs went (``r["order"]``)."""
    seen = {side: 0 for side in r["sides"]}
    out = []
    for side in r["order"]:
        out.append(r["sides"][side]["workers"][seen[side]])
        seen[side] += 1
    return out


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m minilm.bench gpt", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)  # fmt: skip
    p.add_argument("--config", choices=sorted(SETUPS), default="small")
    p.add_argument("--steps", type=argtypes.positive_int, default=20)
    p.add_argument("--warmup", type=argtypes.nonnegative_int, default=3)
    p.add_argument("--device", default=None, type=argtypes.device,
                   help="cpu or cuda (default: the config's)")  # fmt: skip
    p.add_argument(
        "--repeats",
        type=argtypes.positive_int,
        default=3,
        help="CPU: runs per side, each in a fresh process, alternated (default 3)",
    )
    p.add_argument("--threads", type=argtypes.positive_int, default=None,
                   help="CPU: threads for both sides (default: OPENBLAS_NUM_THREADS / "
                        "OMP_NUM_THREADS / MKL_NUM_THREADS, else the usable CPUs)")  # fmt: skip
    p.add_argument("--no-torch", action="store_true", help="time minilm only")
    p.add_argument("--torch-math", action="store_true",
                   help="also time PyTorch with its unfused (MATH) attention backend")  # fmt: skip
    p.add_argument("--profile", action="store_true", help="cProfile the minilm steps")
    p.add_argument("--worker", choices=sorted(LABELS), help=argparse.SUPPRESS)
    p.add_argument("--spec", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.worker:
        print(json.dumps(run_worker(args.worker, json.loads(args.spec))), flush=True)
        return 0
    if args.profile:
        return _profile(args)
    print(format_result(run(args.config, args.steps, args.warmup, args.device,
                            not args.no_torch, torch_math=args.torch_math,
                            repeats=args.repeats, threads=args.threads)))  # fmt: skip
    return 0


def _profile(args) -> int:
    """cProfile of the minilm steps; on a GPU with PyTorch installed, first the
    GPU kernels by total time (PyTorch's profiler reads CUPTI, which sees every
    kernel on the device, CuPy's included)."""
    import cProfile
    import pstats

    bc = SETUPS[args.config]
    device = backend.check_device(args.device or bc.device)
    cfg = GPTConfig(**{**bc.model.to_dict(), "vocab_size": 65})
    data = batches(cfg, bc.batch_size, args.warmup + 2 * args.steps)
    manual_seed(0)
    step = minilm_step_fn(GPT(cfg).to(device), device)
    for b in data[: args.warmup]:
        step(*b)
    timed, profiled = data[args.warmup : args.warmup + args.steps], data[args.warmup + args.steps :]
    _sync(device)
    t0 = time.perf_counter()
    for b in timed:
        step(*b)
    _sync(device)
    print(f"minilm: {1000 * (time.perf_counter() - t0) / len(timed):.1f} ms/step")
    if device == "cuda":  # pragma: no cover - GPU only
        try:
            from torch.profiler import ProfilerActivity, profile
        except ImportError:
            print("(PyTorch is not installed: no GPU kernel table)")
        else:
            with profile(activities=[ProfilerActivity.CUDA]) as prof:
                for b in profiled:
                    step(*b)
                _sync(device)
            table = prof.key_averages()
            busy = sum(e.device_time_total for e in table) / 1000 / len(profiled)
            print(f"GPU busy {busy:.1f} ms/step; kernels by total time over {len(profiled)} steps:")
            print(table.table(sort_by="device_time_total", row_limit=25,
                              max_name_column_width=60))  # fmt: skip
    prof = cProfile.Profile()
    prof.enable()
    for b in profiled:
        step(*b)
    _sync(device)
    prof.disable()
    pstats.Stats(prof).sort_stats("tottime").print_stats(25)
    return 0


if __name__ == "__main__":
    sys.exit(main())
