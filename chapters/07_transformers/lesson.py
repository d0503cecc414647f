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
# # Chapter 7: Transformers
#
# Chapter 6's translator read its source with a recurrent network and attended
# to the encoder's states. The transformer (Vaswani et al., 2017) keeps the
# attention and drops the recurrence: every token looks at every other token in
# one step, so a whole sequence is processed at once and the path between any
# two tokens is one layer long. This chapter builds it from minilm's parts:
#
# 1. self-attention, worked by hand over a six-token sentence, and why the
#    scores are divided by $\sqrt{d}$;
# 2. multi-head attention: split the width into heads, attend, merge;
# 3. positions: sinusoidal (and why they let attention read relative offsets)
#    and learned;
# 4. the block: residual connections, layer norm before or after, the MLP;
# 5. GPT: a decoder-only character model on tinyshakespeare, the cost of
#    attention, and generation with a KV cache;
# 6. BERT-style masked language modelling;
# 7. the encoder-decoder transformer for translation.
#
# The default run takes about a minute on a laptop CPU. It trains a small GPT
# briefly, and then loads one trained longer (a file shipped with minilm, made by
# the command in the chapter's README) to show what more training buys.
# `MINILM_FULL=1` trains the bigger GPT of `python -m minilm train --model gpt
# --full` (4 layers, width 128, context 128: most of an hour on a CPU) and the
# translation transformer of `python -m minilm translation` (several minutes).
# The README's best
# char-GPT (6 layers, width 384, context 256) needs a GPU: about three minutes
# there, many hours on a CPU, so no setting of this notebook trains it.

# %%
import math
import os
import re
import time
from importlib import resources

import matplotlib.pyplot as plt

import minilm
import minilm.functional as F
import minilm.nn as nn
import minilm.optim as optim
from minilm.backend import np
from minilm.course import show
from minilm.data.lm_corpus import CharCorpus
from minilm.models import GPT, GPTConfig
from minilm.models.bert import BERT, BERTConfig, mask_tokens
from minilm.models.transformer import TransformerBlock
from minilm.recipes.gpt import GPTTrainConfig, evaluate_gpt, train_gpt
from minilm.recipes.translation import TranslationData, bleu, build_model, train_translation
from minilm.tour import GPT_SIZES
from minilm.train import fit

FULL = os.environ.get("MINILM_FULL") == "1"
minilm.manual_seed(0)
np.set_printoptions(precision=2, suppress=True)

# %% [markdown]
# ## 1. Self-attention by hand
#
# Take the six tokens of *to be or not to be* and give each a vector, its
# embedding (random here, 4 numbers each; a trained model learns them). The
# rows of $X$ (6, 4) are the tokens.

# %%
tokens = "to be or not to be".split()
vocab = sorted(set(tokens))
table = minilm.randn(len(vocab), 4)
X = table[[vocab.index(t) for t in tokens]]  # (T, d) = (6, 4)
print("tokens:", tokens)
print("X =\n", X.numpy())

# %% [markdown]
# Self-attention rewrites each token as a weighted mix of the tokens it may
# look at. Three learned matrices play three roles: a token's **query**
# $q = xW^Q$ says what it is looking for, its **key** $k = xW^K$ what it offers
# to be found by, its **value** $v = xW^V$ what it hands over when found.

# %%
d_k = 3
W_q, W_k, W_v = (minilm.randn(4, d_k) for _ in range(3))
Q, K, V = X @ W_q, X @ W_k, X @ W_v  # (6, 3) each
print("Q =\n", Q.numpy())
print("K =\n", K.numpy())

# %% [markdown]
# The match between query $t$ and key $s$ is their dot product: all of them at
# once are $QK^\top$, a (6, 6) table of **scores**, row $t$ for the query.
# Divided by $\sqrt{d_k}$ (the next subsection says why):

# %%
scores = Q @ K.T / math.sqrt(d_k)  # (6, 6): row t = query t, column s = key s
print(scores.numpy())

# %% [markdown]
# A language model predicts token $t+1$ from tokens $\le t$, so during training
# token $t$ must not see the tokens after it. The **causal mask** keeps the
# lower triangle ($s \le t$) and removes the rest before the softmax: those
# scores become $-\infty$, their weights exactly 0. Each row of the softmax then
# sums to 1 over the allowed keys.

# %%
allowed = np.tril(np.ones((6, 6), dtype=bool))  # True where key s <= query t
weights = F.softmax(scores, axis=-1, mask=allowed)  # (6, 6), rows sum to 1
print("weights =\n", weights.numpy())
print("row sums:", weights.sum(axis=-1).numpy())

