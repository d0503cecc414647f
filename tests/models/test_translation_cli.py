"""``python -m minilm translation``: a tiny run prints the comparison table
and example translations; bad arguments stop argparse with a message naming them."""

import re
import subprocess
import sys

import pytest

import minilm
from minilm.commands.translation import main
from minilm.models.seq2seq import Seq2Seq, Seq2SeqConfig
from minilm.models.transformer import Transformer, TransformerConfig
from minilm.recipes.translation import MODELS, TranslationData, build_model, translate


def test_tiny_run_prints_the_table_and_examples(capsys):
    argv = ["--steps", "2", "--batch-size", "4", "--limit", "6", "--beam", "2",
            "--examples", "2", "--no-progress"]  # fmt: skip
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert "test split: 6 English sentences" in out
    assert "2 steps x 4 pairs" in out
    header = (
        "| model | parameters | steps | train time (s) | train loss | test BLEU greedy "
        "| BLEU beam 2 |"
    )
    assert header in out
    rows = {m.group(1): m.groups() for m in re.finditer(
        r"^\| (rnn|transformer) \| ([\d,]+) \| (\d+) \| (\d+) \| ([\d.]+) \| ([\d.]+) "
        r"\| ([\d.]+|-) \|$", out, flags=re.M)}  # fmt: skip
    assert set(rows) == {"rnn", "transformer"}
    for _, _, steps, _, loss, greedy, _ in rows.values():
        assert steps == "2"
        assert float(loss) > 0  # a cross-entropy, printed as nats per word
        assert 0 <= float(greedy) <= 100
    assert rows["rnn"][6] != "-" and rows["transformer"][6] != "-"  # both beam search
    for *_, beam in rows.values():
        assert 0 <= float(beam) <= 100
    assert "then beam search of width 2 (hypotheses ranked by log-prob / length ** 1)" in out
    assert out.count("  en:   ") == out.count("  ref:  ") == out.count("  hyp:  ") == 4
    assert out.count("  beam: ") == 4  # two examples per model


def test_one_model_and_its_size_and_examples(capsys):
    main(["--model", "transformer", "--steps", "1", "--batch-size", "2", "--limit", "3",
          "--examples", "1", "--split", "val", "--beam", "0", "--no-progress"])  # fmt: skip
    out = capsys.readouterr().out
    assert "val split: 3 English sentences" in out
    assert "| rnn |" not in out and "| transformer |" in out
    assert out.count("  hyp:  ") == 1
    assert "  beam: " not in out and "beam search of width" not in out
    assert re.search(r"^\| transformer \|.* \| - \|$", out, flags=re.M)  # --beam 0: greedy only
    data = TranslationData.load()
    model, lr = build_model("transformer", data)
    assert f"| transformer | {model.num_parameters():,} |" in out
    assert lr == MODELS["transformer"]["lr"]


def test_build_model_kinds_and_beam_search_for_both():
    data = TranslationData.load()
    assert isinstance(build_model("rnn", data)[0], Seq2Seq)
    transformer = build_model("transformer", data)[0]
    assert isinstance(transformer, Transformer)
    with pytest.raises(ValueError, match="rnn"):
        build_model("lstm", data)
    sentences = ["Hello.", "I am cold."]
    src = data.encode_src(sentences)
    vocab = (data.src_tok.vocab_size, data.tgt_tok.vocab_size)
    small = dict(max_len=6, **data.special_ids())  # untrained models run to max_len
    minilm.manual_seed(0)
    tiny = (Seq2Seq(Seq2SeqConfig(*vocab, embed_dim=8, hidden_size=16, **small)),
            Transformer(TransformerConfig(*vocab, d_model=16, num_heads=2, **small)))  # fmt: skip
    for model in tiny:
        beams = translate(model, data, sentences, beam_size=2, length_penalty=0.5)
        want = [data.tgt_tok.vocab.decode(model.beam_decode(s, 2, length_penalty=0.5))
                for s in src]  # fmt: skip
        assert beams == want
        assert translate(model, data, sentences, beam_size=1) == translate(model, data, sentences)
    with pytest.raises(TypeError, match="Linear has no beam_decode"):
        translate(minilm.nn.Linear(2, 2), data, ["Hello."], beam_size=2)


def test_dropout_overrides_the_models_rate():
    data = TranslationData.load()
    rates = lambda model: {m.p for m in model.modules() if type(m).__name__ == "Dropout"}
    for kind in MODELS:
        assert rates(build_model(kind, data)[0]) == {MODELS[kind]["dropout"]}
        assert rates(build_model(kind, data, dropout=0.3)[0]) == {0.3}
    with pytest.raises(ValueError, match=r"dropout must be in \[0, 1\), got 1.5"):
        build_model("rnn", data, dropout=1.5)


@pytest.mark.parametrize("argv, message", [
    (["--steps", "0"], "argument --steps: must be a whole number >= 1, got '0'"),
    (["--batch-size", "-3"], "argument --batch-size: must be a whole number from 1 to"),
    (["--beam", "-1"], "argument --beam: must be a whole number >= 0, got '-1'"),
    (["--length-penalty", "-1"], "argument --length-penalty: must be a number >= 0.0, got '-1'"),
    (["--limit", "0"], "argument --limit: must be a whole number >= 1, got '0'"),
    (["--lr", "0"], "argument --lr: must be in (0, 10], got '0'"),
    (["--dropout", "1"], "argument --dropout: must be in [0, 1), got '1'"),
    (["--model", "lstm"], "invalid choice: 'lstm'"),
    (["--steps", "ten"], "argument --steps: must be a whole number, got 'ten'"),
])  # fmt: skip
def test_bad_arguments_are_argparse_errors(argv, message, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    assert exit_info.value.code == 2
    assert message in capsys.readouterr().err


def test_python_dash_m_runs_main():
    run = subprocess.run([sys.executable, "-m", "minilm", "translation", "--steps", "0"],
                         capture_output=True, text=True, timeout=120)  # fmt: skip
    assert run.returncode == 2
    assert "argument --steps: must be a whole number >= 1, got '0'" in run.stderr
