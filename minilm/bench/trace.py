"""``python -m minilm.bench trace``: 30-step training loss traces, to check that a
change to the engine keeps every training result the same.

Each run is a small, seeded training loop over one of minilm's models (the char
GPT with and without dropout, the recurrent LMs, the MLP LM, word2vec, the RNN
and transformer translators, BERT, the VAE, the GANs, a convolutional net) with
one of its optimizers; it records the loss after each of its 30 steps. Together
the runs cover every op family the models train through (see ``--list``). The
weights come from ``minilm.manual_seed``, the batches from seeded NumPy
generators, so two runs on the same engine give the same numbers, and two
engines that compute the same thing give traces that agree to rounding.

Options:

- ``--dtype float32|float64``: the models' parameters are cast to this dtype.
- ``--runs NAME,...``: a subset (default: all; ``--list`` names them).
- ``--json FILE``: write ``{run: [30 losses], ..., "_meta": {...}}`` (keys that
  start with ``_`` are not runs: ``_meta`` holds minilm's path, the dtype and
  each run's seconds; with ``--fast both``, ``_fast_off`` holds the traces with
  the fast layer off).
- ``--compare FILE``: the largest relative difference per run between these
  traces and the saved ones; exit status 1 if any exceeds ``--rtol`` (1e-6).
- ``--fast on|off|both``: the fast layer (minilm's switchable faster kernels) on,
  off, or both, compared with each other (exit status 1 past ``--rtol``). Off
  means ``minilm.fast.disabled()`` where that exists, else this command rerun in
  a subprocess with ``MINILM_FUSED=0`` in its environment.

The relative difference of two losses a, b is ``|a - b| / max(|a|, |b|)``
(every traced loss is positive, so it is well defined).
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import json
import os
import subprocess
import sys
import tempfile
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache

import minilm

from .. import argtypes, nn, ops, optim
from .. import functional as F
from ..backend import np
from ..tensor import manual_seed, no_grad, tensor

STEPS = 30
DTYPES = ("float32", "float64")


@dataclass(frozen=True)
class Run:
    """One traced training run: ``fn(dtype)`` returns its STEPS losses."""

    name: str
    covers: str
    fn: Callable


RUNS: dict[str, Run] = {}


def _run(name: str, covers: str):
    def register(fn):
        RUNS[name] = Run(name, covers, fn)
        return fn

    return register


# ---- shared pieces ----------------------------------------------------------


@cache
def _shakespeare():
    from ..data.lm_corpus import CharCorpus

    return CharCorpus.load("tinyshakespeare")


@cache
def _names_corpus():
    from ..data.lm_corpus import CharCorpus

    return CharCorpus.load("names")


@cache
def _name_strings() -> tuple:
    from ..data import load_split

    return tuple(load_split("names", "train"))


@cache
def _translation():
    from ..recipes.translation import TranslationData

    # words seen 20 times, sentences of up to 8 words: ~375-word vocabularies, so
    # the per-step output layer of the RNN decoder stays cheap
    return TranslationData.load(min_count=20, max_len=8)


def _cast(model, dtype):
    """Cast every floating parameter and buffer of ``model`` to ``dtype`` in place
    (the weights are drawn in float32 first, so both dtypes start from the same
    values)."""
    dtype = np.dtype(dtype)
    with no_grad():
        for p in model.parameters():
            if p.data.dtype.kind == "f" and p.data.dtype != dtype:
                p.data = p.data.astype(dtype)
        for _, b in model.named_buffers():
            if b.data.dtype.kind == "f" and b.data.dtype != dtype:
                b.data = b.data.astype(dtype)
    return model


def _split_decay(model):
    """AdamW-style groups: weight decay on matrices, none on biases and norms."""
    decay = [p for p in model.parameters() if p.ndim >= 2]
    rest = [p for p in model.parameters() if p.ndim < 2]
    return [{"params": decay}, {"params": rest, "weight_decay": 0.0}]


_loss_dtypes: set = set()  # the dtypes of the losses recorded by the run in progress


def _item(loss) -> float:
    """The loss as a Python float (its dtype noted for the metadata)."""
    _loss_dtypes.add(str(loss.dtype))
    return float(loss.item())


def _train(model, opt, loss_fn, *, sched=None, clip_norm=None, clip_value=None,
           accumulate: int = 1) -> list[float]:  # fmt: skip
    """STEPS optimizer steps; each takes ``accumulate`` calls of ``loss_fn()``
    (their gradients summed, each scaled by 1/accumulate). Returns the loss of
    each step (the mean over its micro-batches), as Python floats."""
    losses = []
    for _ in range(STEPS):
        opt.zero_grad()
        total = 0.0
        for _ in range(accumulate):
            loss = loss_fn()
            (loss * (1.0 / accumulate) if accumulate > 1 else loss).backward()
            total += _item(loss)
        if clip_norm is not None:
            optim.clip_grad_norm_(model.parameters(), clip_norm)
        if clip_value is not None:
            optim.clip_grad_value_(model.parameters(), clip_value)
        opt.step()
        if sched is not None:
            sched.step()
        losses.append(total / accumulate)
    return losses


def _stream_batches(batch_size: int, block: int, seed: int):
    from ..data import lm_batch

    ids = _shakespeare().split("train")[0]
    gen = np.random.default_rng(seed)
    return lambda: lm_batch(ids, batch_size, block, rng=gen)


def _names_batches(batch_size: int, seed: int):
    from ..data.lm_corpus import padded_batch

    seqs = _names_corpus().split("train")
    gen = np.random.default_rng(seed)
    return lambda: padded_batch([seqs[i] for i in gen.integers(0, len(seqs), batch_size)])


# ---- the runs ---------------------------------------------------------------


def _gpt(dtype, dropout: float, label_smoothing: float, adamw: bool, accumulate: int):
    from ..models.gpt import GPT, GPTConfig

    corpus = _shakespeare()
    manual_seed(0)
    config = GPTConfig(vocab_size=corpus.vocab_size, block_size=16, n_layer=2, n_head=2,
                       n_embd=32, dropout=dropout)  # fmt: skip
    model = _cast(GPT(config), dtype)
    batch = _stream_batches(8, config.block_size, seed=1)
    if adamw:
        opt = optim.AdamW(_split_decay(model), lr=3e-3, betas=(0.9, 0.99), weight_decay=0.1)
    else:
        opt = optim.Adam(model.parameters(), lr=2e-3, weight_decay=1e-4)
    sched = optim.WarmupCosineLR(opt, 5, STEPS, eta_min=3e-4)

    def loss_fn():
        x, y = batch()
        return F.cross_entropy(model(x), y, label_smoothing=label_smoothing)

    return _train(model, opt, loss_fn, sched=sched, clip_norm=1.0, accumulate=accumulate)


@_run("gpt", "char GPT (2 layers, 2 heads, width 32, block 16) on tinyshakespeare "
             "windows: embedding gather/scatter-add, learned positions, causal "
             "multi-head attention (masked softmax), layer norm, GELU tanh, tied head "
             "(x @ W.T), cross-entropy; AdamW with decay groups, warmup-cosine, "
             "clip_grad_norm_")  # fmt: skip
def run_gpt(dtype):
    return _gpt(dtype, dropout=0.0, label_smoothing=0.0, adamw=True, accumulate=1)


@_run("gpt_dropout", "the same GPT with dropout 0.1 (embedding, attention weights, "
                     "residual; masks drawn from minilm's generator), label smoothing "
                     "0.1, 2 accumulated micro-batches per step; Adam with L2 weight "
                     "decay")  # fmt: skip
def run_gpt_dropout(dtype):
    return _gpt(dtype, dropout=0.1, label_smoothing=0.1, adamw=False, accumulate=2)


@_run("lstm", "RNNLM with an LSTM (one-op gates when fast) on tinyshakespeare, truncated BPTT "
              "(StreamBatches, state carried and detached); per-step embedding, "
              "stack; Adam with amsgrad, clip_grad_norm_")  # fmt: skip
def run_lstm(dtype):
    from ..data.lm_corpus import StreamBatches
    from ..models.rnn_lm import RNNLM, RNNLMConfig, detach_state

    corpus = _shakespeare()
    manual_seed(0)
    model = _cast(RNNLM(RNNLMConfig(corpus.vocab_size, "lstm", embed_dim=16, hidden_size=32)),
                  dtype)  # fmt: skip
    stream = StreamBatches(corpus.split("train")[0], 8, 16)
    opt = optim.Adam(model.parameters(), lr=5e-3, amsgrad=True)
    carried = {"state": None}

    def loss_fn():
        x, y, fresh = stream.next()
        logits, state = model(x, None if fresh else carried["state"])
        carried["state"] = detach_state(state)
        return F.cross_entropy(logits, y)

    return _train(model, opt, loss_fn, clip_norm=1.0)


@_run("gru", "RNNLM, 2-layer GRU (one-op gates when fast), dropout 0.1 between layers and "
             "before the head, on padded names (ignore_index -100); centered RMSprop "
             "with momentum, ExponentialLR, clip_grad_norm_")  # fmt: skip
def run_gru(dtype):
    from ..models.rnn_lm import RNNLM, RNNLMConfig

    corpus = _names_corpus()
    manual_seed(0)
    config = RNNLMConfig(corpus.vocab_size, "gru", embed_dim=16, hidden_size=32, num_layers=2,
                         dropout=0.1)  # fmt: skip
    model = _cast(RNNLM(config), dtype)
    batch = _names_batches(16, seed=2)
    opt = optim.RMSprop(model.parameters(), lr=2e-3, alpha=0.95, momentum=0.9, centered=True)
    sched = optim.ExponentialLR(opt, gamma=0.97)

    def loss_fn():
        x, y = batch()
        return F.cross_entropy(model(x)[0], y)

    return _train(model, opt, loss_fn, sched=sched, clip_norm=1.0)


@_run("rnn", "RNNLM with an Elman RNN (tanh) on tinyshakespeare, truncated BPTT; SGD "
             "with Nesterov momentum and weight decay, StepLR, clip_grad_value_")  # fmt: skip
def run_rnn(dtype):
    from ..data.lm_corpus import StreamBatches
    from ..models.rnn_lm import RNNLM, RNNLMConfig, detach_state

    corpus = _shakespeare()
    manual_seed(0)
    model = _cast(RNNLM(RNNLMConfig(corpus.vocab_size, "rnn", embed_dim=16, hidden_size=32)),
                  dtype)  # fmt: skip
    stream = StreamBatches(corpus.split("train")[0], 8, 16)
    opt = optim.SGD(model.parameters(), lr=0.3, momentum=0.9, nesterov=True, weight_decay=1e-4)
    sched = optim.StepLR(opt, step_size=10, gamma=0.5)
    carried = {"state": None}

    def loss_fn():
        x, y, fresh = stream.next()
        logits, state = model(x, None if fresh else carried["state"])
        carried["state"] = detach_state(state)
        return F.cross_entropy(logits, y)

    return _train(model, opt, loss_fn, sched=sched, clip_value=0.5)


class _RecurrentClassifier(nn.Module):
    """Names -> length class: a bidirectional GRU, an LSTM and a ReLU RNN stacked,
    each with gates from primitive ops (sigmoid, tanh, relu, slices, concatenate),
    read through the layers' (B, T, I) ``forward``; mean of the last layer over time."""

    def __init__(self, vocab: int, classes: int):
        super().__init__()
        self.embed = nn.Embedding(vocab, 8)
        self.gru = nn.GRU(8, 16, bidirectional=True)
        self.lstm = nn.LSTM(32, 16)
        self.rnn = nn.RNN(16, 16, nonlinearity="relu")
        self.head = nn.Linear(16, classes)

    def forward(self, x):
        h, _ = self.gru(self.embed(x))  # (B, T, 32)
        h, _ = self.lstm(h)  # (B, T, 16)
        h, _ = self.rnn(h)
        return self.head(h.mean(axis=1))  # (B, classes)


