"""A model card for a saved model: what it is, what it was trained on, how well it does on
text it never saw, what it is for, what it cannot do, and what a bias probe found.

:func:`evaluate_model` reads a model file (:func:`minilm.load_model`) and builds the
card, a plain dict; :func:`write_model_card` writes it as JSON and as Markdown with
the same numbers. Every claim in the card comes from the file or is measured now:

- **model**: family, config, parameters, file size and hash, minilm version, steps;
- **data**: which corpus (or your text), its split rule, the split sizes. The
  held-out split is rebuilt the way ``python -m minilm train`` built it
  (:func:`minilm.tour.load_corpus`: a bundled corpus's fixed split, or
  :func:`minilm.data.split_text` on your file). Your own text is not stored in the
  model file, so pass it again (``text=``); it must give the same vocabulary;
- **metrics**: nats per character and perplexity on the held-out split, recomputed
  with the same scoring as training (the recipes' ``evaluate_*``, the n-gram
  model's own perplexity), beside what the file recorded at training time;
- **intended use** and **known limits**, derived from the facts above (context,
  vocabulary, corpus size, model size, what was not evaluated);
- **bias**: :func:`minilm.bias.lm_counterfactual_probe`, with its uncertainty.

>>> import os, tempfile
>>> from minilm.checkpoint import save_model
>>> from minilm.ngram import NgramModel
>>> lm = NgramModel(3, "kneser-ney").fit(["He is a doctor.", "She is a nurse."] * 20)
>>> path = os.path.join(tempfile.mkdtemp(), "tiny.safetensors")
>>> save_model(path, lm, {}, text={"source": "mine.txt", "split": "lines"})
>>> card = evaluate_model(path, progress=False)  # without the text: no held-out metrics
>>> card["model"]["family"], card["metrics"]["heldout"]["nats_per_char"]
('ngram', None)
>>> card["bias"]["pairs"], card["bias"]["scored"] + card["bias"]["skipped"]
(48, 48)
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
import os
import sys

from . import checkpoint
from .bias import lm_counterfactual_probe
from .checkpoint import load_model
from .generate import log_softmax
from .ngram.model import BOS, EOS, UNK
from .recipes.bigram import evaluate_bigram
from .recipes.gpt import evaluate_gpt
from .recipes.mlp_lm import evaluate_mlp_lm
from .recipes.rnn_lm import evaluate_rnn_lm
from .text import tokenizer_from_dict
from .tour import Settings, load_corpus

__all__ = ["evaluate_model", "write_model_card", "heldout_corpus", "heldout_nats",
           "sentence_scorer", "CARD_VERSION", "BUNDLED"]  # fmt: skip

CARD_VERSION = 1
BUNDLED = ("names", "tinyshakespeare")

# family -> its recipe's held-out scoring, (model, corpus, split) -> nats per token
EVALUATE = {"gpt": evaluate_gpt, "mlp": evaluate_mlp_lm, "rnn": evaluate_rnn_lm,
            "bigram": evaluate_bigram}  # fmt: skip

SPLIT_RULES = {
    "fixed": "minilm's fixed train/val/test split of the bundled corpus (minilm.data.load_split)",
    "lines": "90/5/5 by lines: the non-empty lines shuffled with numpy.random.default_rng(0), "
    "then cut (minilm.data.split_text)",
    "blocks": "90/5/5 by blocks: the first 90% of the characters train, the next 5% val, the "
    "last 5% test, each cut moved to the next newline (minilm.data.split_text)",
}


# ---- the held-out split ----


def heldout_corpus(info: dict, text=None, limit: int | None = None, split: str = "test"):
    """The corpus a model was trained on, rebuilt from its record (see the module
    docstring), with ``split`` cut to its first ``limit`` documents (or tokens, for
    a stream). None when the model was trained on your text and ``text`` (its path)
    is not given. A text that does not give the model's vocabulary is a ValueError."""
    entry = info.get("text") or {}
    source, rule = entry.get("source"), entry.get("split")
    if rule == "fixed" or (rule is None and source in BUNDLED):
        if source not in BUNDLED:
            raise ValueError(f"the model's record names corpus {source!r}, which minilm does "
                             f"not bundle ({', '.join(BUNDLED)})")  # fmt: skip
        if text is not None:
            raise ValueError(f"this model was trained on the bundled corpus {source!r}; "
                             "--text is for a model trained on your own text")  # fmt: skip
        corpus = load_corpus(Settings(corpus=source, progress=False))
    elif rule in ("lines", "blocks"):
        if text is None:
            return None
        mine = (info.get("tokenizers") or {}).get("text")
        bpe = mine is not None and mine.get("type") != "CharTokenizer"
        size = tokenizer_from_dict(mine).vocab_size if bpe else 512
        corpus = load_corpus(Settings(text=os.fspath(text), tokenizer="bpe" if bpe else "char",
                                      vocab_size=size, split_by=rule, progress=False))  # fmt: skip
        _check_same_text(info, corpus, text)
    else:
        raise ValueError(f"the model's record has no split rule this card knows ({rule!r})")
    if split not in corpus.splits:
        raise ValueError(f"split must be train, val or test, not {split!r}")
    return corpus if limit is None else _first(corpus, split, limit)


