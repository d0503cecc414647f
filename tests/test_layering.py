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
    "distill",
    "ensemble",
    "search",
    "summarize",
    "qa",
    "dialogue",
    "evaluate",
    "predict",
    "prompt",
    "serve",
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


# the engine's own layers: each may import only the modules listed for it (and
# anything the ones below it import is fine to reach through them)
ENGINE = {
    "backend.py": {"minilm.backend"},
    "fast/__init__.py": {"minilm.backend"},
    "autograd.py": {"minilm.backend", "minilm.fast"},
    # autocast's policy (which values a matmul rounds): the ops and functional ask it
    "precision.py": {"minilm.backend", "minilm.autograd"},
    "ops": {"minilm.backend", "minilm.autograd", "minilm.precision", "minilm.ops"},
    "tensor.py": {"minilm.backend", "minilm.autograd", "minilm.ops", "minilm.tensor"},
}
# the fast layer's alternatives sit above functional and below nn/optim
FAST_MAY_IMPORT = ("backend", "fast", "autograd", "precision", "ops", "tensor", "functional")


def _minilm_imports(path):
    return {m for m in imported_modules(path) if m.startswith("minilm.")}  # "from .. import x"


def _allowed(module: str, allowed) -> bool:
    return any(module == a or module.startswith(a + ".") for a in allowed)


@pytest.mark.parametrize("where", sorted(ENGINE))
def test_the_engine_imports_only_what_is_below_it(where):
    paths = modules_under(where) if not where.endswith(".py") else [PACKAGE / where]
    for path in paths:
        bad = sorted(m for m in _minilm_imports(path) if not _allowed(m, ENGINE[where]))
        assert not bad, f"{path.relative_to(PACKAGE)} imports {bad}"


def test_the_fast_layer_imports_nothing_above_functional():
    allowed = [f"minilm.{m}" for m in FAST_MAY_IMPORT]
    for path in modules_under("fast"):
        bad = sorted(m for m in _minilm_imports(path) if not _allowed(m, allowed))
        assert not bad, f"{path.relative_to(PACKAGE)} imports {bad}: the fast layer sits below nn"


def test_no_op_body_tests_the_device_or_grad_mode():
    """The ops are the reference: a device, grad-mode or size test belongs in minilm/fast."""
    words = ("is_grad_enabled", "device_of(", '== "cuda"', "_mode.", ".size >=", "fast.")
    for path in modules_under("ops"):
        source = path.read_text()
        for line_no, line in enumerate(source.splitlines(), 1):
            if any(w in line for w in words):
                pytest.fail(f"{path.name}:{line_no} tests the device or grad mode: {line.strip()}")
