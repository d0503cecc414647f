"""``python -m minilm gpt-train``: a quick run prints the losses and a sample."""

import re

import pytest

from minilm.commands.gpt_train import main


def test_quick_run_reports_best_loss_and_sample(capsys):
    assert main(["--steps", "2", "--eval-every", "1", "--max-chars", "3000", "--sample", "20"]) == 0
    out = capsys.readouterr().out
    best = re.search(r"best val loss ([\d.]+) nats/char at step (\d)", out)
    assert best and 3.0 < float(best.group(1)) < 5.0  # near log(65) = 4.17 after 2 steps
    sample = out.split("--- sample (temperature 0.8) ---\n")[1]
    assert len(sample) == 20 + 1  # 20 generated characters, then print's newline


@pytest.mark.parametrize("args", [["--steps", "0"], ["--dropout", "1.5"], ["--config", "huge"]])
def test_bad_arguments_are_clear_errors(args, capsys):
    with pytest.raises(SystemExit) as e:
        main(args)
    assert e.value.code == 2
    assert "error:" in capsys.readouterr().err


def test_save_writes_a_model_file_that_generate_reads(tmp_path, capsys):
    from minilm.checkpoint import load_model
    from minilm.cli import main as cli

    path = tmp_path / "gpt.npz"
    assert main(["--steps", "1", "--eval-every", "1", "--max-chars", "3000", "--sample", "0",
                 "--save", str(path)]) == 0  # fmt: skip
    model, tok, info = load_model(path)
    assert info["family"] == "gpt" and tok.vocab_size == model.config.vocab_size == 65
    capsys.readouterr()
    assert cli(["generate", str(path), "--prompt", "KING", "--max-new-tokens", "5"]) == 0
    assert capsys.readouterr().out.startswith("KING")
