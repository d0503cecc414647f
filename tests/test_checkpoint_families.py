"""Translators and classifiers as self-describing model files (minilm.checkpoint):
the element count each config implies (against built models), save/load round
trips that keep outputs identical, tampered files refused (before allocating
where the config lies about its size), the task of each family, and the
``--save`` options of ``python -m minilm translation`` and ``finetune``."""

import dataclasses

import pytest

import minilm
from minilm.backend import np
from minilm.checkpoint import (
    FAMILIES,
    BERTClassifierConfig,
    Family,
    config_of,
    load_model,
    save_model,
    task_of,
)
from minilm.data import pad_batch
from minilm.io import CheckpointError, load, save
from minilm.models.bert import BERT, BERTClassifier, BERTConfig
from minilm.models.seq2seq import Seq2Seq, Seq2SeqConfig
from minilm.models.textcnn import TextCNN, TextCNNConfig
from minilm.models.transformer import Transformer, TransformerConfig
from minilm.text import WordTokenizer, tokenizer_from_dict

SPECIALS = ("<pad>", "<bos>", "<eos>")
WORDS = "the cat sat on a mat . le chat est sur un tapis"


def stored(model) -> int:
    """What a model file holds of ``model``: every parameter and buffer."""
    return sum(int(v.size) for v in model.state_dict().values())


def tokenizer(specials=SPECIALS):
    return WordTokenizer.from_text(WORDS, specials=specials, lower=True)


def translators():
    tok = tokenizer()
    V = tok.vocab_size
    minilm.manual_seed(0)
    return tok, [
        Transformer(TransformerConfig(V, V, d_model=8, num_heads=2, num_encoder_layers=1,
                                      num_decoder_layers=2, max_len=12)),
        Seq2Seq(Seq2SeqConfig(V, V, embed_dim=6, hidden_size=8)),
    ]  # fmt: skip


def classifiers():
    tok = tokenizer(("[PAD]", "[CLS]", "[SEP]", "[MASK]"))
    V = tok.vocab_size
    minilm.manual_seed(0)
    bert = BERT(BERTConfig(vocab_size=V, max_len=10, n_layer=1, n_head=2, d_model=8))
    return tok, [
        BERTClassifier(bert, num_classes=3, pooling="mean"),
        TextCNN(TextCNNConfig(vocab_size=V, num_classes=3, embed_dim=4, widths=(2, 3),
                              num_filters=3)),
    ]  # fmt: skip


LABELS3 = ["neg", "neu", "pos"]


@pytest.mark.parametrize(
    "config",
    [
        TransformerConfig(11, 13, d_model=8, num_heads=2, max_len=7),
        TransformerConfig(11, 13, d_model=8, num_heads=2, num_encoder_layers=3,
                          num_decoder_layers=1, d_ff=12, positional="learned", tie_weights=False),
        TransformerConfig(5, 6, d_model=4, num_heads=1, num_encoder_layers=0,
                          num_decoder_layers=0, max_len=3),
        Seq2SeqConfig(9, 7, embed_dim=5, hidden_size=6, attention="additive"),
        Seq2SeqConfig(9, 7, embed_dim=5, hidden_size=6, attention="dot"),
        Seq2SeqConfig(9, 7, embed_dim=5, hidden_size=6, attention="general"),
        Seq2SeqConfig(9, 7, embed_dim=5, hidden_size=6, attention="none"),
        BERTClassifierConfig(BERTConfig(vocab_size=20, max_len=8, n_layer=2, n_head=2,
                                        d_model=8, d_ff=10), num_classes=3),
        BERTClassifierConfig(BERTConfig(vocab_size=20, max_len=8, n_layer=1, n_head=2,
                                        d_model=8, n_segments=2, nsp=True), num_classes=4,
                             pooling="cls"),
        TextCNNConfig(vocab_size=20, num_classes=3, embed_dim=4, widths=(2, 5), num_filters=3),
        TextCNNConfig(vocab_size=7, num_classes=2, embed_dim=3, widths=(1,), num_filters=1),
    ],
    ids=lambda c: type(c).__name__,
)  # fmt: skip
def test_the_size_a_config_implies_is_what_its_model_stores(config):
    family = next(f for f in FAMILIES.values() if f.config is type(config))
    model = (family.build or family.model)(config)
    assert family.size(config) == stored(model)
    assert dataclasses.asdict(config_of(model)) == dataclasses.asdict(config)