# %% [markdown]
# Row 0 has one allowed key, itself, so its weight is 1. The output of token $t$
# is its row of weights times the values, $\sum_s a_{ts} v_s$; all of them at once,
# $AV$ with $A$ the table of weights:

# %%
out = weights @ V  # (6, 3)
print("outputs =\n", out.numpy())
lib = F.scaled_dot_product_attention(Q, K, V, causal=True)
print("same as F.scaled_dot_product_attention:", bool(np.allclose(out.numpy(), lib.numpy())))

# %% [markdown]
# That is the whole mechanism, $\mathrm{softmax}(QK^\top/\sqrt{d_k} + M)\,V$ with
# $M$ the mask ($0$ or $-\infty$). minilm writes it once, for any number of
# leading batch and head axes; every attention layer in the library calls it:

# %%
show(F.scaled_dot_product_attention)

# %% [markdown]
# Notice that the two *to*s get the same query, key and value: attention alone
# cannot tell them apart. Their outputs (rows 0 and 4) differ only because the
# mask lets the second one see more tokens; without the mask, permuting the
# tokens would only permute the outputs, and *to be* would read as *be to*.
# Section 3 adds the positions.
#
# ### Why divide by $\sqrt{d}$
#
# Let the entries of $q$ and $k$ be independent with mean 0 and variance 1. Then
# $q \cdot k = \sum_{i=1}^{d} q_i k_i$ is a sum of $d$ terms of mean 0 and variance
# $E[q_i^2]E[k_i^2] = 1$, so its variance is $d$: its typical size grows like
# $\sqrt{d}$. Large scores push the softmax toward one-hot, where its gradient
# $\partial w_t / \partial s_u = w_t(\delta_{tu} - w_u)$ is nearly 0 everywhere, and
# attention stops learning. Dividing by $\sqrt{d}$ brings the variance back to 1
# at any width. Measured on random vectors, with 64 keys per query:

# %%
gen = np.random.default_rng(0)
for d in (16, 64, 256, 1024):
    q, k = gen.standard_normal((500, d)), gen.standard_normal((500, 64, d))
    s = np.einsum("nd,nsd->ns", q, k)  # (500, 64) raw scores: 500 queries, 64 keys each
    top = {}
    for name, z in (("raw", s), ("scaled", s / math.sqrt(d))):
        w = F.softmax(minilm.tensor(z), axis=-1).numpy()
        top[name] = w.max(axis=-1).mean()
    print(f"d = {d:4d}: std of q.k {s.std():5.1f}, after / sqrt(d) {(s / math.sqrt(d)).std():.2f}; "
          f"largest softmax weight, raw {top['raw']:.2f}, scaled {top['scaled']:.2f}")  # fmt: skip

# %% [markdown] tags=["cites"]
# The raw scores' spread doubles each time $d$ grows four times, and at
# $d = 1024$ the largest of 64 weights averages 0.95: nearly every query looks
# at one key only. Scaled, the spread is close to 1 at every width (1.00 from
# $d = 64$ on) and the largest weight stays at 0.11 (a uniform softmax would
# give $1/64 \approx 0.016$).
#
# ## 2. Multi-head attention
#
# One attention mixes the values with one set of weights per query. A model
# usually wants several at once (one head may follow the previous character,
# another the start of the word), so the width $d$ is cut into $H$ **heads** of
# $d/H$ features each, attention runs in each head separately, and the results
# are joined and projected:
#
# $$\mathrm{head}_h = \mathrm{attn}(XW^Q_h, XW^K_h, XW^V_h), \qquad
# \mathrm{MHA}(X) = [\mathrm{head}_1; \dots; \mathrm{head}_H]\, W^O.$$
#
# No new matrices are needed: one (d, 3d) projection makes all of $Q, K, V$,
# and head $h$ owns features $h\cdot d/H$ to $(h+1)\cdot d/H$ of each. Cutting is a
# reshape (B, T, d) -> (B, T, H, d/H) then a swap of the T and H axes, giving
# (B, H, T, d/H), so that the attention function, which attends over the
# second-to-last axis, sees H independent sequences; merging undoes both. The
# cost is that of one attention of width $d$.

# %%
mha = nn.MultiHeadAttention(d_model=8, num_heads=2)
x = minilm.arange(2 * 3 * 8).reshape(2, 3, 8)  # (B, T, d): entry = its own index
heads = mha.split_heads(x)  # (B, H, T, d/H)
print("x[0] (T, d) =\n", x.numpy()[0])
print("split_heads(x).shape:", heads.shape)
print("head 0 of row 0 (T, d/H) =\n", heads.numpy()[0, 0])
print("head 1 of row 0 (T, d/H) =\n", heads.numpy()[0, 1])
print("merge undoes split:", bool((mha.merge_heads(heads).numpy() == x.numpy()).all()))