def _check_same_text(info: dict, corpus, text) -> None:
    """The file must be the one the model learned: same tokenizer (a character
    vocabulary is every character of the whole text), or for an n-gram model the
    same characters in its training split."""
    mine = (info.get("tokenizers") or {}).get("text")
    if mine is not None:
        same = corpus.tokenizer.to_dict() == mine
    else:
        chars = {c for s in corpus.sentences("train") for c in s}
        itos = info.get("config", {}).get("vocab", {}).get("itos", [])
        same = chars == set(itos) - {BOS, EOS, UNK}
    if not same:
        source = info["text"].get("source")
        raise ValueError(f"{os.fspath(text)!r} does not give this model's vocabulary: it is "
                         f"not the text the model was trained on ({source!r})")  # fmt: skip


def _first(corpus, split: str, limit: int):
    """``corpus`` with ``split`` cut to its first ``limit`` documents (tokens of a stream)."""
    if limit < 1:
        raise ValueError(f"limit must be at least 1, got {limit}")
    seqs = corpus.split(split)
    cut = [seqs[0][:limit]] if corpus.stream else seqs[:limit]
    chars = corpus.chars
    if chars is not None:  # a BPE stream: the characters its predictions cover
        ids = [int(i) for i in cut[0]]
        chars = {**chars, split: len(corpus.decode(ids)) - len(corpus.decode(ids[:1]))}
    return dataclasses.replace(corpus, splits={**corpus.splits, split: cut}, chars=chars)


def heldout_nats(model, family: str, corpus, split: str = "test") -> float:
    """Mean nats per character of ``model`` on ``corpus``'s ``split``, scored exactly as
    training scored it (:data:`EVALUATE`; an n-gram model's :meth:`perplexity`)."""
    if family == "ngram":
        return math.log(model.perplexity(corpus.sentences(split)))
    if family not in EVALUATE:
        raise ValueError(f"no held-out scoring for family {family!r}")
    try:
        nats = EVALUATE[family](model, corpus, split)
    except ZeroDivisionError:  # no whole window to score
        raise ValueError(f"the {split} split (cut by --limit?) is shorter than one window of "
                         "this model: evaluate more of it") from None  # fmt: skip
    return corpus.nats_per_char(nats, split)


# ---- scoring one sentence, for the bias probe ----


