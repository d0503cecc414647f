"""Your own text end to end: ``train`` on a file the test writes, ``generate`` from the
saved model, ``export`` the GPT for PyTorch; and the model file's safety checks."""

import math
import re

import pytest

import minilm
from minilm.checkpoint import FAMILIES, Family, load_model, save_model
from minilm.cli import main
from minilm.data import load_text
from minilm.io import CheckpointError, load, save
from minilm.models import GPT, MLPLM, RNNLM, GPTConfig, MLPLMConfig, RNNLMConfig
from minilm.models.bigram import BigramConfig, BigramLM
from minilm.text import CharTokenizer


@pytest.fixture(scope="module")
def story(tmp_path_factory):
    """Running text: a stretch of Shakespeare (blank lines between speeches)."""
    path = tmp_path_factory.mktemp("text") / "story.txt"
    path.write_text(load_text("tinyshakespeare")[:40_000], encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def names(tmp_path_factory):
    """Short records, one per line."""
    path = tmp_path_factory.mktemp("text") / "names.txt"
    path.write_text("\n".join(load_text("names").split()[:2000]) + "\n", encoding="utf-8")
    return path


def run(capsys, *argv):
    code = main([str(a) for a in argv])
    out = capsys.readouterr()
    return code, out.out, out.err


def test_train_generate_export_on_your_own_text(story, tmp_path, capsys):
    ckpt = tmp_path / "gpt.npz"
    code, out, err = run(capsys, "train", "--model", "gpt", "--text", story, "--steps", "20",
                         "--save", ckpt, "--no-progress", "--samples", "1")  # fmt: skip
    assert code == 0, err
    assert "split by blocks" in out and "character vocabulary" in out
    nats = float(re.search(r"test loss +([\d.]+) nats per character", out).group(1))
    ppl = float(re.search(r"perplexity ([\d.]+)", out).group(1))
    assert math.exp(nats) == pytest.approx(ppl, rel=2e-3) and 0 < nats < math.log(70)
    model, tok, info = load_model(ckpt)
    assert isinstance(model, GPT) and info["family"] == "gpt" and info["step"] == 20
    assert info["metrics"]["test_nats_per_char"] == pytest.approx(nats, abs=1e-3)
    assert info["schema_version"] == 1 and info["text"]["split"] == "blocks"

    code, out, err = run(capsys, "generate", ckpt, "--prompt", "ROMEO:", "--max-new-tokens",
                         "40", "--seed", "0")  # fmt: skip
    assert code == 0, err
    assert out.startswith("ROMEO:") and len(out) > len("ROMEO:") + 20
    again = run(capsys, "generate", ckpt, "--prompt", "ROMEO:", "--max-new-tokens", "40",
                "--seed", "0")[1]  # fmt: skip
    assert again == out  # a seed makes it reproducible

    exported = tmp_path / "gpt.safetensors"
    code, out, err = run(capsys, "export", ckpt, exported)
    assert code == 0 and exported.exists() and "wrote" in out, err


def test_the_exported_gpt_gives_pytorchs_logits(story, tmp_path, capsys):
    torch = pytest.importorskip("torch")
    from safetensors.torch import load_file

    from minilm.bench.torch_gpt import torch_gpt

    ckpt, out = tmp_path / "gpt.npz", tmp_path / "gpt.safetensors"
    assert main(["train", "--model", "gpt", "--text", str(story), "--steps", "5", "--save",
                 str(ckpt), "--no-progress", "--samples", "0"]) == 0  # fmt: skip
    assert main(["export", str(ckpt), str(out)]) == 0
    model, tok, _ = load_model(ckpt)
    twin = torch_gpt(model.config)
    twin.load_state_dict(load_file(str(out)), strict=True)
    ids = tok.encode("ROMEO:\nWhat light through yonder window breaks?")[: model.config.block_size]
    model.eval()
    with minilm.no_grad():
        ours = model(minilm.tensor([ids])).numpy()
    with torch.no_grad():
        theirs = twin(torch.tensor([ids])).numpy()
    assert abs(ours - theirs).max() < 1e-5


@pytest.mark.parametrize("kind", ["ngram", "bigram", "mlp", "gru"])
def test_every_rung_trains_saves_and_generates_on_lines(kind, names, tmp_path, capsys):
    ckpt = tmp_path / f"{kind}.npz"
    code, out, err = run(capsys, "train", "--model", kind, "--text", names, "--steps", "5",
                         "--save", ckpt, "--no-progress")  # fmt: skip
    assert code == 0, err
    assert "split by lines" in out
    assert len(re.findall(r"^sample ", out, flags=re.M)) == 3
    code, out, err = run(capsys, "generate", ckpt, "--prompt", "ma", "--seed", "0")
    assert code == 0, err
    line = out.strip()
    assert line.startswith("ma") and "\n" not in line  # one name: generation stops at its end


def test_bpe_reports_nats_per_character(story, tmp_path, capsys):
    code, out, err = run(capsys, "train", "--model", "mlp", "--text", story, "--tokenizer", "bpe",
                         "--vocab-size", "300", "--steps", "5", "--save", tmp_path / "m.npz",
                         "--no-progress", "--samples", "0")  # fmt: skip
    assert code == 0, err
    assert "BPE vocabulary of 300" in out and "total nats / its characters" in out
    _, tok, info = load_model(tmp_path / "m.npz")
    assert type(tok).__name__ == "BPETokenizer" and tok.vocab_size == 300
    # an untrained model is about uniform per token; per character that is a fraction of it
    assert info["metrics"]["test_nats_per_char"] < math.log(300)


@pytest.mark.parametrize(
    "text, argv, message",
    [
        ("A short line.\n\n" * 60, ["--model", "gpt"], "too few for the gpt model"),
        ("abc\n" * 3, ["--model", "mlp", "--split-by", "lines"], "by lines needs at least 20"),
        ("", ["--model", "mlp"], "is empty"),
    ],
)
def test_text_too_small_or_empty_is_a_clear_error(text, argv, message, tmp_path, capsys):
    path = tmp_path / "small.txt"
    path.write_text(text)
    code, _, err = run(capsys, "train", *argv, "--text", path, "--save", tmp_path / "m.npz",
                       "--no-progress", "--steps", "1")  # fmt: skip
    assert code == 2 and message in err and "Traceback" not in err


def test_a_file_that_is_not_utf8_names_the_byte(tmp_path, capsys):
    path = tmp_path / "latin1.txt"
    path.write_bytes(("caf\xe9 au lait\n" * 40).encode("latin-1"))
    code, _, err = run(capsys, "train", "--model", "mlp", "--text", path, "--save",
                       tmp_path / "m.npz")  # fmt: skip
    assert code == 2 and "not UTF-8: byte 0xe9 at offset 3" in err


def test_unknown_prompt_characters_are_named(names, tmp_path, capsys):
    ckpt = tmp_path / "m.npz"
    assert main(["train", "--model", "bigram", "--text", str(names), "--steps", "2", "--save",
                 str(ckpt), "--no-progress", "--samples", "0"]) == 0  # fmt: skip
    capsys.readouterr()
    code, _, err = run(capsys, "generate", ckpt, "--prompt", "Zoë")
    assert code == 2 and "'Z', 'ë'" in err


# ---- the model file: self-describing, and safe to load from a stranger ----


def small_models():
    tok = CharTokenizer.from_text("abcdefgh\n")
    V = tok.vocab_size
    return tok, [
        GPT(GPTConfig(vocab_size=V, block_size=8, n_layer=1, n_head=2, n_embd=8)),
        MLPLM(MLPLMConfig(vocab_size=V, context=3, embed_dim=4, hidden=8)),
        RNNLM(RNNLMConfig(vocab_size=V, cell="lstm", embed_dim=4, hidden_size=6)),
        BigramLM(BigramConfig(vocab_size=V)),
    ]


def test_every_family_round_trips(tmp_path):
    tok, models = small_models()
    for model in models:
        path = tmp_path / "m.npz"
        save_model(path, model, {"text": tok}, metrics={"x": 1.0}, step=3)
        loaded, tok2, info = load_model(path)
        assert type(loaded) is type(model) and tok2.decode(tok2.encode("abc")) == "abc"
        for (n1, p1), (n2, p2) in zip(model.named_parameters(), loaded.named_parameters()):
            assert n1 == n2 and (p1.numpy() == p2.numpy()).all()
        assert set(info) >= {"schema_version", "family", "config", "tokenizers", "labels",
                             "metrics", "step", "minilm_version"}  # fmt: skip


def test_config_num_parameters_is_what_the_model_allocates():
    tok, models = small_models()
    for model in models:
        assert model.config.num_parameters() == model.num_parameters()
    for bias in (True, False):
        for tie in (True, False):
            c = GPTConfig(vocab_size=13, block_size=5, n_layer=3, n_head=2, n_embd=6, bias=bias,
                          tie_weights=tie)  # fmt: skip
            assert c.num_parameters() == GPT(c).num_parameters()
    for cell in ("rnn", "gru", "lstm"):
        c = RNNLMConfig(vocab_size=7, cell=cell, embed_dim=3, hidden_size=5, num_layers=3)
        assert c.num_parameters() == RNNLM(c).num_parameters()


def tamper(path, change):
    obj = load(path)
    change(obj["record"], obj["tensors"])
    save(obj, path)


@pytest.mark.parametrize(
    "change, message",
    [
        (
            lambda r, t: r["config"].update(n_embd=1_000_000),
            "describes .* parameters but it stores",
        ),
        (lambda r, t: r["config"].update(n_layer=10**12), "out of range"),
        (lambda r, t: r["config"].update(n_layer="4"), "must be int"),
        (lambda r, t: r["config"].update(evil=1), "unknown GPTConfig fields"),
        (lambda r, t: r.update(family="os.system"), "unknown model family"),
        (lambda r, t: r.update(schema_version=99), "schema version 99"),
        (lambda r, t: r["tokenizers"]["text"].update(type="Pickle"), "Pickle"),
        (lambda r, t: t.pop("wte.weight"), "does not match|parameters"),
        (lambda r, t: r["config"].update(n_head=0), "cannot be built"),
        (lambda r, t: r.update(text=5), "'text' is not a mapping"),
        (lambda r, t: r.update(text={"stream": False, "start_id": 99}), "text.start_id"),
    ],
)
def test_a_tampered_model_file_is_refused_before_building(change, message, tmp_path, monkeypatch):
    tok, (gpt, *_) = small_models()
    path = tmp_path / "m.npz"
    save_model(path, gpt, {"text": tok})
    tamper(path, change)
    built = []
    monkeypatch.setitem(FAMILIES, "gpt", Family(lambda c: built.append(c) or GPT(c), GPTConfig))
    with pytest.raises(CheckpointError, match=message):
        load_model(path)
    if "parameters" in message or "range" in message:
        assert not built  # refused before any model was allocated


def test_a_file_that_is_not_a_model_is_refused(tmp_path):
    path = tmp_path / "x.npz"
    save({"just": "data"}, path)
    with pytest.raises(CheckpointError, match="no model record"):
        load_model(path)
    path.write_bytes(b"not a zip at all")
    with pytest.raises(CheckpointError):
        load_model(path)


def test_a_huge_layer_count_is_refused_at_once(tmp_path):
    """Counting the parameters of a 2**31-layer RNN must not loop 2**31 times."""
    tok, (_, _, rnn, _) = small_models()
    path = tmp_path / "rnn.npz"
    save_model(path, rnn, {"text": tok})
    tamper(path, lambda r, t: r["config"].update(num_layers=2**31 - 1))
    with pytest.raises(CheckpointError, match="num_layers .* out of range"):
        load_model(path)
    assert RNNLMConfig(5, num_layers=10**9, embed_dim=0, hidden_size=0).num_parameters() == 5 * 1


def test_an_id_beyond_the_vocabulary_is_refused(tmp_path):
    tok, (_, mlp, _, _) = small_models()
    path = tmp_path / "mlp.npz"
    save_model(path, mlp, {"text": tok})
    tamper(path, lambda r, t: r["config"].update(pad_id=10**6))
    with pytest.raises(CheckpointError, match="pad_id = 1000000 is not below vocab_size"):
        load_model(path)


def test_bpe_nats_per_character_is_total_nats_over_characters(story):
    """Per character = the test split's total nats / its characters, counted here
    from the text itself, not from the corpus object under test."""
    from minilm.data import split_text
    from minilm.data.lm_corpus import CharCorpus
    from minilm.recipes.mlp_lm import evaluate_mlp_lm

    text = story.read_text()
    corpus = CharCorpus.from_text(text, tokenizer="bpe", vocab_size=300)
    minilm.manual_seed(0)
    model = MLPLM(MLPLMConfig(vocab_size=300, context=4, embed_dim=4, hidden=8))
    per_token = evaluate_mlp_lm(model, corpus, "test")  # a mean over every predicted token
    test_text = split_text(text)["test"]
    ids = corpus.tokenizer.encode(test_text)
    total_nats = per_token * (len(ids) - 1)  # the first token is given, not predicted
    chars = len(test_text) - len(corpus.tokenizer.decode(ids[:1]))
    assert corpus.nats_per_char(per_token, "test") == pytest.approx(total_nats / chars, rel=1e-12)
    assert 1.2 < len(test_text) / len(ids) < 4  # BPE tokens cover more than a character


def test_a_bpe_model_of_lines_continues_one_record(names, tmp_path, capsys):
    ckpt = tmp_path / "bpe.npz"
    assert main(["train", "--model", "mlp", "--text", str(names), "--tokenizer", "bpe",
                 "--vocab-size", "280", "--steps", "20", "--save", str(ckpt), "--no-progress",
                 "--samples", "0"]) == 0  # fmt: skip
    capsys.readouterr()
    for seed in range(3):
        assert main(["generate", str(ckpt), "--prompt", "ma", "--seed", str(seed)]) == 0
        out = capsys.readouterr().out
        assert out.startswith("ma") and out.count("\n") == 1  # one name, then print's newline


def test_an_ngram_never_writes_unk_and_reads_a_prompt_of_several_lines(story, tmp_path, capsys):
    ckpt = tmp_path / "ng.npz"
    assert main(["train", "--model", "ngram", "--order", "3", "--text", str(story), "--save",
                 str(ckpt), "--no-progress", "--samples", "0"]) == 0  # fmt: skip
    capsys.readouterr()
    assert main(["generate", str(ckpt), "--prompt", "ROMEO:\nWhat", "--max-new-tokens", "3000",
                 "--seed", "1"]) == 0  # fmt: skip
    out = capsys.readouterr().out
    assert out.startswith("ROMEO:\nWhat") and "<unk>" not in out and out.count("\n") > 10


def test_an_ngram_tuned_on_heldout_is_not_saved_half(tmp_path):
    from minilm.ngram import NgramModel

    lm = NgramModel(2, "interpolation").fit(["abc", "abd"] * 5, heldout=["abd"])
    with pytest.raises(ValueError, match="tuned on held-out"):
        save_model(tmp_path / "n.npz", lm, {})
    same = NgramModel(2, "kneser-ney").fit(["abc", "abd"] * 5)
    save_model(tmp_path / "n.npz", same, {})
    back = load_model(tmp_path / "n.npz").model
    assert back.perplexity(["abd", "abc"]) == same.perplexity(["abd", "abc"])


def test_tour_checks_every_rung_before_training_any(tmp_path, capsys):
    path = tmp_path / "short.txt"
    path.write_text("A short line.\n\n" * 60)
    code, out, err = run(capsys, "tour", "--text", path, "--steps", "1", "--no-progress",
                         "--plot", "")  # fmt: skip
    assert code == 2 and "too few for the rnn models" in err and "Traceback" not in err
    assert "-- unigram" not in out  # nothing trained first


def test_a_line_too_long_for_the_gpt_context_is_refused(tmp_path, capsys):
    path = tmp_path / "lines.txt"
    path.write_text("\n".join(["short line"] * 39 + ["x" * 3000]) + "\n")
    code, _, err = run(capsys, "train", "--model", "gpt", "--text", path, "--split-by", "lines",
                       "--save", tmp_path / "m.npz", "--no-progress")  # fmt: skip
    assert code == 2 and "3,000 characters long" in err and "--split-by blocks" in err


def test_an_ngram_with_settings_a_model_file_cannot_hold_is_refused(tmp_path):
    from minilm.ngram import NgramModel
    from minilm.ngram.smoothing import AddK

    for lm in (NgramModel(2, AddK(0.1)), NgramModel(2, "kneser-ney", boundaries=False)):
        lm.fit(["abc", "abd"] * 5)
        with pytest.raises(ValueError, match="non-default settings"):
            save_model(tmp_path / "n.npz", lm, {})
    assert not (tmp_path / "n.npz").exists()
