"""The chapter 08 comparison: ``python -m minilm finetune`` on small
settings, its argument checks, the per-label threshold tuner (by hand), model
selection on the validation split, and length-bucketed MLM batches."""

import subprocess
import sys

import pytest

import minilm
import minilm.nn as nn
import minilm.recipes.finetune as ft
from minilm.backend import np
from minilm.commands.finetune import main
from minilm.recipes.finetune import (
    LABELS,
    CompareConfig,
    TextTask,
    bow_features,
    classifier_loss,
    compare,
    sigmoid,
    train_classifier,
    tune_thresholds,
)


@pytest.fixture(scope="module")
def task():
    return TextTask.load()


# --- tune_thresholds, by hand -------------------------------------------------


def test_tune_thresholds_by_hand():
    # column 0: candidates 0.2 (all), 0.3, 0.5, 0.7 give F1 2/3, 0.8, 1/2, 2/3 -> 0.3
    # column 1: 2/3, 0.4, 0.5, 2/3: a tie between 0.2 and 0.7 -> the lower, 0.2
    # column 2: the best is to predict everything: 0.1 (all) 2/3, 0.15 0.4, 0.25 0.5, 0.35 0
    # column 3: a repeated score: candidates 0.5 (all, F1 0.8) and 0.7 (F1 2/3) -> 0.5
    probs = np.array([[0.2, 0.2, 0.1, 0.5],
                      [0.4, 0.4, 0.2, 0.5],
                      [0.6, 0.6, 0.3, 0.9],
                      [0.8, 0.8, 0.4, 0.9]])  # fmt: skip
    labels = np.array([[0, 1, 1, 0],
                       [1, 0, 0, 1],
                       [0, 0, 1, 1],
                       [1, 1, 0, 1]])  # fmt: skip
    np.testing.assert_allclose(tune_thresholds(probs, labels), [0.3, 0.2, 0.1, 0.5])


def test_tune_thresholds_separable_labels_get_f1_one():
    gen = np.random.default_rng(0)
    y = gen.integers(0, 2, size=(50, 3))
    y[0], y[1] = 0, 1  # both classes in every column
    probs = np.where(y == 1, gen.uniform(0.3, 0.6, y.shape), gen.uniform(0.0, 0.29, y.shape))
    th = tune_thresholds(probs, y)
    np.testing.assert_array_equal((probs >= th).astype(int), y)


def test_tune_thresholds_rejects_bad_input():
    with pytest.raises(ValueError, match="shape"):
        tune_thresholds(np.zeros((4, 2)), np.zeros((4, 3)))
    with pytest.raises(ValueError, match="shape"):
        tune_thresholds(np.zeros(4), np.zeros(4))
    with pytest.raises(ValueError, match="0 or 1"):
        tune_thresholds(np.zeros((2, 1)), np.array([[0], [2]]))


def test_sigmoid_is_stable():
    np.testing.assert_allclose(sigmoid(np.array([-1000.0, 0.0, 1000.0])), [0.0, 0.5, 1.0])
    assert sigmoid(np.log(3.0)) == pytest.approx(0.75)


# --- the loops --------------------------------------------------------------


def test_train_classifier_keeps_the_weights_with_the_lowest_validation_loss(task):
    X = {s: bow_features(task, s) for s in ("train", "val")}
    minilm.manual_seed(0)
    model = nn.Linear(task.tokenizer.vocab_size, 2)
    # a learning rate high enough that the validation loss goes up again
    hist = train_classifier(model, X["train"], task.sentiment["train"], 60, batch_size=64,
                            lr=0.5, weight_decay=0.0, progress=False,
                            val=(X["val"], task.sentiment["val"]), eval_every=10)  # fmt: skip
    losses = [e["loss"] for e in hist.eval]
    assert len(losses) == 6 and hist.best_step != 60  # the last weights were not the best
    assert classifier_loss(model, X["val"], task.sentiment["val"]) == pytest.approx(min(losses))