@_run("recurrent_composed", "a bidirectional GRU, an LSTM and a ReLU RNN (nn layers' "
                            "(B, T, I) forward; with --fast off their gates are the composed ops) "
                            "classifying names by length; SGD with momentum and "
                            "dampening, clip_grad_norm_")  # fmt: skip
def run_recurrent_composed(dtype):
    corpus = _names_corpus()
    manual_seed(0)
    model = _cast(_RecurrentClassifier(corpus.vocab_size, 4), dtype)
    seqs = corpus.split("train")
    gen = np.random.default_rng(3)
    opt = optim.SGD(model.parameters(), lr=0.2, momentum=0.9, dampening=0.1, weight_decay=1e-4)

    def loss_fn():
        picked = [seqs[i][:10] for i in gen.integers(0, len(seqs), 16)]
        x = np.zeros((16, 10), dtype=np.int64)
        for i, s in enumerate(picked):
            x[i, : len(s)] = s
        y = np.array([min(len(s), 9) % 4 for s in picked], dtype=np.int64)
        return F.cross_entropy(model(tensor(x)), tensor(y))

    return _train(model, opt, loss_fn, clip_norm=2.0)


@_run("mlp_lm", "Bengio MLP LM on names context windows: embedding + reshape, tanh, "
                "dropout 0.1; Adagrad with lr decay and weight decay")  # fmt: skip
