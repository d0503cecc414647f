"""Every grader passes minilm's reference solution, gives the untouched stub zero
points, and catches every planted bug (see planted_bugs.py).

Checks run in this process (the child-process runner is tested in
test_grade_cli.py), so a failure shows the grader's own traceback.
"""

from pathlib import Path

import pytest
from planted_bugs import BUGS

from minilm.grading import checks_of, discover, load_student, run_checks

ROOT = Path(__file__).resolve().parents[2]
EXERCISES = {e.name: e for e in discover(ROOT / "chapters" / "03_neural_networks")}


def test_every_exercise_has_planted_bugs():
    assert set(EXERCISES) == {name for name, *_ in BUGS}
    assert len(EXERCISES) >= 6


@pytest.mark.parametrize("name", sorted(EXERCISES))
def test_reference_solution_passes(name):
    ex = EXERCISES[name]
    student = load_student(ex.solution_path, f"solution_{name}")
    failed = [r for r in run_checks(checks_of(ex.grader()), student) if not r.passed]
    assert not failed, "\n".join(f"{r.name}: {r.message}\n{r.counterexample}" for r in failed)


@pytest.mark.parametrize("name", sorted(EXERCISES))
def test_untouched_stub_scores_zero(name):
    ex = EXERCISES[name]
    student = load_student(ex.path, f"stub_{name}")
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
    path = tmp_path / f"{name}.py"
    path.write_text(source.replace(old, new))
    student = load_student(path, f"bug_{name}")
    for c in checks_of(ex.grader()):  # stop at the first check that catches it
        if not run_checks([c], student)[0].passed:
            return
    pytest.fail(f"no check of {name} catches the planted bug: {bug}")