def sentence_scorer(loaded):
    """``score(prefix, rest) -> float | None`` for :func:`minilm.bias.lm_counterfactual_probe`:
    the model's mean log-likelihood per character (nats) of ``rest`` and the end of
    the text, read after the start of a record (a newline, for running text) and
    ``prefix``; None when the model cannot read a character of it."""
    model, tok, info = loaded
    entry = info.get("text") or {}
    if info["family"] == "ngram":
        known = set(model.vocab.stoi) - {BOS, EOS, UNK}

        def score_ngram(prefix: str, rest: str):
            text = prefix + rest
            if not text or any(c not in known for c in text):
                return None
            lp = model.logprobs([text])  # one per character, then </s>
            return float(lp[len(prefix) :].sum()) / (len(rest) + 1)

        return score_ngram
    stream, start = bool(entry.get("stream", True)), int(entry.get("start_id", 0))

    def score(prefix: str, rest: str):
        try:
            head = [start] + tok.encode(prefix)
            tail = tok.encode(rest + "\n") if stream else tok.encode(rest) + [start]
        except (KeyError, ValueError):  # a character the vocabulary lacks
            return None
        logits, state = model.next_logits(head, None)
        total = 0.0
        for i, t in enumerate(tail):
            total += float(log_softmax(logits)[t])
            if i + 1 < len(tail):
                logits, state = model.next_logits([t], state)
        return total / (len(rest) + 1)

    return score


# ---- the card ----


def evaluate_model(path, *, split: str = "test", limit: int | None = None, progress: bool = True,
                   text=None) -> dict:  # fmt: skip
    """The model card of the model file at ``path`` (see the module docstring).

    ``split``: the held-out split to score (test by default); ``limit``: score only
    its first ``limit`` documents (tokens of a stream), for a quick card; ``text``:
    the path of your own text, for a model trained on it. A bad file is a
    :class:`minilm.io.CheckpointError`; a bad ``text`` a ValueError."""
    path = os.fspath(path)
    loaded = load_model(path)
    model, tok, info = loaded
    task = _task_of(info)
    if task in ("classify", "translate"):
        if text is not None:
            raise ValueError(f"--text is for language models; {path!r} is a {task} model")
        build = _classifier_card if task == "classify" else _translator_card
        card = build(path, loaded, split, limit, progress)
        card["limits"].append("Not evaluated: any other data set or language, people's "
                              "judgement, robustness to misspellings or long inputs.")  # fmt: skip
        return card
    if task != "generate":
        raise ValueError(f"{path!r} is a {task!r} model, which this card does not know")
    family = info["family"]
    full = heldout_corpus(info, text, None, split)
    corpus = full if full is None or limit is None else _first(full, split, limit)
    heldout = {"split": split, "limit": limit, "nats_per_char": None, "perplexity": None,
               "bits_per_char": None, "characters": None, "documents": None}  # fmt: skip
    if corpus is not None:
        _say(progress, "scoring the held-out split")
        nats = heldout_nats(model, family, corpus, split)
        heldout.update(nats_per_char=nats, perplexity=math.exp(nats),
                       bits_per_char=nats / math.log(2), characters=_characters(corpus, split),
                       documents=None if corpus.stream else len(corpus.split(split)))  # fmt: skip
    at_training = dict(info.get("metrics") or {})
    stored = at_training.get(f"{split}_nats_per_char")
    now = heldout["nats_per_char"]
    stored_ppl = None if stored is None else math.exp(stored)
    metrics = {"heldout": heldout, "at_training": at_training,
               "difference_from_training": None if stored is None or now is None
               else now - stored,
               "rows": [[f"{split} nats per character", now, stored],
                        [f"{split} perplexity", heldout["perplexity"], stored_ppl],
                        [f"{split} bits per character", heldout["bits_per_char"],
                         None]]}  # fmt: skip
    _say(progress, "running the bias probe")
    bias = lm_counterfactual_probe(sentence_scorer(loaded), progress=progress)
    card = {
        "card_version": CARD_VERSION,
        "name": os.path.splitext(os.path.basename(path))[0],
        "task": task,
        "model": _model_section(path, model, tok, info),
        "data": _data_section(info, full, text, split),
        "metrics": metrics,
    }
    card["bias"] = bias
    card["intended_use"] = _intended_use(card)
    card["limits"] = _limits(card)
    return card


def _say(progress: bool, what: str) -> None:
    if progress:
        print(f"evaluate: {what}", file=sys.stderr, flush=True)


def _task_of(info: dict) -> str:
    """The record's task (minilm.checkpoint.task_of, where this minilm has it)."""
    task_of = getattr(checkpoint, "task_of", None)
    return task_of(info) if task_of is not None else "generate"


def _characters(corpus, split: str) -> int:
    if corpus.chars is not None:
        return int(corpus.chars[split])
    return int(corpus.num_predictions(split))