def run_mlp_lm(dtype):
    from ..data.lm_corpus import context_windows
    from ..models.mlp_lm import MLPLM, MLPLMConfig

    corpus = _names_corpus()
    manual_seed(0)
    config = MLPLMConfig(corpus.vocab_size, context=4, embed_dim=8, hidden=64, dropout=0.1,
                         pad_id=corpus.pad_id)  # fmt: skip
    model = _cast(MLPLM(config), dtype)
    X, Y = context_windows(corpus.split("train"), config.context, corpus.pad_id)
    gen = np.random.default_rng(4)
    opt = optim.Adagrad(model.parameters(), lr=0.05, lr_decay=1e-3, weight_decay=1e-4)

    def loss_fn():
        i = gen.integers(0, len(X), 64)
        return F.cross_entropy(model(tensor(X[i])), tensor(Y[i]))

    return _train(model, opt, loss_fn)


def _word2vec(dtype, mode: str, seed: int):
    from collections import Counter

    from ..data import load_text
    from ..models.word2vec import (
        Word2Vec,
        cbow_examples,
        keep_probability,
        sampling_table,
        skipgram_pairs,
        subsample,
    )
    from ..text import split_words

    tokens = split_words(load_text("tinyshakespeare")[:60000], lower=True)
    counts = Counter(tokens)
    words = sorted((w for w, n in counts.items() if n >= 3), key=lambda w: (-counts[w], w))
    manual_seed(0)
    model = _cast(Word2Vec(words, [counts[w] for w in words], dim=16, mode=mode), dtype)
    ids = np.array([model.vocab[t] for t in tokens if t in model.vocab])
    gen = np.random.default_rng(seed)
    kept = subsample(ids, keep_probability(model.counts, 1e-3), gen)
    x, y = skipgram_pairs(kept, 3, gen) if mode == "skipgram" else cbow_examples(kept, 3)
    order = gen.permutation(len(y))
    x, y = x[order], y[order]
    cdf = np.cumsum(sampling_table(model.counts))
    at = {"i": 0}

    def loss_fn():
        j = slice(at["i"], at["i"] + 64)
        at["i"] += 64
        noise = np.searchsorted(cdf, gen.random((len(y[j]), 5)) * cdf[-1])
        return model.loss(x[j], y[j], np.minimum(noise, len(words) - 1))

    opt = optim.Adam(model.parameters(), lr=1e-2 if mode == "skipgram" else 3e-2)
    return _train(model, opt, loss_fn)


