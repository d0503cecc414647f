"""Chapters: every notebook matches its lesson.py, the table of contents lists
every chapter, every notebook runs top to bottom on the CPU, the numbers its
prose quotes are the numbers it prints, no lesson shows an exercise's reference
before the exercise, and every lesson ends with its summary, exercises and
further reading.

The notebooks run on their small settings; ``MINILM_FULL=1 pytest
tests/test_chapters.py`` runs the full-size versions.
"""

import ast
import os
import re
import shutil
import sys
import types

import pytest

from minilm import course
from minilm.grading import discover
from minilm.sandbox.worker import resolve

ROOT = course.repo_root()
LESSONS = course.lessons(ROOT)


def test_show_prints_the_source_and_rejects_what_has_none(capsys):
    from minilm.functional import softmax

    course.show(softmax)
    out = capsys.readouterr().out
    assert out.startswith("def softmax(") and "return" in out
    with pytest.raises(TypeError, match="no Python source"):
        course.show(len)  # a builtin: no .py file behind it


def test_notebooks_match_their_lessons():
    assert course.drift(ROOT) == []


def test_drift_is_detected_and_sync_repairs_it(tmp_path):
    lesson = LESSONS[0]
    copy = tmp_path / "chapters" / lesson.parent.name / "lesson.py"
    copy.parent.mkdir(parents=True)
    shutil.copy(lesson, copy)
    assert [p.name for p in course.sync(tmp_path)] == [f"{lesson.parent.name}.ipynb"]
    assert course.sync(tmp_path) == [] and course.drift(tmp_path) == []
    copy.write_text(copy.read_text() + "\n# %%\nprint('an edit')\n")
    assert "differs from" in course.drift(tmp_path)[0]
    course.sync(tmp_path)
    assert course.drift(tmp_path) == []
    (tmp_path / "notebooks" / "99_orphan.ipynb").write_text("{}")
    assert "has no chapters/99_orphan/lesson.py" in course.drift(tmp_path)[0]


def test_table_of_contents_lists_every_chapter():
    toc = (ROOT / "chapters" / "README.md").read_text()
    for n in range(1, 13):
        assert f"| {n:02d} " in toc, f"chapter {n:02d} is missing from chapters/README.md"
    for lesson in LESSONS:
        assert f"{lesson.parent.name}/" in toc


def test_chapters_marked_complete_are_complete():
    for line in (ROOT / "chapters" / "README.md").read_text().splitlines():
        if line.startswith("| ") and line.rstrip().endswith("| **complete** |"):
            slug = line.split("`")[1].rstrip("/")
            folder = ROOT / "chapters" / slug
            for part in ("README.md", "lesson.py", "exercises"):
                assert (folder / part).exists(), f"{slug} is marked complete but has no {part}"
            assert (ROOT / "notebooks" / f"{slug}.ipynb").exists()
            assert list((folder / "exercises").glob("ex*.py")), f"{slug} has no exercises"


def _execute(lesson, folder):
    """Run ``lesson``'s notebook top to bottom in ``folder`` (minilm.course.execute)."""
    return course.execute(lesson, ROOT, folder)


@pytest.fixture(scope="module")
def executed(tmp_path_factory):
    """Every notebook, run two at a time (``MINILM_NOTEBOOK_JOBS``), as a 2-core
    machine can: lesson -> a future of (notebook, seconds). With
    ``MINILM_EXECUTED_NOTEBOOKS=DIR`` each executed notebook is also written to
    ``DIR/NN_slug.ipynb`` (``python -m minilm.course build OUT --executed DIR``)."""
    pytest.importorskip("nbclient")
    pytest.importorskip("nbformat")
    from concurrent.futures import ThreadPoolExecutor

    env = {
        # the kernel is this Python (the "python3" kernelspec runs whichever python is on PATH)
        "PATH": os.path.dirname(sys.executable) + os.pathsep + os.environ["PATH"],
        "MINILM_COURSE_ROOT": str(ROOT),  # the kernel runs in a temporary folder
        # small matrices on a shared 2-core runner: BLAS threads cost more than they give
        "OPENBLAS_NUM_THREADS": os.environ.get("OPENBLAS_NUM_THREADS", "1"),
    }
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    save_to = os.environ.get("MINILM_EXECUTED_NOTEBOOKS")  # CI's website build reuses them

    def run(lesson, folder):
        nb, seconds = _execute(lesson, folder)
        if save_to:
            import nbformat

            os.makedirs(save_to, exist_ok=True)
            nbformat.write(nb, os.path.join(save_to, f"{lesson.parent.name}.ipynb"))
        return nb, seconds

    pool = ThreadPoolExecutor(int(os.environ.get("MINILM_NOTEBOOK_JOBS", "2")))
    futures = {lesson: pool.submit(run, lesson, tmp_path_factory.mktemp(lesson.parent.name))
               for lesson in LESSONS}  # fmt: skip
    yield futures
    pool.shutdown(wait=True, cancel_futures=True)
    for k, v in saved.items():
        if v is None:
            os.environ.pop(k, None)
        else:
            os.environ[k] = v


@pytest.mark.parametrize("lesson", LESSONS, ids=lambda p: p.parent.name)
def test_notebook_runs_top_to_bottom(lesson, executed):
    nb, seconds = executed[lesson].result()
    print(f"{lesson.parent.name}: {seconds:.0f} s")
    problems = cited_numbers_not_printed(nb)
    assert not problems, "\n".join(problems)


# -- the prose quotes what the code prints ------------------------------------

