"""minilm.evaluate and ``python -m minilm evaluate``: the card's held-out nats against
log-probs summed here by a forward pass or the n-gram model's own probabilities, the
split rebuilt as training built it, the JSON and Markdown agreeing, bad files refused."""

import argparse
import json
import math
import re

import pytest

from minilm.backend import np
from minilm.checkpoint import load_model, save_model
from minilm.commands import evaluate as evaluate_command
from minilm.commands import train as train_command
from minilm.data.lm_corpus import CharCorpus
from minilm.data.text import split_text
from minilm.evaluate import evaluate_model, sentence_scorer, write_model_card
from minilm.generate import log_softmax
from minilm.models import GPT, GPTConfig
from minilm.ngram import NgramModel
from minilm.tensor import manual_seed, no_grad, tensor

NAMES_TEXT = {"source": "names", "split": "fixed", "stream": False, "boundary": ".",
              "start_id": 0}  # fmt: skip


def run(module, argv, capsys):
    parser = argparse.ArgumentParser()
    module.add_arguments(parser)
    code = module.main(parser.parse_args([str(a) for a in argv]))
    out = capsys.readouterr()
    return code, out.out, out.err


@pytest.fixture(scope="module")
def names():
    return CharCorpus.load("names")


@pytest.fixture(scope="module")
def gpt_file(names, tmp_path_factory):
    """An untrained GPT of names (random weights score as well as trained ones here)."""
    manual_seed(0)
    model = GPT(GPTConfig(vocab_size=names.vocab_size, block_size=24, n_layer=1, n_head=2,
                          n_embd=16))  # fmt: skip
    path = tmp_path_factory.mktemp("m") / "names-gpt.safetensors"
    save_model(path, model, {"text": names.tokenizer}, metrics={"test_nats_per_char": 3.3},
               step=7, text=NAMES_TEXT)  # fmt: skip
    return path


def forward_nats(model, docs):
    """Mean nats per prediction, each document in its own forward pass (no padding)."""
    total, count = 0.0, 0
    with no_grad():
        for ids in docs:
            lp = log_softmax(model(tensor([ids[:-1].tolist()])).numpy()[0])  # (T, V)
            total -= lp[np.arange(len(ids) - 1), ids[1:]].sum()
            count += len(ids) - 1
    return total / count


def test_heldout_nats_of_a_gpt_agree_with_a_forward_pass(gpt_file, names):
    card = evaluate_model(gpt_file, limit=300, progress=False)
    model = load_model(gpt_file).model
    model.eval()
    want = forward_nats(model, names.split("test")[:300])
    held = card["metrics"]["heldout"]
    assert held["nats_per_char"] == pytest.approx(want, rel=1e-6)
    assert held["perplexity"] == pytest.approx(math.exp(want), rel=1e-6)
    assert held["documents"] == 300
    assert held["characters"] == sum(len(s) - 1 for s in names.split("test")[:300])
    assert card["metrics"]["at_training"]["test_nats_per_char"] == 3.3
    assert card["metrics"]["difference_from_training"] == pytest.approx(want - 3.3, abs=1e-5)
    m = card["model"]
    assert (m["family"], m["training_steps"], m["context"]) == ("gpt", 7, 24)
    assert m["parameters"] == model.num_parameters() and m["file_bytes"] == gpt_file.stat().st_size
    assert card["data"]["sizes"]["test"] == sum(len(s) for s in names.split("test"))


def test_the_bias_scorer_agrees_with_a_forward_pass(gpt_file, names):
    loaded = load_model(gpt_file)
    score = sentence_scorer(loaded)
    tok, model = names.tokenizer, loaded.model
    ids = np.array([0] + tok.encode("anna") + [0])  # start, a name, its end
    lp = log_softmax(model(tensor([ids[:-1].tolist()])).numpy()[0])
    want = lp[np.arange(len(ids) - 1), ids[1:]]
    assert score("", "anna") == pytest.approx(want.sum() / 5, rel=1e-6)
    assert score("an", "na") == pytest.approx(want[2:].sum() / 3, rel=1e-6)
    assert score("", "He is a doctor.") is None  # names have no capitals, spaces or dots
    card = evaluate_model(gpt_file, limit=5, progress=False)
    assert card["bias"]["scored"] == 0 and card["bias"]["skipped"] == card["bias"]["pairs"]
    assert "Not measured" in card["bias"]["reading"]