def test_mlm_batches_are_bucketed_by_length(task, monkeypatch):
    seen = {}

    def fake_fit(model, opt, data, steps, **kwargs):
        seen["batches"] = [data()[0].numpy() for _ in range(40)]

    monkeypatch.setattr(ft, "fit", fake_fit)
    bert = ft._fresh_bert(task, CompareConfig(d_model=8, n_layer=1, n_head=2))
    padding = {}
    for bucket in (True, False):
        ft.pretrain_mlm(bert, task, 10, batch_size=32, bucket=bucket, progress=False)
        padding[bucket] = np.mean([(b == 0).mean() for b in seen["batches"]])
    assert padding[True] < 0.1 and padding[False] > 0.4


# --- the command line -------------------------------------------------------


def test_cli_small_prints_both_tables(capsys):
    assert main(["--small", "--no-progress"]) == 0
    out = capsys.readouterr().out
    sentiment, multi = out.split("Sentiment")[1].split("Multi-label")
    for name in ("BERT, pretrained + fine-tuned", "BERT, from scratch", "bag of words + logreg"):
        assert name in sentiment and name in multi
    assert "confusion" in sentiment and "micro F1" in multi and "macro F1" in multi
    for label in LABELS:
        assert label.split(" ")[0] in multi


def test_compare_results_are_consistent(task):
    c = CompareConfig(d_model=16, n_layer=1, n_head=2, pretrain_steps=2, finetune_steps=2,
                      bow_steps=20, eval_every=10)  # fmt: skip
    res = compare(c, task, progress=False)
    y = task.sentiment["test"]
    for r in res["sentiment"]:
        cm = np.array(r["confusion"])
        assert cm.sum() == len(y) and cm.sum(axis=1).tolist() == np.bincount(y).tolist()
        assert r["accuracy"] == pytest.approx(np.trace(cm) / len(y))
        tp, fp, fn = cm[1, 1], cm[0, 1], cm[1, 0]
        assert r["f1"] == pytest.approx(2 * tp / (2 * tp + fp + fn))
    for r in res["multilabel"]:
        assert len(r["f1"]) == len(r["thresholds"]) == len(LABELS)
        assert r["macro_f1"] == pytest.approx(np.mean(r["f1"]))
        assert 0.0 <= r["micro_f1"] <= 1.0


def test_cli_no_multilabel_prints_the_sentiment_table_only(capsys):
    assert main(["--small", "--no-progress", "--no-multilabel"]) == 0
    out = capsys.readouterr().out
    assert "Sentiment" in out and "Multi-label" not in out


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--finetune-steps", "0"], "argument --finetune-steps: must be a whole number >= 1"),
        (["--pretrain-steps", "-3"], "argument --pretrain-steps: must be a whole number >= 1"),
        (["--d-model", "30", "--n-head", "4"], "must be divisible by --n-head"),
        (["--seed", "x"], "argument --seed: must be a whole number, got 'x'"),
        (["--bogus"], "unrecognized arguments"),
    ],
)
def test_cli_bad_arguments_give_a_clear_error(argv, message, capsys):
    with pytest.raises(SystemExit) as e:
        main(["--small", *argv])
    assert e.value.code == 2
    assert message in capsys.readouterr().err


def test_module_runs_as_a_script():
    r = subprocess.run([sys.executable, "-m", "minilm", "finetune", "--n-layer", "0"],
                       capture_output=True, text=True, timeout=60)  # fmt: skip
    assert r.returncode == 2 and "argument --n-layer: must be a whole number >= 1" in r.stderr


# --- the shipped encoder: written, read back, and refused when it does not fit ---


def test_save_encoder_writes_what_load_encoder_reads(task, tmp_path, capsys):
    path = tmp_path / "enc.safetensors"
    assert (
        main(["--small", "--pretrain-steps", "2", "--no-progress", "--save-encoder", str(path)])
        == 0
    )
    assert "wrote" in capsys.readouterr().out
    bert, info = ft.load_encoder(path, task)
    assert info["compare_config"]["pretrain_steps"] == 2
    again, _ = ft.load_encoder(path, task)
    for (name, a), (_, b) in zip(bert.state_dict().items(), again.state_dict().items()):
        assert np.array_equal(a, b), name