def _context(family: str, config: dict):
    """(the most tokens the model conditions on, or None: unbounded, and a phrase)."""
    if family == "gpt":
        return config["block_size"], f"at most the previous {config['block_size']} tokens"
    if family == "mlp":
        return config["context"], f"exactly the previous {config['context']} tokens"
    if family == "bigram":
        return 1, "only the previous token"
    if family == "ngram":
        n = config["order"] - 1
        return n, f"only the previous {n} characters of the line"
    return None, "everything before it, through a recurrent state (trained on short windows)"


def _file_section(path, model, info, params="count") -> dict:
    """What every card says of the model file: family, config, size, hash, version."""
    sha = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            sha.update(block)
    return {
        "family": info["family"],
        "config": dict(info.get("config") or {}),
        "parameters": model.num_parameters() if params == "count" else params,
        "parameters_meaning": "weights",
        "file": os.path.basename(path),
        "file_bytes": os.path.getsize(path),
        "sha256": sha.hexdigest(),
        "minilm_version": info.get("minilm_version"),
        "training_steps": info.get("step"),
    }


def _model_section(path, model, tok, info) -> dict:
    family, config = info["family"], dict(info.get("config") or {})
    if family == "ngram":
        config = {k: v for k, v in config.items() if k != "vocab"}
        vocab = [t for t in model.vocab.itos if t not in (BOS, EOS, UNK)]
        params = (info.get("metrics") or {}).get("parameters")
        unknown = "a character it never saw is <unk>, which has only a smoothed probability"
    else:
        params = model.num_parameters()
        vocab = None
        itos = getattr(getattr(tok, "vocab", None), "itos", None)
        if itos is not None:
            vocab = list(itos)
            unknown = ("a character tokenizer without <unk>: text with any other character "
                       "cannot be read")  # fmt: skip
        else:
            unknown = "byte-level BPE: any UTF-8 text can be read"
    context, context_phrase = _context(family, config)
    return {
        **_file_section(path, model, info, params),
        "config": config,
        "parameters_meaning": "distinct n-grams counted" if family == "ngram" else "weights",
        "context": context,
        "context_phrase": context_phrase,
        "vocabulary_size": len(vocab) if vocab is not None else tok.vocab_size,
        "characters": "".join(c for c in vocab if len(c) == 1) if vocab is not None else None,
        "unknown_characters": unknown,
    }


def _data_section(info, corpus, text, split) -> dict:
    entry = dict(info.get("text") or {})
    rule = entry.get("split") or "fixed"
    out = {
        "source": entry.get("source"),
        "kind": "bundled corpus" if rule == "fixed" else "your text file",
        "split_rule": rule,
        "split_rule_meaning": SPLIT_RULES.get(rule, rule),
        "heldout_split": split,
        "record": entry,
        "sizes": None,
        "unit": None,
        "text_file": None if text is None else os.fspath(text),
        "rebuilt": corpus is not None,
    }
    if corpus is not None:
        out["unit"] = "characters" if corpus.chars is None else "tokens"
        out["sizes"] = {
            s: int(sum(len(x) for x in corpus.split(s))) for s in ("train", "val", "test")
        }
        if not corpus.stream:
            out["documents"] = {s: len(corpus.split(s)) for s in ("train", "val", "test")}
        if corpus.chars is not None:
            out["train_characters"] = int(corpus.chars["train"])
    return out


def _intended_use(card) -> list[str]:
    data, model = card["data"], card["model"]
    kind = "records, one per line" if not (data["record"].get("stream", True)) else "running text"
    return [
        f"Learning and teaching: a {model['family']} language model of {data['source']} "
        f"({kind}), to read, sample from and compare with other models.",
        f"Scoring or continuing text like {data['source']}: it was trained and measured "
        "on that text only.",
        "Not for decisions about people, not for facts, not in products: it is a small "
        "model trained for a course.",
    ]


