# ---
# jupyter:
#   jupytext:
#     formats: py:percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Chapter 6: Attention and sequence-to-sequence models
#
# Translation maps a sentence to a sentence of another length. The
# **encoder-decoder** (Sutskever et al. 2014; Cho et al. 2014) does it with two
# networks: an encoder reads the English words, a decoder writes the French ones,
# one at a time, each conditioned on what it wrote so far. In its first form
# everything the decoder knew about the source passed through one fixed-size
# vector, and long sentences suffered. **Attention** (Bahdanau et al. 2015)
# removed that bottleneck: at every step the decoder looks back at *every*
# source position and takes a weighted average of them, with weights it
# computes on the fly. This chapter builds it up:
#
# 1. attention as a function, walked through one real sentence: scores, scaling,
#    mask, softmax, weighted sum;
# 2. why the scores are divided by $\sqrt d$;
# 3. three ways to score a key: additive (Bahdanau), dot and general (Luong);
# 4. the RNN encoder-decoder, trained with teacher forcing on English-French
#    pairs, and exposure bias;
# 5. greedy and beam decoding, and BLEU worked out by hand;
# 6. where the decoder looks: attention heatmaps;
# 7. what attention costs: $O(T^2)$;
# 8. the sequence autoencoder: the bottleneck without attention.
#
# The default run trains a small translator for about a minute on one CPU core.
# `MINILM_FULL=1` trains the command line's model instead (see the chapter
# README), which takes about 15 minutes on one CPU core.

# %%
import math
import os
import time

import matplotlib.pyplot as plt

import minilm
import minilm.functional as F
import minilm.nn as nn
from minilm.backend import np
from minilm.course import show
from minilm.data import load_split, pad_batch
from minilm.metrics import corpus_bleu
from minilm.models.seq2seq import Seq2Seq, Seq2SeqConfig, SequenceAutoencoder
from minilm.recipes.translation import (
    TranslationData,
    build_model,
    train_translation,
    translate,
)
from minilm.text import CharTokenizer
from minilm.train import fit

FULL = os.environ.get("MINILM_FULL") == "1"
minilm.manual_seed(0)
np.set_printoptions(precision=2, suppress=True)


def print_matrix(M, rows, cols, width=7):
    """A small matrix with its row and column labels."""
    print(" " * width + "".join(f"{c:>{width}}" for c in cols))
    for r, row in zip(rows, M):
        print(f"{r:>{width}}" + "".join(f"{v:>{width}.2f}" for v in row))


# %% [markdown]
# ## 1. Attention is a soft lookup
#
# A dictionary lookup compares a query with every key and returns the value of
# the one key that matches. Attention compares a query $q$ with every key $k_s$,
# turns the comparisons into weights that sum to 1, and returns the weighted
# average of the values:
#
# $$ \mathrm{attn}(q, K, V) = \sum_s w_s v_s, \qquad
#    w = \mathrm{softmax}\Big(\frac{q K^\top}{\sqrt d}\Big). $$
#
# Let us walk through it on real sentences from the chapter's corpus, the
# English side of an English-French collection of short sentence pairs. Each
# English word becomes an id in a word vocabulary, and each id a vector of
# $d = 4$ numbers (an embedding; untrained here, so the numbers are random).
# The second sentence is shorter, so it is padded with `<pad>` to the same
# length: the batch is a rectangle.

# %%
data = TranslationData.load()
sentences = ["She is my sister.", "We lost."]
src_pad = data.src_tok.vocab.stoi["<pad>"]
ids, is_real = pad_batch(data.encode_src(sentences), pad_id=src_pad)  # (2, 6) ids and mask
words = [data.src_tok.vocab.decode(row) for row in ids.numpy()]
print("ids:", ids.numpy().tolist())
for w in words:
    print(" ", w)

d = 4
embed = nn.Embedding(data.src_tok.vocab_size, d)
x = embed(ids).detach()  # (B, T, d) = (2, 6, 4)
print("embeddings of sentence 0, shape", x.shape)
print(x.numpy()[0])

# %% [markdown]
# The simplest attention lets every word of a sentence ask every word (itself
# included), with its embedding as query, key and value at once: $Q = K = V = X$
# (chapter 7 adds learned projections). The **scores** are all the dot products
# $QK^\top$, one row per query word and one column per key word:

# %%
q = k = v = x
scores = q @ k.swapaxes(-1, -2)  # (B, T, T)
print_matrix(scores.numpy()[0], words[0], words[0])

# %% [markdown]
# The diagonal holds each word's squared length, so a word usually scores high
# against itself, though not always highest: the row of "." scores "is" higher,
# a longer vector pointing a similar way. Next the scores are divided by
# $\sqrt d = 2$ (section 2 says why), and the softmax of each row turns it into
# weights:

# %%
scaled = scores / math.sqrt(d)
weights = F.softmax(scaled, axis=-1)
print_matrix(weights.numpy()[0], words[0], words[0])
print("row sums:", weights.numpy()[0].sum(-1))

# %% [markdown]
# The second sentence has two `<pad>` positions. They are not words, so no query
# may attend to them. The **mask** is True where attention is allowed (the
# convention of minilm and PyTorch); the masked scores become $-\infty$, whose
# exponential is exactly 0:

# %%
mask = is_real.numpy()[:, None, :]  # (B, 1, T): the same key mask for every query
print("mask of sentence 1:", mask[1, 0])
masked = np.where(mask, scaled.numpy(), -np.inf)
print_matrix(masked[1], words[1], words[1])
weights = F.softmax(scaled, axis=-1, mask=mask)
print_matrix(weights.numpy()[1], words[1], words[1])

# %% [markdown]
# Every row still sums to 1, and the `<pad>` columns are exactly 0. (The rows
# *of* the pad positions are outputs nobody will read; they still attend to the
# real words.) Last, each output is the weighted sum of the value rows:
# row $t$ of $WV$ is a convex combination of the value vectors, pulled toward the
# words with large weights. minilm's `F.scaled_dot_product_attention` does all of
# this in one call, and gives the same numbers:

# %%
out = weights @ v  # (B, T, d)
print("output for 'we' in sentence 1:", out.numpy()[1, 0])
print("its weights over the keys:    ", weights.numpy()[1, 0])
fused, fused_w = F.scaled_dot_product_attention(q, k, v, mask=mask, return_weights=True)
same = np.allclose(fused.numpy(), out.numpy()) and np.allclose(fused_w.numpy(), weights.numpy())
print("same as F.scaled_dot_product_attention:", same)
assert same and (weights.numpy()[1, :, 4:] == 0).all()

# %% [markdown]
# A masked weight that is exactly 0 also passes no gradient: the softmax's
# derivative $\partial w_j / \partial s_i = w_j(\delta_{ij} - w_i)$ vanishes
# whenever $w_i = 0$ or $w_j = 0$. A large negative number such as $-10^9$ instead
# of $-\infty$ gives the same weights in float32 here, but $-\infty$ says what is
# meant. A second kind of mask, the **causal** mask, lets query $t$ see only keys
# $s \le t$; a decoder that attends to its own earlier outputs needs it (chapter 7).

# %% [markdown]
# ## 2. Why divide by $\sqrt d$
#
# Take a query and a key whose $d$ components are independent with mean 0 and
# variance 1. Their dot product $q \cdot k = \sum_{i=1}^d q_i k_i$ is a sum of $d$
# independent terms, each with mean $E[q_i]E[k_i] = 0$ and variance
# $E[q_i^2]E[k_i^2] = 1$, so
#
# $$ \mathrm{Var}(q \cdot k) = d, \qquad \mathrm{Var}\Big(\frac{q \cdot k}{\sqrt d}\Big) = 1. $$
#
# Without the division, scores in a wide model spread over $\pm$ several
# $\sqrt d$, and a softmax of widely spread numbers is almost one-hot: one weight
# near 1, the rest near 0, and the gradient $w_j(\delta_{ij} - w_i)$ nearly 0
# everywhere, so the attention stops learning. Dividing by $\sqrt d$ keeps the
# scores' spread at 1 whatever the width. A measurement with random vectors:

