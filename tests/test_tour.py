"""``python -m minilm tour`` on a tiny budget: every rung reports in the same
unit on the same split, new rungs plug in through the registry, and the chart
is written."""

import math

import pytest

import minilm.tour as tour
from minilm.cli import main as cli_main
from minilm.data.lm_corpus import CharCorpus
from minilm.ngram import NgramModel


def test_tiny_ladder_prints_table_samples_and_plot(tmp_path, capsys):
    plot = tmp_path / "ladder.png"
    code = cli_main(["tour", "--steps", "2", "--rungs", "unigram,bigram,mlp",
                     "--no-progress", "--plot", str(plot)])  # fmt: skip
    out = capsys.readouterr().out
    assert code == 0 and plot.exists() and plot.stat().st_size > 0
    assert f"wrote the chart to {plot}" in out
    lines = [line.strip() for line in out.splitlines()]
    rows = [line for line in lines if line.startswith(("unigram", "bigram", "MLP"))]
    assert len(rows) == 6  # a table row and a sample line each
    for row in rows[:3]:
        nats, ppl = (float(v) for v in row.split()[-2:])
        assert math.exp(nats) == pytest.approx(ppl, rel=2e-3)
        assert 1.0 < nats < math.log(27) + 0.5  # about as bad as uniform after 2 steps, no worse


def test_ngram_rungs_score_what_ngram_model_scores():
    corpus = CharCorpus.load("names")
    settings = tour.Settings(progress=False, samples=2)
    (bigram,) = [r for r in tour.RUNGS if r.name == "bigram"]
    got = bigram.run(corpus, settings)
    lm = NgramModel(2, "add-k").fit(corpus.sentences("train"))
    assert got.test_nats == pytest.approx(math.log(lm.perplexity(corpus.sentences("test"))))
    assert len(got.samples) == 2


def test_a_new_rung_joins_the_ladder_with_one_entry(monkeypatch, capsys, tmp_path):
    def constant(corpus, settings):
        return tour.Trained("uniform guess", 0, 0.0, math.log(corpus.vocab_size), ["?"])

    monkeypatch.setattr(tour, "RUNGS", tour.RUNGS + [tour.Rung("uniform", constant)])
    cli_main(["tour", "--rungs", "uniform", "--no-progress", "--plot", ""])
    out = capsys.readouterr().out
    assert "uniform guess" in out and f"{math.log(27):.3f}" in out


def test_unknown_rung_is_a_clear_error():
    with pytest.raises(ValueError, match="unknown rung 'transformer'.*unigram, bigram"):
        tour.run_ladder(tour.Settings(progress=False), ["transformer"])


def test_stream_corpus_runs():
    settings = tour.Settings(corpus="tinyshakespeare", steps=1, progress=False, max_chars=5000)
    (result,) = tour.run_ladder(settings, ["ngram", "gru"])[1:]
    assert result.test_nats > 0 and len(result.samples) == 1 and len(result.samples[0]) > 50


def test_samples_are_set_apart_from_the_model_name_and_empty_ones_show():
    results = [tour.Trained("6-gram, Kneser-Ney", 1, 0.0, 2.0, ["mac", "", "ann"]),
               tour.Trained("MLP (context 8, hidden 256)", 1, 0.0, 2.0, ["x"])]  # fmt: skip
    ngram_line, mlp_line = tour.format_samples(results).splitlines()
    assert ngram_line.split("  ")[1:] == ["6-gram, Kneser-Ney", "mac | (empty) | ann"]
    assert mlp_line.index("x") == ngram_line.index("mac")  # one column for the samples


def test_chart_bars_start_at_zero_and_mark_the_uniform_guess(tmp_path):
    results = [tour.Trained(f"model {i}", 1, 0.0, v, []) for i, v in enumerate([2.8, 1.99, 2.2])]
    ax = tour.plot_ladder(results, tmp_path / "c.png", "t", uniform=math.log(27))
    assert (tmp_path / "c.png").stat().st_size > 0
    assert ax.get_xlim()[0] == 0 and ax.get_xlim()[1] > math.log(27)
    widths = sorted(p.get_width() for p in ax.patches)
    assert widths == pytest.approx([1.99, 2.2, 2.8])  # bar lengths are the losses themselves
    assert [t.get_text() for t in ax.get_yticklabels()] == ["model 0", "model 1", "model 2"]
