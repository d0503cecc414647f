"""The bundled task datasets: summarization (SciTLDR-A), QA (SQuAD subset), dialogue
(Topical-Chat).

Expected numbers come from the shared data README (and, where the shared folder is
present, from its files, read here independently of minilm's loaders and of the
reformatted files minilm ships).
"""

import functools
import hashlib
import json
from importlib import resources
from pathlib import Path

import pytest

from minilm.data.tasks import load_dialogue, load_qa, load_summarization, split_sentences

SHARED = Path("/work/shared/data")
CORPORA = resources.files("minilm.data") / "corpora"

# rows per split, from the shared data README; dialogue is the full set before trimming
DOCUMENTED = {
    ("summarization", "train"): 1992,
    ("summarization", "validation"): 619,
    ("summarization", "test"): 618,
    ("qa", "train"): 3002,
    ("qa", "test"): 500,
    ("dialogue", "train"): 1078,
    ("dialogue", "test"): 539,
}
DIALOGUE_TURNS = {"train": 23373, "test": 11760}  # shared README, full set
DIALOGUE_KEEP = {"train": 539, "test": 300}  # the trimming rule (ATTRIBUTION.md)
LOADERS = {"summarization": load_summarization, "qa": load_qa, "dialogue": load_dialogue}
# sha256 of the files shipped byte-for-byte from the shared folder (its README)
SHA256 = {
    "summarization/train.jsonl": (
        "6c6b7108399006f40938a3a0b0aaaae8be3f3540466c06e12899920b5976b114"
    ),
    "summarization/validation.jsonl": (
        "99df95397f85515400d24bf97f86e0d5a9dba5fc8bd8c7f25acb24f984c324e8"
    ),
    "summarization/test.jsonl": (
        "e55f7ff80c9713c7bf3ff1e6ea135187121960c62b792a00ff1c6db40fc921ba"
    ),
    "summarization/LICENSE-Apache-2.0.txt": (
        "c71d239df91726fc519c6eb72d318ec65820627232b2f796219e87dcf35d0ab4"
    ),
    "dialogue/LICENSE-CDLA-Sharing-1.0.txt": (
        "a08ff57744857367fb51f27a06c9877818a102692db72fbe06aaadec4d76e5f3"
    ),
}
needs_shared = pytest.mark.skipif(not SHARED.is_dir(), reason="no shared data folder here")


@functools.cache
def shared_rows(folder, split):
    with open(SHARED / folder / f"{split}.jsonl", encoding="utf-8") as f:
        return [json.loads(line) for line in f]


def load(folder, split):
    return LOADERS[folder]("val" if split == "validation" else split)


@pytest.mark.parametrize("folder, split", list(DOCUMENTED))
def test_row_counts(folder, split):
    expected = DOCUMENTED[folder, split]
    if SHARED.is_dir():
        assert len(shared_rows(folder, split)) == expected
    if folder == "dialogue":
        expected = DIALOGUE_KEEP[split]
    assert len(load(folder, split)) == expected


@pytest.mark.parametrize("name", list(SHA256))
def test_files_copied_unchanged(name):
    data = (CORPORA / name).read_bytes()
    assert hashlib.sha256(data).hexdigest() == SHA256[name]


@needs_shared
@pytest.mark.parametrize("split", ["train", "validation", "test"])
def test_summarization_matches_the_shared_rows(split):
    papers = load("summarization", split)
    for paper, row in zip(papers, shared_rows("summarization", split), strict=True):
        assert paper["id"] == row["id"] and paper["targets"] == [row["summary"]]
        assert " ".join(paper["source"]) == row["document"]


def test_summarization_records():
    ids = set()
    for split in ("train", "val", "test"):
        for paper in load_summarization(split):
            assert paper["source"] and all(paper["source"]) and len(paper["targets"]) == 1
            ids.add(paper["id"])
    assert len(ids) == 1992 + 619 + 618  # an id is unique across the splits
    assert load_summarization("validation") == load_summarization("val")


# Sentences per abstract in SciTLDR's own files (`source` lists), for the first papers
# of SciTLDR-A dev, test and train: an oracle independent of split_sentences.
SCITLDR_SENTENCES = {
    "rJlnfaNYvB": 6, "rJVoEiCqKQ": 5, "rkldVXKU8H": 5, "BJfIVjAcKm": 6, "BJlEEaEFDS": 6,
    "ryg2wlSFwS": 6, "SyOK1Sg0W": 8, "H1eUz1rKPr": 6, "SJ1Xmf-Rb": 9, "S1xzyhR9Y7": 6,
    "HJDUjKeA-": 5, "BJgLg3R9KQ": 6, "BklpOo09tQ": 8, "BJLmN8xRW": 4, "rkMlSnAqYX": 5,
    "HkgEQnRqYQ": 6, "SysEexbRb": 6, "SygvZ209F7": 8, "rkecJ6VFvr": 2, "HJJ0w--0W": 6,
    "HyH9lbZAW": 7, "B1eHgu-Fim": 6, "S1e0ZlHYDB": 6, "rylUOn4Yvr": 8, "ryj38zWRb": 7,
    "HJxhWa4KDr": 7,
}  # fmt: skip