def test_every_family_has_a_task_and_it_is_derived_from_the_family():
    tasks = {name: task_of({"family": name}) for name in FAMILIES}
    assert tasks == {"gpt": "generate", "mlp": "generate", "rnn": "generate",
                     "bigram": "generate", "ngram": "generate", "transformer": "translate",
                     "seq2seq": "translate", "bert_classifier": "classify",
                     "textcnn": "classify"}  # fmt: skip
    with pytest.raises(ValueError, match="unknown model family 'os.system'"):
        task_of({"family": "os.system"})


def test_a_word_tokenizer_round_trips_through_its_dict():
    tok = tokenizer()
    back = tokenizer_from_dict(tok.to_dict())
    assert type(back) is WordTokenizer and back.lower
    assert back.encode("The CAT sat, dog") == tok.encode("the cat sat, dog")
    with pytest.raises(ValueError, match="lower must be true or false"):
        tokenizer_from_dict({**tok.to_dict(), "lower": "yes"})


def outputs(model, src):
    model.eval()
    with minilm.no_grad():
        if isinstance(model, (Transformer, Seq2Seq)):
            return model(src, src[:, :3]).numpy()
        return model(src).numpy()


def test_translators_round_trip_with_identical_outputs(tmp_path):
    tok, models = translators()
    src = minilm.tensor([[4, 5, 6, 7, 2], [8, 9, 2, 0, 0]])
    for model in models:
        path = tmp_path / "t.safetensors"
        save_model(path, model, {"source": tok, "target": tok}, metrics={"bleu": 0.25},
                   text={"max_len": 16})  # fmt: skip
        loaded, text_tok, info = load_model(path)
        assert type(loaded) is type(model) and text_tok is None
        assert task_of(info) == "translate" and info["metrics"] == {"bleu": 0.25}
        assert set(info["tokenizers"]) == {"source", "target"}
        np.testing.assert_array_equal(outputs(loaded, src), outputs(model, src))
        assert loaded.greedy_decode(src) == model.greedy_decode(src)


def test_classifiers_round_trip_with_identical_outputs(tmp_path):
    tok, models = classifiers()
    ids, _ = pad_batch([[1, 5, 6, 7, 8], [1, 9]])
    for model in models:
        path = tmp_path / "c.safetensors"
        save_model(path, model, {"text": tok}, labels=LABELS3, text={"start_id": 1, "max_len": 9})
        loaded, text_tok, info = load_model(path)
        assert type(loaded) is type(model) and text_tok.encode("the cat") == tok.encode("the cat")
        assert task_of(info) == "classify" and info["labels"] == LABELS3
        np.testing.assert_array_equal(outputs(loaded, ids), outputs(model, ids))
        assert dataclasses.asdict(config_of(loaded)) == dataclasses.asdict(config_of(model))


def test_a_classifier_is_saved_with_its_labels_and_a_bert_one_with_a_bert_inside(tmp_path):
    tok, (bert, cnn) = classifiers()
    with pytest.raises(ValueError, match="needs labels"):
        save_model(tmp_path / "c.safetensors", cnn, {"text": tok})
    odd = BERTClassifier(bert.encoder, 3)
    odd.head = minilm.nn.Identity()
    with pytest.raises(TypeError, match="Linear head"):
        save_model(tmp_path / "c.safetensors", odd, {"text": tok}, labels=LABELS3)


def tamper(path, change):
    obj = load(path)
    change(obj["record"], obj["tensors"])
    save(obj, path)


def cut_tensor(name):
    def change(record, tensors):
        tensors[name] = tensors[name][:1]

    return change


