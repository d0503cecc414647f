"""DP-SGD on the names model: what privacy costs and what it buys.

``python -m minilm.bench privacy [--names 1000] [--steps 600] [--quick] [--plot PATH]``

Trains :class:`minilm.models.MLPLM` on the windows of ``--names`` training names
with DP-SGD at epsilon 1, 4 and 8 (delta 1e-5), without privacy (epsilon
infinity: the same optimizer and steps, no clipping or noise) and overfit (a
wider model, 5x the steps) and a control (the plain recipe on other training
names: its attack AUC is only the gap between the member and validation names),
then reports each model's validation loss (nats per character, on as many
held-out names) and the AUC of a loss-threshold membership attack with a 95%
bootstrap interval, per window and per name. See
:mod:`minilm.recipes.private_lm` for the set-up and what the unit of privacy is.
"""

from __future__ import annotations

import math
import time

from minilm import argtypes
from minilm.bench import argument_parser
from minilm.plot import pyplot
from minilm.recipes.private_lm import membership_split, privacy_table


def _eps(e: float) -> str:
    return "inf" if math.isinf(e) else f"{e:.2f}"


def print_table(rows) -> None:
    print(f"{'model':8s} {'epsilon':>8s} {'sigma':>6s} {'member':>6s} {'val':>6s}   "
          f"{'attack AUC per window':>23s}   {'per name':>19s}")  # fmt: skip
    for r in rows:
        w, n = r["auc_window"], r["auc_name"]
        sigma = "-" if r["sigma"] is None else f"{r['sigma']:.2f}"
        print(f"{r['model']:8s} {_eps(r['epsilon']):>8s} {sigma:>6s} {r['member_loss']:6.3f} "
              f"{r['val_loss']:6.3f}   {w['auc']:.3f} [{w['low']:.3f}, {w['high']:.3f}]"
              f"{'':5s}   {n['auc']:.3f} [{n['low']:.3f}, {n['high']:.3f}]")  # fmt: skip


def plot(rows, path) -> None:
    plt = pyplot()
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4))
    labels = [f"{r['model']}\neps {_eps(r['epsilon'])}" for r in rows]
    x = range(len(rows))
    members = [r["member_loss"] for r in rows]
    left.bar([i - 0.2 for i in x], members, 0.4, label="member names")
    left.bar([i + 0.2 for i in x], [r["val_loss"] for r in rows], 0.4, label="validation")
    left.set_xticks(list(x), labels, fontsize=8)
    left.set_ylabel("nats per character")
    left.set_ylim(min(members) - 0.3, max(r["val_loss"] for r in rows) + 0.2)
    left.set_title("Loss: privacy costs accuracy")
    left.legend()
    for offset, key, name in ((-0.2, "auc_window", "per window"), (0.2, "auc_name", "per name")):
        a = [r[key] for r in rows]
        right.errorbar([i + offset for i in x], [v["auc"] for v in a],
                       yerr=[[v["auc"] - v["low"] for v in a], [v["high"] - v["auc"] for v in a]],
                       fmt="o", capsize=4, label=name)  # fmt: skip
    right.axhline(0.5, color="gray", linestyle="--", label="chance")
    right.set_xticks(list(x), labels, fontsize=8)
    right.set_ylabel("membership attack AUC (95% CI)")
    right.set_title("Loss-threshold membership inference")
    right.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main(argv=None) -> int:
    parser = argument_parser("privacy", __doc__)
    parser.add_argument("--names", type=argtypes.positive_int, default=1000)
    parser.add_argument("--steps", type=argtypes.positive_int, default=600)
    parser.add_argument("--seed", type=argtypes.seed, default=0)
    parser.add_argument("--quick", action="store_true", help="300 names, 150 steps")
    parser.add_argument("--plot", type=argtypes.output_file, default=None,
                        help="save the figure here (PNG)")  # fmt: skip
    args = parser.parse_args(argv)
    names, steps = (300, 150) if args.quick else (args.names, args.steps)
    try:
        data = membership_split(names)
    except ValueError as err:
        parser.error(str(err))
    print(f"members: {names} training names ({len(data.X)} windows); non-members: {names} "
          f"validation names ({len(data.X_out)} windows); {steps} steps, delta 1e-5")  # fmt: skip
    t = time.perf_counter()
    rows = privacy_table(data, steps=steps, seed=args.seed)
    print_table(rows)
    print(f"({time.perf_counter() - t:.0f} s) An AUC of 0.5 is a coin toss; the interval is "
          "over resampled windows or names, not over training runs.")  # fmt: skip
    if args.plot:
        plot(rows, args.plot)
        print(f"saved {args.plot}")
    return 0