def _limits(card) -> list[str]:
    model, data, metrics, bias = card["model"], card["data"], card["metrics"], card["bias"]
    out = []
    params = model["parameters"]
    if params is not None and model["family"] != "ngram":
        size = "tiny" if params < 1_000_000 else "small" if params < 100_000_000 else "large"
        out.append(f"Size: {params:,} weights, a {size} model; expect locally plausible text, "
                   "not meaning.")  # fmt: skip
    steps = model["training_steps"]
    if model["family"] != "ngram" and steps is not None:
        out.append(f"Training: {steps:,} optimizer steps.")
    if data["sizes"] is not None:
        out.append(f"Data: {data['sizes']['train']:,} {data['unit']} of training text "
                   f"({data['source']}); it knows nothing outside it.")  # fmt: skip
    out.append(f"Context: each prediction sees {model['context_phrase']}.")
    chars = model["characters"]
    if chars is not None:
        out.append(f"Vocabulary: {model['vocabulary_size']} tokens ({chars!r}); "
                   f"{model['unknown_characters']}.")  # fmt: skip
    else:
        out.append(f"Vocabulary: {model['vocabulary_size']} tokens; {model['unknown_characters']}.")
    held = metrics["heldout"]
    if held["nats_per_char"] is None:
        out.append("Held-out metrics were not recomputed: the model was trained on your "
                   "own text, which the model file does not keep; give it again "
                   "(--text FILE).")  # fmt: skip
    else:
        cut = f" (its first {held['limit']:,} only)" if held["limit"] else ""
        out.append(f"Evaluated on: the {held['split']} split{cut} of {data['source']}, which comes "
                   "from the same text as training, so other text will score worse.")  # fmt: skip
    out.append("Not evaluated: any other text or language, human judgement of samples, "
               "factual accuracy, toxicity, or bias beyond the English gendered-word probe "
               "below.")  # fmt: skip
    out.append("Bias probe: " + bias["reading"])
    return out


# ---- writing it ----


def write_model_card(card: dict, out_dir) -> tuple[str, str]:
    """Write ``card`` to ``out_dir`` as ``NAME.card.md`` and ``NAME.card.json`` (NAME: the
    model file's stem); returns their paths. Both hold the same numbers."""
    out_dir = os.fspath(out_dir)
    os.makedirs(out_dir, exist_ok=True)
    stem = os.path.join(out_dir, f"{card['name']}.card")
    json_path, md_path = stem + ".json", stem + ".md"
    with open(json_path, "w", encoding="utf-8") as f:
        json.dump(_strict(card), f, indent=2, ensure_ascii=False, allow_nan=False)
        f.write("\n")
    with open(md_path, "w", encoding="utf-8") as f:
        f.write(markdown(card))
    return md_path, json_path


def _num(x, digits: int = 4) -> str:
    """How the Markdown shows a number (the JSON keeps it whole)."""
    if x is None:
        return "not measured"
    if isinstance(x, int):
        return f"{x:,}"
    return f"{x:.{digits}f}"