# %%
gen = np.random.default_rng(0)
for width in (4, 64, 512):
    qs, ks = gen.standard_normal((2, 20000, width))
    dots = (qs * ks).sum(-1)
    print(f"d = {width:3d}: variance of q.k = {dots.var():6.1f}, "
          f"of q.k / sqrt(d) = {(dots / math.sqrt(width)).var():.2f}")  # fmt: skip

width = 512
one_query = minilm.tensor(gen.standard_normal(width))
keys8 = minilm.tensor(gen.standard_normal((8, width)))
raw = keys8 @ one_query
top_raw = F.softmax(raw).numpy().max()
top_scaled = F.softmax(raw / math.sqrt(width)).numpy().max()
print(f"8 keys, d = 512: largest weight {top_raw:.2f} unscaled, {top_scaled:.2f} scaled")
assert top_raw > 0.99 and top_scaled < 0.9

# %% [markdown] tags=["cites"]
# The variance grows with $d$ as the argument says (508.2 at $d = 512$) and the
# scaled one stays near 1. With 8 random keys at $d = 512$, the unscaled softmax
# puts weight 1.00 on one key; the scaled one spreads it (its largest weight is
# 0.45).

# %% [markdown]
# ### Exercise 1: masked attention
#
# Write scaled dot-product attention with a mask, on NumPy arrays, in
# `exercises/ex1_masked_attention.py`: scores, scaling, the mask, a softmax that
# stays finite for scores of size 1000, the weighted sum. Grade it with
#
#     python -m minilm grade chapters/06_attention_seq2seq/exercises/ex1_masked_attention.py
#
# minilm's version is shown at the end of section 3, after exercises 2 and 3.

# %% [markdown]
# ## 3. Three ways to score
#
# A translator's decoder has one query per step, its state $s$, and the
# encoder's outputs $h_1, \dots, h_S$ as keys and values. The score of key $h$ can
# be:
#
# | name | score$(s, h)$ | parameters |
# | --- | --- | --- |
# | additive (Bahdanau et al. 2015) | $v^\top \tanh(W_q s + W_k h + b)$ | $W_q, W_k, b, v$ |
# | dot (Luong et al. 2015) | $s \cdot h$ | none |
# | general (Luong et al. 2015) | $s^\top W h$ | $W$ |
# | scaled dot (Vaswani et al. 2017) | $s \cdot h / \sqrt d$ | none |
#
# Additive attention is a one-hidden-layer network over the pair; it works when
# $s$ and $h$ have different sizes. Dot needs equal sizes and no parameters;
# general learns which directions of $s$ should match which of $h$; all
# multiplicative ones are a single matrix product for a whole batch, which is why
# the transformer uses the scaled dot. Each is followed by the same masked
# softmax. Here each is asked with the embedding of the first word as the query,
# over the padded batch of section 1:

# %%
query, mem = x[:, 0], x  # (B, d) one query per sentence, (B, T, d) keys = values
for name, attn in [
    ("additive", nn.AdditiveAttention(d, d, 8)),
    ("dot", nn.DotAttention()),
    ("general", nn.DotAttention(d, d)),
]:
    ctx, w = attn(query, mem, mask=is_real)
    print(f"{name:8s} context {ctx.shape}, weights for '{sentences[1]}':", w.numpy()[1])

# %% [markdown]
# Untrained, the additive and general scores are near-uniform guesses; the dot
# score already prefers the query's own word. Training is what makes the weights
# mean something (section 6).
#
# ### Exercises 2 and 3: additive and general attention
#
# `exercises/ex2_additive_attention.py` asks for Bahdanau's weights over padded
# keys; `exercises/ex3_general_attention.py` for Luong's general score with its
# context vector, finite for scores in the thousands. Grade them with
#
#     python -m minilm grade chapters/06_attention_seq2seq/exercises/ex2_additive_attention.py
#     python -m minilm grade chapters/06_attention_seq2seq/exercises/ex3_general_attention.py
#
# After grading all three, compare with minilm's attention function and modules:

# %%
show(F.scaled_dot_product_attention)
show(nn.AdditiveAttention.forward)
show(nn.DotAttention.forward)

