"""The batch-size benchmark on a tiny budget: every run is there with the steps,
warmup and learning rate its rule gives, the losses are finite, and the command
writes its table, JSON and plot (no timing, no claim about which rule wins)."""

import json
import math

from minilm.bench import available
from minilm.bench import batch_size as bench
from minilm.bench.__main__ import main as bench_main

KEYS = {"rule", "batch_size", "lr", "steps", "warmup", "examples", "seed", "val", "train",
        "diverged", "seconds"}  # fmt: skip


def test_rows_follow_the_rules_and_are_finite():
    cache = {}
    rows = bench.run([32, 64], ["linear", "fixed"], examples=64, seeds=(0, 1), log=None,
                     cache=cache)  # fmt: skip
    assert len(rows) == 2 * 2 * 2 and all(set(r) == KEYS for r in rows)
    assert len(cache) == 2 * 3  # at B=32 both rules give the base lr: one run, two rows
    for r in rows:
        assert r["steps"] == 64 // r["batch_size"] and r["examples"] == 64
        assert r["warmup"] == round(r["steps"] / 12)  # the tour's 50 of 600 steps
        ratio = r["batch_size"] / 32 if r["rule"] == "linear" else 1.0
        assert math.isclose(r["lr"], 3e-3 * ratio)
        assert not r["diverged"] and math.isfinite(r["val"]) and math.isfinite(r["train"])
        assert 0 < r["val"] < 2 * math.log(27)  # 27 symbols: a loss near log(27) is untrained
    by = {(r["rule"], r["batch_size"], r["seed"]): r for r in rows}
    assert by["linear", 32, 0]["val"] == by["fixed", 32, 0]["val"]
    assert by["linear", 64, 0]["val"] != by["fixed", 64, 0]["val"]
    assert by["fixed", 64, 0]["val"] != by["fixed", 64, 1]["val"]  # a seed is another run

    swept = bench.sweep([64], factors=(1.0, 2.0), examples=64, seeds=(0,), log=None,
                        cache=cache)  # fmt: skip
    assert len(cache) == 6  # lr 3e-3 and 6e-3 at B=64: the fixed and linear runs again
    assert [r["rule"] for r in swept] == ["sweep", "sweep"]
    assert [r["val"] for r in swept] == [by["fixed", 64, 0]["val"], by["linear", 64, 0]["val"]]

    text = bench.table(rows + swept)
    lines = text.splitlines()
    assert lines[0].startswith("| batch | steps |") and "linear" in lines[0]
    assert [line.split("|")[1].strip() for line in lines[2:4]] == ["32", "64"]
    assert "±" in lines[2]  # two seeds: mean ± half the spread
    assert any(line.startswith("| 3.00e-03 |") for line in lines)  # the sweep's table
    fig = bench.plot(rows + swept)
    assert len(fig.axes) == 2  # the rules, and the sweep


def test_the_command_writes_table_json_and_plot(tmp_path, capsys):
    assert "batch_size" in available()
    out = tmp_path / "out"
    argv = ["batch-size", "--batch-sizes", "64", "--rules", "fixed", "--examples", "64",
            "--seeds", "0", "--sweep", "0", "--out", str(out)]  # fmt: skip
    assert bench_main(argv) == 0
    printed = capsys.readouterr().out
    assert "| batch | steps | fixed lr (lr) | val |" in printed
    doc = json.loads((out / "batch_size.json").read_text())
    assert doc["meta"]["examples"] == 64 and doc["meta"]["runs"] == 1
    [row] = doc["rows"]
    assert set(row) == KEYS and row["batch_size"] == 64 and math.isfinite(row["val"])
    assert (out / "batch_size.md").read_text().startswith("| batch |")
    assert (out / "batch_size.png").stat().st_size > 10_000
