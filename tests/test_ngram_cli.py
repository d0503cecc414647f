"""``python -m minilm ngram`` and the ``python -m minilm.bench`` dispatcher."""

import re

import pytest

from minilm.bench.__main__ import main as bench_main
from minilm.cli import main


def test_ngram_command_prints_perplexity_and_samples(capsys):
    assert main(["ngram", "--corpus", "names", "--order", "2", "--samples", "3"]) == 0
    out = capsys.readouterr().out
    ppl = float(re.search(r"test perplexity: ([\d.]+)", out).group(1))
    assert 5 < ppl < 20
    assert len(out.strip().splitlines()) == 3 + 3


def test_ngram_command_rejects_unknown_smoothing():
    with pytest.raises(SystemExit):
        main(["ngram", "--smoothing", "magic"])


def test_bench_dispatcher_lists_benchmarks_on_a_bad_name(capsys):
    assert bench_main(["no-such-bench"]) == 2
    assert "bpe" in capsys.readouterr().err
