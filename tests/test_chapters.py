"""Chapters: every notebook matches its lesson.py, the table of contents lists
every chapter, and every notebook runs top to bottom on the CPU.

The notebooks run on their small settings; ``MINILM_FULL=1 pytest
tests/test_chapters.py`` runs the full-size versions.
"""

import os
import shutil
import sys

import pytest

from minilm import course

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


@pytest.mark.parametrize("lesson", LESSONS, ids=lambda p: p.parent.name)
def test_notebook_runs_top_to_bottom(lesson, tmp_path, monkeypatch):
    nbclient = pytest.importorskip("nbclient")
    nbformat = pytest.importorskip("nbformat")
    nb = nbformat.read(course.notebook_path(lesson, ROOT), as_version=4)
    # the kernel is this Python (the "python3" kernelspec runs whichever python is on PATH)
    monkeypatch.setenv("PATH", os.path.dirname(sys.executable) + os.pathsep + os.environ["PATH"])
    monkeypatch.setenv("MINILM_COURSE_ROOT", str(ROOT))  # the kernel runs in tmp_path
    # small matrices on a shared 2-core runner: BLAS threads cost more than they give
    monkeypatch.setenv("OPENBLAS_NUM_THREADS", os.environ.get("OPENBLAS_NUM_THREADS", "1"))
    timeout = 3600 if os.environ.get("MINILM_FULL") == "1" else 600  # seconds per cell
    client = nbclient.NotebookClient(
        nb, timeout=timeout, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}
    )
    client.execute()