@_run("word2vec_sg", "skip-gram word2vec with negative sampling on Shakespeare words: "
                     "embedding lookups, (B, K, D) @ (B, D, 1) batched matmul, "
                     "expand_dims/squeeze, softplus; Adam")  # fmt: skip
def run_word2vec_sg(dtype):
    return _word2vec(dtype, "skipgram", seed=5)


@_run("word2vec_cbow", "CBOW word2vec: masked mean of context vectors (a float32 mask "
                       "times the vectors, promoted in float64), softplus; Adam")  # fmt: skip
def run_word2vec_cbow(dtype):
    return _word2vec(dtype, "cbow", seed=6)


def _translation_train(model, dtype, seed: int, label_smoothing: float, opt_kind: str):
    data = _translation()
    train = data.pairs["train"]
    gen = np.random.default_rng(seed)
    if opt_kind == "adamw":
        opt = optim.AdamW(model.parameters(), lr=3e-3, weight_decay=0.01)
    else:
        opt = optim.Adam(model.parameters(), lr=3e-3, amsgrad=True)
    sched = optim.WarmupCosineLR(opt, 5, STEPS, eta_min=3e-4)

    def loss_fn():
        src, t_in, t_out = data.batch([train[i] for i in gen.integers(0, len(train), 16)])
        return F.cross_entropy(model(src, t_in), t_out, label_smoothing=label_smoothing)

    return _train(model, opt, loss_fn, sched=sched, clip_norm=1.0)


@_run("seq2seq", "GRU encoder-decoder with additive (Bahdanau) attention on eng-fra "
                 "pairs, teacher forcing, dropout 0.1: GRU layer and GRUCell, fancy "
                 "indexing of the final states, masked softmax, concatenate, stack, "
                 "cross-entropy with ignore_index; AdamW, warmup-cosine, "
                 "clip_grad_norm_")  # fmt: skip
def run_seq2seq(dtype):
    from ..models.seq2seq import Seq2Seq, Seq2SeqConfig

    data = _translation()
    manual_seed(0)
    config = Seq2SeqConfig(data.src_tok.vocab_size, data.tgt_tok.vocab_size, embed_dim=16,
                           hidden_size=32, attention="additive", dropout=0.1)  # fmt: skip
    model = _cast(Seq2Seq(config), dtype)
    return _translation_train(model, dtype, seed=7, label_smoothing=0.0, opt_kind="adamw")


@_run("seq2seq_luong", "the GRU translator with Luong 'general' attention (projected "
                       "dot scores), no dropout; Adam with amsgrad")  # fmt: skip
def run_seq2seq_luong(dtype):
    from ..models.seq2seq import Seq2Seq, Seq2SeqConfig

    data = _translation()
    manual_seed(0)
    config = Seq2SeqConfig(data.src_tok.vocab_size, data.tgt_tok.vocab_size, embed_dim=16,
                           hidden_size=32, attention="general", dropout=0.0)  # fmt: skip
    model = _cast(Seq2Seq(config), dtype)
    return _translation_train(model, dtype, seed=8, label_smoothing=0.0, opt_kind="adam")


@_run("transformer", "encoder-decoder Transformer (1+1 layers, width 32) on eng-fra: "
                     "sinusoidal position buffer, key padding masks, causal self- and "
                     "cross-attention, dropout 0.1, tied output, label smoothing 0.1 "
                     "with ignore_index; AdamW, warmup-cosine, clip_grad_norm_")  # fmt: skip
def run_transformer(dtype):
    from ..models.transformer import Transformer, TransformerConfig

    data = _translation()
    manual_seed(0)
    config = TransformerConfig(data.src_tok.vocab_size, data.tgt_tok.vocab_size, d_model=32,
                               num_heads=2, num_encoder_layers=1, num_decoder_layers=1,
                               dropout=0.1, max_len=32)  # fmt: skip
    model = _cast(Transformer(config), dtype)
    return _translation_train(model, dtype, seed=9, label_smoothing=0.1, opt_kind="adamw")


def _bert_ids(names, max_len: int):
    """[CLS] name [SEP] [PAD]...: letters are ids 4..29 (BERTConfig's 4 specials)."""
    ids = np.zeros((len(names), max_len), dtype=np.int64)
    for i, name in enumerate(names):
        ids[i, : len(name) + 2] = [1, *(4 + ord(c) - ord("a") for c in name), 2]
    return ids


