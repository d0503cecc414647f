"""The layering of ../shared/DESIGN.md holds: models are architectures only, and the
command-line layer is imported by nothing below it. Read from the source with
``ast``, so an import inside a function counts too."""

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "minilm"


def imported_modules(path: Path, package_dir: Path = PACKAGE) -> set[str]:
    """Absolute names of every module ``path`` imports (relative ones resolved)."""
    package = ".".join(path.relative_to(package_dir.parent).with_suffix("").parts[:-1])
    out = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            out.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = package.split(".")
            if node.level:
                base = base[: len(base) - node.level + 1]
                name = ".".join(base + ([node.module] if node.module else []))
            else:
                name = node.module
            out.add(name)
            out.update(f"{name}.{alias.name}" for alias in node.names)
    return out


def modules_under(folder: str) -> list[Path]:
    return sorted((PACKAGE / folder).rglob("*.py"))


ABOVE_MODELS = (
    "train",
    "io",
    "plot",
    "progress",
    "bench",
    "cli",
    "commands",
    "recipes",
    "tour",
    "rl",
    "grading",
)


@pytest.mark.parametrize("path", modules_under("models"), ids=lambda p: p.name)
def test_models_import_nothing_above_them(path):
    bad = sorted(
        m
        for m in imported_modules(path)
        if any(m == f"minilm.{x}" or m.startswith(f"minilm.{x}.") for x in ABOVE_MODELS)
    )
    assert not bad, f"{path.name} imports {bad}: models hold architectures and configs only"


def test_nothing_in_the_library_imports_the_command_line_layer():
    for path in PACKAGE.rglob("*.py"):
        rel = path.relative_to(PACKAGE).parts
        if rel[0] in ("commands", "bench") or path.name in ("cli.py", "__main__.py"):
            continue
        bad = sorted(
            m
            for m in imported_modules(path)
            if m.startswith(("minilm.commands", "minilm.cli", "minilm.bench"))
        )
        assert not bad, f"{path.relative_to(PACKAGE)} imports {bad}"


def test_the_check_resolves_relative_and_nested_imports(tmp_path):
    (tmp_path / "minilm" / "models").mkdir(parents=True)
    fake = tmp_path / "minilm" / "models" / "fake.py"
    fake.write_text(
        "from ..nn import init\nfrom . import gpt\ndef f():\n    from ..train import fit\n"
    )
    found = imported_modules(fake, tmp_path / "minilm")
    assert {"minilm.nn.init", "minilm.models.gpt", "minilm.train.fit"} <= found