def test_the_shipped_encoder_loads_and_its_features_are_finite(task):
    bert, info = ft.load_encoder()
    features = ft.pooled_features(bert, task.ids["test"][:8])
    assert features.shape[1] == bert.config.d_model and np.isfinite(features).all()


def test_an_encoder_file_that_does_not_fit_is_refused(task, tmp_path):
    from minilm.io import CheckpointError, load, save

    good = tmp_path / "good.safetensors"
    assert (
        main(["--small", "--pretrain-steps", "1", "--no-progress", "--save-encoder", str(good)])
        == 0
    )
    obj = load(good)
    bad_vocab = {**obj, "vocab": obj["vocab"][:-1] + ["zzz"]}
    huge = {**obj, "config": {**obj["config"], "d_model": 2**20, "n_layer": 64}}
    no_config = {**obj, "config": {"vocab_size": "many"}}
    for name, record, match in [("vocab", bad_vocab, "vocabulary"),
                                ("huge", huge, "does not match"),
                                ("config", no_config, "BERT config")]:  # fmt: skip
        path = tmp_path / f"{name}.safetensors"
        save(record, path)
        with pytest.raises(CheckpointError, match=match):
            ft.load_encoder(path, task)


# --- next-sentence prediction -------------------------------------------------


def test_cli_nsp_pretrains_on_pairs_and_prints_the_held_out_nsp_accuracy(capsys):
    assert main(["--small", "--no-progress", "--no-multilabel", "--nsp"]) == 0
    out = capsys.readouterr().out
    assert "MLM + NSP, sentence pairs pretraining" in out and "NSP accuracy" in out
    assert "BERT, pretrained + fine-tuned" in out.split("Sentiment")[1]


def test_cli_nsp_ablation_prints_a_row_per_arm_and_seed(capsys):
    assert main(["--small", "--no-progress", "--nsp-ablation", "--seeds", "3", "4"]) == 0
    out = capsys.readouterr().out
    summary, per_seed = out.split("\n\n")[-2:]
    for arm, _, _ in ft.NSP_ARMS:
        assert summary.count(arm) == 1 and per_seed.count(arm) == 2
    assert "NSP acc" in summary and "macro F1" in summary and "seeds [3, 4]" in out


def test_compare_nsp_arms_share_their_init_and_their_pairs(task, monkeypatch):
    """The two pair arms draw the same pairs and the same maskings: after
    pretraining, the batch each one's data stream would give next is the same
    (the NSP loss draws nothing), so the arms differ in the NSP loss alone."""
    seen = {}
    real_fit = ft.fit

    def spy_fit(model, opt, data, steps, **kwargs):
        hist = real_fit(model, opt, data, steps, **kwargs)
        seen.setdefault("batches", []).append(data()[0].numpy())
        return hist

    monkeypatch.setattr(ft, "fit", spy_fit)
    c = CompareConfig(d_model=16, n_layer=1, n_head=2, pretrain_steps=2, finetune_steps=2,
                      eval_every=2, multilabel=False)  # fmt: skip
    res = ft.compare_nsp(c, seeds=[0], task=task, progress=False, arms=ft.NSP_ARMS[1:])
    pairs, nsp = res["rows"]
    assert pairs["arm"] == "MLM, sentence pairs" and nsp["arm"] == "MLM + NSP, sentence pairs"
    # pretraining batches (the third one drawn after 2 steps) match; fine-tuning ones follow
    np.testing.assert_array_equal(seen["batches"][0], seen["batches"][2])
    assert "nsp_accuracy" in nsp and "nsp_accuracy" not in pairs
    assert 0.0 <= nsp["accuracy"] <= 1.0 and 0.0 <= pairs["f1"] <= 1.0


@pytest.mark.parametrize("extra", [["--nsp"], ["--pairs"], ["--save-encoder", "x.safetensors"]])
def test_cli_nsp_ablation_refuses_a_fixed_objective(extra, capsys):
    with pytest.raises(SystemExit) as e:
        main(["--small", "--nsp-ablation", *extra])
    assert e.value.code == 2 and "--nsp-ablation pretrains every way itself" in (
        capsys.readouterr().err
    )
