"""minilm.predict: translating and classifying with saved models. The
transformer's attention is checked against the decoder run by hand here, the
GRU's against its own greedy decode, and a classification against the model's
logits for the text alone."""

import pytest

import minilm
from minilm.backend import np
from minilm.checkpoint import load_model, save_model
from minilm.models.bert import BERT, BERTClassifier, BERTConfig
from minilm.models.gpt import GPT, GPTConfig
from minilm.models.seq2seq import Seq2Seq, Seq2SeqConfig
from minilm.models.textcnn import TextCNN, TextCNNConfig
from minilm.models.transformer import Transformer, TransformerConfig
from minilm.predict import MAX_BEAM, Classifier, Translator, load_predictor
from minilm.text import CharTokenizer, WordTokenizer

WORDS = "the cat sat on a mat . i am very tired we are here le chat est sur un tapis"
SPECIALS = ("<pad>", "<bos>", "<eos>")


def word_tokenizer(specials=SPECIALS):
    return WordTokenizer.from_text(WORDS, specials=specials, lower=True)


def saved_translator(tmp_path, model, tok, max_len=None, name="t"):
    path = tmp_path / f"{name}.safetensors"
    text = {} if max_len is None else {"max_len": max_len}
    save_model(path, model, {"source": tok, "target": tok}, text=text)
    return load_model(path)


def transformer(tok, seed=0, **kw):
    minilm.manual_seed(seed)
    V = tok.vocab_size
    cfg = dict(d_model=16, num_heads=2, num_encoder_layers=1, num_decoder_layers=2, max_len=9)
    return Transformer(TransformerConfig(V, V, **{**cfg, **kw}))


def seq2seq(tok, seed=0, **kw):
    minilm.manual_seed(seed)
    V = tok.vocab_size
    return Seq2Seq(Seq2SeqConfig(V, V, **{"embed_dim": 8, "hidden_size": 12, "max_len": 7, **kw}))


def cross_attention_by_hand(model, src_ids, target_ids):
    """The last decoder layer's cross-attention weights, head-averaged, when the
    decoder reads BOS + target[:-1]: each layer called by hand."""
    c = model.config
    model.eval()
    with minilm.no_grad():
        src = minilm.tensor([src_ids])
        memory, mask = model.encode(src)
        tgt_in = minilm.tensor([[c.bos_id] + target_ids[:-1]])
        y = model._embed(tgt_in, model.tgt_embed, model.tgt_pos)
        *first, last = model.decoder.layers
        for layer in first:
            y = layer(y, context=memory, causal=True, context_padding_mask=mask)
        x = y + last.attn(last.ln_1(y), causal=True)
        _, w = last.cross_attn(last.ln_cross(x), memory, key_padding_mask=mask,
                               return_weights=True)  # fmt: skip
    return w.numpy()[0].mean(axis=0)  # (T, S)


def check_shape_and_rows(out):
    attn = np.array(out["attention"])
    assert attn.shape == (len(out["target_tokens"]), len(out["source_tokens"]))
    np.testing.assert_allclose(attn.sum(axis=1), 1.0, atol=1e-5)
    assert (attn >= 0).all()
    return attn


@pytest.mark.parametrize("beam_size", [0, 3])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_transformer_attention_is_the_last_layers_cross_attention(tmp_path, seed, beam_size):
    tok = word_tokenizer()
    model = transformer(tok, seed)
    t = Translator(saved_translator(tmp_path, model, tok))
    out = t.translate("I am very tired.", beam_size=beam_size)
    assert out["source_tokens"] == ["i", "am", "very", "tired", ".", "<eos>"]
    attn = check_shape_and_rows(out)
    src = tok.encode("I am very tired.") + [tok.vocab.stoi["<eos>"]]
    if beam_size:
        ids = model.beam_decode(src, beam_size)
    else:
        (ids,) = model.greedy_decode(minilm.tensor([src]))
    assert out["translation"] == tok.decode(ids)
    target = [tok.vocab.stoi[w] for w in out["target_tokens"]]
    ended = out["target_tokens"][-1] == "<eos>"
    assert target == ids + [2] * ended  # <eos> counts when the model wrote it
    assert ended == (len(ids) < model.config.max_len - 1)
    np.testing.assert_allclose(attn, cross_attention_by_hand(model, src, target), atol=1e-6)


def test_the_eos_row_is_there_when_the_decoder_stops_and_not_when_it_runs_out(tmp_path):
    """A decoder whose last layer norm outputs ones whatever it reads: its logits are
    the head's column sums, so it writes word 5 every step, or <eos> at once."""
    tok = word_tokenizer()
    for eos_wins in (True, False):
        model = transformer(tok, tie_weights=False)
        model.decoder.ln_f.weight.data[:] = 0
        model.decoder.ln_f.bias.data[:] = 1
        model.head.weight.data[:] = 0
        model.head.weight.data[:, 5] = 1.0
        model.head.weight.data[:, 2] = 2.0 if eos_wins else -2.0
        out = Translator(saved_translator(tmp_path, model, tok)).translate("the cat")
        check_shape_and_rows(out)
        word = tok.decode([5])
        if eos_wins:
            assert out["target_tokens"] == ["<eos>"] and out["translation"] == ""
        else:  # it ran out of positions: max_len 9 less BOS, and no <eos> row
            assert out["target_tokens"] == [word] * 8
            assert out["translation"] == " ".join([word] * 8)


