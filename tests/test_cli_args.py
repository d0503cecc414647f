"""Every command's bad arguments are one-line argparse errors (exit 2, the flag
named, no traceback), and the top-level help lists every command."""

import re
import subprocess
import sys

import pytest

import minilm
from minilm import argtypes, cli

HERE = __file__  # an existing file that is not a model

# (command line after `python -m minilm`, the flag the error must name)
BAD = [
    (
        ["train", "--model", "gpt", "--corpus", "names", "--save", "m.npz", "--steps", "0"],
        "--steps",
    ),
    (["train", "--model", "transformer", "--corpus", "names", "--save", "m.npz"], "--model"),
    (["train", "--model", "gpt", "--text", "no/such.txt", "--save", "m.npz"], "--text"),
    (["train", "--model", "gpt", "--corpus", "names", "--save", "no/such/m.npz"], "--save"),
    (
        ["train", "--model", "gpt", "--corpus", "names", "--save", "m.npz", "--accumulate", "0"],
        "--accumulate",
    ),
    (["generate", "no/such.npz"], "model"),
    (["generate", HERE, "--top-p", "1.5"], "--top-p"),
    (["generate", HERE, "--temperature", "0"], "--temperature"),
    (["export", "no/such.npz", "out.safetensors"], "model"),
    (["export", HERE, "no/such/folder/out.safetensors"], "out"),
    (["tour", "--text", "no/such.txt"], "--text"),
    (["ngram", "--text", "no/such.txt"], "--text"),
    (["tour", "--steps", "0"], "--steps"),
    (["tour", "--seed", "-1"], "--seed"),
    (["tour", "--rungs", "mlp,transformer"], "--rungs"),
    (["tour", "--device", "tpu"], "--device"),
    (["tour", "--plot", "no/such/folder/chart.png"], "--plot"),
    (["demo", "--steps", "0"], "--steps"),
    (["demo", "--batch-size", "0"], "--batch-size"),
    (["demo", "--lr", "1e6"], "--lr"),
    (["demo", "--lr", "nan"], "--lr"),
    (["ngram", "--order", "0"], "--order"),
    (["ngram", "--min-count", "-5"], "--min-count"),
    (["ngram", "--samples", "-1"], "--samples"),
    (["ngram", "--temperature", "0"], "--temperature"),
    (["grade", "chapters", "--timeout", "-1"], "--timeout"),
    (["grade", "chapters", "--jobs", "0"], "-j/--jobs"),
    (["gpt-train", "--max-chars", "-100"], "--max-chars"),
    (["gpt-train", "--max-chars", "10"], "--max-chars"),
    (["ngram", "--order", "100000"], "--order"),
    (["demo", "--batch-size", "100000000"], "--batch-size"),
    (
        ["train", "--model", "ngram", "--corpus", "names", "--order", "11", "--save", "m.npz"],
        "--order",
    ),
    (["gpt-train", "--lr", "1e6"], "--lr"),
    (["gpt-train", "--save", "no/such/folder/gpt.npz"], "--save"),
    (["translation", "--steps", "0"], "--steps"),
    (["translation", "--seed", "-3"], "--seed"),
    (["finetune", "--d-model", "0"], "--d-model"),
    (["bench", "vae", "--steps", "0"], "--steps"),
    (["bench", "vae", "--beta", "-1"], "--beta"),
    (["bench", "gan", "--steps", "-1"], "--steps"),
    (["bench", "gan", "--variants", "gan,nope"], "--variants"),
    (["bench", "text_gan", "--hard", "2"], "--hard"),
    (["bench", "reinforce", "--steps", "0"], "--steps"),
    (["bench", "reinforce", "--variance-batches", "1"], "--variance-batches"),
    (["bench", "rlhf", "--lm-steps", "0"], "--lm-steps"),
    (["bench", "gpt", "--steps", "0"], "--steps"),
    (["bench", "gpt", "--warmup", "-1"], "--warmup"),
    (["bench", "ops", "--sizes", "huge"], "--sizes"),
    (["bench", "ops", "--device", "tpu"], "--device"),
    (["bench", "ngram", "--max-order", "0"], "--max-order"),
    (["bench", "bpe", "--vocab-size", "0"], "--vocab-size"),
]


@pytest.mark.parametrize("argv, flag", BAD, ids=[" ".join(a) for a, _ in BAD])
def test_a_bad_argument_is_a_one_line_argparse_error(argv, flag, capsys):
    with pytest.raises(SystemExit) as exit_info:
        cli.main(argv)
    err = capsys.readouterr().err
    assert exit_info.value.code == 2, err
    assert "Traceback" not in err
    (line,) = [line for line in err.splitlines() if "error:" in line]
    assert f"argument {flag}" in line, line


