"""Chapters and their notebooks: build each notebook from its lesson, find drift.

Each chapter's notebook source is ``chapters/NN_slug/lesson.py`` (jupytext
percent format); ``notebooks/NN_slug.ipynb`` is generated from it, without
outputs, so the two can be compared cell by cell.

    python -m minilm.course sync     # regenerate every notebook from its lesson
    python -m minilm.course check    # exit 1 when a notebook has drifted
    python -m minilm.course build OUT/   # the course website (runs every notebook once)
    python -m minilm.course build OUT/ --executed DIR   # ... with notebooks run already

Needs the ``[dev]`` (or ``[notebooks]``) extra: jupytext and nbformat; ``build``
needs the ``[docs]`` extra (see :mod:`minilm.site`).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

__all__ = ["show", "repo_root", "lessons", "notebook_path", "build", "sync", "drift"]

_KERNELSPEC = {"display_name": "Python 3", "language": "python", "name": "python3"}


def show(obj) -> None:
    """Print the source of a minilm function, class or method: the lessons'
    way of reading the library as the textbook.

    >>> show(show)  # doctest: +ELLIPSIS
    def show(obj) -> None:
    ...
    """
    import inspect

    try:
        source = inspect.getsource(obj)
    except (TypeError, OSError) as err:
        raise TypeError(
            f"show: no Python source for {obj!r} ({err}); pass a function, class or "
            "method defined in a .py file, e.g. show(minilm.functional.softmax)"
        ) from None
    print(source)


def repo_root() -> Path:
    """The checkout that holds ``chapters/``: ``$MINILM_COURSE_ROOT`` when set,
    else the package's parent (an editable install), else the current folder or
    one above it."""
    here, cwd = Path(__file__).resolve().parents[1], Path.cwd().resolve()
    env = [Path(os.environ["MINILM_COURSE_ROOT"])] if os.environ.get("MINILM_COURSE_ROOT") else []
    for candidate in (*env, here, cwd, *cwd.parents):
        if (candidate / "chapters").is_dir():
            return candidate
    raise FileNotFoundError("no chapters/ folder found beside minilm or above the current folder")


def lessons(root: Path) -> list[Path]:
    """Every ``chapters/NN_slug/lesson.py``, in chapter order."""
    return sorted(Path(root).glob("chapters/[0-9][0-9]_*/lesson.py"))


def notebook_path(lesson: Path, root: Path) -> Path:
    """``chapters/03_neural_networks/lesson.py`` -> ``notebooks/03_neural_networks.ipynb``."""
    return Path(root) / "notebooks" / f"{Path(lesson).parent.name}.ipynb"


# Cell tags a lesson may carry (``# %% [markdown] tags=["cites"]``): "cites" marks
# prose that quotes numbers the code cell before it prints; tests/test_chapters.py
# checks each such number against that cell's output.
CELL_TAGS = ("cites",)


def build(lesson: Path):
    """The notebook for ``lesson``: its cells, no outputs, stable cell ids.

    >>> nb = build(repo_root() / "chapters/03_neural_networks/lesson.py")
    >>> nb.cells[0].cell_type
    'markdown'
    """
    import jupytext

    nb = jupytext.read(lesson, fmt="py:percent")
    nb.metadata = {"kernelspec": dict(_KERNELSPEC), "language_info": {"name": "python"}}
    for i, cell in enumerate(nb.cells):
        cell.id = f"cell-{i}"  # stable ids: regenerating an unchanged lesson changes nothing
        tags = [t for t in cell.metadata.get("tags", []) if t in CELL_TAGS]
        cell.metadata = {"tags": tags} if tags else {}
    return nb


def execute(lesson: Path, root: Path, folder: Path, timeout: float | None = None):
    """Run ``lesson``'s committed notebook top to bottom in ``folder`` with this
    Python's kernel; return ``(notebook with outputs, seconds)``. ``timeout`` is
    per cell (default 600 s, 3600 s with ``MINILM_FULL=1``)."""
    import time

    import nbclient
    import nbformat

    nb = nbformat.read(notebook_path(lesson, root), as_version=4)
    if timeout is None:
        timeout = 3600 if os.environ.get("MINILM_FULL") == "1" else 600
    client = nbclient.NotebookClient(
        nb, timeout=timeout, kernel_name="python3", resources={"metadata": {"path": str(folder)}}
    )
    start = time.perf_counter()
    client.execute()
    return nb, time.perf_counter() - start


def execute_all(root: Path, out: Path, chapters=None, jobs: int = 2) -> Path:
    """Execute every lesson's notebook (``jobs`` at a time) and write each, with
    its outputs, to ``out/NN_slug.ipynb``: what ``build`` shows."""
    import tempfile
    from concurrent.futures import ThreadPoolExecutor

    import nbformat

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    todo = [les for les in lessons(root)
            if not chapters or les.parent.name.startswith(tuple(chapters))]  # fmt: skip
    os.environ.setdefault("MINILM_COURSE_ROOT", str(root))  # the kernels run in temporary folders
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    here = os.path.dirname(sys.executable)  # the "python3" kernelspec runs the python on PATH
    if not os.environ["PATH"].startswith(here + os.pathsep):
        os.environ["PATH"] = here + os.pathsep + os.environ["PATH"]

    def run(lesson):
        with tempfile.TemporaryDirectory(prefix="minilm-lesson-") as folder:
            nb, seconds = execute(lesson, root, Path(folder))
        nbformat.write(nb, out / f"{lesson.parent.name}.ipynb")
        print(f"executed {lesson.parent.name} in {seconds:.0f} s", flush=True)

    with ThreadPoolExecutor(jobs) as pool:
        list(pool.map(run, todo))
    return out


def _cells(nb) -> list[tuple[str, str, tuple]]:
    return [(c.cell_type, c.source, tuple(c.metadata.get("tags", ()))) for c in nb.cells]


def sync(root: Path) -> list[Path]:
    """Write every chapter's notebook from its lesson; return the files that changed."""
    import nbformat

    changed = []
    for lesson in lessons(root):
        path = notebook_path(lesson, root)
        text = nbformat.writes(build(lesson)) + "\n"
        if not path.exists() or path.read_text() != text:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
            changed.append(path)
    return changed