# %% [markdown]
# ## 4. The encoder-decoder, trained with teacher forcing
#
# minilm's `Seq2Seq` follows Bahdanau et al. The encoder, an embedding and a GRU
# (chapter 5), reads the English ids and leaves one output vector per position:
# the **memory**. Its state after the last word starts the decoder. At step $t$
# the decoder's previous state $s_{t-1}$ is the query: additive attention over the
# memory gives a context $c_t$, the GRU cell takes the previous French word and
# the context, $s_t = \mathrm{GRU}([e(y_{t-1}); c_t], s_{t-1})$, and a linear layer
# over $[s_t; c_t]$ gives the logits of the next French word.

# %%
show(Seq2Seq.decode_step)

# %% [markdown]
# The model is trained by maximum likelihood: the loss is the cross-entropy of
# each true French word $y_t$ given the source and the true words before it,
# $-\sum_t \log p(y_t \mid y_{<t}, x)$. Feeding the *true* previous word
# $y_{t-1}$ as the decoder's input, rather than the word the decoder itself would
# have chosen, is **teacher forcing**; `forward` does it for every step:

# %%
show(Seq2Seq.forward)

# %% [markdown]
# Each French sentence in a batch is `<bos>` + words as the decoder's input and
# words + `<eos>` as its target; the special ids come from the vocabulary, and
# padded targets are skipped by the loss. The recipe's `train_translation` runs
# `minilm.train.fit` with AdamW, warmup, cosine decay and gradient clipping.
# The default run trains a small model (embeddings of 64, a GRU of 96) for 800
# steps of 32 pairs; `MINILM_FULL=1` trains the command line's model instead,
# exactly as `python -m minilm translation --model rnn` does
# (`build_model("rnn")`: embeddings 128, GRU 256, 2000 steps of 64 pairs at
# peak learning rate 3e-3).

# %%
print(f"{len(data.pairs['train'])} training pairs; {data.src_tok.vocab_size} English and "
      f"{data.tgt_tok.vocab_size} French word ids")  # fmt: skip
print("special ids:", data.special_ids())
if FULL:
    model, lr = build_model("rnn", data, seed=0)
    steps, warmup = 2000, 200
else:
    minilm.manual_seed(0)
    config = Seq2SeqConfig(data.src_tok.vocab_size, data.tgt_tok.vocab_size, embed_dim=64,
                           hidden_size=96, dropout=0.1, **data.special_ids())  # fmt: skip
    model, lr, steps, warmup = Seq2Seq(config), 5e-3, 800, 80
batch_size = 64 if FULL else 32
print(f"{model.num_parameters():,} parameters; {steps} steps of {batch_size} pairs, peak lr {lr:g}")
t0 = time.perf_counter()
hist = train_translation(model, data, steps, batch_size, lr, warmup=warmup, progress=False)
train_s = time.perf_counter() - t0
final_loss = sum(hist.loss[-50:]) / 50
print(f"train loss: {hist.loss[0]:.2f} at step 1, {final_loss:.2f} (mean of the last 50 steps)")
print(f"training took {train_s:.0f} s")
plt.figure(figsize=(5, 3))
plt.plot(hist.loss)
plt.xlabel("step")
plt.ylabel("train loss (nats/word)")
plt.tight_layout()
plt.show()

# %% [markdown] tags=["cites"]
# The loss starts at 8.16 nats per word, a uniform guess over the French
# vocabulary ($\ln 3407 \approx 8.13$), and ends near 1.62: a perplexity of
# about 5 words where there were 3,407 to choose from.
#
# ### Exposure bias
#
# Teacher forcing trains the decoder only on prefixes that are right. At test
# time there is no teacher: the decoder reads its own earlier guesses, and after
# one mistake it is on a prefix it never saw in training, where its next guesses
# are worse still (Bengio et al. 2015 call this the discrepancy between training
# and inference; it is now known as **exposure bias**). One way to see it: score
# the true next words of held-out pairs with the true prefixes, then again with
# the decoder fed its own greedy guesses (`teacher_forcing=0.0`).

# %%
val = data.pairs["val"][:256]
src, tgt_in, tgt_out = data.batch(val)
model.eval()
with minilm.no_grad():
    forced = F.cross_entropy(model(src, tgt_in), tgt_out).item()
    free = F.cross_entropy(model(src, tgt_in, teacher_forcing=0.0), tgt_out).item()