def _short_names(n: int) -> list[str]:
    return [s for s in _name_strings() if len(s) <= n and s.isalpha() and s.islower()]


@_run("bert", "BERT masked-LM pretraining on names (1 layer, width 32): mask_tokens "
              "(NumPy generator), bidirectional attention with key padding mask, GELU "
              "tanh in the blocks and exact GELU (erf) in the MLM head, tied "
              "embedding + bias, cross-entropy with ignore_index -100, dropout 0.1; "
              "AdamW")  # fmt: skip
def run_bert(dtype):
    from ..models.bert import BERT, BERTConfig

    names = _short_names(12)
    manual_seed(0)
    model = _cast(BERT(BERTConfig(vocab_size=30, max_len=14, n_layer=1, n_head=2, d_model=32,
                                  dropout=0.1)), dtype)  # fmt: skip
    gen = np.random.default_rng(10)
    opt = optim.AdamW(_split_decay(model), lr=3e-3, weight_decay=0.01)

    def loss_fn():
        ids = _bert_ids([names[i] for i in gen.integers(0, len(names), 32)], 14)
        return model.mlm_loss(tensor(ids), rng=gen, mask_prob=0.25)

    return _train(model, opt, loss_fn, clip_norm=1.0)


@_run("bert_cls", "BERTClassifier (mean pooling over real tokens) on names, three "
                  "multi-label targets, binary_cross_entropy_with_logits with "
                  "pos_weight; AdamW")  # fmt: skip
def run_bert_cls(dtype):
    from ..models.bert import BERT, BERTClassifier, BERTConfig

    names = _short_names(12)
    manual_seed(0)
    bert = BERT(BERTConfig(vocab_size=30, max_len=14, n_layer=1, n_head=2, d_model=32,
                           dropout=0.1))  # fmt: skip
    model = _cast(BERTClassifier(bert, num_classes=3, pooling="mean", dropout=0.1), dtype)
    gen = np.random.default_rng(11)
    opt = optim.AdamW(model.parameters(), lr=5e-4, weight_decay=0.01)
    pos_weight = tensor(np.array([1.0, 2.0, 0.5], dtype=dtype))

    def loss_fn():
        picked = [names[i] for i in gen.integers(0, len(names), 32)]
        y = np.array([["a" in n, "e" in n, n[-1] in "aeiouy"] for n in picked], dtype=dtype)
        logits = model(tensor(_bert_ids(picked, 14)))
        return F.binary_cross_entropy_with_logits(logits, tensor(y), pos_weight=pos_weight)

    return _train(model, opt, loss_fn)


@_run("vae", "NameVAE: one-hot names, ReLU MLPs, reparameterization (noise from "
             "minilm's generator), exp, Gaussian KL with warmup, summed cross-entropy; "
             "Adam")  # fmt: skip
def run_vae(dtype):
    from ..data.name_data import encode_names
    from ..models.vae import NameVAE, VAEConfig

    data = encode_names(_short_names(8), 8)
    manual_seed(0)
    config = VAEConfig(max_len=8, latent_dim=4, hidden=32, kl_warmup=10)
    model = _cast(NameVAE(config), dtype)
    gen = np.random.default_rng(12)
    opt = optim.Adam(model.parameters(), lr=3e-3)
    step = {"n": 0}

    def loss_fn():
        step["n"] += 1
        return model.loss(data[gen.integers(0, len(data), 32)], config.kl_weight(step["n"]))[0]

    return _train(model, opt, loss_fn)


@_run("gan", "GAN on a ring of Gaussians: ReLU generator, LeakyReLU discriminator, "
             "non-saturating softplus losses plus a gradient penalty (double backward, "
             "create_graph=True; sqrt, pow); Adam with betas (0.5, 0.9). Each step is "
             "one D and one G update; the trace is d_loss + g_loss")  # fmt: skip
def run_gan(dtype):
    from ..data.gan_toy import ring_of_gaussians
    from ..models.gan import (
        GAN,
        GANConfig,
        discriminator_loss,
        generator_loss,
        gradient_penalty,
    )

    manual_seed(0)
    config = GANConfig(data_dim=2, noise_dim=4, hidden=32, layers=2, loss="gan", batch_size=64)
    gan = _cast(GAN(config), dtype)
    real_dist, gen = ring_of_gaussians(), np.random.default_rng(13)
    opt_g = optim.Adam(gan.G.parameters(), lr=2e-3, betas=(0.5, 0.9))
    opt_d = optim.Adam(gan.D.parameters(), lr=2e-3, betas=(0.5, 0.9))
    losses = []
    for _ in range(STEPS):
        real = tensor(real_dist.sample(64, rng=gen).astype(dtype))
        with no_grad():
            fake = gan.G(gan.noise(64))
        d_loss = discriminator_loss(gan.D(real), gan.D(fake))
        d_loss = d_loss + gradient_penalty(gan.D, real, fake, weight=0.5)
        opt_d.zero_grad()
        d_loss.backward()
        opt_d.step()
        g_loss = generator_loss(gan.D(gan.G(gan.noise(64))))
        opt_g.zero_grad()
        g_loss.backward()
        opt_g.step()
        losses.append(_item(d_loss) + _item(g_loss))
    return losses


