"""Data-parallel training measured: tokens/s at 1 and K processes, and what the
allreduce costs.

``python -m minilm.bench parallel [--processes 2] [--steps 30] [--model small|default]``

Trains the same GPT on tinyshakespeare windows (32 x 64 tokens a micro-batch)
twice with the same K micro-batches a step: one process with ``accumulate=K``,
then ``mpiexec -n K`` processes with one each, and prints tokens/s for both,
the speed-up, and per step: the allreduces, the megabytes each process sends
into them and the seconds spent in them. Then the same K-process run with one
allreduce per parameter instead of 4 MB buckets, to show what bucketing saves.

On one machine the processes share its cores and memory bandwidth: with 2
cores, 2 processes (each with one BLAS thread) can at best double one
process's speed, and one process already uses both cores for its matrix
products. On a cluster the same ``mpiexec`` starts processes on other hosts
(``-hosts`` or a hostfile), and the allreduce then crosses the network: its
time grows with the gradient's size over the link's bandwidth
(``2 (K-1)/K x bytes`` for a ring).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time

from minilm import argtypes
from minilm.bench import argument_parser
from minilm.distributed import environment_outside_mpi

__all__ = ["main", "worker"]

TOKENS_PER_MICRO_BATCH = 32 * 64


def worker(args) -> dict:
    """One measured run in this process (under mpiexec: one rank of it)."""
    import minilm
    from minilm import optim
    from minilm.data import lm_batch
    from minilm.data.lm_corpus import CharCorpus
    from minilm.distributed import world
    from minilm.models.gpt import CONFIGS, GPT, GPTConfig
    from minilm.train import fit

    w = world()
    corpus = CharCorpus.load("tinyshakespeare")
    ids = corpus.split("train")[0]
    base = CONFIGS["small"] if args.model == "small" else GPTConfig(n_layer=2, n_embd=64)
    cfg = GPTConfig(**{**base.to_dict(), "vocab_size": corpus.vocab_size, "block_size": 64})
    minilm.manual_seed(0)
    model = GPT(cfg)
    gen = minilm.backend.np.random.default_rng(0)
    batch = lambda: lm_batch(ids, 32, 64, rng=gen)
    opt = optim.AdamW(model.parameters(), lr=1e-3)
    accumulate = args.micro_batches // w.size
    fit(model, opt, batch, 2, accumulate=accumulate, world=w, progress=False, seed=0)  # warm up
    t0 = time.perf_counter()
    hist = fit(model, opt, batch, args.steps, accumulate=accumulate, world=w, progress=False,
               seed=0, bucket_bytes=args.bucket_bytes)  # fmt: skip
    seconds = time.perf_counter() - t0
    tokens = args.steps * args.micro_batches * TOKENS_PER_MICRO_BATCH
    return {"processes": w.size, "tokens_per_s": tokens / seconds, "seconds": seconds,
            "parameters": model.num_parameters(), **hist.parallel}  # fmt: skip


def _run(processes: int, args, bucket_bytes: int, threads: int | None = None) -> dict:
    cmd = [sys.executable, "-m", "minilm.bench", "parallel", "--worker",
           "--steps", str(args.steps), "--model", args.model,
           "--micro-batches", str(args.processes), "--bucket-bytes", str(bucket_bytes)]  # fmt: skip
    if processes > 1:
        cmd = ["mpiexec", "-n", str(processes), *cmd]
    env = environment_outside_mpi()
    if threads is not None:
        env["OMP_NUM_THREADS"] = env["OPENBLAS_NUM_THREADS"] = str(threads)
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed:\n{proc.stderr[-2000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main(argv=None) -> int:
    parser = argument_parser("parallel", __doc__)
    parser.add_argument("--processes", type=argtypes.int_between(2, 64), default=2)
    parser.add_argument("--steps", type=argtypes.positive_int, default=30)
    parser.add_argument(
        "--model",
        choices=["small", "default"],
        default="small",
        help="the small GPT (4 layers, width 128) or the tour's (2, 64)",
    )
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--micro-batches", type=int, default=2, help=argparse.SUPPRESS)
    parser.add_argument("--bucket-bytes", type=int, default=4 << 20, help=argparse.SUPPRESS)
    parser.add_argument("--out", default=None, help="also write the results as JSON here")
    args = parser.parse_args(argv)
    if args.worker:
        result = worker(args)
        from minilm.distributed import world

        if world().is_root:
            print(json.dumps(result))
        return 0
    if shutil.which("mpiexec") is None:
        print("parallel: mpiexec is missing: pip install 'minilm[parallel]'", file=sys.stderr)
        return 2
    k = args.processes
    one = _run(1, args, 4 << 20)
    one_thread = _run(1, args, 4 << 20, threads=1)
    many = _run(k, args, 4 << 20)
    unbucketed = _run(k, args, 1)
    print(f"GPT {args.model} ({one['parameters']:,} parameters), {k} micro-batches of "
          f"{TOKENS_PER_MICRO_BATCH} tokens a step, {args.steps} steps, on {os.cpu_count()} "
          "cores\n")  # fmt: skip
    print(f"{'run':44s} {'tokens/s':>9s} {'allreduces':>10s} {'MB/step':>8s} {'comm ms/step':>12s}")
    rows = [(f"1 process, accumulate {k}", one),
            (f"1 process, accumulate {k}, one BLAS thread", one_thread),
            (f"{k} processes, 4 MB buckets", many),
            (f"{k} processes, one allreduce per parameter", unbucketed)]  # fmt: skip
    for label, r in rows:
        comm = r.get("comm_seconds_per_step")
        print(f"{label:44s} {r['tokens_per_s']:9,.0f} {r.get('allreduces_per_step', 0):10d} "
              f"{r.get('mb_per_step', 0):8.2f} "
              f"{'' if comm is None else f'{1000 * comm:.1f}':>12s}")  # fmt: skip
    print(f"\nspeed-up with {k} processes: {many['tokens_per_s'] / one['tokens_per_s']:.2f}x")
    if args.out:
        with open(args.out, "w") as f:
            json.dump({"one": one, "one_thread": one_thread, "many": many,
                       "unbucketed": unbucketed}, f, indent=1)  # fmt: skip
    return 0