# %% [markdown]
# **Exercise 1** (`exercises/ex1_split_heads.py`): write `split_heads` and
# `merge_heads` in NumPy. Grade it with
#
# ```
# python -m minilm grade chapters/07_transformers/exercises/ex1_split_heads.py
# ```
#
# Check your answer against minilm's (open it after grading):

# %%
show(nn.MultiHeadAttention.split_heads)
show(nn.MultiHeadAttention.merge_heads)

# %% [markdown]
# Here are the weights of the four heads of an untrained causal multi-head
# attention over six tokens: lower-triangular, and still close to uniform over
# the allowed keys (row $t$ near $1/(t+1)$ each). Training gives each head its own
# pattern; section 5 draws the heads of a trained GPT.

# %%
mha4 = nn.MultiHeadAttention(d_model=16, num_heads=4)
_, w = mha4(minilm.randn(1, 6, 16), causal=True, return_weights=True)  # w: (1, H, T, T)
fig, axes = plt.subplots(1, 4, figsize=(10, 2.6))
for h, ax in enumerate(axes):
    ax.imshow(w.numpy()[0, h], vmin=0, vmax=1, cmap="viridis")
    ax.set_title(f"head {h}")
    ax.set_xlabel("key s")
axes[0].set_ylabel("query t")
fig.tight_layout()
plt.show()

# %% [markdown]
# ## 3. Positions
#
# Attention treats its input as a set. To read order, the model adds to each
# token's embedding a vector that depends on its position $p$. Vaswani et al.
# used a fixed table: for each pair of features $(2i, 2i+1)$ a frequency
# $\omega_i = 1/10000^{2i/d}$, and
#
# $$P_{p,2i} = \sin(\omega_i p), \qquad P_{p,2i+1} = \cos(\omega_i p).$$
#
# The first pairs turn fast (one turn every $2\pi$ positions), the last ones
# slowly (one turn every $2\pi \cdot 10000$), like the hands of a clock.

# %%
P = nn.sinusoidal_positions(128, 64)  # (positions, d)
fig, ax = plt.subplots(figsize=(8, 3))
im = ax.imshow(P.T, aspect="auto", cmap="RdBu", vmin=-1, vmax=1)
ax.set_xlabel("position p")
ax.set_ylabel("feature")
fig.colorbar(im, ax=ax)
fig.tight_layout()
plt.show()

# %% [markdown]
# **Why this lets attention read relative offsets.** By the angle-sum formulas,
#
# $$\begin{pmatrix}\sin\omega(p+k) \\ \cos\omega(p+k)\end{pmatrix} =
# \begin{pmatrix}\cos\omega k & \sin\omega k \\ -\sin\omega k & \cos\omega k\end{pmatrix}
# \begin{pmatrix}\sin\omega p \\ \cos\omega p\end{pmatrix}:$$
#
# moving $k$ positions rotates each pair by the angle $\omega_i k$, whatever $p$
# is. So $P_{p+k} = P_p R_k$ with $R_k$ a fixed block-diagonal rotation that
# depends on the offset $k$ only, and a linear map (like $W^Q$ or $W^K$) can turn
# "the token $k$ before me" into a direction in query space. One consequence:
# $P_p \cdot P_{p+k} = \sum_i \cos(\omega_i k)$ does not depend on $p$. Both checked:

# %%
d = 64
omega = 1.0 / 10000 ** (np.arange(0, d, 2) / d)  # (d/2,)
Pd = nn.sinusoidal_positions(200, d).astype(np.float64)
for k in (1, 5, 20):
    R = np.zeros((d, d))  # block-diagonal: one 2x2 rotation per frequency
    c, s = np.cos(omega * k), np.sin(omega * k)
    R[0::2, 0::2], R[0::2, 1::2] = np.diag(c), np.diag(-s)
    R[1::2, 0::2], R[1::2, 1::2] = np.diag(s), np.diag(c)
    err = np.abs(Pd[: 200 - k] @ R - Pd[k:]).max()
    dots = [Pd[p] @ Pd[p + k] for p in (0, 50, 150)]
    print(f"k = {k:2d}: max |P[p] R_k - P[p+k]| = {err:.0e}; "
          f"P[p].P[p+k] at p = 0, 50, 150: {dots[0]:.2f} {dots[1]:.2f} {dots[2]:.2f}")  # fmt: skip