_NUMBER = re.compile(r"(?<![\w.])-?\d+\.\d+(?![\w])")


def _output_text(cell) -> str:
    parts = []
    for out in cell.get("outputs", []):
        if out.get("output_type") == "stream":
            parts.append(out.get("text", ""))
        elif "data" in out:
            parts.append(out["data"].get("text/plain", ""))
    return "".join(parts)


def cited_numbers_not_printed(nb) -> list[str]:
    """For every markdown cell tagged ``cites``: each decimal number in its prose
    (not in $math$ or `code`) that the code cell just before it did not print."""
    problems, previous = [], None
    for i, cell in enumerate(nb.cells):
        if cell.cell_type == "code":
            previous = cell
            continue
        if "cites" not in cell.metadata.get("tags", []):
            continue
        prose = re.sub(r"\$\$.*?\$\$|\$[^$]*\$|`[^`]*`", " ", cell.source, flags=re.S)
        printed = _output_text(previous) if previous is not None else ""
        for number in _NUMBER.findall(prose):
            if number not in printed:
                problems.append(f"cell {i} cites {number}, which the code cell before it "
                                f"does not print (it printed: {printed[-300:]!r})")  # fmt: skip
    return problems


def test_a_cited_number_must_be_printed():
    import nbformat

    nb = nbformat.v4.new_notebook()
    code = nbformat.v4.new_code_cell("print(0.39)")
    code.outputs = [nbformat.v4.new_output("stream", text="0.39\n")]
    cites = nbformat.v4.new_markdown_cell("Adam ends 0.39 away, momentum 0.09 ($x = 1.5$).")
    cites.metadata["tags"] = ["cites"]
    nb.cells = [code, cites]
    assert cited_numbers_not_printed(nb) == [
        "cell 1 cites 0.09, which the code cell before it does not print (it printed: '0.39\\n')"
    ]


# -- no exercise is given away -------------------------------------------------


def _aliases(tree) -> dict:
    names = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for a in node.names:
                names[a.asname or a.name.split(".")[0]] = (
                    a.name if a.asname else a.name.split(".")[0]
                )
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for a in node.names:
                names[a.asname or a.name] = f"{node.module}.{a.name}"
    return names


def _dotted(node) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        base = _dotted(node.value)
        return f"{base}.{node.attr}" if base else None
    return None


def shown_before(cells: list[str]) -> list:
    """The objects ``show(...)`` displays in these code cells, where its argument
    is a name the imports resolve."""
    source = "\n".join(cells)
    try:
        tree = ast.parse(source)
    except SyntaxError:
        tree = ast.parse("\n".join(c for c in cells if not c.lstrip().startswith(("%", "!"))))
    aliases, shown = _aliases(tree), []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and _dotted(node.func) in ("show", "course.show"):
            dotted = _dotted(node.args[0]) if node.args else None
            if not dotted:
                continue
            head, _, rest = dotted.partition(".")
            if head not in aliases:
                continue
            try:
                shown.append((dotted, resolve(aliases[head] + ("." + rest if rest else ""))))
            except (LookupError, AttributeError):
                continue
    return shown


def reveals(shown, target) -> bool:
    """Whether showing ``shown`` displays ``target``'s source: it is the target,
    the class or module that defines it, or a class the target is a method of."""
    fn = getattr(target, "__func__", target)
    if shown is target or getattr(shown, "__func__", None) is fn:
        return True
    if isinstance(shown, type):
        return any(getattr(v, "__func__", v) is fn or v is target for v in vars(shown).values())
    if isinstance(shown, types.ModuleType):
        module = getattr(target, "__module__", None)
        return module == shown.__name__
    return False


EXERCISES = [e for lesson in LESSONS if (lesson.parent / "exercises").is_dir()
             for e in discover(lesson.parent)]  # fmt: skip


@pytest.mark.parametrize("exercise", EXERCISES, ids=lambda e: f"{e.chapter}/{e.name}")
def test_the_lesson_does_not_show_the_reference_before_the_exercise(exercise):
    lesson = exercise.path.parents[1] / "lesson.py"
    cells = course.build(lesson).cells
    where = [i for i, c in enumerate(cells) if f"{exercise.name}.py" in c.source]
    assert where, f"{lesson} never introduces exercises/{exercise.name}.py (name it in a cell)"
    before = [c.source for c in cells[: where[0]] if c.cell_type == "code"]
    targets = [(d, resolve(d)) for d in getattr(exercise.grader(), "REIMPLEMENTS", ())]
    for shown_name, shown in shown_before(before):
        for name, target in targets:
            assert not reveals(shown, target), (
                f"{lesson.parent.name}: show({shown_name}) displays {name}, the reference of "
                f"{exercise.name}, before the exercise; move it after the exercise's cell"
            )


def test_the_reveal_check_sees_a_class_and_its_method():
    from minilm.ops.arith import Mul

    [(name, shown)] = shown_before(["from minilm.ops.arith import Mul\nshow(Mul)"])
    assert name == "Mul" and reveals(shown, Mul.backward) and reveals(shown, Mul)
    assert not reveals(shown, resolve("minilm.ops.arith.Div.backward"))


@pytest.mark.parametrize("lesson", LESSONS, ids=lambda p: p.parent.name)
def test_every_lesson_ends_with_summary_exercises_and_reading(lesson):
    headings = [line.strip("# ").strip() for c in course.build(lesson).cells
                if c.cell_type == "markdown" for line in c.source.splitlines()
                if line.startswith("## ")]  # fmt: skip
    assert headings[-3:] == ["Summary", "Exercises", "Further reading"], headings[-5:]
