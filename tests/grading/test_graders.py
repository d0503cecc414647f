"""Every grader passes minilm's reference solution, gives the untouched stub zero
points, and catches every planted bug, in every chapter that has exercises; and
a differently written correct solution (alternatives/chNN/) passes too.

Planted bugs: chapter 03's in planted_bugs.py, every other chapter's in
planted_bugs_chNN.py. Exercises and bugs are named ``chNN/exN_name``.

Checks run in this process (the child-process runner is tested in
test_grade_cli.py), so a failure shows the grader's own traceback.
"""

import importlib
from pathlib import Path

import pytest

from minilm.grading import checks_of, discover, load_student, run_checks
from minilm.sandbox.worker import resolve

ROOT = Path(__file__).resolve().parents[2]
CHAPTERS = {
    f"ch{p.name[:2]}": p
    for p in sorted((ROOT / "chapters").glob("[0-9][0-9]_*"))
    if (p / "exercises").is_dir()
}
EXERCISES = {f"{ch}/{e.name}": e for ch, path in CHAPTERS.items() for e in discover(path)}


def _planted(chapter: str) -> list:
    module = "planted_bugs" if chapter == "ch03" else f"planted_bugs_{chapter}"
    try:
        bugs = importlib.import_module(module).BUGS
    except ModuleNotFoundError as e:
        if e.name != module:
            raise
        return []  # test_every_exercise_has_planted_bugs fails for this chapter alone
    return [(f"{chapter}/{name}", *rest) for name, *rest in bugs]


BUGS = [bug for chapter in CHAPTERS for bug in _planted(chapter)]
ALTERNATIVES = sorted((Path(__file__).resolve().parent / "alternatives").glob("ch*/ex*.py"))


@pytest.mark.parametrize("chapter", sorted(CHAPTERS))
def test_every_exercise_has_planted_bugs(chapter):
    names = {name for name in EXERCISES if name.startswith(chapter + "/")}
    assert names and names == {name for name, *_ in _planted(chapter)}


@pytest.mark.parametrize("name", sorted(EXERCISES))
def test_reference_solution_passes(name):
    ex = EXERCISES[name]
    student = load_student(ex.solution_path, f"solution_{ex.name}")
    failed = [r for r in run_checks(checks_of(ex.grader()), student) if not r.passed]
    assert not failed, "\n".join(f"{r.name}: {r.message}\n{r.counterexample}" for r in failed)


@pytest.mark.parametrize("path", ALTERNATIVES, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_another_correct_solution_passes(path):
    """Graders check results, not one way of writing them."""
    ex = EXERCISES[f"{path.parent.name}/{path.stem}"]
    student = load_student(path, f"alternative_{ex.name}")
    failed = [r for r in run_checks(checks_of(ex.grader()), student) if not r.passed]
    assert not failed, "\n".join(f"{r.name}: {r.message}\n{r.counterexample}" for r in failed)


def test_every_chapter_03_exercise_has_an_alternative_solution():
    ch03 = {name for name in EXERCISES if name.startswith("ch03/")}
    assert ch03 == {f"{p.parent.name}/{p.stem}" for p in ALTERNATIVES if p.parent.name == "ch03"}


@pytest.mark.parametrize("name", sorted(EXERCISES))
def test_untouched_stub_scores_zero(name):
    ex = EXERCISES[name]
    student = load_student(ex.path, f"stub_{ex.name}")
    results = run_checks(checks_of(ex.grader()), student)
    assert results and all(not r.passed for r in results)
    assert all("NotImplementedError" in r.message for r in results)


@pytest.mark.parametrize(
    "name, bug, old, new", BUGS, ids=[f"{name}: {bug}" for name, bug, *_ in BUGS]
)
def test_planted_bug_is_caught(tmp_path, name, bug, old, new):
    ex = EXERCISES[name]
    source = ex.solution_path.read_text()
    assert source.count(old) == 1, f"the bug's target text must occur once in {ex.solution_path}"
    path = tmp_path / f"{ex.name}.py"
    path.write_text(source.replace(old, new))
    student = load_student(path, f"bug_{ex.name}")
    for c in checks_of(ex.grader()):  # stop at the first check that catches it
        if not run_checks([c], student)[0].passed:
            return
    pytest.fail(f"no check of {name} catches the planted bug: {bug}")


@pytest.mark.parametrize("chapter", sorted(CHAPTERS))
def test_every_chapter_has_at_least_four_exercises(chapter):
    assert len([n for n in EXERCISES if n.startswith(chapter + "/")]) >= 4


@pytest.mark.parametrize("name", sorted(EXERCISES))
def test_every_grader_names_what_it_reimplements(name):
    """REIMPLEMENTS: the library code the exercise asks for, refused in the sandbox;
    every name must exist (the student's process patches each one)."""
    grader = EXERCISES[name].grader()
    assert isinstance(getattr(grader, "REIMPLEMENTS", None), tuple), f"{name} has no REIMPLEMENTS"
    for dotted in grader.REIMPLEMENTS:
        assert callable(resolve(dotted)), dotted