model.train()
print(f"val loss, true prefixes: {forced:.2f} nats/word; its own prefixes: {free:.2f}")
assert free > forced + 0.5

# %% [markdown] tags=["cites"]
# Held-out true words cost 1.92 nats each after true prefixes and 3.67 after the
# model's own: once the decoder has written one wrong word, every later input is
# a prefix it was never trained on, and the true continuation looks unlikely to
# it. **Scheduled sampling**
# (Bengio et al. 2015) feeds the model's own guesses for a growing fraction of
# the steps during training (`Seq2Seq.forward`'s `teacher_forcing` below 1);
# most translators still train with full teacher forcing and lean on beam search
# at test time.

# %% [markdown]
# ## 5. Decoding and BLEU
#
# **Greedy decoding** starts from `<bos>` and takes the most likely word at each
# step until `<eos>`. **Beam search** (chapter 5) keeps the `beam_size` most
# likely partial translations instead of one. Both are scored on the test split's
# English sentences, none of which was seen in training, against every French
# translation each one has.

# %%
sources, refs = data.references("test")
every = 1 if FULL else 22  # beam search is slower: by default every 22nd sentence
t0 = time.perf_counter()
hyps = translate(model, data, sources)
bleu = 100 * corpus_bleu(hyps, refs)
beam_hyps = translate(model, data, sources[::every], beam_size=4)
beam_bleu = 100 * corpus_bleu(beam_hyps, refs[::every])
greedy_sub = 100 * corpus_bleu(hyps[::every], refs[::every])
print(f"{len(sources)} test sentences; greedy BLEU {bleu:.1f}")
print(f"{len(beam_hyps)} of them: greedy {greedy_sub:.1f}, beam 4 {beam_bleu:.1f}")
print(f"decoding took {time.perf_counter() - t0:.0f} s")
print(f"distinct translations: {len({' '.join(h) for h in hyps})} of {len(hyps)}")
for i in (0, 300, 600, 900, 1200):
    print(f"  en:  {sources[i]}\n  ref: {' '.join(refs[i][0])}\n  hyp: {' '.join(hyps[i])}")
assert bleu > 5 and len({" ".join(h) for h in hyps}) > len(hyps) // 4

# %% [markdown] tags=["cites"]
# A greedy BLEU of 19.4 on sentences the model never saw, after about a minute
# of training, and 914 distinct translations: French sentences, often with the
# right structure and a wrong or unknown (`<unk>`) content word. The command
# line's larger model, trained 2000 steps, reaches about 37 (see the README).
# Beam search does not help this model: on the 61 sentences it scored 18.1
# against greedy's 22.0. Beam search finds translations that are more probable
# *under the model*, and a weak model's more probable translations are not
# better ones (it also favours short output, which the brevity penalty
# punishes); with 61 sentences the difference is also within the noise. For the
# command line's model beam search adds about 2 BLEU.

# %% [markdown]
# ### BLEU by hand
#
# BLEU (Papineni et al. 2002) asks how many of the hypothesis's n-grams appear in
# a reference, for $n = 1..4$. Two refinements keep it honest. **Clipping**: an
# n-gram counts at most as often as it occurs in the reference where it occurs
# most, so "le le le le" does not get full unigram marks against "le chat".
# **Brevity penalty**: precision alone rewards short output, so with $c$ the
# hypothesis length and $r$ the reference length,
# $\mathrm{BP} = \min(1, e^{1 - r/c})$. Then
#
# $$ \mathrm{BLEU} = \mathrm{BP} \cdot \exp\Big(\frac14 \sum_{n=1}^4 \log p_n\Big). $$
#
# Take the hypothesis "le chat le chat sur le tapis" (7 words) and two
# references, R1 "le chat est assis sur le tapis ." (8 words) and R2 "il y a un
# chat sur le tapis ." (9 words).
#
# | n | the hypothesis's n-grams | matches, clipped | $p_n$ |
# | --- | --- | --- | --- |
# | 1 | le ×3, chat ×2, sur, tapis | le 2 (R1 has two), chat 1, sur, tapis | 5/7 |
# | 2 | le chat ×2, chat le, chat sur, sur le, le tapis | all but chat le; le chat once | 4/6 |
# | 3 | le chat le, chat le chat, le chat sur, chat sur le, sur le tapis | the last two | 2/5 |
# | 4 | le chat le chat, chat le chat sur, le chat sur le, chat sur le tapis | the last | 1/4 |
#
# "chat sur" and the 3- and 4-gram matches come from R2, the rest from R1.
# The reference length is the one closest to $c = 7$: $r = 8$, so
# $\mathrm{BP} = e^{1 - 8/7}$. In code, from the counts in the table:

# %%
p = [5 / 7, 4 / 6, 2 / 5, 1 / 4]
bp = math.exp(1 - 8 / 7)
by_hand = bp * math.exp(sum(math.log(pn) for pn in p) / 4)
hyp = "le chat le chat sur le tapis".split()
R = ["le chat est assis sur le tapis .".split(), "il y a un chat sur le tapis .".split()]
print(f"BP = {bp:.3f}, geometric mean of p_n = {by_hand / bp:.3f}, "
      f"BLEU = {by_hand:.3f} ({100 * by_hand:.1f} x100)")  # fmt: skip
print(f"minilm.metrics.corpus_bleu: {corpus_bleu([hyp], [R]):.3f}")
assert math.isclose(by_hand, corpus_bleu([hyp], [R]))

# %% [markdown] tags=["cites"]
# The brevity penalty 0.867 costs about an eighth; the precisions' geometric
# mean is 0.467, so BLEU is 0.405 (40.5 on the usual x100 scale), the same as
# `corpus_bleu` gives. Over a corpus the matches, totals and lengths are added
# up over all sentences *before* the ratios are taken, so a short sentence with
# no 4-gram match does not zero the score, as it would averaged sentence by
# sentence.
#
# ### Exercise 4: BLEU
#
# Write the clipped n-gram precision, the brevity penalty and corpus BLEU in
# `exercises/ex4_bleu.py`, and grade them with
#
#     python -m minilm grade chapters/06_attention_seq2seq/exercises/ex4_bleu.py

# %% [markdown]
# ## 6. Where the decoder looks
#
# `greedy_decode(..., return_attention=True)` also returns, for each French word
# it wrote, its attention weights over the English positions. Each row of the
# heatmap is one output word (the last one is `<eos>`), each column a source
# position; every row sums to 1.

# %%
sentence = "I am very tired."
src = minilm.tensor(data.encode_src([sentence]))
(out_ids,), (attn_w,) = model.greedy_decode(src, return_attention=True)
src_words = data.src_tok.vocab.decode(src.numpy()[0])
out_words = data.tgt_tok.vocab.decode(out_ids + [data.eos_id])[: len(attn_w)]
print(" ".join(out_words))
print_matrix(attn_w, out_words, src_words, width=8)
assert np.allclose(attn_w.sum(-1), 1) and out_words[:2] == ["je", "suis"]
fig, ax = plt.subplots(figsize=(4, 3.5))
ax.imshow(attn_w, cmap="Greys", vmin=0, vmax=1)
ax.set_xticks(range(len(src_words)), src_words, rotation=45)
ax.set_yticks(range(len(out_words)), out_words)
ax.set_xlabel("English (source)")
ax.set_ylabel("French (output)")
fig.tight_layout()
plt.show()

# %% [markdown]
# The translation is right, and the rows are distributions over the source, but
# the alignment is not word for word: "je" and "suis" look mostly at "very", and
# "fatigué" at "." and `<eos>`, a position or two to the right of the English
# words they translate. The encoder is a GRU that reads left to right, so its
# output at "very" already carries "i am very", and the output at the end carries
# the whole sentence; attention reads whichever positions hold what the next word
# needs, not necessarily the word itself. The final "." attends to the source's
# `<eos>` almost alone. Bahdanau et al. used a bidirectional encoder, so that the
# output at a position describes the words on both sides of it, and their
# heatmaps are close to diagonal.

# %% [markdown]
# ## 7. What attention costs
#
# Attention compares every query with every key: for $T$ queries and $S$ keys of
# width $d$, the scores cost $T S d$ multiply-adds and a $T \times S$ matrix of
# weights. In a translator $T$ and $S$ are sentence lengths, a few dozen; in
# self-attention over a long document $T = S$ and both grow as $T^2$. Doubling
# the length quadruples the score matrix:

# %%
for T in (128, 256, 512, 1024):
    qkv = minilm.randn(1, T, 64)
    t0 = time.perf_counter()
    with minilm.no_grad():
        F.scaled_dot_product_attention(qkv, qkv, qkv)
    ms = 1000 * (time.perf_counter() - t0)
    print(f"T = {T:4d}: {T * T:>9,} scores, {T * T * 4 / 2**20:5.2f} MiB in float32, {ms:6.1f} ms")

# %% [markdown] tags=["cites"]
# The score matrix grows from 0.06 MiB at 128 tokens to 4.00 MiB at 1024, per
# head and per sentence, and the time grows about as fast once the matrices
# outgrow the cache. An RNN's cost grows only as $T$, but its $T$ steps run one
# after another; attention's $T^2$ work is a few large matrix products that run
# in parallel, which is what made transformers (chapter 7) fast to train.

# %% [markdown]
# ## 8. The sequence autoencoder: the bottleneck without attention
#
# With `attention="none"` the decoder sees the source only through the
# encoder's final state: everything passes through one vector of `hidden_size`
# numbers. A `SequenceAutoencoder` uses that to encode a sequence and decode it
# back (the same vocabulary on both sides). Trained on first names, letter by
# letter, it must squeeze each name into 64 numbers:

# %%
names = [n for n in load_split("names", "train") if len(n) <= 8]
tok = CharTokenizer.from_text("".join(names), specials=("<pad>", "<bos>", "<eos>"))
pad, bos, eos = (tok.vocab.stoi[s] for s in ("<pad>", "<bos>", "<eos>"))
minilm.manual_seed(0)
ae = SequenceAutoencoder(tok.vocab_size, embed_dim=16, hidden_size=64, pad_id=pad, bos_id=bos,
                         eos_id=eos)  # fmt: skip
gen = np.random.default_rng(0)


def name_batch():
    ids, _ = pad_batch([tok.encode(names[i]) + [eos] for i in gen.integers(0, len(names), 64)],
                       pad_id=pad)  # fmt: skip
    return ids


def reconstruction_loss(model, ids):
    return F.cross_entropy(model(ids), ids, ignore_index=pad)


ae_steps = 1500 if FULL else 400
ae_hist = fit(ae, minilm.optim.Adam(ae.parameters(), lr=1e-2), name_batch, ae_steps,
              loss_fn=reconstruction_loss, seed=0, progress=False)  # fmt: skip
held_out = [n for n in load_split("names", "val") if len(n) <= 8][:300]
test_ids, _ = pad_batch([tok.encode(n) + [eos] for n in held_out], pad_id=pad)
back = [tok.decode(r) for r in ae.reconstruct(test_ids)]
rates = []
for lo, hi in [(2, 4), (5, 6), (7, 8)]:
    group = [(n, b) for n, b in zip(held_out, back) if lo <= len(n) <= hi]
    exact = sum(n == b for n, b in group) / len(group)
    print(f"held-out names of {lo}-{hi} letters: {exact:.2f} reconstructed exactly")
    rates.append(exact)
print(", ".join(f"{n} -> {b}" for n, b in list(zip(held_out, back))[:6]))
assert rates[0] > rates[2]

# %% [markdown] tags=["cites"]
# Short names come back exactly far more often than names of 5 or 6 letters,
# and those more often than names of 7 or 8 (the three rates above; their exact
# values move a little with the machine's floating-point kernels, the order does
# not): a fixed-size code has room for a few letters in order, and every extra
# letter must share it. Attention lifts the limit by letting the
# decoder read every encoder position, which is why translation of long
# sentences improved so much when it arrived (Bahdanau et al. 2015, their
# figure 2).

