"""``python -m minilm.bench ops``: the engine's overhead, op by op.

For each op, one forward and backward pass through minilm is timed against the
same computation written by hand in raw NumPy (or CuPy): the forward value and
the input gradients for an upstream gradient ``g``. The ratio minilm / raw is
the price of the engine (graph bookkeeping, Tensor objects, un-broadcasting).
Both are timed side by side, interleaved, and the best of several rounds is
kept, since these machines are shared and noisy.

Options: ``--sizes small,large`` (16 and 1M elements), ``--device cpu|cuda|all``,
``--ops add,mul,...``, ``--repeat N``.
"""

from __future__ import annotations

import argparse
import time

from .. import argtypes, backend
from .. import functional as F
from ..tensor import as_tensor, tensor

SIZES = {"small": 16, "large": 1 << 20}


def _grads(fn, g, *xs):
    """minilm forward + backward from upstream gradient ``g``; the input grads' arrays."""
    for x in xs:
        x.grad = None
    fn(*xs).backward(g)
    return [x.grad.data for x in xs]


def _softmax(xp, x):
    e = xp.exp(x - x.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


def _sigmoid(xp, a):
    e = xp.exp(-xp.abs(a))
    return xp.where(a >= 0, 1 / (1 + e), e / (1 + e))


# Each raw function takes (xp, g, *inputs) and returns the output and the input
# gradients, computed the way a careful NumPy programmer would by hand.


def _raw_div(xp, g, a, b):
    y = a / b
    ga = g / b
    return y, ga, -ga * y


def _raw_tanh(xp, g, a):
    y = xp.tanh(a)
    return y, g * (1 - y * y)


def _raw_sigmoid(xp, g, a):
    y = _sigmoid(xp, a)
    return y, g * y * (1 - y)


def _raw_softmax(xp, g, a):
    y = _softmax(xp, a)
    return y, y * (g - (g * y).sum(-1, keepdims=True))


def _raw_cross_entropy(xp, g, x, t):
    p = _softmax(xp, x)
    n = len(t)
    loss = -xp.log(p[xp.arange(n), t]).mean()
    p[xp.arange(n), t] -= 1
    return loss, p * (g / n)


def _raw_gelu(xp, g, x):
    c = (2 / xp.pi) ** 0.5
    t = xp.tanh(c * (x + 0.044715 * x * x * x))
    d = 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * c * (1 + 3 * 0.044715 * x * x)
    return 0.5 * x * (1 + t), g * d


def _raw_layer_norm(xp, g, x):
    d = x - x.mean(-1, keepdims=True)
    rstd = 1 / xp.sqrt((d * d).mean(-1, keepdims=True) + 1e-5)
    y = d * rstd
    return y, rstd * (g - g.mean(-1, keepdims=True) - y * (g * y).mean(-1, keepdims=True))


def cases(n):
    """name -> (input shapes, minilm fn, raw fn(xp, g, *arrays))."""
    rows = max(n // 128, 1)
    side = max(int(round(n**0.5)), 1)
    vec, two, table = [(n,)], [(n,), (n,)], [(rows, 128)]
    targets = lambda xp: xp.arange(rows) % 128
    return {
        "add": (two, lambda a, b: a + b, lambda xp, g, a, b: (a + b, g, g)),
        "mul": (two, lambda a, b: a * b, lambda xp, g, a, b: (a * b, g * b, g * a)),
        "div": (two, lambda a, b: a / b, _raw_div),
        "exp": (vec, lambda a: a.exp(), lambda xp, g, a: (lambda y: (y, g * y))(xp.exp(a))),
        "tanh": (vec, lambda a: a.tanh(), _raw_tanh),
        "sigmoid": (vec, lambda a: a.sigmoid(), _raw_sigmoid),
        "gelu_tanh": (vec, lambda a: F.gelu(a, approximate="tanh"), _raw_gelu),
        "relu": (vec, lambda a: a.relu(), lambda xp, g, a: (xp.maximum(a, 0), g * (a > 0))),
        "sum": (
            table,
            lambda a: a.sum(axis=1),
            lambda xp, g, a: (
                a.sum(axis=1),
                xp.ascontiguousarray(xp.broadcast_to(g[:, None], a.shape)),
            ),
        ),
        "matmul": (
            [(side, side), (side, side)],
            lambda a, b: a @ b,
            lambda xp, g, a, b: (a @ b, g @ b.T, a.T @ g),
        ),
        "softmax": (table, lambda a: F.softmax(a), _raw_softmax),
        "cross_entropy": (
            table,
            lambda a: F.cross_entropy(a, as_tensor(targets(a.xp))),
            lambda xp, g, a: _raw_cross_entropy(xp, g, a, targets(xp)),
        ),
        "layer_norm": (table, lambda a: F.layer_norm(a), _raw_layer_norm),
    }


def _time(fn, sync, repeat):
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        sync()
        best = min(best, time.perf_counter() - t0)
    return best


def _sync(device):
    if device == "cuda":  # pragma: no cover - GPU only
        return backend.cp.cuda.Stream.null.synchronize
    return lambda: None


def measure(fn, raw, shapes, device, repeat):
    """Best-of times (seconds) for minilm and raw on the same random inputs."""
    xp, gen, sync = backend.xp_for(device), backend.rng(device), _sync(device)
    arrays = [gen.standard_normal(s).astype("float32") for s in shapes]
    tensors = [tensor(a, requires_grad=True) for a in arrays]
    g = gen.standard_normal(fn(*tensors).shape).astype("float32")
    run_minilm = lambda: _grads(fn, as_tensor(g), *tensors)
    held = {}

    def run_raw():
        # Like minilm's leaves, which keep their .grad until the next pass sets it
        # to None, keep the outputs until the next call. (Dropping them at once
        # instead changes NumPy's time several-fold through the allocator alone.)
        held.pop("out", None)
        held["out"] = raw(xp, g, *arrays)

    run_minilm(), run_raw()  # warm up (and compile CuPy kernels)
    t_m = t_r = float("inf")
    for _ in range(3):  # interleave so both see the same machine load
        t_m = min(t_m, _time(run_minilm, sync, repeat))
        t_r = min(t_r, _time(run_raw, sync, repeat))
    return t_m, t_r


def run(ops, sizes, devices, repeat):
    rows = []
    for device in devices:
        for size in sizes:
            for name, (shapes, fn, raw) in cases(SIZES[size]).items():
                if ops and name not in ops:
                    continue
                t_m, t_r = measure(fn, raw, shapes, device, repeat)
                elems = int(backend.np.prod(shapes[0]))
                rows.append((device, size, name, elems, t_m * 1e6, t_r * 1e6, t_m / t_r))
    return rows


def format_table(rows) -> str:
    head = f"{'device':6} {'size':5} {'op':14} {'elements':>9} {'minilm us':>10} "
    head += f"{'raw us':>10} {'ratio':>6}"
    lines = [head, "-" * len(head)]
    for device, size, name, elems, tm, tr, ratio in rows:
        lines.append(f"{device:6} {size:5} {name:14} {elems:9d} {tm:10.1f} {tr:10.1f} {ratio:6.2f}")
    return "\n".join(lines)


def _device_or_all(text: str) -> str:
    return text if text == "all" else argtypes.device(text)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m minilm.bench ops", description=__doc__)
    p.add_argument("--sizes", default=list(SIZES), type=argtypes.comma_list(SIZES),
                   help=f"comma list of: {', '.join(SIZES)}")  # fmt: skip
    p.add_argument("--device", default="all", type=_device_or_all,
                   help="cpu, cuda or all (cuda only when present)")  # fmt: skip
    p.add_argument("--ops", default="", help="comma list of ops (default: all)")
    p.add_argument("--repeat", type=argtypes.nonnegative_int, default=0,
                   help="timed runs per round (default: auto)")  # fmt: skip
    args = p.parse_args(argv)
    sizes = args.sizes
    if args.device == "all":
        devices = ["cpu"] + (["cuda"] if backend.cuda_available() else [])
    else:
        devices = [args.device]
    ops = [o for o in args.ops.split(",") if o]
    unknown = [o for o in ops if o not in cases(16)]
    if unknown:
        p.error(f"unknown op {unknown[0]!r}; choose from {', '.join(cases(16))}")
    rows = []
    for size in sizes:
        repeat = args.repeat or (200 if size == "small" else 5)
        rows += run(ops, [size], devices, repeat)
    print(format_table(rows))
    print("ratio = minilm forward+backward time / the same maths in raw NumPy (CuPy on cuda)")
    return 0