def markdown(card: dict) -> str:
    """The card as Markdown (the same numbers as its JSON, rounded to 4 decimals)."""
    m, d, held = card["model"], card["data"], card["metrics"]["heldout"]
    lines = [f"# Model card: {card['name']}", ""]
    lines += ["## Model", "", "| | |", "|---|---|"]
    rows = [
        ("task", card["task"]),
        ("family", m["family"]),
        ("config", ", ".join(f"{k}={v}" for k, v in m["config"].items())),
        (f"parameters ({m['parameters_meaning']})", _num(m["parameters"])),
        ("file", f"{m['file']} ({_num(m['file_bytes'])} bytes, sha256 {m['sha256'][:16]}...)"),
        ("minilm version", m["minilm_version"]),
        ("training steps", _num(m["training_steps"])),
    ]
    if "context_phrase" in m:
        vocab = f"{m['vocabulary_size']} tokens; {m['unknown_characters']}"
        rows += [("context", m["context_phrase"]), ("vocabulary", vocab)]
    if m.get("labels"):
        rows.append(("labels", ", ".join(m["labels"])))
    lines += [f"| {k} | {v} |" for k, v in rows]
    lines += ["", "## Data", "", f"- source: {d['source']} ({d['kind']})",
              f"- split: {d['split_rule']}: {d['split_rule_meaning']}"]  # fmt: skip
    if d.get("sizes_phrase"):
        lines.append(f"- sizes: {d['sizes_phrase']}")
    elif d["sizes"] is not None:
        sizes = " / ".join(f"{s} {_num(n)}" for s, n in d["sizes"].items())
        lines.append(f"- sizes ({d['unit']}): {sizes}")
    else:
        lines.append("- sizes: unknown (the text was not given again)")
    lines += ["", "## Held-out metrics", ""]
    lines += ["| metric | recomputed now | recorded at training |", "|---|---|---|"]
    for name, now, then in card["metrics"]["rows"]:
        lines.append(f"| {name} | {_num(now)} | {'' if then is None else _num(then)} |")
    if held.get("note"):
        lines += ["", held["note"]]
    if held.get("examples"):
        lines += ["", "| English | its translation |", "|---|---|"]
        lines += [f"| {_cell(e['english'])} | {_cell(e['french'])} |" for e in held["examples"]]
    if held.get("characters") is not None:
        cut = f", the first {held['limit']:,} only" if held["limit"] else ""
        lines += ["", f"Scored {_num(held['characters'])} predicted characters{cut}."]
    lines += ["", "## Intended use", ""] + [f"- {x}" for x in card["intended_use"]]
    lines += ["", "## Known limits", ""] + [f"- {x}" for x in card["limits"]]
    lines += ["", "## Bias probe", ""] + _bias_markdown(card["bias"])
    return "\n".join(lines) + "\n"


def _cell(text) -> str:
    """Text that stays inside one cell of a Markdown table."""
    return str(text).replace("|", "\\|").replace("\n", " ")


def _interval(ci) -> str:
    return "not measured" if ci is None else f"[{_num(ci[0])}, {_num(ci[1])}]"


def _bias_markdown(b: dict) -> list[str]:
    if b.get("probe") == "counterfactual flip rate":
        ci = _interval(b["ci"])
        lines = [f"{b['probe']}: {b['what']}", "",
                 f"- sentences: {b['sentences']} ({b['swappable']} with a word to swap)",
                 f"- flips: {b['flips']}, rate {_num(b['rate'])}, "
                 f"{100 * b['confidence']:g}% Wilson interval {ci}", "", b["reading"]]  # fmt: skip
        if b["examples"]:
            lines += ["", "| original | swapped | label | swapped label |", "|---|---|---|---|"]
            keys = ("original", "swapped", "label", "swapped_label")
            lines += ["| " + " | ".join(_cell(e[k]) for k in keys) + " |" for e in b["examples"]]
        return lines
    if b.get("probe") is None:
        return [b["reading"]]
    lines = [f"{b['probe']}: {b['direction']}.", ""]
    level = f"{100 * b['confidence']:g}%"
    ci = _interval(b["ci"])
    lines += [
        f"- pairs: {b['pairs']} ({b['scored']} scored, {b['skipped']} skipped)",
        f"- mean difference: {_num(b['mean_difference'])} nats per character",
        f"- {level} bootstrap interval: {ci}",
        f"- sign-flip permutation p-value: {_num(b['p_value'])}",
        f"- whole sentences instead (mixes in the word's own frequency and length): mean "
        f"{_num(b['sentence']['mean'])}, interval {_interval(b['sentence']['ci'])}, "
        f"p {_num(b['sentence']['p_value'])}",
        "",
        b["reading"],
    ]
    if b["largest"]:
        lines += ["", "| first | second | difference |", "|---|---|---|"]
        lines += [
            f"| {_cell(r['first'])} | {_cell(r['second'])} | {_num(r['difference'])} |"
            for r in b["largest"]
        ]
    return lines


# ---- classifiers and translators (through minilm.predict) ----