@_run("text_gan", "TextGAN on names: Gumbel-softmax with a straight-through one-hot "
                  "(uniform noise from minilm's generator, log, softmax, argmax), "
                  "softplus losses; Adam. The trace is d_loss + g_loss")  # fmt: skip
def run_text_gan(dtype):
    from ..data.name_data import ALPHABET, encode_names
    from ..models.gan import discriminator_loss, generator_loss
    from ..models.text_gan import TextGAN, TextGANConfig, gumbel_softmax

    data = encode_names(_short_names(6), 6)
    manual_seed(0)
    config = TextGANConfig(max_len=6, noise_dim=8, hidden=32, loss="gan", hard=True)
    gan = _cast(TextGAN(config), dtype)
    gen = np.random.default_rng(14)
    opt_g = optim.Adam(gan.G.parameters(), lr=1e-3, betas=(0.5, 0.9))
    opt_d = optim.Adam(gan.D.parameters(), lr=1e-3, betas=(0.5, 0.9))
    losses = []
    for step in range(1, STEPS + 1):
        tau = config.tau(step, STEPS)
        with no_grad():
            fake = gumbel_softmax(gan.logits(32), tau, hard=True)
        real = F.one_hot(tensor(data[gen.integers(0, len(data), 32)]), len(ALPHABET), dtype=dtype)
        d_loss = discriminator_loss(gan.score(real), gan.score(fake))
        opt_d.zero_grad()
        d_loss.backward()
        opt_d.step()
        g_loss = generator_loss(gan.score(gumbel_softmax(gan.logits(32), tau, hard=True)))
        opt_g.zero_grad()
        g_loss.backward()
        opt_g.step()
        losses.append(_item(d_loss) + _item(g_loss))
    return losses


class _ConvNet(nn.Module):
    """Names -> (length class, length / 10): Conv1d (padding, stride 2), ReLU, Tanh,
    a masked max over time, layer norm and GELU (exact) as functions, Sigmoid."""

    def __init__(self, vocab: int):
        super().__init__()
        self.embed = nn.Embedding(vocab, 8)
        self.conv1 = nn.Conv1d(8, 16, 3, padding=1)
        self.conv2 = nn.Conv1d(16, 16, 3, stride=2, padding=1)
        self.norm = nn.LayerNorm(16)
        self.classify = nn.Linear(16, 4)
        self.regress = nn.Sequential(nn.Linear(16, 8), nn.Tanh(), nn.Linear(8, 1), nn.Sigmoid())

    def forward(self, x, mask):
        h = self.embed(x).transpose((0, 2, 1))  # (B, 8, T)
        h = self.conv2(nn.ReLU()(self.conv1(h))).tanh()  # (B, 16, ceil(T/2))
        keep = mask[:, None, ::2]  # (B, 1, ceil(T/2)): the strided positions' mask
        h = ops.where(keep, h, -2.0).max(axis=-1)  # (B, 16)
        h = F.gelu(self.norm(h))
        return self.classify(h), self.regress(h).reshape(-1)


@_run("conv", "a Conv1d net on names (padding, stride 2, ReLU, tanh, where-masked max "
              "over time, layer norm, exact GELU, Sigmoid) with a cross-entropy plus an "
              "MSE loss; SGD with momentum, clip_grad_norm_")  # fmt: skip
def run_conv(dtype):
    corpus = _names_corpus()
    manual_seed(0)
    model = _cast(_ConvNet(corpus.vocab_size), dtype)
    seqs = corpus.split("train")
    gen = np.random.default_rng(15)
    opt = optim.SGD(model.parameters(), lr=0.1, momentum=0.9)

    def loss_fn():
        picked = [seqs[i][:12] for i in gen.integers(0, len(seqs), 32)]
        x = np.zeros((32, 12), dtype=np.int64)
        for i, s in enumerate(picked):
            x[i, : len(s)] = s
        lengths = np.array([len(s) for s in picked])
        logits, pred = model(tensor(x), tensor(x > 0))
        y = tensor((np.minimum(lengths, 11) % 4).astype(np.int64))
        return F.cross_entropy(logits, y) + F.mse_loss(pred, tensor((lengths / 10).astype(dtype)))

    return _train(model, opt, loss_fn, clip_norm=1.0)


# ---- running, saving, comparing --------------------------------------------


@dataclass
class Result:
    """Traces ``{run: [STEPS losses]}``, ``seconds`` per run, ``how`` the fast
    layer was set, and ``loss_dtypes`` per run (the dtypes of its losses)."""

    traces: dict
    seconds: dict
    how: str
    loss_dtypes: dict


def run_all(names, dtype: str = "float32", how: str = "in process") -> Result:
    """Run the named traces in this process, as the engine is now."""
    result = Result({}, {}, how, {})
    for name in names:
        _loss_dtypes.clear()
        t0 = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # overflow in a float32 exp etc.
            losses = [float(v) for v in RUNS[name].fn(dtype)]
        result.seconds[name] = time.perf_counter() - t0
        if len(losses) != STEPS:  # pragma: no cover - a bug in a run
            raise RuntimeError(f"trace {name}: {len(losses)} losses, expected {STEPS}")
        result.traces[name] = losses
        result.loss_dtypes[name] = sorted(_loss_dtypes)
    return result


