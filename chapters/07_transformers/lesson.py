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
# Drop the recurrence, keep the attention: every token attends to every other
# in one step. This chapter builds, from minilm's parts:
#
# 1. multi-head self-attention and the causal mask;
# 2. positional encodings, sinusoidal and learned;
# 3. the pre-norm block: two residual lines;
# 4. GPT: a decoder-only character model on tinyshakespeare, with a KV cache;
# 5. BERT-style masked language modelling;
# 6. the encoder-decoder transformer on English-French.
#
# `MINILM_FULL=1` uses the sizes behind the README's numbers.

# %%
import os
import time

import matplotlib.pyplot as plt

import minilm
import minilm.nn as nn
from minilm.backend import np
from minilm.course import show
from minilm.data.lm_corpus import CharCorpus
from minilm.models import GPT, GPTConfig
from minilm.models.bert import BERT, BERTConfig, mask_tokens
from minilm.models.transformer import Transformer, TransformerBlock, TransformerConfig
from minilm.recipes.gpt import GPTTrainConfig, evaluate_gpt, train_gpt
from minilm.recipes.translation import TranslationData, bleu, train_translation

FULL = os.environ.get("MINILM_FULL") == "1"
minilm.manual_seed(0)


# %% [markdown]
# ## 1. Multi-head attention
#
# Project $x$ to queries, keys and values, split the width into $H$ heads of
# $d/H$, attend in each, join them and project back. Heads can specialize.

# %%
show(nn.MultiHeadAttention.split_heads)
show(nn.MultiHeadAttention.forward)

# %%
mha = nn.MultiHeadAttention(d_model=16, num_heads=4)
x = minilm.randn(1, 6, 16)
y, w = mha(x, causal=True, return_weights=True)
fig, axes = plt.subplots(1, 4, figsize=(10, 2.5))
for h, ax in enumerate(axes):
    ax.imshow(w.numpy()[0, h])
    ax.set_title(f"head {h}")
plt.show()

# %% [markdown]
# The causal mask leaves the upper triangle at exactly 0: position $t$ never
# sees $t+1$. The tests check the stronger property on GPT: changing token
# $t+1$ never changes the logits at positions $\le t$.
#
# ## 2. Positional encodings
#
# Attention is blind to order, so position is added to the embeddings: a fixed
# table of sines and cosines at geometric frequencies, or a learned vector per position.

# %%
P = nn.sinusoidal_positions(64, 32)
plt.imshow(P.T, aspect="auto", cmap="RdBu")
plt.xlabel("position")
plt.ylabel("dimension")
plt.show()

# %% [markdown]
# ## 3. The block

# %%
show(TransformerBlock.forward)

# %% [markdown]
# ## 4. GPT on tinyshakespeare
#
# Token embedding plus learned positions, causal blocks, and logits through the
# same embedding matrix (weight tying).

# %%
corpus = CharCorpus.load("tinyshakespeare", max_chars=None if FULL else 200_000)
cfg = GPTConfig(
    vocab_size=corpus.vocab_size,
    block_size=64,
    n_layer=4 if FULL else 2,
    n_head=4,
    n_embd=128 if FULL else 64,
)
gpt = GPT(cfg)
print(f"{gpt.num_parameters():,} parameters")
hist = train_gpt(
    gpt, corpus, GPTTrainConfig(steps=2000 if FULL else 120, lr=2e-3, warmup=20), progress=False
)
print("validation nats/char:", round(evaluate_gpt(gpt, corpus, "val", max_chars=20_000), 3))
print(corpus.decode(gpt.generate(corpus.tokenizer.encode("ROMEO:"), 200, temperature=0.8, seed=0)))

# %% [markdown]
# ### The KV cache
#
# Generating token $t$ needs the keys and values of tokens $< t$; the cache
# keeps them, so each step feeds one token instead of the whole prefix.
# Same tokens, less work:

# %%
prompt = corpus.tokenizer.encode("KING:")
for use_cache in (True, False):
    t0 = time.perf_counter()
    out = gpt.generate(prompt, 58, greedy=True, use_cache=use_cache)
    print(f"use_cache={use_cache}: {time.perf_counter() - t0:.2f} s", corpus.decode(out[:30]))

# %% [markdown]
# ## 5. BERT: masked language modelling
#
# Pick 15% of the real tokens; replace 80% of those with `[MASK]`, 10% with a
# random token, keep 10%; predict the originals from both sides.

# %%
show(BERT.mlm_loss)
ids = np.array([[1, 10, 11, 12, 13, 14, 15, 16, 17, 0, 0]])
inputs, targets = mask_tokens(ids, vocab_size=30, mask_id=3, num_special=4, rng=3, mask_prob=0.5)
print("inputs ", inputs[0])
print("targets", targets[0])

# %%
bert = BERT(BERTConfig(vocab_size=30, max_len=12, n_layer=1, n_head=2, d_model=32, dropout=0.0))
opt = minilm.optim.AdamW(bert.parameters(), lr=3e-3)
gen = np.random.default_rng(0)
losses = []
for _ in range(300 if FULL else 100):
    seq = minilm.tensor(gen.integers(4, 18, size=(32, 1)) + np.arange(12))  # counting up
    loss = bert.mlm_loss(seq, rng=gen)
    loss.backward()
    opt.step()
    opt.zero_grad()
    losses.append(loss.item())
plt.plot(losses)
plt.ylabel("MLM loss")
plt.show()

# %% [markdown]
# ## 6. The encoder-decoder transformer on English-French

# %%
data = TranslationData.load()
tcfg = TransformerConfig(
    data.src_tok.vocab_size,
    data.tgt_tok.vocab_size,
    d_model=128 if FULL else 32,
    num_heads=4,
    num_encoder_layers=2 if FULL else 1,
    num_decoder_layers=2 if FULL else 1,
    dropout=0.1,
)
tf = Transformer(tcfg)
train_translation(tf, data, steps=2000 if FULL else 100, lr=1e-3, progress=False)
print(f"test BLEU (greedy): {100 * bleu(tf, data, 'test', limit=None if FULL else 100):.1f}")
