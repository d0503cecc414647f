"""Task datasets as records: summarization, extractive QA, dialogue.

Three real datasets ship with the package (``minilm/data/corpora/``; sources,
licenses and how each was trimmed are in ``corpora/ATTRIBUTION.md``):

- summarization: SciTLDR-A, a paper's abstract and a one-sentence TLDR
  (train 1,992 / val 619 / test 618 papers; Apache-2.0).
- qa: a SQuAD v1.1 subset, questions about Wikipedia paragraphs whose answers
  are spans of the paragraph (train 3,002 / test 500 questions; CC BY-SA 4.0).
- dialogue: Topical-Chat, two-person open-domain conversations
  (train 539 / test 300 conversations; CDLA-Sharing-1.0).

Each loader reads only the split asked for, and every call parses it afresh
(tens of milliseconds), so the records are yours to change. The splits are the
datasets' own and fixed: there is no shuffling and no seed.
"""

from __future__ import annotations

import json
import re
from importlib import resources

SUMMARIZATION_SPLITS = ("train", "val", "test")
QA_SPLITS = ("train", "test")
DIALOGUE_SPLITS = ("train", "test")
SPEAKERS = ("agent_1", "agent_2")

# A period that ends one of these words does not end a sentence (case matters:
# "CF." in an abstract is collaborative filtering, not "cf.").
ABBREVIATIONS = frozenset(
    "e.g. i.e. al. vs. cf. viz. resp. approx. Fig. Figs. Eq. Eqs. Sec. Ref. Refs.".split()
)
_SENTENCE_END = re.compile(r"[.!?][\"')\]”’]* (?=[\"“(\[]?[A-Z0-9])")


def _check_split(task: str, split: str, splits: tuple[str, ...]) -> str:
    if task == "summarization" and split == "validation":
        return "val"  # SciTLDR's and Hugging Face's name for it
    if split not in splits:
        raise ValueError(f"unknown split {split!r} for the {task} data: use one of {splits}")
    return split


def _lines(folder: str, file: str) -> list:
    path = resources.files("minilm.data") / "corpora" / folder / file
    text = path.read_bytes().decode("utf-8")
    return [json.loads(line) for line in text.split("\n") if line]


def split_sentences(text: str) -> list[str]:
    """Cut a single-spaced English text into sentences, at the spaces after ``.``,
    ``!`` or ``?`` (closing quotes and brackets may come between) that come before
    an ASCII capital letter or a digit (an opening quote or bracket may come first),
    except after an abbreviation in :data:`ABBREVIATIONS`.
    ``" ".join(split_sentences(t)) == t`` for such a text.

    A rule, not a model: it splits "C. Elegans" in two, and leaves a sentence that
    starts in lower case joined to the one before.

    >>> split_sentences("We use SGD, e.g. Adam. It works (Liao et al. 2016). Why? 3 reasons.")
    ['We use SGD, e.g. Adam.', 'It works (Liao et al. 2016).', 'Why?', '3 reasons.']
    """
    sentences, start = [], 0
    for m in _SENTENCE_END.finditer(text):
        word = text[start : m.start() + 1].rsplit(" ", 1)[-1].lstrip("([")
        if word not in ABBREVIATIONS:
            sentences.append(text[start : m.end() - 1])
            start = m.end()
    sentences.append(text[start:])
    return sentences


def load_summarization(split: str = "train") -> list[dict]:
    """SciTLDR-A papers: ``{"id", "source", "targets"}`` records, in file order.

    - ``id``: the paper's OpenReview id, unique over the three splits.
    - ``source``: the abstract as a list of sentences, cut by
      :func:`split_sentences` (the bundled copy stores each abstract on one line,
      whitespace-normalised, so SciTLDR's own sentence list is not kept; the
      sentence count matches SciTLDR's on all 26 papers checked against it).
      ``" ".join(source)`` is the abstract.
    - ``targets``: the TLDRs, ``targets[0]`` the primary one: in val and test it
      is the author's TLDR, in train the only one. The bundled copy keeps only
      that one (SciTLDR's extra reviewer-derived TLDRs of val and test were
      dropped upstream of minilm), so the list has one entry.

    ``split`` is ``"train"``, ``"val"`` (``"validation"`` works too) or ``"test"``.

    >>> papers = load_summarization("val")
    >>> len(papers), papers[0]["id"], len(papers[0]["source"])
    (619, 'rJlnfaNYvB', 6)
    >>> papers[0]["targets"][0][:42]
    'We devise adaptive loss scaling to improve'
    """
    split = _check_split("summarization", split, SUMMARIZATION_SPLITS)
    file = {"train": "train.jsonl", "val": "validation.jsonl", "test": "test.jsonl"}[split]
    return [
        {"id": r["id"], "source": split_sentences(r["document"]), "targets": [r["summary"]]}
        for r in _lines("summarization", file)
    ]


def load_qa(split: str = "train") -> list[dict]:
    """SQuAD v1.1 questions: ``{"id", "context", "question", "answers"}`` records,
    one per question, in file order.

    ``answers`` is a list of ``{"text", "answer_start"}`` in the source's order,
    duplicates kept (usually three crowd answers per question): train on
    ``answers[0]``, score against all of them (SQuAD's EM and F1 take the best).
    ``answer_start`` counts characters (Python ``str`` indices), so
    ``context[a:a + len(text)] == text``. Questions on one paragraph share one
    ``context`` string: the file stores each paragraph once.

    ``split`` is ``"train"`` or ``"test"``; no article is in both.

    >>> qs = load_qa("test")
    >>> len(qs), qs[0]["question"]
    (500, 'What was Maria Curie the first female recipient of?')
    >>> a = qs[0]["answers"][0]
    >>> a, qs[0]["context"][188:199]
    ({'text': 'Nobel Prize', 'answer_start': 188}, 'Nobel Prize')
    """
    split = _check_split("qa", split, QA_SPLITS)
    return [
        {"id": q["id"], "context": p["context"], "question": q["question"], "answers": q["answers"]}
        for p in _lines("qa", f"{split}.jsonl")
        for q in p["qas"]
    ]


def load_dialogue(split: str = "train") -> list[dict]:
    """Topical-Chat conversations: ``{"id", "turns"}`` records, in file order.

    ``turns`` is a list of ``{"speaker", "text"}``, 20 to 35 of them; the
    speakers (``"agent_1"``, ``"agent_2"``) alternate, ``agent_1`` first. The
    text is the workers' own, typos and spacing kept. No topic or reading-set
    (knowledge) fields: the bundled copy has only the messages.

    ``split`` is ``"train"`` or ``"test"``.

    >>> chats = load_dialogue("test")
    >>> len(chats), chats[0]["turns"][0]["speaker"], chats[0]["turns"][1]["speaker"]
    (300, 'agent_1', 'agent_2')
    """
    split = _check_split("dialogue", split, DIALOGUE_SPLITS)
    return [
        {
            "id": r["id"],
            "turns": [{"speaker": SPEAKERS[i % 2], "text": t} for i, t in enumerate(r["turns"])],
        }
        for r in _lines("dialogue", f"{split}.jsonl")
    ]