def fast_module():
    """``minilm.fast`` if this minilm has it (with ``disabled()``), else None.

    Only a module inside this minilm's own folder counts: an editable install's
    finder can resolve ``minilm.fast`` into another checkout when the minilm on
    ``sys.path`` (say an old copy via PYTHONPATH) has none."""
    spec = importlib.util.find_spec("minilm.fast")
    here = os.path.dirname(os.path.abspath(minilm.__file__)) + os.sep
    if spec is None or not spec.origin or not os.path.abspath(spec.origin).startswith(here):
        return None
    fast = importlib.import_module("minilm.fast")
    return fast if hasattr(fast, "disabled") else None


def _package_root() -> str:
    return os.path.dirname(os.path.dirname(os.path.abspath(minilm.__file__)))


def _in_subprocess(names, dtype: str, fused: str) -> Result:
    """The traces from ``python -m minilm.bench trace`` run with
    ``MINILM_FUSED=fused``, importing this same minilm (from its parent folder)."""
    root = _package_root()
    env = dict(os.environ, MINILM_FUSED=fused)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (root, os.environ.get("PYTHONPATH")) if p)
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "trace.json")
        cmd = [sys.executable, "-m", "minilm.bench", "trace", "--dtype", dtype,
               "--runs", ",".join(names), "--fast", "env", "--json", out, "--quiet"]  # fmt: skip
        done = subprocess.run(cmd, env=env, cwd=root, capture_output=True, text=True)
        if done.returncode != 0:
            raise RuntimeError(f"trace: the MINILM_FUSED={fused} subprocess failed "
                               f"(exit {done.returncode}):\n{done.stderr[-4000:]}")  # fmt: skip
        saved = load(out)
    meta = saved["_meta"]
    if os.path.abspath(meta["minilm_file"]) != os.path.abspath(minilm.__file__):
        raise RuntimeError(f"trace: the subprocess imported {meta['minilm_file']}, "
                           f"not {minilm.__file__}")  # fmt: skip
    return Result(traces_of(saved), meta["seconds"], f"subprocess with MINILM_FUSED={fused}",
                  meta.get("loss_dtypes", {}))  # fmt: skip


def collect(names, dtype: str = "float32", fast: str = "on") -> Result:
    """The traces with the fast layer ``"on"``, ``"off"``, or ``"env"`` (as this
    process's environment has it)."""
    if fast == "env":
        return run_all(names, dtype, "as the environment has it")
    if fast == "on":
        if os.environ.get("MINILM_FUSED", "1") == "0":
            return _in_subprocess(names, dtype, "1")
        return run_all(names, dtype, "in process, MINILM_FUSED not 0")
    module = fast_module()
    if module is not None:
        with module.disabled():
            return run_all(names, dtype, "in process, minilm.fast.disabled()")
    return _in_subprocess(names, dtype, "0")


def rel_diff(a: float, b: float) -> float:
    """``|a - b| / max(|a|, |b|)``; 0 for two equal values (NaNs included), inf
    when only one is NaN.

    >>> rel_diff(2.0, 2.0), rel_diff(1.0, 1.5), rel_diff(0.0, 0.0)
    (0.0, 0.3333333333333333, 0.0)
    """
    if a == b or (a != a and b != b):
        return 0.0
    if a != a or b != b:
        return float("inf")
    return abs(a - b) / max(abs(a), abs(b))


def compare(current: dict, saved: dict) -> dict:
    """``{run: (max relative difference, step of it)}`` for the runs in both
    (step counted from 1; a trace of another length is inf at step 0), and
    ``{run: None}`` for runs that ``saved`` lacks.

    >>> compare({"a": [1.0, 2.0]}, {"a": [1.0, 2.0000002]})["a"][1]
    2
    """
    out = {}
    for name, losses in current.items():
        ref = saved.get(name)
        if ref is None:
            out[name] = None
        elif len(ref) != len(losses):
            out[name] = (float("inf"), 0)
        else:
            diffs = [rel_diff(a, b) for a, b in zip(losses, ref)]
            k = max(range(len(diffs)), key=diffs.__getitem__) if diffs else 0
            out[name] = (diffs[k] if diffs else 0.0, k + 1)
    return out


def failures(diffs: dict, rtol: float) -> list[str]:
    """The runs whose difference exceeds ``rtol`` (a missing run is not one)."""
    return [n for n, d in diffs.items() if d is not None and not d[0] <= rtol]


def save(path, traces: dict, meta: dict, extra: dict | None = None) -> None:
    """Write ``traces`` and ``_meta`` (and ``extra`` top-level ``_`` keys) as JSON."""
    doc = dict(traces)
    doc["_meta"] = meta
    doc.update(extra or {})
    with open(path, "w", encoding="utf-8") as f:
        json.dump(doc, f, indent=1)
        f.write("\n")