# (model index, change, message); "before" marks the changes refused before building
TRANSLATOR_CHANGES = [
    (0, lambda r, t: r["config"].update(d_model="8"), "d_model must be int", False),
    (0, lambda r, t: r["config"].update(d_ff="wide"), "d_ff must be int", False),
    (0, lambda r, t: r["config"].update(d_ff=10**6), "describes .* parameters but it stores",
     True),
    (0, lambda r, t: r["config"].update(d_model=10**6), "describes .* parameters", True),
    (0, lambda r, t: r["config"].update(max_len=2**40), "out of range", True),
    (0, lambda r, t: r["config"].update(num_decoder_layers=10**5), "out of range", True),
    (0, lambda r, t: r["config"].update(tie_weights=1), "tie_weights must be bool", True),
    (0, lambda r, t: r["config"].update(eos_id=99), "eos_id = 99 is not below", True),
    (0, lambda r, t: r["config"].update(positional="rotary"), "positional must be", False),
    (0, lambda r, t: r["config"].update(num_heads=3), "must be divisible by num_heads", False),
    (0, lambda r, t: t.pop("src_embed.weight"), "does not match", True),
    (0, cut_tensor("tgt_pos.table"), "does not match", True),
    (0, lambda r, t: r["tokenizers"].pop("target"), "needs a 'target' tokenizer", False),
    (0, lambda r, t: r["tokenizers"]["source"]["vocab"]["itos"].append("zzz"),
     "source tokenizer has .* source vocab_size", False),
    (0, lambda r, t: r.update(text={"max_len": "16"}), "text.max_len", False),
    (1, lambda r, t: r["config"].update(hidden_size=[8]), "hidden_size must be int", False),
    (1, lambda r, t: r["config"].update(attention="evil"), "describes", True),
    (1, lambda r, t: r["config"].update(evil=1), "unknown Seq2SeqConfig fields", True),
    # a seq2seq's max_len costs no parameters, but every decode loops up to it
    (1, lambda r, t: r["config"].update(max_len=2**31 - 1), "max_len = .* out of range", True),
    (1, lambda r, t: r["config"].update(max_len=4097), "max_len = .* out of range", True),
]  # fmt: skip


@pytest.mark.parametrize("index, change, message, before", TRANSLATOR_CHANGES)
def test_a_tampered_translator_is_refused(index, change, message, before, tmp_path, monkeypatch):
    tok, models = translators()
    model = models[index]
    path = tmp_path / "t.safetensors"
    save_model(path, model, {"source": tok, "target": tok})
    tamper(path, change)
    name = "transformer" if index == 0 else "seq2seq"
    built = []
    fam = FAMILIES[name]
    monkeypatch.setitem(FAMILIES, name, dataclasses.replace(
        fam, model=lambda c: built.append(c) or fam.model(c)))  # fmt: skip
    with pytest.raises(CheckpointError, match=message):
        load_model(path)
    if before:
        assert not built  # refused before any model was allocated


CLASSIFIER_CHANGES = [
    (0, lambda r, t: r["config"]["encoder"].update(d_model="8"), "BERTConfig.d_model must be int",
     True),
    (0, lambda r, t: r["config"]["encoder"].update(n_layer=10**4), "n_layer = 10000 is out", True),
    (0, lambda r, t: r["config"]["encoder"].update(vocab_size=10**8), "describes", True),
    (0, lambda r, t: r["config"]["encoder"].update(cls_id=10**3), "cls_id = 1000 is not", True),
    (0, lambda r, t: r["config"].update(encoder=5), "config is a int, not a mapping", True),
    (0, lambda r, t: r["config"].update(num_classes=4), "describes", True),
    (0, lambda r, t: r["config"].update(pooling="max"), "pooling must be", False),
    (0, lambda r, t: r["config"].pop("num_classes"), "num_classes", True),
    (0, lambda r, t: r.update(labels=["a", "b"]), "3 classes needs 3 labels, got 2", False),
    (0, lambda r, t: r.update(labels=["a", "a", "b"]), "labels must be distinct", False),
    (0, lambda r, t: r.update(labels=None), "needs 3 labels", False),
    (0, lambda r, t: r.update(labels=[1, 2, 3]), "labels must be names", False),
    (0, lambda r, t: r["tokenizers"].clear(), "needs a 'text' tokenizer", False),
    (0, lambda r, t: r.update(text={"start_id": 10**6}), "text.start_id", False),
    (1, lambda r, t: r["config"].update(widths=[2] * 100), "widths must be a list of 1 to 64",
     True),
    (1, lambda r, t: r["config"].update(widths="23"), "widths must be a list", True),
    (1, lambda r, t: r["config"].update(widths=[2, "3"]), r"widths\[1\] must be int", True),
    (1, lambda r, t: r["config"].update(widths=[2, 10**12]), r"widths\[1\] = .* out of range",
     True),
    (1, lambda r, t: r["config"].update(widths=[]), "widths must be a list", True),
    (1, lambda r, t: r["config"].update(embed_init="x"), "embed_init must be float", True),
    (1, cut_tensor("head.weight"), "does not match", True),
]  # fmt: skip