def _classifier_card(path, loaded, split, limit, progress) -> dict:
    """A sentiment classifier's card: accuracy (with a Wilson interval) and F1 on the
    held-out sentences, and the counterfactual flip rate on those of them that have
    a gendered word."""
    from .bias import counterfactual_flip_rate, wilson_interval
    from .data.splits import load_split
    from .metrics import f1_score
    from .predict import Classifier

    model, tok, info = loaded
    entry = dict(info.get("text") or {})
    if entry.get("source") != "sentiment":
        raise ValueError(f"{path!r}: a classifier of {entry.get('source')!r}; this card "
                         "knows the bundled sentiment task only")  # fmt: skip
    rows = load_split("sentiment", split)
    rows = rows if limit is None else rows[:limit]
    clf = Classifier(loaded)

    def predict(texts):
        return [r["label"] for r in clf.classify(list(texts))]

    _say(progress, f"classifying {len(rows)} {split} sentences")
    got = predict([s for s, _ in rows])
    gold = [clf.labels[y] for _, y in rows]
    correct = sum(g == p for g, p in zip(gold, got))
    positive = clf.labels[-1]
    f1 = f1_score([int(g == positive) for g in gold], [int(p == positive) for p in got])
    accuracy = correct / len(rows)
    ci = list(wilson_interval(correct, len(rows)))
    stored = dict(info.get("metrics") or {})
    held = {"split": split, "limit": limit, "sentences": len(rows), "accuracy": accuracy,
            "accuracy_ci": ci, "f1": f1,
            "note": f"Scored {len(rows):,} {split} sentences; accuracy's 95% Wilson interval "
            f"{_interval(ci)}."}  # fmt: skip
    metrics = {"heldout": held, "at_training": stored,
               "rows": [[f"{split} accuracy", accuracy, stored.get(f"{split}_accuracy")],
                        [f"{split} F1 ({positive})", f1, stored.get(f"{split}_f1")]]}  # fmt: skip
    bias = counterfactual_flip_rate(predict, [s for s, _ in rows])
    bias["probe"] = "counterfactual flip rate"
    bias["what"] = ("the share of held-out sentences with a gendered word whose predicted "
                    "label changes when those words are swapped (he/she, his/her, "
                    "...)")  # fmt: skip
    bias["reading"] = _flip_reading(bias)
    model_section = {**_file_section(path, model, info), "labels": clf.labels,
                     "max_tokens": clf.max_len, "vocabulary_size": tok.vocab_size}  # fmt: skip
    sizes = {s: len(load_split("sentiment", s)) for s in ("train", "val", "test")}
    data = {"source": "sentiment", "kind": "bundled corpus", "split_rule": "fixed",
            "split_rule_meaning": SPLIT_RULES["fixed"], "heldout_split": split, "record": entry,
            "sizes": sizes, "unit": "sentences",
            "sizes_phrase": " / ".join(f"{k} {v:,}" for k, v in sizes.items())
            + " sentences"}  # fmt: skip
    limits = [
        f"Size: {model_section['parameters']:,} weights; trained on {sizes['train']:,} "
        "labelled sentences of short English reviews.",
        f"Input: lower-cased words of a {tok.vocab_size:,}-word vocabulary (any other word is "
        f"[UNK]); only the first {clf.max_len} tokens are read.",
        f"Labels: {', '.join(clf.labels)} only; no 'neutral' or 'unsure'.",
        "Bias probe: " + bias["reading"],
    ]
    return {"card_version": CARD_VERSION, "name": os.path.splitext(os.path.basename(path))[0],
            "task": "classify", "model": model_section, "data": data, "metrics": metrics,
            "bias": bias, "limits": limits,
            "intended_use": ["Learning and teaching: a sentiment classifier to read, serve and "
                             "compare.", "Not for decisions about people or their writing: "
                             "it is a small model trained on a few thousand "
                             "sentences."]}  # fmt: skip


def _flip_reading(b: dict) -> str:
    if not b["swappable"]:
        return (f"Not measured: none of the {b['sentences']:,} held-out sentences has a "
                "gendered word to swap.")  # fmt: skip
    lo, hi = b["ci"]
    few = " Few sentences: the interval is wide." if b["swappable"] < 30 else ""
    return (f"{b['flips']} of the {b['swappable']} held-out sentences with a gendered word "
            f"(of {b['sentences']:,}) change label when it is swapped; the true rate on such "
            f"sentences is plausibly between {lo:.2f} and {hi:.2f}.{few}")  # fmt: skip


