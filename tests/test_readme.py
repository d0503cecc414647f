"""The README's promises: its two commands are the ones CI runs, and its Python
examples run."""

import importlib.util
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()


def test_ci_runs_the_readme_commands():
    ci = (ROOT / ".ci" / "run").read_text()
    install, test = "pip install '.[dev]'", "python -m pytest"
    assert f"{install} && {test}" in README
    assert "pip install . && python -m minilm tour" in README
    ci_lines = [line.split("#")[0].strip() for line in ci.splitlines() if "# README" in line]
    assert any(line.startswith(install) for line in ci_lines)
    assert any(line.startswith(test) for line in ci_lines)
    # the first command too, in its own fresh environment: the plain install, then the tour
    assert "pip install ." in ci_lines
    assert any(line.startswith("python -m minilm tour") for line in ci_lines)


def test_python_examples_run():
    blocks = re.findall(r"```python\n(.*?)```", README, flags=re.S)
    assert blocks
    namespace = {}
    for block in blocks:
        if "import torch" in block and importlib.util.find_spec("torch") is None:
            continue  # the PyTorch side of an export: runs where PyTorch is (CI has it)
        exec(compile(block, "README.md", "exec"), namespace)  # noqa: S102 - our own README


def test_your_own_text_commands_run(tmp_path, monkeypatch, capsys):
    """The "Your own text" section's three commands, on a small file written here
    (with fewer steps: the lesson is that they run, not the loss they reach)."""
    import shlex

    from minilm.cli import main
    from minilm.data import load_text

    block = README.split("## Your own text")[1].split("```bash\n")[1].split("```")[0]
    lines = [line for line in block.splitlines() if line.startswith("python -m minilm ")]
    assert [shlex.split(line)[3] for line in lines] == ["train", "generate", "export"]
    monkeypatch.chdir(tmp_path)
    (tmp_path / "my.txt").write_text(load_text("tinyshakespeare")[:30_000])
    for line in lines:
        argv = shlex.split(line.replace("--steps 600", "--steps 5"))[3:]
        assert main(argv) == 0, line
    assert (tmp_path / "my-gpt-torch.safetensors").stat().st_size > 0
    assert "Once upon a time" in capsys.readouterr().out