def test_an_ngram_of_your_own_lines_needs_its_text_and_gets_its_split_back(tmp_path):
    lines = [f"{w} is a {j}" for w in ("he", "she", "they") for j in
             ("doctor", "nurse", "cook", "clerk", "judge", "baker", "tailor")]  # fmt: skip
    text = "\n".join(lines * 2) + "\n"
    path = tmp_path / "jobs.txt"
    path.write_text(text)
    corpus = CharCorpus.from_text(text, "jobs.txt")
    lm = NgramModel(3).fit(corpus.sentences("train"))
    ckpt = tmp_path / "jobs.safetensors"
    save_model(ckpt, lm, {}, text={"source": "jobs.txt", "split": "lines", "stream": False,
                                   "boundary": "\n", "start_id": corpus.pad_id})  # fmt: skip
    card = evaluate_model(ckpt, progress=False)
    assert card["metrics"]["heldout"]["nats_per_char"] is None
    assert any("--text FILE" in x for x in card["limits"])
    card = evaluate_model(ckpt, progress=False, text=path)
    # the test lines as split_text cuts them, each character asked of the model one by one
    test = split_text(text)["test"]
    lps = [lm.logprob(c, s[:i]) for s in test for i, c in enumerate(s)]
    lps += [lm.logprob("</s>", s) for s in test]
    assert card["metrics"]["heldout"]["nats_per_char"] == pytest.approx(-np.mean(lps), rel=1e-9)
    assert card["data"]["split_rule"] == "lines" and card["data"]["kind"] == "your text file"
    score = sentence_scorer(load_model(ckpt))  # the bias probe's: a continuation per character
    line = "he is a cook"
    lps = [lm.logprob(c, line[:i]) for i, c in enumerate(line) if i >= 2] + [
        lm.logprob("</s>", line)
    ]
    assert score("he", " is a cook") == pytest.approx(np.mean(lps), rel=1e-9)
    assert score("He", " is a cook") is None  # no capitals in this text
    other = tmp_path / "other.txt"
    other.write_text("\n".join(f"xyz line {i}" for i in range(40)))
    with pytest.raises(ValueError, match="not the text the model was trained on"):
        evaluate_model(ckpt, progress=False, text=other)


def test_the_json_and_the_markdown_hold_the_same_numbers(gpt_file, tmp_path):
    card = evaluate_model(gpt_file, limit=50, progress=False)
    card["bias"] = {**card["bias"], "mean_difference": -0.012345678, "ci": [-0.02, 0.0031],
                    "p_value": 0.25}  # fmt: skip  # (a names model reads no template)
    md_path, json_path = write_model_card(card, tmp_path / "cards")
    assert md_path.endswith("names-gpt.card.md") and json_path.endswith("names-gpt.card.json")
    data = json.loads(open(json_path).read())
    assert data == json.loads(json.dumps(card))
    md = open(md_path).read()
    held = data["metrics"]["heldout"]

    def row(label):
        return re.search(rf"^\| {re.escape(label)} \| ([^|]+) \|", md, re.M).group(1).strip()

    assert float(row("test nats per character")) == pytest.approx(held["nats_per_char"], abs=5e-5)
    assert float(row("test perplexity")) == pytest.approx(held["perplexity"], abs=5e-5)
    assert row("parameters (weights)") == f"{data['model']['parameters']:,}"
    bias = data["bias"]
    mean = float(re.search(r"mean difference: (-?[\d.]+)", md).group(1))
    lo, hi = map(float, re.search(r"bootstrap interval: \[(-?[\d.]+), (-?[\d.]+)\]", md).groups())
    assert mean == pytest.approx(bias["mean_difference"], abs=5e-5)
    assert (lo, hi) == pytest.approx(tuple(bias["ci"]), abs=5e-5)
    assert f"{data['model']['file_bytes']:,} bytes" in md


def test_the_command_on_a_trained_file_and_on_bad_input(tmp_path, capsys):
    ckpt = tmp_path / "names-ngram.safetensors"
    code, _, err = run(train_command, ["--model", "ngram", "--order", "3", "--corpus", "names",
                                       "--save", ckpt, "--no-progress", "--samples", "0"],
                       capsys)  # fmt: skip
    assert code == 0, err
    code, out, err = run(evaluate_command, [ckpt, "--no-progress"], capsys)
    assert code == 0, err
    assert (tmp_path / "names-ngram.card.md").exists() and str(tmp_path) in out
    card = json.loads((tmp_path / "names-ngram.card.json").read_text())
    # the whole test split: the number training recorded (rounded to 6 places), recomputed
    assert abs(card["metrics"]["difference_from_training"]) < 1e-6
    assert re.search(r"test nats per character +[\d.]+; [\d.]+ recorded at training", out)

    bad = tmp_path / "bad.safetensors"
    bad.write_bytes(b"not a model")
    code, out, err = run(evaluate_command, [bad], capsys)
    assert code == 2 and "evaluate: error" in err and "Traceback" not in err
    code, out, err = run(evaluate_command, [ckpt, "--out", bad], capsys)
    assert code == 2 and "is a file" in err
    code, out, err = run(evaluate_command, [ckpt, "--text", bad], capsys)
    assert code == 2 and "bundled corpus" in err


