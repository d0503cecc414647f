"""Serving measured: continuous batching vs one request at a time.

``python -m minilm.bench serve [--quick] [--model CKPT] [--clients 1,4,16]
[--requests N] [--new-tokens N] [--out DIR]``

Starts ``python -m minilm serve`` twice on a free loopback port, with
``--max-batch 16`` (continuous batching) and with ``--max-batch 1`` (one
request at a time), and for each number of concurrent clients sends the same
greedy requests (prompts cut from tinyshakespeare, ``--new-tokens`` each) over
HTTP. For every run it reports generated tokens per second (all clients
together, over the run's wall time) and the p50 and p99 request latency, and
the ratio of the batched server's throughput to the one-at-a-time server's.
The default model is the course's small char GPT (``CONFIGS["small"]``, 4
layers, width 128) with seeded untrained weights (speed does not depend on
what the weights are); ``--model`` serves your own file. Both servers use one
BLAS thread, so the comparison is of scheduling, not of cores. Writes
``serve.json``, ``serve.md`` and ``serve.png`` to ``--out`` when given.
"""

from __future__ import annotations

import json
import os
import tempfile
import threading
import time
from pathlib import Path

from minilm.backend import np
from minilm.bench import argument_parser

__all__ = ["default_model", "run_clients", "run", "format_table", "main"]

MODES = {"batched (max-batch 16)": "16", "one at a time (max-batch 1)": "1"}


def default_model(folder) -> Path:
    """The small char GPT with seeded weights, saved as a model file in ``folder``."""
    import minilm
    from minilm.checkpoint import save_model
    from minilm.data import load_text
    from minilm.models.gpt import CONFIGS, GPT, GPTConfig
    from minilm.text import CharTokenizer

    tok = CharTokenizer.from_text(load_text("tinyshakespeare"))
    minilm.manual_seed(0)
    model = GPT(GPTConfig(**{**CONFIGS["small"].to_dict(), "vocab_size": tok.vocab_size}))
    path = Path(folder) / "small_gpt.safetensors"
    save_model(
        path,
        model,
        {"text": tok},
        text={"source": "tinyshakespeare", "stream": True, "start_id": 0},
    )
    return path


def prompts(n: int, seed: int = 0) -> list[str]:
    from minilm.data import load_text

    text, rng = load_text("tinyshakespeare"), np.random.default_rng(seed)
    starts = rng.integers(0, len(text) - 40, size=n)
    return [text[s : s + int(rng.integers(8, 33))] for s in starts]


def run_clients(server, jobs: list[str], clients: int, new_tokens: int) -> dict:
    """Send ``jobs`` (prompts) from ``clients`` threads; tokens/s and latencies."""
    latencies, made, errors = [], [], []
    queue, lock = list(jobs), threading.Lock()

    def client():
        while True:
            with lock:
                if not queue:
                    return
                prompt = queue.pop()
            t0 = time.perf_counter()
            status, _, out = server.post(
                "/v1/generate", {"prompt": prompt, "temperature": 0, "max_new_tokens": new_tokens}
            )
            with lock:
                if status != 200:
                    errors.append(out)
                    continue
                latencies.append(time.perf_counter() - t0)
                made.append(out["usage"]["completion_tokens"])

    threads = [threading.Thread(target=client) for _ in range(clients)]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - t0
    if errors:
        raise RuntimeError(f"{len(errors)} requests failed, e.g. {errors[0]}")
    lat = np.array(latencies)
    return {
        "clients": clients,
        "requests": len(jobs),
        "tokens": int(sum(made)),
        "seconds": wall,
        "tokens_per_s": sum(made) / wall,
        "p50_s": float(np.percentile(lat, 50)),
        "p99_s": float(np.percentile(lat, 99)),
    }