# %% [markdown] tags=["cites"]
# The rotation reproduces every later row to rounding error, and the dot product
# is 30.92 at offset 1, 23.50 at offset 5 and 18.88 at offset 20 wherever the
# pair starts: it depends on the distance, not on the position.
#
# **Learned positions** (GPT-2's `wpe`) are simpler still: a trainable vector per
# position, `Embedding(block_size, d)`, added the same way. They can represent
# anything the data asks for, but a model has no vector for a position it never
# trained on, so it cannot read past `block_size`; the sinusoidal table extends
# to any length (whether the model then generalizes is another matter). Both are
# *absolute*: the token at position $p$ carries $p$. Later models put the
# relative offset into the attention itself: rotary embeddings (Su et al.)
# rotate $q$ and $k$ by the angles above, so $q_t \cdot k_s$ depends on $t - s$ only,
# and ALiBi (Press et al.) subtracts a penalty proportional to $t - s$ from the
# scores.
#
# **Exercise 3** (`exercises/ex3_positional_encoding.py`): write the
# sinusoidal table, odd widths included. Grade it with
#
# ```
# python -m minilm grade chapters/07_transformers/exercises/ex3_positional_encoding.py
# ```
#
# Check your answer (after grading):

# %%
show(nn.sinusoidal_positions)

# %% [markdown]
# ## 4. The block
#
# A transformer block alternates two sublayers: attention, where tokens read from
# each other, and a position-wise MLP (Linear $d \to 4d$, GELU, Linear $4d \to d$),
# where each token computes on what it read. Each sublayer is wrapped in a
# **residual connection** and a **layer norm** (chapter 3). There are two places
# to put the norm:
#
# - **post-norm** (the original transformer): $x \leftarrow \mathrm{LN}(x + f(x))$;
# - **pre-norm** (GPT-2 and nearly every model since): $x \leftarrow x + f(\mathrm{LN}(x))$.
#
# In pre-norm the residual stream is a plain sum, $x_L = x_0 + \sum_{l} f_l(\cdot)$,
# so $\partial x_L / \partial x_l = I + \dots$: every layer gets the loss's
# gradient through an identity path, at any depth. In post-norm the gradient
# passes through every layer norm on its way down; Xiong et al. (2020) showed that
# at initialization the gradients of the last layers are then large, which is why
# post-norm transformers need a learning-rate warmup to train at all, and
# pre-norm ones train with little or none. The price of pre-norm is that the
# stream itself is never normalized, so GPT-2 adds one final layer norm before the
# output layer.
#
# **Exercise 4** (`exercises/ex4_block_forward.py`): write a whole causal pre-norm
# block in NumPy from its weights (the names are those of `block.state_dict()`,
# printed below), and check that a change to a later token never changes an
# earlier output. Grade it with
#
# ```
# python -m minilm grade chapters/07_transformers/exercises/ex4_block_forward.py
# ```

# %%
block = TransformerBlock(d_model=16, num_heads=4)
for name, p in block.state_dict().items():
    print(f"{name:22s} {p.shape}")

# %% [markdown]
# The same causality, checked on the library's block: change the last three of
# six tokens and compare the outputs.

# %%
x = minilm.randn(1, 6, 16)
later = np.random.default_rng(1).standard_normal((1, 3, 16)).astype("float32")
x2 = minilm.tensor(np.concatenate([x.numpy()[:, :3], later], axis=1))  # new tokens 3-5
with minilm.no_grad():
    y, y2 = block(x, causal=True).numpy(), block(x2, causal=True).numpy()
print("largest change at positions 0-2:", np.abs(y - y2)[:, :3].max())
print("largest change at positions 3-5:", round(float(np.abs(y - y2)[:, 3:].max()), 2))

# %% [markdown]
# Check your answer (after grading): minilm's block is the two residual lines,
# and its multi-head attention projects, splits, attends and merges.

# %%
show(TransformerBlock.forward)
show(nn.MultiHeadAttention.forward)

# %% [markdown]
# ## 5. GPT on tinyshakespeare
#
# GPT (Radford et al., 2018, 2019) is a stack of causal blocks over token
# embeddings plus learned positions, a final layer norm, and logits through the
# token embedding matrix again (weight tying: the output layer is $E^\top$). It
# trains on the next-character loss at every position of every window at once.
# Here is the size `python -m minilm train --model gpt --corpus tinyshakespeare`
# trains by default (the `tour`'s GPT rung), trained with minilm's recipe (AdamW,
# warmup then cosine decay, clipping, all inside `minilm.train.fit`) for a
# few hundred steps:

# %%
corpus = CharCorpus.load("tinyshakespeare")
size = dict(GPT_SIZES["full" if FULL else "default"])
model_keys = ("block_size", "n_layer", "n_head", "n_embd", "dropout")
cfg = GPTConfig(vocab_size=corpus.vocab_size, **{k: size.pop(k) for k in model_keys if k in size})
size["steps"] = size["steps"] if FULL else 300
minilm.manual_seed(0)
gpt = GPT(cfg)
print(f"GPT: {cfg.n_layer} layers, width {cfg.n_embd}, context {cfg.block_size}, "
      f"{gpt.num_parameters():,} parameters; {size['steps']} steps of batch "
      f"{size['batch_size']}")  # fmt: skip
t0 = time.perf_counter()
hist = train_gpt(gpt, corpus, GPTTrainConfig(**size), progress=False)
print(f"trained in {time.perf_counter() - t0:.0f} s")
train_loss = hist.loss  # one entry per step
val_live = evaluate_gpt(gpt, corpus, "val", max_chars=20_000)
print(f"training loss: first step {train_loss[0]:.2f}, last step {train_loss[-1]:.2f}; "
      f"validation {val_live:.2f} nats/char "
      f"(uniform guessing: {math.log(corpus.vocab_size):.2f})")  # fmt: skip

# %% [markdown]
# The loss starts at the uniform guess, $\ln 65$, and falls steeply. But a few
# hundred steps are not enough to spell. A loose measure of spelling: of the
# words in a sample, how many occur in the training text?

# %%
train_text = corpus.decode(corpus.split("train")[0])
known_words = set(re.findall(r"[a-z]+", train_text.lower()))


def real_word_share(text):
    """Of the words in ``text``, the fraction that occur in the training text."""
    words = re.findall(r"[a-z]+", text.lower())
    return sum(w in known_words for w in words) / max(len(words), 1)


prompt = corpus.tokenizer.encode("\n")
sample_live = corpus.decode(gpt.generate(prompt, 300, temperature=0.8, seed=0))
print(sample_live)
print(f"\nreal words: {real_word_share(sample_live):.0%}")

# %% [markdown]
# ### The same model, trained longer
#
# minilm ships this model trained for 6000 steps (the README gives the command;
# it takes about ten minutes of one CPU core). Its validation loss and a sample
# from the same prompt:

# %%
path = resources.files("minilm.data") / "pretrained" / "ch07_gpt_tinyshakespeare.safetensors"
shipped, tok, info = minilm.load_model(path)
assert tok.vocab_size == corpus.vocab_size and shipped.config == cfg or FULL
val_shipped = evaluate_gpt(shipped, corpus, "val", max_chars=20_000)
print(f"{info['step']} steps; validation {val_shipped:.2f} nats/char "
      f"(after {size['steps']} steps: {val_live:.2f})")  # fmt: skip
sample = corpus.decode(shipped.generate(prompt, 300, temperature=0.8, seed=0))
print(sample)
print(f"\nreal words: {real_word_share(sample):.0%} "
      f"(after {size['steps']} steps: {real_word_share(sample_live):.0%})")  # fmt: skip
if not FULL:
    assert real_word_share(sample) > 0.75 and val_shipped < val_live - 0.3

# %% [markdown] tags=["cites"]
# At 2.34 nats per character after 300 steps the model has learned the
# letters' frequencies, spaces, capitals and line breaks, and 16% of its words
# are real. At 1.59 after 6000 steps, 91% are: speakers' names in capitals
# start the speeches, and the lines have the play's rhythm, if not its sense.

# %% [markdown]
# The README's GPU model (6 layers, width 384, context 256, 10.8 million
# parameters) gets to 1.377 nats per character in about three minutes on an
# H200 and writes whole plausible lines; on a CPU that run would take many hours.
#
# What its attention learned: the weights of the four heads in the first block,
# on the first 40 characters of a speech from the validation text (the block's
# attention, called on the embedded characters as `GPT.forward` calls it):

# %%
line = "ROMEO:\nBut, soft! what light through yonder window breaks?"[:40]
ids = corpus.tokenizer.encode(line)
with minilm.no_grad():
    h = shipped.wpe(shipped.wte(minilm.tensor([ids])))  # (1, T, C): what block 0 reads
    first = shipped.blocks[0]
    _, w = first.attn(first.ln_1(h), causal=True, return_weights=True)  # (1, H, T, T)
labels = [ch if ch != "\n" else "\\n" for ch in line]
fig, axes = plt.subplots(1, 4, figsize=(14, 4))
for head, ax in enumerate(axes):
    ax.imshow(w.numpy()[0, head], cmap="viridis", vmin=0, vmax=1)
    ax.set_title(f"block 0, head {head}")
    ax.set_xticks(range(len(line)), labels, fontsize=6)
    ax.set_yticks(range(len(line)), labels, fontsize=6)
