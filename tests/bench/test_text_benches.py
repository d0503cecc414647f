"""The ``bpe`` and ``ngram`` benchmarks run and report what they promise (small settings)."""

import re

from minilm.bench import available, bpe, ngram


def test_benchmarks_are_listed():
    assert {"bpe", "ngram"} <= set(available())


def test_bpe_benchmark_reports_times_and_identical_merges(capsys):
    assert bpe.main(["--vocab-size", "300", "--naive-chars", "20000", "--run-chars", "3000"]) == 0
    out = capsys.readouterr().out
    assert "same merges: True" in out and "first 20,000 characters" in out
    assert re.search(r"ratio naive/incremental = [\d.]+x", out)
    assert "one run of 3,000 random letters without a space" in out and "same ids: True" in out
    assert re.search(r"target < 0\.00\d s: (met|NOT MET)", out)  # the target, scaled to 3,000
    assert re.search(r"ratio naive/heap = [\d.]+x", out)


def test_ngram_table_has_a_row_per_method():
    text = ngram.table("names", max_order=2)
    rows = [r for r in text.splitlines() if r.startswith("| ")][2:]  # after header and rule
    assert len(rows) == 6 and all(len(r.split("|")) == 5 for r in rows)