def load(path) -> dict:
    """A file written by :func:`save` (or ``--json``)."""
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def traces_of(doc: dict) -> dict:
    """The runs of a loaded file (its keys that do not start with ``_``)."""
    return {k: v for k, v in doc.items() if not k.startswith("_")}


def _fmt_diff(d, rtol: float) -> str:
    if d is None:
        return "(not saved)"
    value, step = d
    flag = "ok" if value <= rtol else "FAIL"
    return f"{value:9.2e} @{step:<2d} {flag}" if value else f"{0:9.0f}     {flag}"


def _table(traces, seconds, columns: dict, rtol: float) -> str:
    header = f"{'run':<20} {'first loss':>12} {'last loss':>12} {'seconds':>8}"
    widths = [max(20, len(title)) for title in columns]
    for title, width in zip(columns, widths):
        header += f"  {title:<{width}}"
    lines = [header, "-" * len(header)]
    for name, losses in traces.items():
        line = f"{name:<20} {losses[0]:12.6f} {losses[-1]:12.6f} {seconds.get(name, 0):8.2f}"
        for diffs, width in zip(columns.values(), widths):
            line += f"  {_fmt_diff(diffs.get(name), rtol):<{width}}"
        lines.append(line)
    lines.append(f"{'total':<20} {'':>12} {'':>12} {sum(seconds.values()):8.2f}")
    return "\n".join(lines)


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m minilm.bench trace",
                                description=__doc__.split("\n\n")[0])  # fmt: skip
    p.add_argument("--dtype", choices=DTYPES, default="float32")
    p.add_argument("--runs", type=argtypes.comma_list(RUNS), default=list(RUNS),
                   help="comma-separated runs (default: all; --list names them)")  # fmt: skip
    p.add_argument("--json", type=argtypes.output_file, default="",
                   help="write the traces and metadata here")  # fmt: skip
    p.add_argument("--compare", type=argtypes.existing_file, default=None,
                   help="compare with traces saved by --json; exit 1 past --rtol")  # fmt: skip
    p.add_argument("--rtol", type=float, default=1e-6)
    p.add_argument("--fast", choices=("on", "off", "both", "env"), default="on",
                   help="the fast layer on, off, or both (compared); 'env': as the "
                   "environment has it")  # fmt: skip
    p.add_argument("--list", action="store_true", help="list the runs and what each covers")
    p.add_argument("--quiet", action="store_true", help=argparse.SUPPRESS)
    return p


def main(argv=None) -> int:
    args = _parser().parse_args(argv)
    if args.list:
        for run in RUNS.values():
            print(f"{run.name}: {run.covers}\n")
        return 0
    names, rtol = args.runs, args.rtol
    mode = "on" if args.fast == "both" else args.fast
    result = collect(names, args.dtype, mode)
    columns, extra, status = {}, {}, 0
    rounded = lambda seconds: {k: round(v, 3) for k, v in seconds.items()}
    meta = {"minilm_file": os.path.abspath(minilm.__file__), "dtype": args.dtype,
            "steps": STEPS, "fast": mode, "fast_how": result.how,
            "seconds": rounded(result.seconds), "loss_dtypes": result.loss_dtypes,
            "numpy": np.__version__, "python": sys.version.split()[0]}  # fmt: skip
    header = f"fast: {mode} ({result.how})"
    if args.fast == "both":
        off = collect(names, args.dtype, "off")
        diffs = compare(result.traces, off.traces)
        columns["fast on vs off"] = diffs
        meta.update(fast_off_how=off.how, fast_off_seconds=rounded(off.seconds),
                    fast_on_vs_off_max_rel={k: v[0] for k, v in diffs.items()})  # fmt: skip
        extra["_fast_off"] = off.traces
        header += f", off ({off.how})"
        status |= bool(failures(diffs, rtol))
    if args.compare is not None:
        saved = load(args.compare)
        saved_dtype = saved.get("_meta", {}).get("dtype")
        if saved_dtype not in (None, args.dtype):
            print(f"warning: {args.compare} holds {saved_dtype} traces, these are "
                  f"{args.dtype}", file=sys.stderr)  # fmt: skip
        diffs = compare(result.traces, traces_of(saved))
        columns[f"vs {os.path.basename(str(args.compare))}"] = diffs
        meta["compared_with"] = str(args.compare)
        status |= bool(failures(diffs, rtol))
    if args.json:
        save(args.json, result.traces, meta, extra)
    if not args.quiet:
        print(f"minilm: {meta['minilm_file']}  dtype: {args.dtype}  steps: {STEPS}  {header}")
        print(_table(result.traces, result.seconds, columns, rtol))
        odd = {k: v for k, v in result.loss_dtypes.items() if v != [args.dtype]}
        if odd:
            print(f"warning: losses not in {args.dtype}: {odd}")
        for title, diffs in columns.items():
            bad = failures(diffs, rtol)
            verdict = f"FAIL ({', '.join(bad)})" if bad else "every run within"
            print(f"{title}: {verdict} rtol={rtol:g}")
        if args.json:
            print(f"wrote {args.json}")
    return int(status)
