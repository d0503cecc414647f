"""``python -m minilm grade SUBMISSIONS/ --class`` end to end, on a generated
class of three students: one perfect, one with the bugs students make, one
hostile (it calls the library function it was asked to write, and hands in
one exercise fewer)."""

import csv
import json
from pathlib import Path

from planted_bugs import BUGS as BUGS_CH03
from planted_bugs_ch02 import BUGS as BUGS_CH02

from minilm.cli import main

ROOT = Path(__file__).resolve().parents[2]
SOLUTIONS = ROOT / "minilm/grading/solutions"
ASSIGNED = {  # chapter folder, exercise, points
    ("03_neural_networks", "ex6_warmup_cosine"): 4,
    ("02_math_foundations", "ex3_bayes"): 4,
}


def _bug(bugs, name):
    [(_, _, old, new)] = [b for b in bugs if b[0] == name][:1]
    return old, new


def _write(klass: Path, student: str, chapter: str, name: str, source: str) -> None:
    path = klass / student / "chapters" / chapter / "exercises" / f"{name}.py"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(source)


def _class(tmp_path: Path) -> Path:
    klass = tmp_path / "submissions"
    for (chapter, name), _ in ASSIGNED.items():
        reference = (SOLUTIONS / f"ch{chapter[:2]}" / f"{name}.py").read_text()
        _write(klass, "ada", chapter, name, reference)
        old, new = _bug(BUGS_CH03 if chapter.startswith("03") else BUGS_CH02, name)
        assert reference.count(old) == 1
        _write(klass, "bob", chapter, name, reference.replace(old, new))
    _write(klass, "eve", "03_neural_networks", "ex6_warmup_cosine",
           (Path(__file__).parent / "hostile" / "call_library.py").read_text())  # fmt: skip
    return klass


def test_a_class_is_graded_in_one_command(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    klass = _class(tmp_path)
    rc = main(["grade", str(klass), "--class", "-j", "2", "--out", str(tmp_path / "grades")])
    out = capsys.readouterr().out
    assert rc == 0, out
    rows = list(csv.DictReader(open(tmp_path / "grades" / "grades.csv")))
    by = {(r["student"], r["exercise"]): r for r in rows}
    assert len(rows) == 6  # three students, two exercises each (one missing)
    for name, points in [(n, p) for (_, n), p in ASSIGNED.items()]:
        assert by["ada", name]["status"] == "passed" and int(by["ada", name]["points"]) == points
        assert by["bob", name]["status"] == "failed" and int(by["bob", name]["points"]) < points
        assert int(by["bob", name]["out_of"]) == points
    assert by["eve", "ex6_warmup_cosine"]["status"] == "refused"
    assert by["eve", "ex6_warmup_cosine"]["points"] == "0"
    assert by["eve", "ex3_bayes"]["status"] == "missing"
    assert (by["eve", "ex3_bayes"]["points"], by["eve", "ex3_bayes"]["out_of"]) == ("0", "4")

    summary = json.loads((tmp_path / "grades" / "grades.json").read_text())
    assert summary["students"]["ada"] == {"points": 8, "out_of": 8}
    assert summary["students"]["eve"]["points"] == 0
    assert summary["grades"] == [{**r, "points": int(r["points"]), "out_of": int(r["out_of"])}
                                 for r in rows]  # fmt: skip

    table = out.split("\n\n")[0].splitlines()
    assert table[0].split() == ["student", "points", "statuses"]
    assert table[1].split()[:2] == ["ada", "8/8"] and "2 passed" in table[1]
    assert table[3].split()[0] == "eve" and "1 missing" in table[3] and "1 refused" in table[3]

    reports = tmp_path / "grades" / "reports"
    assert sorted(p.name for p in reports.iterdir()) == ["ada.txt", "bob.txt", "eve.txt"]
    eve = (reports / "eve.txt").read_text()
    assert "asks you to write" in eve and "not handed in: ch02/ex3_bayes" in eve
    assert "smallest counterexample" in (reports / "bob.txt").read_text()


def test_a_class_folder_needs_student_folders(tmp_path, capsys):
    (tmp_path / "empty").mkdir()
    assert main(["grade", str(tmp_path / "empty"), "--class"]) == 2
    assert "no student folders" in capsys.readouterr().err
    (tmp_path / "odd" / "not a name!").mkdir(parents=True)
    assert main(["grade", str(tmp_path / "odd"), "--class"]) == 2
    assert "plain name" in capsys.readouterr().err


def test_links_in_a_submission_are_not_followed(tmp_path, capsys):
    klass = tmp_path / "submissions"
    target = tmp_path / "secret.py"
    target.write_text("def warmup_cosine(*a):\n    return 0.0\n")
    folder = klass / "mallory" / "03_neural_networks" / "exercises"
    folder.mkdir(parents=True)
    (folder / "ex6_warmup_cosine.py").symlink_to(target)
    _write(klass, "ada", "03_neural_networks", "ex6_warmup_cosine",
           (SOLUTIONS / "ch03" / "ex6_warmup_cosine.py").read_text())  # fmt: skip
    assert main(["grade", str(klass), "--class", "--out", str(tmp_path / "g")]) == 0
    rows = {r["student"]: r for r in csv.DictReader(open(tmp_path / "g" / "grades.csv"))}
    assert rows["mallory"]["status"] == "missing"