# %% [markdown]
# ## Summary
#
# - Attention is a soft lookup: scores of a query against every key, a softmax
#   into weights that sum to 1, a weighted sum of the values. Masked keys
#   get weight exactly 0 (and no gradient) by scoring them $-\infty$.
# - Dot products of $d$ unit-variance components have variance $d$; dividing by
#   $\sqrt d$ keeps the softmax out of its saturated, one-hot regime.
# - Additive, dot, general and scaled-dot scores differ only in how a key is
#   scored; the masked softmax and the weighted sum are the same.
# - An encoder-decoder is trained by teacher forcing: maximum likelihood of each
#   true word given the true prefix. At test time it reads its own prefixes,
#   and the loss on them is higher (exposure bias).
# - BLEU multiplies a brevity penalty by the geometric mean of clipped n-gram
#   precisions, with counts summed over the corpus.
# - Attention costs $O(TS)$ time and memory per layer, $O(T^2)$ for
#   self-attention, but in a few parallel matrix products.
# - Without attention, a sequence must fit through one vector: the sequence
#   autoencoder shows how that fails as sequences get longer.
#
# ## Exercises
#
# Each exercise is a file in `chapters/06_attention_seq2seq/exercises/`: fill in
# the code between `### BEGIN YOUR SOLUTION` and `### END YOUR SOLUTION`, then
# grade it (or grade them all with `python -m minilm grade chapters/06_attention_seq2seq`):
#
# 1. `ex1_masked_attention.py` (5 points): scaled dot-product attention with a
#    padding or causal mask.
#    `python -m minilm grade chapters/06_attention_seq2seq/exercises/ex1_masked_attention.py`
# 2. `ex2_additive_attention.py` (3 points): Bahdanau's attention weights.
#    `python -m minilm grade chapters/06_attention_seq2seq/exercises/ex2_additive_attention.py`
# 3. `ex3_general_attention.py` (4 points): Luong's general score, weights and
#    context over padded keys.
#    `python -m minilm grade chapters/06_attention_seq2seq/exercises/ex3_general_attention.py`
# 4. `ex4_bleu.py` (5 points): clipped n-gram precision, brevity penalty, corpus
#    BLEU. `python -m minilm grade chapters/06_attention_seq2seq/exercises/ex4_bleu.py`
#
# Questions to think about:
#
# 5. Section 2 assumed unit-variance queries and keys. What happens to the
#    argument if the embeddings are initialized with variance $1/d$, or if a
#    layer norm precedes the attention? Would you still divide by $\sqrt d$?
# 6. Why does BLEU clip the counts by the *maximum* over references and not by
#    their sum? Construct a hypothesis that would score a perfect unigram
#    precision with the sum.
# 7. Exposure bias makes free-running loss higher than teacher-forced loss. Why
#    can a model not simply be trained on its own greedy outputs from the start?
#    (Think about what the loss would reward early in training.)
# 8. Beam search gained little here. Would you expect a bigger gain from a
#    better-trained model or from a worse one, and why?
#
# ## Further reading
#
# - I. Sutskever, O. Vinyals, Q. V. Le (2014), *Sequence to sequence learning
#   with neural networks*: the LSTM encoder-decoder, beam search, reversed inputs.
# - K. Cho, B. van Merriënboer, C. Gulcehre et al. (2014), *Learning phrase
#   representations using RNN encoder-decoder for statistical machine
#   translation*: the encoder-decoder and the GRU.
# - D. Bahdanau, K. Cho, Y. Bengio (2015), *Neural machine translation by jointly
#   learning to align and translate*: additive attention; figure 2 shows
#   long sentences with and without it.
# - M.-T. Luong, H. Pham, C. D. Manning (2015), *Effective approaches to
#   attention-based neural machine translation*: dot and general scores, local
#   attention.
# - K. Papineni, S. Roukos, T. Ward, W.-J. Zhu (2002), *BLEU: a method for
#   automatic evaluation of machine translation*.
# - S. Bengio, O. Vinyals, N. Jaitly, N. Shazeer (2015), *Scheduled sampling for
#   sequence prediction with recurrent neural networks*.
# - A. Vaswani et al. (2017), *Attention is all you need*, section 3.2.1 (the
#   footnote on the $\sqrt{d_k}$ scaling), for chapter 7.
# - D2L (Zhang, Lipton, Li, Smola), chapters 10.6-10.8 (encoder-decoder, seq2seq,
#   beam search) and 11.1-11.4 (attention and Bahdanau attention).