def test_sentences_agree_with_scitldr():
    papers = {p["id"]: p for s in ("train", "val", "test") for p in load_summarization(s)}
    counts = {k: len(papers[k]["source"]) for k in SCITLDR_SENTENCES}
    assert counts == SCITLDR_SENTENCES
    # "Liao et al. (2016)" and "Bartunov et al. (2018)" stay inside their sentences
    assert papers["SygvZ209F7"]["source"][2].startswith("To address this")
    assert papers["SygvZ209F7"]["source"][3].startswith("However, a recent study by Bartunov")
    assert papers["BJLmN8xRW"]["source"][2].endswith("(i.e., by a Domain Generation Algorithm).")


def test_split_sentences_by_hand():
    text = 'A is B. "C" is D! Is E? Yes. 2 is F (cf. Fig. 3). See e.g. G. H, I, etc. J. k.'
    assert split_sentences(text) == ["A is B.", '"C" is D!', "Is E?", "Yes.",
                                     "2 is F (cf. Fig. 3).", "See e.g. G.", "H, I, etc.",
                                     "J. k."]  # fmt: skip
    assert split_sentences("No end") == ["No end"]
    assert split_sentences("CF. We") == ["CF.", "We"]  # abbreviations are case-sensitive


def qa_rows_as_stored(split):
    return [
        {**r, "answers": [{"text": a["text"], "answer_start": a["start"]} for a in r["answers"]]}
        for r in shared_rows("qa", split)
    ]


@needs_shared
@pytest.mark.parametrize("split", ["train", "test"])
def test_qa_matches_the_shared_rows(split):
    assert load_qa(split) == qa_rows_as_stored(split)


@pytest.mark.parametrize("split", ["train", "test"])
def test_every_answer_start_points_at_its_answer(split):
    questions = load_qa(split)
    n_answers = 0
    for q in questions:
        assert q["answers"]
        for a in q["answers"]:
            start = a["answer_start"]
            assert q["context"][start : start + len(a["text"])] == a["text"], (q["id"], a)
            n_answers += 1
    assert n_answers == {"train": 11264, "test": 1493}[split]  # shared README
    assert len({q["id"] for q in questions}) == len(questions)


def test_qa_splits_share_no_paragraph():
    train, test = ({q["context"] for q in load_qa(s)} for s in ("train", "test"))
    assert (len(train), len(test)) == (505, 84)  # paragraphs, shared README
    assert not train & test


@pytest.mark.parametrize("split", ["train", "test"])
def test_dialogue_trimming_rule_and_turns(split):
    chats = load_dialogue(split)
    assert len(chats) == DIALOGUE_KEEP[split]
    for chat in chats:
        assert 20 <= len(chat["turns"]) <= 35
        speakers = [t["speaker"] for t in chat["turns"]]
        assert speakers == ["agent_1", "agent_2"] * (len(speakers) // 2) + ["agent_1"] * (
            len(speakers) % 2
        )
        assert all(t["text"] for t in chat["turns"])
    if SHARED.is_dir():  # the first N conversations of each shared split, unchanged
        full = shared_rows("dialogue", split)
        assert sum(len(c["turns"]) for c in full) == DIALOGUE_TURNS[split]
        assert chats == full[: DIALOGUE_KEEP[split]]


@pytest.mark.parametrize("folder", list(LOADERS))
def test_unknown_split_names_the_valid_ones(folder):
    valid = {"summarization": "'train', 'val', 'test'", "qa": "'train', 'test'",
             "dialogue": "'train', 'test'"}[folder]  # fmt: skip
    with pytest.raises(ValueError, match=f"unknown split 'dev' for the {folder}.*{valid}"):
        LOADERS[folder]("dev")
    if folder != "summarization":
        with pytest.raises(ValueError, match="unknown split 'val'"):
            LOADERS[folder]("val")


def test_licenses_ship_beside_the_data():
    for folder, license in [("summarization", "Apache-2.0"), ("qa", "CC-BY-SA-4.0"),
                            ("dialogue", "CDLA-Sharing-1.0")]:  # fmt: skip
        assert (CORPORA / folder / f"LICENSE-{license}.txt").is_file()
    cc = (CORPORA / "qa" / "LICENSE-CC-BY-SA-4.0.txt").read_text(encoding="utf-8")
    assert cc.startswith("Creative Commons Attribution-ShareAlike 4.0 International\n")
    assert "Section 8 – Interpretation." in cc and len(cc) == 18330


def test_bundled_size_is_under_8_mb():
    def walk(node):
        return sum(walk(c) if c.is_dir() else len(c.read_bytes()) for c in node.iterdir())

    total = sum(walk(CORPORA / folder) for folder in LOADERS)
    assert total < 8_000_000, total