fig.tight_layout()
plt.show()

# %% [markdown]
# Unlike the untrained heads of section 2, these are sharp. Three of them read a
# narrow band just below the diagonal: the last two or three characters, the
# letters of the word so far, which is most of what predicts the next letter.
# Head 3 instead holds on to one position for a while: through the whole of
# *what* it looks back at the `!` and space after *soft*, the end of the
# previous phrase. The second block's heads (not drawn) mix wider.
#
# ### What attention costs: $O(T^2)$
#
# The scores are a $T \times T$ table per head and layer, so both the work and the
# memory of attention grow with the square of the context, while the rest of
# the block (projections and MLP) grows linearly. Doubling the context from 256
# to 512 quadruples the scores:

# %%
mha_big = nn.MultiHeadAttention(d_model=64, num_heads=4)
for T in (128, 256, 512, 1024):
    xT = minilm.randn(1, T, 64)
    runs = []
    for _ in range(3):  # the fastest of three runs: the least disturbed by other work
        t0 = time.perf_counter()
        with minilm.no_grad():
            mha_big(xT, causal=True)
        runs.append(1000 * (time.perf_counter() - t0))
    MiB = 4 * T * T * 4 / 2**20  # float32
    print(f"T = {T:4d}: {4 * T * T:>9,} scores (4 heads), {MiB:5.1f} MiB; {min(runs):6.1f} ms")

# %% [markdown]
# The time grows about fourfold per doubling once the scores dominate (at small
# $T$ the projections and fixed costs still weigh). This is why the context is
# bounded by `block_size`, and why long-context models use tricks like attending
# to a window only, or computing the softmax in tiles without ever storing the
# table (FlashAttention).
#
# ### Generating with a KV cache
#
# To generate, the model predicts a character, appends it, and runs again. Done
# naively, step $t$ recomputes all $t$ tokens' keys and values in every layer,
# although causal attention guarantees that tokens $< t$ came out exactly as they
# did the step before: they never see the new token. A **KV cache** keeps each
# layer's keys and values; each step feeds only the new token, computes its
# query, key and value, appends the key and value to the cache, and attends
# from the one query over all the cached keys. A step then costs $O(t)$
# instead of $O(t^2)$ in attention, and $O(1)$ instead of $O(t)$ in the rest.
#
# **Exercise 2** (`exercises/ex2_kv_cache_step.py`): one decoding step with a
# cache: append, attend, return the output and the grown cache. Grade it with
#
# ```
# python -m minilm grade chapters/07_transformers/exercises/ex2_kv_cache_step.py
# ```
#
# Check your answer (after grading), the library's cache:

# %%
show(nn.KVCache.append)

# %% [markdown]
# The cache changes the cost, never the result. First the logits: run a prompt
# through the GPT in one pass, and again one token at a time through the
# caches; the last position's logits agree to float rounding:

# %%
ids = corpus.tokenizer.encode("ROMEO:\nWhat light")
with minilm.no_grad():
    full = shipped(minilm.tensor([ids]))[0].numpy()  # (T, V), one pass
    caches = shipped.new_caches()
    stepped = [shipped(minilm.tensor([[i]]), caches=caches)[0, -1].numpy() for i in ids]
diff = np.abs(np.stack(stepped) - full).max()
print(f"largest difference between cached and full logits: {diff:.1e}")
assert diff < 1e-4

# %% [markdown]
# The speedup grows with the length. The shipped model's context is only 64
# characters; the cache matters when the context is long, so here is a GPT of the
# same width with a context of 512 (untrained: the cost does not depend on the
# weights), generating 400 characters greedily, with and without the cache:

# %%
minilm.manual_seed(0)
long_cfg = GPTConfig(vocab_size=corpus.vocab_size, block_size=512, n_layer=2, n_head=4, n_embd=64)
long_gpt = GPT(long_cfg)
seconds, outputs = {}, {}
for use_cache in (True, False):
    t0 = time.perf_counter()
    outputs[use_cache] = long_gpt.generate(prompt, 400, greedy=True, use_cache=use_cache)
    seconds[use_cache] = time.perf_counter() - t0
print(f"with the cache: {seconds[True]:.2f} s; recomputing: {seconds[False]:.2f} s "
      f"({seconds[False] / seconds[True]:.1f} times slower); "
      f"same tokens: {outputs[True] == outputs[False]}")  # fmt: skip
assert outputs[True] == outputs[False] and seconds[False] > 1.5 * seconds[True]

