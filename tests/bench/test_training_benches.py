"""Smoke tests of the chapter 09 benchmarks (precision, parallel): they run on a
tiny budget and report well-formed, finite rows. No timing assertions."""

import argparse
import math

from minilm.bench import parallel, precision
from minilm.data.lm_corpus import CharCorpus


def test_precision_rows_and_table():
    corpus = CharCorpus.load("tinyshakespeare", max_chars=20_000)
    rows = []
    for label, prec, scale in precision.RUNS:
        row = precision.run_one("gpt", corpus, prec, scale, steps=2)
        row["run"] = label
        rows.append(row)
    assert [r["precision"] for r in rows] == ["fp32", "fp16", "fp16", "bf16"]
    assert all(math.isfinite(r["val_nats_per_char"]) for r in rows)
    assert all(0.0 <= r["underflow_unscaled"] <= 1.0 for r in rows)
    assert rows[1]["final_scale"] == 2.0**16 and rows[2]["final_scale"] == 1.0
    assert rows[0]["final_scale"] is None
    table = precision.format_table(rows).splitlines()
    assert len(table) == 2 + len(rows) and table[0].count("|") == table[2].count("|")


def test_parallel_worker_in_one_process():
    args = argparse.Namespace(model="default", steps=1, micro_batches=2, bucket_bytes=4 << 20)
    result = parallel.worker(args)
    assert result["processes"] == 1 and result["tokens_per_s"] > 0
    assert result["parameters"] > 0