def drift(root: Path) -> list[str]:
    """What differs between lessons and notebooks, one line per problem (empty: in sync)."""
    import nbformat

    problems = []
    expected = set()
    for lesson in lessons(root):
        path = notebook_path(lesson, root)
        expected.add(path)
        if not path.exists():
            problems.append(f"{path}: missing; run `python -m minilm.course sync`")
        elif _cells(nbformat.read(path, as_version=4)) != _cells(build(lesson)):
            problems.append(f"{path}: differs from {lesson}; run `python -m minilm.course sync`")
    for path in sorted(Path(root).glob("notebooks/*.ipynb")):
        if path not in expected:
            problems.append(f"{path}: has no chapters/{path.stem}/lesson.py")
    return problems


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m minilm.course", description=__doc__.split("\n")[0]
    )
    parser.add_argument("command", choices=["sync", "check", "build"])
    parser.add_argument("out", nargs="?", type=Path, help="build: the website's folder")
    parser.add_argument("--root", type=Path, default=None, help="the checkout (default: found)")
    parser.add_argument(
        "--executed", type=Path, metavar="DIR", help="build: executed notebooks (NN_slug.ipynb)"
    )
    parser.add_argument(
        "--chapters", nargs="+", metavar="NN", help="build: only these chapters (e.g. 03 10)"
    )
    parser.add_argument(
        "--no-execute",
        action="store_true",
        help="build: show the committed notebooks, without outputs (seconds, not minutes)",
    )
    args = parser.parse_args(argv)
    root = args.root or repo_root()
    if args.command == "build":
        if args.out is None:
            parser.error("build needs the output folder: python -m minilm.course build OUT/")
        from minilm.site import build_site

        executed = args.executed
        if executed is None and not args.no_execute:  # run the notebooks once, for their outputs
            import tempfile

            executed = Path(tempfile.mkdtemp(prefix="minilm-executed-"))
            execute_all(root, executed, args.chapters)
        index = build_site(args.out, root, executed, args.chapters, quiet=False)
        print(f"wrote the course website: {index} (serve it: python -m http.server -d {args.out})")
        return 0
    if args.command == "sync":
        for path in sync(root):
            print(f"wrote {path.relative_to(root)}")
        return 0
    problems = drift(root)
    print("\n".join(problems) or "notebooks are in sync with their lessons")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