@pytest.mark.parametrize("index, change, message, before", CLASSIFIER_CHANGES)
def test_a_tampered_classifier_is_refused(index, change, message, before, tmp_path, monkeypatch):
    tok, models = classifiers()
    path = tmp_path / "c.safetensors"
    save_model(path, models[index], {"text": tok}, labels=LABELS3)
    tamper(path, change)
    name = "bert_classifier" if index == 0 else "textcnn"
    built = []
    fam = FAMILIES[name]
    make = fam.build or fam.model
    monkeypatch.setitem(FAMILIES, name, dataclasses.replace(
        fam, build=lambda c: built.append(c) or make(c)))  # fmt: skip
    with pytest.raises(CheckpointError, match=message):
        load_model(path)
    if before:
        assert not built


def test_the_existing_families_still_build_through_family_defaults():
    fam = Family(TextCNN, TextCNNConfig)  # no size given: the config's num_parameters
    assert fam.task == "generate" and fam.build is None
    assert fam.vocab(TextCNNConfig(vocab_size=5)) == {"text": 5}


# ---- the commands' --save ----


def test_translation_save_writes_a_translator_end_to_end(tmp_path, capsys):
    from minilm.commands.translation import main
    from minilm.predict import Translator

    path = tmp_path / "tr.safetensors"
    argv = ["--model", "rnn", "--steps", "2", "--batch-size", "4", "--limit", "3", "--beam", "2",
            "--examples", "0", "--no-progress", "--save", str(path)]  # fmt: skip
    assert main(argv) == 0
    assert f"wrote {path}" in capsys.readouterr().out
    loaded = load_model(path)
    assert type(loaded.model) is Seq2Seq and task_of(loaded.info) == "translate"
    assert loaded.info["step"] == 2 and loaded.info["text"]["max_len"] == 16
    metrics = loaded.info["metrics"]
    assert set(metrics) == {"test_bleu_greedy", "test_bleu_beam2", "bleu_sentences", "train_loss"}
    assert metrics["bleu_sentences"] == 3 and 0 <= metrics["test_bleu_greedy"] <= 1
    source = tokenizer_from_dict(loaded.info["tokenizers"]["source"])
    assert source.lower and source.encode("I AM") == source.encode("i am")
    out = Translator(loaded).translate("I am tired.")
    assert out["source_tokens"] == ["i", "am", "tired", ".", "<eos>"]


def test_translation_save_needs_one_model(capsys):
    from minilm.commands.translation import main

    with pytest.raises(SystemExit) as e:
        main(["--steps", "1", "--save", "x.safetensors"])
    assert e.value.code == 2
    assert "--save writes one translator: choose it with --model rnn or --model transformer" in (
        capsys.readouterr().err
    )


def test_finetune_save_writes_the_classifier_its_table_reports(tmp_path, capsys):
    """The accuracy stored with the classifier is the table's first row, and the
    loaded file, through minilm.predict.Classifier, scores the same on the test split."""
    from minilm.commands.finetune import main
    from minilm.predict import Classifier
    from minilm.recipes.finetune import TextTask

    path = tmp_path / "clf.safetensors"
    assert main(["--small", "--no-multilabel", "--no-progress", "--save", str(path)]) == 0
    out = capsys.readouterr().out
    loaded = load_model(path)
    assert type(loaded.model) is BERTClassifier
    assert loaded.info["labels"] == ["negative", "positive"]
    metrics = loaded.info["metrics"]
    row = next(line for line in out.splitlines() if line.startswith("BERT, pretrained"))
    assert f"{metrics['test_accuracy']:.3f}" == row.split()[4]
    task = TextTask.load()
    sentences = [s for s, _ in minilm.data.load_split("sentiment", "test")]
    predicted = [r["label"] for r in Classifier(loaded).classify(sentences)]
    truth = ["negative", "positive"]
    accuracy = np.mean([p == truth[y] for p, y in zip(predicted, task.sentiment["test"])])
    assert accuracy == pytest.approx(metrics["test_accuracy"], abs=1e-9)
    confusion = [[sum(p == truth[j] for p, y in zip(predicted, task.sentiment["test"]) if y == i)
                  for j in (0, 1)] for i in (0, 1)]  # fmt: skip
    assert str(confusion).replace(" ", "") == row.split()[6]  # this row's model, not another's
    with pytest.raises(SystemExit):
        main(["--small", "--save", str(path), "--save-encoder", str(tmp_path / "e")])
