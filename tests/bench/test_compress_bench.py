"""The compression benchmark on a tiny budget: every row is there, and the
columns obey the arithmetic that defines them (bytes per format, the pruned
rows' non-zero counts, the structural row's parameters). No timing assertions."""

import math

import pytest

from minilm.bench import compress

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")


@pytest.fixture(scope="module")
def rows():
    return compress.run(finetune_steps=2, distill_steps=2, tokens=10, repeats=1, max_chars=2000,
                        progress=False)  # fmt: skip


def test_every_row_is_measured(rows):
    names = [r["row"] for r in rows]
    assert names[0] == "fp32 (the checkpoint)" and len(names) == 14
    prefixes = ("fp32, fine-tuned", "fp16", "bf16", "int8 per tensor", "int8 per channel",
                "int4 groups", "QAT int8", "QAT int4", "50% pruned", "90% pruned", "structural",
                "distilled student", "the same student from scratch")  # fmt: skip
    assert sorted(names[1:]) == sorted(next(n for n in names if n.startswith(p)) for p in prefixes)
    for r in rows:
        assert math.isfinite(r["val_nats_per_char"]) and r["val_nats_per_char"] > 0
        assert r["ms_per_1k_tokens"] > 0


def test_bytes_follow_the_formats(rows):
    by = {r["row"].split(",")[0]: r for r in rows}
    n = by["fp32 (the checkpoint)"]["params"]
    assert n == 108_352  # the shipped GPT (chapter 07)
    assert by["fp32 (the checkpoint)"]["bytes"] == 4 * n
    assert by["fp16"]["bytes"] == by["bf16"]["bytes"] == 2 * n
    # int8: a byte per weight of the 8 matrices and 2 tables, 4 per scale, 4 per float left
    C, V, T, L = 64, 65, 64, 2
    matrices = L * (C * 3 * C + C * C + C * 4 * C + 4 * C * C)
    tables = V * C + T * C
    rest = n - matrices - tables
    assert by["int8 per tensor"]["bytes"] == matrices + tables + 4 * (8 + 2) + 4 * rest
    channel_scales = L * (3 * C + C + 4 * C + C) + V + T  # per output column; per table row
    assert by["int8 per channel"]["bytes"] == matrices + tables + 4 * channel_scales + 4 * rest
    group_scales = L * (C // 32 * 3 * C + C // 32 * C + C // 32 * 4 * C + 4 * C // 32 * C)
    int4 = matrices // 2 + 4 * group_scales + tables + 4 * (V + T) + 4 * rest
    assert by["int4 groups of 32"]["bytes"] == int4
    assert by["QAT int4"]["bytes"] == int4


def test_pruned_and_smaller_models_count_what_they_keep(rows):
    by = {r["row"].split(",")[0]: r for r in rows}
    n, matrices = 108_352, 98_304  # the Linear weights are what magnitude pruning prunes
    for s in (0.5, 0.9):
        row = by[f"{s:.0%} pruned (global)"]
        kept = matrices - round(s * matrices)
        assert row["params"] == n - round(s * matrices)  # no kept weight is exactly 0
        assert row["bytes"] == 4 * kept + matrices // 8 + 4 * (n - matrices)
    structural = next(r for r in rows if r["row"].startswith("structural"))
    C, L = 64, 2
    heads = L * 2 * (4 * C * 16 + 3 * 16)  # 2 of 4 heads (width 16) a block
    neurons = L * 128 * (2 * C + 1)  # 128 of 256 hidden units a block
    assert structural["params"] == n - heads - neurons
    assert structural["bytes"] == 4 * structural["params"]
    students = [r for r in rows if "student" in r["row"]]
    assert students[0]["params"] == students[1]["params"] < n


def test_table_and_plot(rows, tmp_path):
    table = compress.format_table(rows).splitlines()
    assert len(table) == 2 + len(rows) and all(line.count("|") == 9 for line in table)
    compress.plot(rows, tmp_path / "c.png")
    assert (tmp_path / "c.png").stat().st_size > 10_000


def test_the_ladder_quantizes_every_rung():
    rows = compress.ladder(steps=2, progress=False)
    assert [r["model"].split(" ")[0] for r in rows] == ["MLP", "RNN", "LSTM", "GRU", "GPT"]
    for r in rows:
        for scheme in ("int8", "int8-channel", "int4"):
            assert math.isfinite(r[scheme])
            assert r[f"{scheme}_bytes"] < r["float_bytes"]
    assert compress.format_ladder(rows).count("\n") == 1 + len(rows)


def test_the_pruning_curve(tmp_path):
    rows = compress.pruning_curve(finetune_steps=1, max_chars=1000, sparsities=(0.0, 0.5),
                                  path=tmp_path / "p.png")  # fmt: skip
    assert [r["scope"] for r in rows] == ["global", "global", "layer", "layer",
                                          "global, iterative"]  # fmt: skip
    zero = [r for r in rows if r["sparsity"] == 0.0]
    assert zero[0]["val_before"] == zero[1]["val_before"]  # nothing pruned: the checkpoint
    assert all(r["val_before"] > zero[0]["val_before"] for r in rows if r["sparsity"] > 0)
    assert (tmp_path / "p.png").stat().st_size > 10_000