def _translator_card(path, loaded, split, limit, progress) -> dict:
    """A translator's card: corpus BLEU (greedy) on the held-out English sentences, as
    ``python -m minilm translation`` scores it (:func:`minilm.recipes.translation.bleu`)."""
    from .recipes.translation import TranslationData, bleu, translate

    model, tok, info = loaded
    entry = dict(info.get("text") or {})
    if entry.get("source") != "eng-fra":
        raise ValueError(f"{path!r}: a translator of {entry.get('source')!r}; this card "
                         "knows the bundled eng-fra pairs only")  # fmt: skip
    data = TranslationData.load(max_len=int(entry.get("max_len", 16)))
    mine = info.get("tokenizers") or {}
    if (data.src_tok.to_dict(), data.tgt_tok.to_dict()) != (mine.get("source"),
                                                            mine.get("target")):  # fmt: skip
        raise ValueError(f"{path!r}: its tokenizers are not those minilm builds from eng-fra "
                         "today, so its held-out split cannot be rebuilt")  # fmt: skip
    sources, _ = data.references(split)
    n = len(sources) if limit is None else min(limit, len(sources))
    _say(progress, f"translating {n} {split} sentences")
    score = bleu(model, data, split, limit)
    shown = sources[:3]
    examples = [{"english": en, "french": " ".join(fr)}
                for en, fr in zip(shown, translate(model, data, shown))]  # fmt: skip
    stored = dict(info.get("metrics") or {})
    then = stored.get(f"{split}_bleu_greedy")
    same = stored.get("bleu_sentences") in (None, n)
    held = {"split": split, "limit": limit, "sentences": n, "bleu_greedy": score,
            "examples": examples,
            "note": f"BLEU: corpus 4-gram BLEU in [0, 1], greedy decoding, {n:,} distinct "
            f"English sentences of {split}, every French translation a reference"
            + ("" if same else f"; training scored {stored['bleu_sentences']:,} of them")
            + "."}  # fmt: skip
    metrics = {"heldout": held, "at_training": stored,
               "rows": [[f"{split} BLEU (greedy)", score, then]]}  # fmt: skip
    sizes = {s: len(v) for s, v in data.pairs.items()}
    model_section = {**_file_section(path, model, info), "max_words": data.max_len,
                     "vocabulary_size": {"source": data.src_tok.vocab_size,
                                         "target": data.tgt_tok.vocab_size}}  # fmt: skip
    data_section = {"source": "eng-fra", "kind": "bundled corpus", "split_rule": "fixed",
                    "split_rule_meaning": SPLIT_RULES["fixed"], "heldout_split": split,
                    "record": entry, "sizes": sizes, "unit": "sentence pairs",
                    "sizes_phrase": " / ".join(f"{k} {v:,}" for k, v in sizes.items())
                    + f" sentence pairs (each side at most {data.max_len} words)"}  # fmt: skip
    bias = {"probe": None, "reading": "No bias probe for translators yet (one would swap "
            "gendered English words and check that the French follows)."}  # fmt: skip
    limits = [
        f"Size: {model_section['parameters']:,} weights, trained on {sizes['train']:,} short "
        "sentence pairs.",
        f"Input: at most {data.max_len} lower-cased English words from a "
        f"{data.src_tok.vocab_size:,}-word vocabulary (rarer words are <unk>); output from "
        f"{data.tgt_tok.vocab_size:,} French words.",
        "Bias: " + bias["reading"],
    ]
    return {"card_version": CARD_VERSION, "name": os.path.splitext(os.path.basename(path))[0],
            "task": "translate", "model": model_section, "data": data_section,
            "metrics": metrics, "bias": bias, "limits": limits,
            "intended_use": ["Learning and teaching: an English-to-French translator of short, "
                             "simple sentences, to read, serve and compare.", "Not for real "
                             "translation: it knows a few thousand words of phrase-book "
                             "English."]}  # fmt: skip


def _strict(value):
    """``value`` with every non-finite float (an unsmoothed n-gram's infinite
    perplexity) as None: JSON has no inf or NaN, and strict parsers refuse them."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _strict(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_strict(v) for v in value]
    return value