@pytest.mark.skipif(minilm.cuda.is_available(), reason="cuda is a valid device here")
def test_cuda_without_a_gpu_is_refused_before_any_work(capsys):
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["demo", "--device", "cuda"])
    assert exit_info.value.code == 2
    assert "argument --device: cuda needs CuPy and an NVIDIA GPU" in capsys.readouterr().err


@pytest.mark.parametrize("argv", [["tour", "--steps", "0"], ["bench", "gan", "--steps", "-1"]])
def test_from_the_shell_there_is_no_traceback(argv):
    run = subprocess.run([sys.executable, "-m", "minilm", *argv], capture_output=True,
                         text=True, timeout=120)  # fmt: skip
    assert run.returncode == 2
    assert "Traceback" not in run.stderr and "error: argument --steps" in run.stderr


def test_help_lists_every_command(capsys):
    with pytest.raises(SystemExit):
        cli.main(["--help"])
    out = capsys.readouterr().out
    assert out.startswith("usage: python -m minilm")
    for name in cli.COMMANDS:
        assert re.search(rf"^ +{name} +[a-z]", out, flags=re.M), name
    assert "`" not in out


def test_the_console_script_calls_itself_minilm(monkeypatch, capsys):
    monkeypatch.setattr(sys, "argv", ["/venv/bin/minilm", "--help"])
    with pytest.raises(SystemExit):
        cli.main()
    out = capsys.readouterr().out
    assert out.startswith("usage: minilm ") and "python -m" not in out and "`" not in out


@pytest.mark.parametrize(
    "parse, good, bad",
    [
        (argtypes.positive_int, {"1": 1, "12": 12}, ["0", "-2", "1.5", "x"]),
        (argtypes.nonnegative_int, {"0": 0, "3": 3}, ["-1", "x"]),
        (argtypes.seed, {"0": 0, "42": 42}, ["-1"]),
        (argtypes.positive_float, {"0.5": 0.5, "3": 3.0}, ["0", "-1", "inf", "nan"]),
        (argtypes.nonnegative_float, {"0": 0.0, "2.5": 2.5}, ["-0.1", "inf"]),
        (argtypes.probability, {"0": 0.0, "0.99": 0.99}, ["1", "-0.1", "nan"]),
        (argtypes.learning_rate, {"3e-4": 3e-4, "10": 10.0}, ["0", "-1e-3", "10.5", "inf"]),
        (argtypes.device, {"cpu": "cpu"}, ["gpu", "CPU", ""]),
        (argtypes.comma_list(["a", "b"]), {"a": ["a"], "b, a": ["b", "a"]}, ["", "c", "a,a"]),
    ],
)
def test_argument_types_accept_and_refuse(parse, good, bad):
    import argparse

    for text, value in good.items():
        assert parse(text) == value
    for text in bad:
        with pytest.raises(argparse.ArgumentTypeError, match=r"\S"):
            parse(text)


def test_path_types(tmp_path):
    import argparse

    f = tmp_path / "a.txt"
    f.write_text("hi")
    assert argtypes.existing_file(str(f)) == f and argtypes.existing_path(str(tmp_path)) == tmp_path
    assert argtypes.output_file(str(tmp_path / "new.png")) == str(tmp_path / "new.png")
    assert argtypes.output_file("chart.png") == "chart.png" and argtypes.output_file("") == ""
    for parse, text, message in [
        (argtypes.existing_file, tmp_path / "missing", "no such file"),
        (argtypes.existing_file, tmp_path, "not a file"),
        (argtypes.existing_path, tmp_path / "missing", "no such file or folder"),
        (argtypes.output_file, tmp_path, "is a folder"),
        (argtypes.output_file, tmp_path / "no" / "x.png", "does not exist"),
    ]:
        with pytest.raises(argparse.ArgumentTypeError, match=message):
            parse(str(text))


def test_a_file_that_is_not_a_model_is_one_line_for_generate_and_export(tmp_path, capsys):
    path = tmp_path / "notes.npz"
    path.write_text("hello")
    for argv in (["generate", str(path)], ["export", str(path), str(tmp_path / "o.safetensors")]):
        assert cli.main(argv) == 2
        err = capsys.readouterr().err
        assert "Traceback" not in err and len(err.strip().splitlines()) == 1
        assert "not a valid minilm checkpoint" in err


def test_tour_and_ngram_take_your_text(tmp_path, capsys):
    path = tmp_path / "mine.txt"
    path.write_text("\n".join(f"{a}{b}{a}" for a in "abcdefg" for b in "hijk") + "\n")
    assert cli.main(["tour", "--text", str(path), "--rungs", "bigram,mlp", "--steps", "2",
                     "--no-progress", "--plot", str(tmp_path / "c.png")]) == 0  # fmt: skip
    out = capsys.readouterr().out
    assert "the model ladder on mine.txt" in out and (tmp_path / "c.png").exists()
    assert cli.main(["ngram", "--text", str(path), "--order", "2", "--samples", "1"]) == 0
    assert "mine.txt (split by lines)" in capsys.readouterr().out