def test_gru_attention_is_what_its_greedy_decode_returns(tmp_path):
    tok = word_tokenizer()
    for seed in range(3):
        model = seq2seq(tok, seed)
        t = Translator(saved_translator(tmp_path, model, tok, max_len=16))
        out = t.translate("We are here.")
        attn = check_shape_and_rows(out)
        src = minilm.tensor([tok.encode("We are here.") + [2]])
        (ids,), (weights,) = model.greedy_decode(src, return_attention=True)
        assert out["translation"] == tok.decode(ids)
        np.testing.assert_allclose(attn, weights, atol=1e-6)
        beam = t.translate("We are here.", beam_size=2)
        check_shape_and_rows(beam)


def test_a_gru_without_attention_translates_with_no_attention_rows(tmp_path):
    tok = word_tokenizer()
    out = Translator(saved_translator(tmp_path, seq2seq(tok, attention="none"), tok)).translate(
        "the cat"
    )
    assert out["attention"] == [] and out["target_tokens"]


def test_bad_input_is_a_value_error_naming_it(tmp_path):
    tok = word_tokenizer()
    t = Translator(saved_translator(tmp_path, transformer(tok), tok, max_len=5))
    assert t.max_source_tokens == 5  # the record's limit, below the positions' 8
    t.translate("a a a a a")
    for text, message in [("", "no words"), (" \n ", "no words"),
                          ("a a a a a a", "6 words; this model translates at most 5"),
                          (b"the cat", "text must be a string")]:  # fmt: skip
        with pytest.raises(ValueError, match=message):
            t.translate(text)
    for beam in (-1, MAX_BEAM + 1, 1.5, True, "2"):
        with pytest.raises(ValueError, match="beam_size must be a whole number"):
            t.translate("the cat", beam_size=beam)
    positions = Translator(saved_translator(tmp_path, transformer(tok), tok, name="p"))
    assert positions.max_source_tokens == 8  # max_len 9 positions, one for <eos>
    with pytest.raises(ValueError, match="9 words; this model translates at most 8"):
        positions.translate("a " * 9)


def classifiers(tok):
    V = tok.vocab_size
    minilm.manual_seed(0)
    bert = BERT(BERTConfig(vocab_size=V, max_len=6, n_layer=1, n_head=2, d_model=8, dropout=0.3))
    return [
        BERTClassifier(bert, 3, pooling="mean", dropout=0.5),
        BERTClassifier(BERT(bert.config), 3, pooling="cls"),
        TextCNN(TextCNNConfig(vocab_size=V, num_classes=3, embed_dim=4, num_filters=3)),
    ]


TEXTS = ["The cat sat.", "we are here", "a mat", "i am very tired on a mat . the cat sat"]


def test_classify_agrees_with_the_models_own_logits_for_each_text_alone(tmp_path):
    tok = word_tokenizer(("[PAD]", "[CLS]", "[SEP]", "[MASK]"))
    labels = ["neg", "neu", "pos"]
    for i, model in enumerate(classifiers(tok)):
        path = tmp_path / f"c{i}.safetensors"
        save_model(path, model, {"text": tok}, labels=labels, text={"start_id": 1, "max_len": 20})
        c = load_predictor(path)
        assert isinstance(c, Classifier) and c.labels == labels
        results = c.classify(TEXTS)
        model.eval()
        for text, r in zip(TEXTS, results):
            ids = ([1] + tok.encode(text))[: c.max_len]
            with minilm.no_grad():
                logits = model(minilm.tensor([ids])).numpy()[0].astype(np.float64)
            p = np.exp(logits - logits.max())
            p /= p.sum()
            assert r["label"] == labels[int(np.argmax(logits))]
            assert list(r["probabilities"]) == labels
            np.testing.assert_allclose(list(r["probabilities"].values()), p, atol=1e-5)
            assert sum(r["probabilities"].values()) == pytest.approx(1.0, abs=1e-6)
    assert c.max_len == 20
    bert = Classifier(load_model(tmp_path / "c0.safetensors"))
    assert bert.max_len == 6  # cut to the encoder's positions
    long = bert.classify([TEXTS[3]])[0]
    assert long == bert.classify(["i am very tired on"])[0]  # the same first 6 ids


def test_classify_refuses_bad_input(tmp_path):
    tok = word_tokenizer(("[PAD]", "[CLS]", "[SEP]", "[MASK]"))
    path = tmp_path / "c.safetensors"
    save_model(path, classifiers(tok)[2], {"text": tok}, labels=["a", "b", "c"])
    c = load_predictor(path)
    bad = [([], "non-empty list"), ("the cat", "non-empty list"), (["the cat", ""], "no words"),
           ([3], "text must be a string")]  # fmt: skip
    for texts, message in bad:
        with pytest.raises(ValueError, match=message):
            c.classify(texts)
    with pytest.raises(ValueError, match="Translator needs a translate model"):
        Translator(load_model(path))


def test_a_language_model_file_is_sent_to_generation(tmp_path):
    tok = CharTokenizer.from_text("abc\n")
    path = tmp_path / "lm.safetensors"
    save_model(path, GPT(GPTConfig(vocab_size=tok.vocab_size, block_size=4, n_layer=1, n_head=1,
                                   n_embd=4)), {"text": tok})  # fmt: skip
    with pytest.raises(ValueError, match="generates text.*use generation instead"):
        load_predictor(path)
    with pytest.raises(ValueError, match="Classifier needs a classify model"):
        Classifier(load_model(path))
    tok = word_tokenizer()
    assert isinstance(load_predictor(saved_translator(tmp_path, seq2seq(tok), tok)), Translator)