# %% [markdown]
# ## 6. BERT: masked language modelling
#
# GPT reads left to right. BERT (Devlin et al., 2019) is an encoder, no causal
# mask, and it is trained to fill in blanks from both sides: pick 15% of the real
# tokens, and of those replace 80% with `[MASK]`, 10% with a random token, and
# keep 10% unchanged. The loss is the cross-entropy at the picked positions
# only; every other position's target is an *ignore* value. (Why not mask them
# all? Because `[MASK]` never appears when the model is used later: the random
# and unchanged 10%s force it to keep a good representation of every token, since
# any token might be one it will be asked about.) On a large batch the shares
# come out as promised:

# %%
ids = np.random.default_rng(0).integers(4, 30, size=(200, 50))
inputs, targets = mask_tokens(ids, vocab_size=30, mask_id=3, num_special=4, rng=1)
picked = targets != -100
masked, same = inputs[picked] == 3, inputs[picked] == ids[picked]
print(f"picked {picked.mean():.3f} of the tokens; of those, [MASK] {masked.mean():.3f}, "
      f"unchanged {same.mean():.3f}, other {(~masked & ~same).mean():.3f}")  # fmt: skip
redraw = 1 / (30 - 4)  # a random replacement is one of the 26 ordinary tokens
print(f"expected: unchanged {0.1 + 0.1 * redraw:.3f}, other {0.1 - 0.1 * redraw:.3f}")
print("one row, input: ", inputs[0, :12])
print("one row, target:", targets[0, :12])

# %% [markdown] tags=["cites"]
# A random replacement can draw the original token, one time in 26 here, so the
# expected shares are 0.104 unchanged and 0.096 other; a sample of about 1,500
# picks cannot tell them from 0.100 and 0.099.
#
# **Exercise 5** (`exercises/ex5_mlm_loss.py`): the MLM loss, the mean
# cross-entropy over the positions that are not ignored, stable for large
# logits. Grade it with
#
# ```
# python -m minilm grade chapters/07_transformers/exercises/ex5_mlm_loss.py
# ```
#
# Check your answer (after grading):

# %%
show(BERT.mlm_loss)

# %% [markdown]
# A tiny BERT learns to fill in sequences that count upward (5 6 7 8 ...): a
# masked number is given away by its neighbours on either side. Trained by
# `minilm.train.fit` with the MLM loss:

# %%
minilm.manual_seed(0)
bert = BERT(BERTConfig(vocab_size=30, max_len=12, n_layer=1, n_head=2, d_model=32, dropout=0.0))
gen = np.random.default_rng(0)
counting = lambda: minilm.tensor(gen.integers(4, 18, size=(32, 1)) + np.arange(12))  # noqa: E731
hist = fit(bert, optim.AdamW(bert.parameters(), lr=3e-3), counting, 600 if FULL else 200,
           loss_fn=lambda m, seq: m.mlm_loss(seq, rng=gen), progress=False)  # fmt: skip
losses = hist.loss
print(f"MLM loss: first 10 steps {np.mean(losses[:10]):.2f}, "
      f"last 10 steps {np.mean(losses[-10:]):.2f}")  # fmt: skip

# %% [markdown]
# The loss starts near $\ln 30$ (a guess among 30 tokens) and ends far below:
# the encoder reads both neighbours. Chapter 8 pretrains a BERT this way on real
# text and fine-tunes it for classification.
#
# ## 7. The encoder-decoder transformer
#
# For translation the transformer keeps chapter 6's shape: an **encoder** (blocks
# without the causal mask, over the source) and a **decoder** (causal blocks over
# the target prefix), with a third sublayer in each decoder block,
# **cross-attention**, whose queries come from the decoder and keys and values
# from the encoder's output. `minilm.recipes.translation` builds the model that
# `python -m minilm translation` trains:

# %%
data = TranslationData.load()
tf, tf_lr = build_model("transformer", data)
c = tf.config
print(f"Transformer: d_model {c.d_model}, {c.num_heads} heads, {c.num_encoder_layers} encoder and "
      f"{c.num_decoder_layers} decoder layers, {tf.num_parameters():,} parameters")  # fmt: skip
if FULL:  # the CLI's training: 2000 steps of 64 pairs (several minutes on a CPU)
    train_translation(tf, data, 2000, 64, tf_lr, progress=False)
    print(f"test BLEU (greedy): {100 * bleu(tf, data, 'test'):.1f}")

