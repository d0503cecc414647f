"""Find the exercises at a path and the grader and reference solution for each.

An exercise file is named ``exN_name.py`` and lives in a chapter's exercises
folder, ``chapters/NN_slug/exercises/``. Its graders live in the package, in
``minilm/grading/graders/chNN/exN_name.py``, out of the student's reach, and
minilm's reference solution in ``minilm/grading/solutions/chNN/exN_name.py``.
"""

from __future__ import annotations

import importlib
import re
from dataclasses import dataclass
from pathlib import Path

__all__ = ["Exercise", "GradingError", "discover", "lookup", "all_exercises"]

_HERE = Path(__file__).resolve().parent
_EXERCISE = re.compile(r"^ex(\d+)_\w+\.py$")
_CHAPTER = re.compile(r"^(\d\d)_\w+$")


class GradingError(ValueError):
    """A path that cannot be graded: nothing there, no exercises, no grader."""


@dataclass(frozen=True)
class Exercise:
    """One exercise: its chapter key (``ch03``), its name (``ex1_elementwise``)
    and the file to grade (the student's, or the reference solution)."""

    chapter: str
    name: str
    path: Path

    @property
    def grader_module(self) -> str:
        return f"minilm.grading.graders.{self.chapter}.{self.name}"

    @property
    def solution_path(self) -> Path:
        return _HERE / "solutions" / self.chapter / f"{self.name}.py"

    def grader(self):
        return importlib.import_module(self.grader_module)


def _exercise_files(folder: Path) -> list[Path]:
    return [p for p in folder.glob("ex*.py") if _EXERCISE.match(p.name)]


def _number(path: Path) -> int:
    return int(_EXERCISE.match(path.name).group(1))


def all_exercises() -> dict[str, list[str]]:
    """Every exercise that has a grader, by chapter key.

    >>> "ex1_elementwise" in all_exercises()["ch03"]
    True
    """
    found = {}
    for folder in sorted((_HERE / "graders").glob("ch[0-9][0-9]")):
        names = sorted(p.stem for p in folder.glob("ex*.py") if _EXERCISE.match(p.name))
        found[folder.name] = sorted(names, key=lambda n: int(n[2:].split("_")[0]))
    return found


def lookup(path: Path) -> Exercise:
    """The exercise a student file belongs to: by its chapter folder when it sits
    in ``NN_slug/exercises/``, else by its name if exactly one chapter has it."""
    path = Path(path)
    known = all_exercises()
    parts = path.resolve().parts
    if len(parts) >= 3 and parts[-2] == "exercises" and _CHAPTER.match(parts[-3]):
        chapter = "ch" + parts[-3][:2]
        if path.stem not in known.get(chapter, []):
            have = ", ".join(known.get(chapter, [])) or "none"
            raise GradingError(
                f"{path}: chapter {parts[-3]} has no exercise named {path.stem!r} "
                f"(exercises with graders: {have})"
            )
        return Exercise(chapter, path.stem, path)
    owners = [ch for ch, names in known.items() if path.stem in names]
    if len(owners) != 1:
        why = "no chapter has" if not owners else f"chapters {', '.join(owners)} all have"
        raise GradingError(
            f"{path}: {why} an exercise named {path.stem!r}; grade the file where it "
            "lives, in chapters/NN_slug/exercises/"
        )
    return Exercise(owners[0], path.stem, path)


def discover(path) -> list[Exercise]:
    """The exercises at ``path``: one exercise file, a chapter's exercises
    folder, a chapter folder (its ``exercises/`` is used), or the folder of
    chapters (every chapter's). Ordered by chapter, then number.
    """
    path = Path(path)
    if not path.exists():
        raise GradingError(f"{path}: no such file or folder")
    if path.is_file():
        if not _EXERCISE.match(path.name):
            raise GradingError(f"{path}: not an exercise file (expected a name like ex1_name.py)")
        return [lookup(path)]
    if (path / "exercises").is_dir():
        path = path / "exercises"
    files = sorted(_exercise_files(path), key=_number)
    if files:
        return [lookup(p) for p in files]
    chapters = sorted(c for c in path.glob("[0-9][0-9]_*/exercises") if _exercise_files(c))
    if chapters:  # the folder of chapters: every chapter's exercises
        return [e for c in chapters for e in discover(c)]
    raise GradingError(
        f"{path}: no exercises here (files named exN_name.py, in a chapter's exercises/ folder)"
    )