def run(
    model_path,
    clients=(1, 4, 16),
    requests: int | None = None,
    new_tokens: int = 32,
    progress: bool = True,
) -> list[dict]:
    """One row per (mode, clients). ``requests`` per run defaults to 4 per client,
    at least 8. Both servers run side by side, and the modes take turns at each
    number of clients, so that a machine busy with something else slows both."""
    from minilm.serve.client import start_server

    servers = {}
    try:
        for mode, max_batch in MODES.items():
            opts = ("--max-batch", max_batch, "--rate", "1e6", "--burst", "1000000")
            servers[mode] = start_server([model_path], *opts)
            run_clients(servers[mode], prompts(2, seed=99), 1, new_tokens)  # warm up
        rows = []
        for c in clients:
            n = requests or max(8, 4 * c)
            for mode, server in servers.items():
                row = {"mode": mode, **run_clients(server, prompts(n), c, new_tokens)}
                rows.append(row)
                if progress:
                    print(
                        f"  {mode}, {c} clients: {row['tokens_per_s']:.0f} tokens/s, "
                        f"p50 {row['p50_s']:.2f} s, p99 {row['p99_s']:.2f} s",
                        flush=True,
                    )
    finally:
        for server in servers.values():
            server.stop()
    return sorted(rows, key=lambda r: (list(MODES).index(r["mode"]), r["clients"]))


def format_table(rows: list[dict]) -> str:
    one = {r["clients"]: r for r in rows if r["mode"].startswith("one")}
    lines = [
        "| server | clients | requests | tokens/s | p50 latency (s) | p99 latency (s) | "
        "tokens/s vs one at a time |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in rows:
        ratio = r["tokens_per_s"] / one[r["clients"]]["tokens_per_s"]
        lines.append(
            f"| {r['mode']} | {r['clients']} | {r['requests']} | "
            f"{r['tokens_per_s']:.0f} | {r['p50_s']:.3f} | {r['p99_s']:.3f} | "
            f"{ratio:.2f}x |"
        )
    return "\n".join(lines)


def plot(rows: list[dict], path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (a, b) = plt.subplots(1, 2, figsize=(10, 3.8))
    for mode in MODES:
        rs = [r for r in rows if r["mode"] == mode]
        xs = [r["clients"] for r in rs]
        a.plot(xs, [r["tokens_per_s"] for r in rs], "o-", label=mode)
        b.plot(xs, [r["p50_s"] for r in rs], "o-", label=f"{mode}: p50")
        b.plot(
            xs, [r["p99_s"] for r in rs], "o--", label=f"{mode}: p99", color=b.lines[-1].get_color()
        )
    for ax, title in ((a, "throughput: generated tokens/s"), (b, "request latency (s)")):
        ax.set_xscale("log", base=2)
        ax.set_xticks([r["clients"] for r in rows if r["mode"] == next(iter(MODES))])
        ax.get_xaxis().set_major_formatter(matplotlib.ticker.ScalarFormatter())
        ax.set_xlabel("concurrent clients")
        ax.set_title(title)
        ax.set_ylim(bottom=0)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def main(argv=None) -> int:
    from minilm import argtypes

    p = argument_parser("serve", __doc__)
    p.add_argument(
        "--quick",
        action="store_true",
        help="clients 1 and 4, 8 tokens per request (seconds; a smoke test)",
    )
    p.add_argument(
        "--model",
        type=argtypes.existing_file,
        default=None,
        help="a model file to serve (default: the small char GPT, seeded)",
    )
    p.add_argument("--clients", default=None, help="concurrencies, comma-separated (1,4,16)")
    p.add_argument(
        "--requests",
        type=argtypes.positive_int,
        default=None,
        help="requests per run (default 4 per client, at least 8)",
    )
    p.add_argument(
        "--new-tokens",
        type=argtypes.positive_int,
        default=None,
        help="tokens generated per request (default 32)",
    )
    p.add_argument("--out", default=None, help="folder for serve.json, serve.md, serve.png")
    args = p.parse_args(argv)
    clients = (1, 4) if args.quick else (1, 4, 16)
    if args.clients:
        try:
            clients = tuple(int(c) for c in args.clients.split(","))
        except ValueError:
            p.error(f"--clients must be whole numbers separated by commas, got {args.clients!r}")
    new_tokens = args.new_tokens or (8 if args.quick else 32)
    with tempfile.TemporaryDirectory() as tmp:
        model = args.model or default_model(tmp)
        print(
            f"serving {Path(model).name}: greedy, {new_tokens} new tokens per request, "
            f"1 BLAS thread per server",
            flush=True,
        )
        rows = run(model, clients, args.requests, new_tokens)
    table = format_table(rows)
    print(table)
    if args.out:
        out = Path(args.out)
        os.makedirs(out, exist_ok=True)
        (out / "serve.json").write_text(json.dumps(rows, indent=2))
        (out / "serve.md").write_text(table + "\n")
        plot(rows, out / "serve.png")
        print(f"wrote {out / 'serve.json'}, serve.md, serve.png")
    return 0
