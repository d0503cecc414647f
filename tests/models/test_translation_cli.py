"""``python -m minilm translation``: a tiny run prints the comparison table
and example translations; bad arguments stop argparse with a message naming them."""

import re
import subprocess
import sys

import pytest

from minilm.commands.translation import main
from minilm.models.seq2seq import Seq2Seq
from minilm.models.transformer import Transformer
from minilm.recipes.translation import MODELS, TranslationData, build_model, translate


def test_tiny_run_prints_the_table_and_examples(capsys):
    argv = ["--steps", "2", "--batch-size", "4", "--limit", "6", "--beam", "2",
            "--examples", "2", "--no-progress"]  # fmt: skip
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert "test split: 6 English sentences" in out
    assert "2 steps x 4 pairs" in out
    header = (
        "| model | parameters | steps | train time (s) | train loss | test BLEU greedy "
        "| BLEU beam 2 |"
    )
    assert header in out
    rows = {m.group(1): m.groups() for m in re.finditer(
        r"^\| (rnn|transformer) \| ([\d,]+) \| (\d+) \| (\d+) \| ([\d.]+) \| ([\d.]+) "
        r"\| ([\d.]+|-) \|$", out, flags=re.M)}  # fmt: skip
    assert set(rows) == {"rnn", "transformer"}
    for _, _, steps, _, loss, greedy, _ in rows.values():
        assert steps == "2"
        assert float(loss) > 0  # a cross-entropy, printed as nats per word
        assert 0 <= float(greedy) <= 100
    assert rows["rnn"][6] != "-" and rows["transformer"][6] == "-"  # beam search is RNN-only
    assert out.count("  en:   ") == out.count("  ref:  ") == out.count("  hyp:  ") == 4
    assert out.count("  beam: ") == 2  # the RNN's two examples


def test_one_model_and_its_size_and_examples(capsys):
    main(["--model", "transformer", "--steps", "1", "--batch-size", "2", "--limit", "3",
          "--examples", "1", "--split", "val", "--no-progress"])  # fmt: skip
    out = capsys.readouterr().out
    assert "val split: 3 English sentences" in out
    assert "| rnn |" not in out and "| transformer |" in out
    assert out.count("  hyp:  ") == 1
    assert "  beam: " not in out
    data = TranslationData.load()
    model, lr = build_model("transformer", data)
    assert f"| transformer | {model.num_parameters():,} |" in out
    assert lr == MODELS["transformer"]["lr"]


def test_build_model_kinds_and_beam_only_for_the_rnn():
    data = TranslationData.load()
    assert isinstance(build_model("rnn", data)[0], Seq2Seq)
    transformer = build_model("transformer", data)[0]
    assert isinstance(transformer, Transformer)
    with pytest.raises(ValueError, match="rnn"):
        build_model("lstm", data)
    with pytest.raises(TypeError, match="Transformer has no beam_decode"):
        translate(transformer, data, ["Hello."], beam_size=2)


def test_dropout_overrides_the_models_rate():
    data = TranslationData.load()
    rates = lambda model: {m.p for m in model.modules() if type(m).__name__ == "Dropout"}
    for kind in MODELS:
        assert rates(build_model(kind, data)[0]) == {MODELS[kind]["dropout"]}
        assert rates(build_model(kind, data, dropout=0.3)[0]) == {0.3}
    with pytest.raises(ValueError, match=r"dropout must be in \[0, 1\), got 1.5"):
        build_model("rnn", data, dropout=1.5)


@pytest.mark.parametrize("argv, message", [
    (["--steps", "0"], "argument --steps: must be a whole number >= 1, got '0'"),
    (["--batch-size", "-3"], "argument --batch-size: must be a whole number from 1 to"),
    (["--beam", "-1"], "argument --beam: must be a whole number >= 0, got '-1'"),
    (["--limit", "0"], "argument --limit: must be a whole number >= 1, got '0'"),
    (["--lr", "0"], "argument --lr: must be in (0, 10], got '0'"),
    (["--dropout", "1"], "argument --dropout: must be in [0, 1), got '1'"),
    (["--model", "lstm"], "invalid choice: 'lstm'"),
    (["--steps", "ten"], "argument --steps: must be a whole number, got 'ten'"),
])  # fmt: skip
def test_bad_arguments_are_argparse_errors(argv, message, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    assert exit_info.value.code == 2
    assert message in capsys.readouterr().err


def test_python_dash_m_runs_main():
    run = subprocess.run([sys.executable, "-m", "minilm", "translation", "--steps", "0"],
                         capture_output=True, text=True, timeout=120)  # fmt: skip
    assert run.returncode == 2
    assert "argument --steps: must be a whole number >= 1, got '0'" in run.stderr
