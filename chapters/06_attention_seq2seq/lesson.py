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
# An encoder reads a sentence, a decoder writes another. Squeezing the whole
# source into one vector is the bottleneck attention removes: at every step the
# decoder looks back at every source position and takes a weighted average.
#
# 1. attention as a function: scores, masks, softmax, weighted sum;
# 2. additive (Bahdanau) and dot/general (Luong) scores;
# 3. the RNN encoder-decoder with teacher forcing, on English-French;
# 4. greedy and beam decoding, corpus BLEU on held-out sentences;
# 5. attention heatmaps for real sentences;
# 6. the sequence autoencoder: the bottleneck without attention.
#
# Small settings run in about a minute; `MINILM_FULL=1` trains the models
# behind the numbers in the README.

# %%
import os

import matplotlib.pyplot as plt

import minilm
import minilm.functional as F
import minilm.nn as nn
from minilm.backend import np
from minilm.course import show
from minilm.models.seq2seq import Seq2Seq, Seq2SeqConfig, SequenceAutoencoder
from minilm.recipes.translation import TranslationData, bleu, train_translation, translate

FULL = os.environ.get("MINILM_FULL") == "1"
minilm.manual_seed(0)


# %% [markdown]
# ## 1. Attention is a soft lookup
#
# A query $q$ scores every key $k_s$; the softmax of the scores weights the
# values: $\mathrm{attn}(q, K, V) = \mathrm{softmax}(qK^\top/\sqrt d)\,V$. A mask
# (True = may attend) sets forbidden scores to $-\infty$, so their weights are 0.

# %%
show(F.scaled_dot_product_attention)

# %%
q, k, v = minilm.randn(1, 3, 4), minilm.randn(1, 5, 4), minilm.randn(1, 5, 2)
pad = np.array([[True, True, True, False, False]])[:, None, :]  # 2 padded keys
out, w = F.scaled_dot_product_attention(q, k, v, mask=pad, return_weights=True)
print(np.round(w.numpy()[0], 3))
print("rows sum to", w.numpy().sum(-1))

# %% [markdown]
# ## 2. Three ways to score
#
# Bahdanau: $v^\top \tanh(W_q q + W_k k)$, a small MLP. Luong dot: $q\cdot k$;
# general: $q^\top W k$. The transformer's scaled dot product divides by
# $\sqrt d$ so the scores' spread does not grow with the width.

# %%
query, keys = minilm.randn(2, 8), minilm.randn(2, 6, 8)
mask = np.array([[1, 1, 1, 1, 0, 0], [1, 1, 1, 1, 1, 1]], dtype=bool)
for attn in (nn.AdditiveAttention(8, 8, 16), nn.DotAttention(), nn.DotAttention(8, 8)):
    ctx, w = attn(query, keys, mask=mask)
    print(type(attn).__name__, ctx.shape, np.round(w.numpy()[0], 2))

# %% [markdown]
# ## 3. The encoder-decoder, trained with teacher forcing
#
# The decoder's input at step $t$ is the *true* previous word while training
# (teacher forcing); at test time it is its own previous guess.

# %%
show(Seq2Seq.decode_step)

# %%
data = TranslationData.load()
print(
    len(data.pairs["train"]),
    "training pairs;",
    data.src_tok.vocab_size,
    "English and",
    data.tgt_tok.vocab_size,
    "French words",
)
size = dict(embed_dim=128, hidden_size=256) if FULL else dict(embed_dim=32, hidden_size=64)
model = Seq2Seq(
    Seq2SeqConfig(data.src_tok.vocab_size, data.tgt_tok.vocab_size, dropout=0.1, **size)
)
hist = train_translation(model, data, steps=2000 if FULL else 150, lr=2e-3, progress=False)
plt.plot(hist.loss)
plt.xlabel("step")
plt.ylabel("train loss (nats/word)")
plt.show()

# %% [markdown]
# ## 4. Decoding and BLEU
#
# Greedy decoding takes the most likely word each step; beam search keeps the
# `beam_size` best partial translations. BLEU compares n-gram overlaps
# (clipped by the references) and penalizes short output; it is computed over
# the whole test split, with every French translation of a sentence as a reference.

# %%
limit = None if FULL else 100
print(f"test BLEU, greedy: {100 * bleu(model, data, 'test', limit=limit):.1f}")
print(f"test BLEU, beam 4: {100 * bleu(model, data, 'test', limit=50, beam_size=4):.1f}")
for s in ["I am hungry.", "She is my sister.", "We lost."]:
    print(s, "->", " ".join(translate(model, data, [s])[0]))

# %% [markdown]
# ## 5. Where the decoder looks
#
# Each row is one French word; its weights over the English words sum to 1.

# %%
sentence = "I am very tired ."
src = minilm.tensor([data.encode_src([sentence])[0]])
(hyp,), (weights,) = model.greedy_decode(src, return_attention=True)
fig, ax = plt.subplots()
ax.imshow(weights, cmap="viridis")
ax.set_xticks(range(src.shape[1]), data.src_tok.vocab.decode(src.numpy()[0]))
ax.set_yticks(range(len(weights)), data.tgt_tok.vocab.decode(hyp + [2])[: len(weights)])
plt.show()

# %% [markdown]
# ## 6. The sequence autoencoder
#
# Without attention everything the decoder knows passes through one vector:
# encode a name, decode it back.

# %%
names = [n for n in minilm.data.load_split("names", "train") if len(n) <= 8][:4000]
alphabet = sorted(set("".join(names)))
enc = lambda n: [3 + alphabet.index(c) for c in n] + [2]
ae = SequenceAutoencoder(vocab_size=3 + len(alphabet), embed_dim=16, hidden_size=64)
opt = minilm.optim.Adam(ae.parameters(), lr=1e-2)
gen = np.random.default_rng(0)
for _ in range(1500 if FULL else 150):
    ids, _ = minilm.data.pad_batch([enc(names[i]) for i in gen.integers(0, len(names), 64)])
    loss = F.cross_entropy(ae(ids), minilm.tensor(np.where(ids.numpy() == 0, -100, ids.numpy())))
    loss.backward()
    opt.step()
    opt.zero_grad()
test, _ = minilm.data.pad_batch([enc(n) for n in ["emma", "olivia", "noah"]])
print("loss", round(loss.item(), 3))
print(["".join(alphabet[i - 3] for i in r if i >= 3) for r in ae.reconstruct(test)])
