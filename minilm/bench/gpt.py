"""``python -m minilm.bench gpt``: train the char GPT for a fixed number of steps.

Reports ms per training step (forward, loss, backward, AdamW update) and
tokens per second on tinyshakespeare batches. When PyTorch is installed, the
same architecture (``minilm/bench/torch_gpt.py``), batch, dtype and optimizer
run in PyTorch eager in this process, starting from the same weights on the
same batches, and the ratio minilm / PyTorch is printed. The two are timed
interleaved, step by step, and the median step is kept, since shared machines
are noisy.

Configurations: ``small`` (4 layers, 4 heads, width 128, context 64, batch 32;
for the CPU) and ``standard`` (6 layers, 6 heads, width 384, context 256,
batch 64; the GPU char-GPT). Options: ``--config``, ``--steps``, ``--warmup``,
``--device``, ``--no-torch``, ``--torch-math`` (also time PyTorch with its unfused
attention, the algorithm minilm runs), ``--profile`` (cProfile of the minilm steps).
"""

from __future__ import annotations

import argparse
import functools
import statistics
import time

from .. import argtypes, backend, optim
from .. import functional as F
from ..backend import np
from ..data import lm_batch, load_split
from ..models.gpt import GPT, GPTConfig
from ..recipes.gpt import SETUPS
from ..tensor import Tensor, manual_seed
from ..text import CharTokenizer


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
    xp = backend.xp_for(device)

    def step(x, y):
        logits = model(Tensor._wrap(xp.asarray(x)))
        loss = F.cross_entropy(logits, Tensor._wrap(xp.asarray(y)))
        loss.backward()
        opt.step()
        opt.zero_grad()
        return loss.data  # stays on the device: no sync inside the step

    return step


def torch_step_fn(model, device, math_attention: bool = False):
    """The PyTorch twin's step. ``math_attention`` pins ``scaled_dot_product_attention``
    to its unfused MATH backend (the same algorithm as minilm's) instead of letting
    PyTorch pick a fused kernel."""
    import contextlib

    import torch

    from .torch_gpt import copy_weights, torch_gpt

    threads = _blas_threads()
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


def run(config: str = "small", steps: int = 20, warmup: int = 3, device: str | None = None,
        use_torch: bool = True, seed: int = 0, torch_math: bool = False) -> dict:  # fmt: skip
    """Time ``steps`` training steps (after ``warmup``); returns the measurements.
    ``torch_math`` also times PyTorch with unfused (MATH) attention."""
    bc = SETUPS[config]
    device = backend.check_device(device or bc.device)
    cfg = bc.model
    data = batches(cfg, bc.batch_size, warmup + steps, seed)
    cfg = GPTConfig(**{**cfg.to_dict(), "vocab_size": 65})
    manual_seed(seed)
    model = GPT(cfg).to(device)
    ours = minilm_step_fn(model, device)
    theirs, theirs_math = None, None
    if use_torch:
        try:
            import torch
        except ImportError:
            use_torch = False
        else:
            theirs, _ = torch_step_fn(model, device)
            if torch_math:
                theirs_math, _ = torch_step_fn(model, device, math_attention=True)
    t_ours, t_theirs, t_math = [], [], []
    for i, batch in enumerate(data):
        a = _timed(ours, batch, device)
        b = _timed(theirs, batch, device) if theirs else None
        c = _timed(theirs_math, batch, device) if theirs_math else None
        if i >= warmup:
            t_ours.append(a)
            if b is not None:
                t_theirs.append(b)
            if c is not None:
                t_math.append(c)
    tokens = bc.batch_size * cfg.block_size
    result = {
        "config": config, "device": device, "params": model.num_parameters(),
        "batch": bc.batch_size, "context": cfg.block_size, "steps": steps,
        "minilm_ms": 1000 * statistics.median(t_ours),
        "minilm_tok_s": tokens / statistics.median(t_ours),
        "numpy_threads": _blas_threads() or "default",
    }  # fmt: skip
    if t_theirs:
        result.update(
            torch_ms=1000 * statistics.median(t_theirs),
            torch_tok_s=tokens / statistics.median(t_theirs),
            ratio=statistics.median(t_ours) / statistics.median(t_theirs),
            torch_threads=torch.get_num_threads(),
            torch_version=torch.__version__,
        )
    if t_math:
        result.update(torch_math_ms=1000 * statistics.median(t_math),
                      torch_math_tok_s=tokens / statistics.median(t_math),
                      ratio_math=statistics.median(t_ours) / statistics.median(t_math))  # fmt: skip
    return result


def _blas_threads():
    """The thread count NumPy's BLAS was told to use by the environment, if any.
    (It can only be set before NumPy loads: ``OPENBLAS_NUM_THREADS=1 python -m ...``.)"""
    import os

    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        if os.environ.get(var):
            return int(os.environ[var])
    return None


def format_result(r: dict) -> str:
    lines = [
        f"GPT {r['config']} on {r['device']}: {r['params']:,} parameters, batch {r['batch']} x "
        f"context {r['context']}, float32, AdamW; median of {r['steps']} steps",
        f"{'':10}{'ms/step':>10}{'tokens/s':>12}",
        f"{'minilm':10}{r['minilm_ms']:10.1f}{r['minilm_tok_s']:12,.0f}",
    ]
    if "ratio" not in r:
        return "\n".join(lines + ["(PyTorch not installed: no ratio)"])
    lines.append(f"{'pytorch':10}{r['torch_ms']:10.1f}{r['torch_tok_s']:12,.0f}")
    if "ratio_math" in r:
        lines.append(f"{'pt-math':10}{r['torch_math_ms']:10.1f}{r['torch_math_tok_s']:12,.0f}")
    lines.append(
        f"ratio minilm / pytorch eager = {r['ratio']:.2f} "
        f"(torch {r['torch_version']}, {r['torch_threads']} threads; "
        f"NumPy BLAS threads: {r['numpy_threads']})"
    )
    if "ratio_math" in r:
        lines.append(f"ratio minilm / pytorch eager with unfused (MATH) attention = "
                     f"{r['ratio_math']:.2f}")  # fmt: skip
    return "\n".join(lines)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m minilm.bench gpt", description=__doc__)
    p.add_argument("--config", choices=sorted(SETUPS), default="small")
    p.add_argument("--steps", type=argtypes.positive_int, default=20)
    p.add_argument("--warmup", type=argtypes.nonnegative_int, default=3)
    p.add_argument("--device", default=None, type=argtypes.device,
                   help="cpu or cuda (default: the config's)")  # fmt: skip
    p.add_argument("--no-torch", action="store_true", help="time minilm only")
    p.add_argument("--torch-math", action="store_true",
                   help="also time PyTorch with its unfused (MATH) attention backend")  # fmt: skip
    p.add_argument("--profile", action="store_true", help="cProfile the minilm steps")
    args = p.parse_args(argv)
    if args.profile:
        return _profile(args)
    print(format_result(run(args.config, args.steps, args.warmup, args.device,
                            not args.no_torch, torch_math=args.torch_math)))  # fmt: skip
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
