"""Submissions written the way a student who wants the points would write them
(``tests/grading/hostile/``), graded as one class beside honest ones.

Each must score 0, and the batch must finish with every other report intact:
no forged result, patched grader, copied or called reference, edited install,
signal, deletion, memory grab, fork bomb, leftover process or forged output
changes a grade or the instructor's files. The grader runs in a subprocess
with an instructor's folder as its working folder, as an instructor runs it.

The user-id sandbox needs root (CI runs as root); without it the cheats that
only file permissions and user ids stop are not run, as the report says.
"""

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from minilm.grading import isolation

ROOT = Path(__file__).resolve().parents[2]
HOSTILE = Path(__file__).resolve().parent / "hostile"
EXERCISE = Path("chapters/03_neural_networks/exercises/ex6_warmup_cosine.py")
SOLUTION = ROOT / "minilm/grading/solutions/ch03/ex6_warmup_cosine.py"
GRADERS = ROOT / "minilm/grading/graders"
AS_ROOT = isolation.is_root()

# cheat -> (the status it must get, whether only the user-id sandbox stops it)
CHEATS = {
    "forge_results": ("crashed", False),
    "patch_grader": ("refused", False),
    "overwrite_reference": ("failed", False),
    "import_solution": ("refused", False),
    "exec_solution": ("failed", True),
    "read_solution": ("failed", True),
    "call_library": ("refused", False),
    "edit_installed": ("failed", True),
    "signal_grader": ("failed", True),
    "delete_files": ("failed", True),
    "exhaust_memory": ("failed", False),
    "grandchild": ("failed", True),
    "forge_stdout": ("failed", True),
    "fork_bomb": ("failed", True),
    "garbage_reply": ("crashed", False),
    "alias_library": ("refused", False),
    "copy_classmate": ("failed", True),
    "git_history": ("failed", True),
}
RUN = {name: v for name, v in CHEATS.items() if AS_ROOT or not v[1]}


def _digest(folder: Path) -> dict:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*.py")) if "__pycache__" not in p.parts}  # fmt: skip


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    base = tmp_path_factory.mktemp("hostile")
    instructor, klass = base / "instructor", base / "class"
    instructor.mkdir()
    (instructor / "gradebook.txt").write_text("the instructor's own file\n")
    students = {"honest": SOLUTION.read_text(), "honest_too": SOLUTION.read_text()}
    for name in RUN:
        source = (HOSTILE / f"{name}.py").read_text()
        for token, value in [
            ("INSTRUCTOR_DIR", instructor),
            ("CLASS_DIR", klass),
            ("REPO_DIR", ROOT),
        ]:
            source = source.replace(token, str(value))
        students[name] = source
    for name, source in students.items():
        path = klass / name / EXERCISE
        path.parent.mkdir(parents=True)
        path.write_text(source)
    before = _digest(GRADERS)
    package_files = set(os.listdir(ROOT / "minilm"))
    done = subprocess.run(
        [sys.executable, "-m", "minilm", "grade", str(klass), "--class", "--out",
         str(instructor / "grades"), "-j", "2", "--timeout", "60", "--memory", "2048"],
        cwd=instructor, capture_output=True, text=True, timeout=900,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )  # fmt: skip
    after = _digest(GRADERS)
    for rel in before:  # never leave a damaged grader behind, whatever the outcome
        if before[rel] != after.get(rel):
            subprocess.run(
                ["git", "-C", str(ROOT), "checkout", "--", f"minilm/grading/graders/{rel}"]
            )
    for extra in set(os.listdir(ROOT / "minilm")) - package_files:
        (ROOT / "minilm" / extra).unlink()
    return {
        "done": done,
        "instructor": instructor,
        "class": klass,
        "students": students,
        "grades": json.loads((instructor / "grades" / "grades.json").read_text())
        if (instructor / "grades" / "grades.json").exists() else None,
        "graders_unchanged": before == after,
        "package_unchanged": set(os.listdir(ROOT / "minilm")) == package_files,
    }  # fmt: skip


def _row(graded, student):
    [row] = [r for r in graded["grades"]["grades"] if r["student"] == student]
    return row


def test_the_batch_finishes_and_reports_every_student(graded):
    done = graded["done"]
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "Traceback" not in done.stderr, done.stderr[-3000:]
    assert {r["student"] for r in graded["grades"]["grades"]} == set(graded["students"])
    for student in graded["students"]:
        assert (graded["instructor"] / "grades" / "reports" / f"{student}.txt").exists()


def test_honest_submissions_keep_full_marks(graded):
    for student in ("honest", "honest_too"):
        row = _row(graded, student)
        assert (row["points"], row["out_of"], row["status"]) == (4, 4, "passed"), row


@pytest.mark.parametrize("cheat", sorted(CHEATS))
def test_a_cheat_scores_zero(graded, cheat):
    if cheat not in RUN:
        pytest.skip("only the user-id sandbox, which needs root, stops this one")
    row = _row(graded, cheat)
    assert row["points"] == 0, row
    assert row["status"] == CHEATS[cheat][0], row


def test_refusals_say_why(graded):
    report = (graded["instructor"] / "grades" / "reports" / "call_library.txt").read_text()
    assert "WarmupCosineLR" in report and "asks you to write" in report
    report = (graded["instructor"] / "grades" / "reports" / "import_solution.txt").read_text()
    assert "minilm.grading" in report and "off limits" in report


def test_instructor_and_classmates_files_are_intact(graded):
    if not AS_ROOT:
        pytest.skip("needs root: the user-id sandbox")
    assert (graded["instructor"] / "gradebook.txt").read_text() == "the instructor's own file\n"
    for student, source in graded["students"].items():
        path = graded["class"] / student / EXERCISE
        assert path.read_text() == source, f"{student}'s submission was changed"


def test_the_installed_package_is_unchanged(graded):
    if not AS_ROOT:
        pytest.skip("needs root: the user-id sandbox")
    assert graded["graders_unchanged"] and graded["package_unchanged"]
    for folder in (GRADERS, ROOT / "minilm/grading/solutions"):  # root's alone while grading
        assert folder.stat().st_mode & 0o077 == 0


def test_no_process_outlives_its_submission(graded):
    if not AS_ROOT:
        pytest.skip("needs root: the user-id sandbox")
    uids = graded["grades"]["sandbox_uids"]
    assert uids, "a run as root grades as sandbox users"
    leftover = [p for p in Path("/proc").glob("[0-9]*/status") if _uid_of(p) in uids]
    assert not leftover, [p.parent.name for p in leftover]


def _uid_of(status: Path):
    try:
        for line in status.read_text().splitlines():
            if line.startswith("Uid:"):
                return int(line.split()[1])
    except OSError:
        return None


def test_forged_output_reaches_no_one_unmarked(graded):
    if not AS_ROOT:
        pytest.skip("needs root: the user-id sandbox")
    out = graded["done"].stdout
    assert "999/999" not in out and "\x1b" not in out
    report = (graded["instructor"] / "grades" / "reports" / "forge_stdout.txt").read_text()
    assert "\x1b" not in report
    forged = [line for line in report.splitlines() if "999/999" in line]
    assert forged and all(line.startswith("  | ") for line in forged)
    assert len(report) < 20_000  # 100 kB printed, a few kB shown
