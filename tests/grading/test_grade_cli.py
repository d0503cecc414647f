"""``python -m minilm grade``: the child-process runner, the report and exit codes.

A student's file may not even import, may raise, exit or loop forever; each is
a failed exercise in the report, never a crashed grader.
"""

from pathlib import Path

import pytest

from minilm.cli import main
from minilm.grading import discover

ROOT = Path(__file__).resolve().parents[2]
CHAPTER = ROOT / "chapters" / "03_neural_networks"
SCHEDULE = CHAPTER / "exercises" / "ex6_warmup_cosine.py"
SOLUTION = ROOT / "minilm" / "grading" / "solutions" / "ch03" / "ex6_warmup_cosine.py"


def grade(capsys, *args):
    rc = main(["grade", *map(str, args)])
    out, err = capsys.readouterr()
    return rc, out, err


def student_file(tmp_path, body: str) -> Path:
    """A copy of the schedule exercise with ``body`` as its whole source."""
    folder = tmp_path / "03_neural_networks" / "exercises"
    folder.mkdir(parents=True)
    path = folder / SCHEDULE.name
    path.write_text(body)
    return path


def test_untouched_stubs_score_zero_without_crashing(capsys):
    rc, out, _ = grade(capsys, CHAPTER / "exercises")
    assert rc == 1
    total = out.splitlines()[len(list((CHAPTER / "exercises").glob("ex*.py"))) + 1]
    assert total.split()[0] == "total" and total.split()[1].startswith("0/")
    assert "NotImplementedError: write warmup_cosine" in out


def test_a_chapter_or_the_whole_course_can_be_graded():
    chapter = discover(CHAPTER)
    assert chapter == discover(CHAPTER / "exercises")
    course = discover(ROOT / "chapters")
    assert [e for e in course if e.chapter == "ch03"] == chapter
    assert [e.chapter for e in course] == sorted(e.chapter for e in course)


def test_reference_solution_gets_full_marks_and_leaves_no_files(capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    rc, out, _ = grade(capsys, "--solution", SCHEDULE)
    assert rc == 0
    assert "ex6_warmup_cosine      3/3" in out and "4/4" in out
    assert list(tmp_path.iterdir()) == []  # no .hypothesis cache where the student works


def test_a_planted_bug_is_reported_with_its_counterexample(capsys, tmp_path):
    source = SOLUTION.read_text().replace("(t + 1) / warmup_steps", "t / warmup_steps")
    rc, out, _ = grade(capsys, student_file(tmp_path, source))
    assert rc == 1
    assert "FAIL warmup" in out and "smallest counterexample:" in out and "kw={" in out


@pytest.mark.parametrize(
    "body, expected",
    [
        ("def warmup_cosine(t,:\n    pass\n", "SyntaxError"),
        ("raise RuntimeError('boom at import')\n", "RuntimeError: boom at import"),
        ("import sys\n\ndef warmup_cosine(*args):\n    sys.exit(3)\n", "SystemExit: 3"),
        ("def warmup_cosine(*args):\n    return None\n", "got None"),
        (
            "import os\n\ndef warmup_cosine(*args):\n    os._exit(7)\n",
            "process stopped (exit code 7",
        ),
    ],
    ids=["syntax error", "exception on import", "sys.exit", "returns None", "process dies"],
)
def test_broken_student_code_fails_cleanly(capsys, tmp_path, body, expected):
    rc, out, _ = grade(capsys, student_file(tmp_path, body))
    assert rc == 1
    assert "0/4" in out and expected in out


def test_an_endless_loop_hits_the_time_limit(capsys, tmp_path):
    path = student_file(tmp_path, "def warmup_cosine(*args):\n    while True:\n        pass\n")
    rc, out, _ = grade(capsys, "--timeout", "3", path)
    assert rc == 1
    assert "did not finish within the time limit (3 s)" in out and "0/4  timeout" in out


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda tmp: tmp / "missing", "no such file or folder"),
        (lambda tmp: tmp, "no exercises here"),
        (lambda tmp: (tmp / "notes.py").touch() or tmp / "notes.py", "not an exercise file"),
        (lambda tmp: student_file(tmp, "").with_name("ex9_unknown.py"), "no exercise named"),
    ],
    ids=["missing path", "folder without exercises", "not an exercise", "unknown exercise"],
)
def test_paths_that_cannot_be_graded_are_usage_errors(capsys, tmp_path, make, message):
    path = make(tmp_path)
    if path.name == "ex9_unknown.py":
        path.write_text("")
    rc, out, err = grade(capsys, path)
    assert rc == 2 and message in err and out == ""