# %% [markdown]
# Trained for 2000 steps (`MINILM_FULL=1`, or the command line, about six
# minutes on one CPU core), it scores 41.3 BLEU on the test split, against 36.5
# for chapter 6's GRU with attention, with half the parameters (the README's
# table, over three seeds). The default run skips that training: a few hundred
# steps would leave the decoder repeating its most frequent words.
#
# ## Summary
#
# - Self-attention is $\mathrm{softmax}(QK^\top/\sqrt{d} + M)V$: every token mixes
#   the values of the tokens it may see, weighted by query-key match. The
#   $\sqrt{d}$ keeps the scores' variance at 1 so the softmax stays trainable; the
#   causal mask $M$ hides the future.
# - Multi-head attention is a reshape: the width is split into heads that
#   attend independently and are merged and projected back.
# - Attention is blind to order; positions are added. Sinusoidal positions turn
#   an offset into a fixed rotation, so relative positions are linear functions
#   of absolute ones; learned positions are a table limited to the trained length.
# - A block is two residual lines, `x + attn(ln(x))` and `x + mlp(ln(x))`;
#   pre-norm keeps an identity path for the gradient and trains without warmup.
# - GPT stacks causal blocks and ties the output layer to the embedding; the
#   small one here writes mostly real words after 6000 steps on a CPU. Attention
#   costs $O(T^2)$ in the context length; a KV cache makes generation a step of
#   $O(t)$ with the same logits.
# - BERT trains an encoder by masked language modelling (15%, 80/10/10), the loss
#   counting the masked positions only.
#
# ## Exercises
#
# The graded exercises, in `chapters/07_transformers/exercises/` (all at once:
# `python -m minilm grade chapters/07_transformers/exercises`):
#
# 1. `ex1_split_heads.py` (3 points): the multi-head reshape and its inverse.
#    `python -m minilm grade chapters/07_transformers/exercises/ex1_split_heads.py`
# 2. `ex2_kv_cache_step.py` (5 points): one decoding step with a KV cache.
#    `python -m minilm grade chapters/07_transformers/exercises/ex2_kv_cache_step.py`
# 3. `ex3_positional_encoding.py` (3 points): the sinusoidal table.
#    `python -m minilm grade chapters/07_transformers/exercises/ex3_positional_encoding.py`
# 4. `ex4_block_forward.py` (5 points): a causal pre-norm block, forward, in NumPy.
#    `python -m minilm grade chapters/07_transformers/exercises/ex4_block_forward.py`
# 5. `ex5_mlm_loss.py` (4 points): the MLM loss with ignored positions.
#    `python -m minilm grade chapters/07_transformers/exercises/ex5_mlm_loss.py`
#
# To think about:
#
# 1. Without positions and without the causal mask, show that permuting the input
#    tokens permutes the outputs of self-attention the same way. Which of the
#    two, mask or positions, is enough to break that symmetry in a GPT?
# 2. The scaling argument assumed unit-variance queries and keys. At
#    initialization GPT's weights are $N(0, 0.02^2)$: what is then the variance
#    of a score, and is the $1/\sqrt{d}$ still doing anything? When does it matter?
# 3. With a KV cache, how much memory does generating with the README's GPU
#    model (6 layers, width 384) need per token of context, in float32? What
#    grows faster as the context gets long, the cache or the attention work?
# 4. BERT masks 15% of the tokens. What goes wrong if it masks 1%? 60%?
#
# ## Further reading
#
# - Vaswani, Shazeer, Parmar, Uszkoreit, Jones, Gomez, Kaiser and Polosukhin
#   (2017), *Attention Is All You Need*: the transformer, scaled dot-product and
#   multi-head attention, sinusoidal positions.
# - Radford, Narasimhan, Salimans and Sutskever (2018), *Improving Language
#   Understanding by Generative Pre-Training*; Radford, Wu, Child, Luan, Amodei
#   and Sutskever (2019), *Language Models are Unsupervised Multitask Learners*:
#   GPT and GPT-2 (pre-norm, learned positions, weight tying).
# - Xiong, Yang, He, Zheng, Zheng, Xing, Zhang, Lan, Wang and Liu (2020), *On
#   Layer Normalization in the Transformer Architecture*: why post-norm needs
#   warmup and pre-norm does not.
# - Devlin, Chang, Lee and Toutanova (2019), *BERT: Pre-training of Deep
#   Bidirectional Transformers for Language Understanding*: masked language
#   modelling, 80/10/10.
# - Su, Lu, Pan, Murtadha, Wen and Liu (2021), *RoFormer: Enhanced Transformer
#   with Rotary Position Embedding*; Press, Smith and Lewis (2022), *Train Short,
#   Test Long* (ALiBi): relative positions inside attention.
# - Raschka (2024), *Build a Large Language Model (From Scratch)*, chapter 3
#   (attention worked over a six-token sentence) and chapter 4 (a GPT).
