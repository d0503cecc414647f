"""The README's promises: its two commands are the ones CI runs, and its Python
examples run."""

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
        exec(compile(block, "README.md", "exec"), namespace)  # noqa: S102 - our own README