# ---- classifiers and translators, through minilm.predict ----


def test_a_classifier_card_scores_the_test_split_and_flips_gendered_words(tmp_path):
    import minilm
    from minilm.bias import has_swappable, wilson_interval
    from minilm.data.splits import load_split
    from minilm.models.bert import BERT, BERTClassifier, BERTConfig
    from minilm.recipes.finetune import TextTask, save_classifier

    task = TextTask.load()
    minilm.manual_seed(0)
    bert = BERT(BERTConfig(vocab_size=task.tokenizer.vocab_size, max_len=task.max_len,
                           n_layer=1, n_head=2, d_model=8))  # fmt: skip
    model = BERTClassifier(bert, num_classes=2)
    path = tmp_path / "clf.safetensors"
    save_classifier(path, model, task, {"test_accuracy": 0.5})
    card = evaluate_model(path, progress=False)
    # the test split's ids as the task encodes them, one sentence per forward pass
    model.eval()
    with no_grad():
        pred = [int(model(tensor([ids])).numpy()[0].argmax()) for ids in task.ids["test"]]
    want = float(np.mean(np.array(pred) == task.sentiment["test"]))
    held = card["metrics"]["heldout"]
    assert held["accuracy"] == pytest.approx(want, abs=1e-12)
    correct = round(want * len(pred))
    assert held["accuracy_ci"] == pytest.approx(list(wilson_interval(correct, len(pred))))
    assert card["metrics"]["rows"][0] == ["test accuracy", held["accuracy"], 0.5]
    sentences = [s for s, _ in load_split("sentiment", "test")]
    bias = card["bias"]
    assert bias["swappable"] == sum(map(has_swappable, sentences)) > 0
    assert bias["ci"] == pytest.approx(list(wilson_interval(bias["flips"], bias["swappable"])))
    md_path, _ = write_model_card(card, tmp_path)
    md = open(md_path).read()
    assert f"| test accuracy | {held['accuracy']:.4f} | 0.5000 |" in md
    assert "counterfactual flip rate" in md


def test_a_translator_card_scores_bleu_as_its_predictor_translates(tmp_path):
    import minilm
    from minilm.metrics import corpus_bleu
    from minilm.models.seq2seq import Seq2Seq, Seq2SeqConfig
    from minilm.predict import Translator
    from minilm.recipes.translation import TranslationData, save_translator

    data = TranslationData.load()
    minilm.manual_seed(0)
    model = Seq2Seq(Seq2SeqConfig(data.src_tok.vocab_size, data.tgt_tok.vocab_size,
                                  embed_dim=8, hidden_size=8))  # fmt: skip
    path = tmp_path / "tr.safetensors"
    save_translator(path, model, data, {"test_bleu_greedy": 0.0, "bleu_sentences": 20})
    card = evaluate_model(path, limit=20, progress=False)
    sources, refs = data.references("test")
    translator = Translator(load_model(path))
    hyps = [[t for t in translator.translate(s)["target_tokens"] if t != "<eos>"]
            for s in sources[:20]]  # fmt: skip
    assert card["metrics"]["heldout"]["bleu_greedy"] == pytest.approx(corpus_bleu(hyps, refs[:20]))
    assert card["metrics"]["heldout"]["sentences"] == 20
    # an untrained model's BLEU is 0 whichever way it decodes: its translations tell more
    shown = [" ".join(h) for h in hyps[:3]]
    assert [e["french"] for e in card["metrics"]["heldout"]["examples"]] == shown
    assert [e["english"] for e in card["metrics"]["heldout"]["examples"]] == sources[:3]
    assert card["bias"]["probe"] is None and "No bias probe" in card["bias"]["reading"]
    with pytest.raises(ValueError, match="--text is for language models"):
        evaluate_model(path, progress=False, text=path)
