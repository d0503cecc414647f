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
# # Chapter 5: Sequence models
#
# An n-gram model predicts the next character from a fixed window of counts; it
# cannot generalize from "emma" to "emmy", and its tables grow exponentially
# with the window. This chapter replaces counting with learning:
#
# 1. the neural language model of Bengio et al. (2003): embeddings and an MLP;
# 2. recurrent networks, which read a sequence of any length, and
#    backpropagation through time;
# 3. vanishing and exploding gradients, measured, and what clipping does;
# 4. LSTM and GRU cells, which keep gradients alive over long spans;
# 5. character-level language models on real text, with truncated
#    backpropagation through time for a long text;
# 6. generation: greedy, temperature, top-k, top-p, beam search;
# 7. the model ladder: every model of chapters 1 to 5 on one test set.
#
# The notebook runs on a laptop CPU in about a minute on small settings; set
# `MINILM_FULL=1` for the longer runs. The numbers quoted in the text come from
# `python -m minilm tour` (section 7).

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
from minilm.data.lm_corpus import CharCorpus, StreamBatches
from minilm.generate import beam_search, filter_top_k, filter_top_p, generate, log_softmax
from minilm.models import MLPLM, RNNLM, MLPLMConfig, RNNLMConfig
from minilm.ngram import NgramModel
from minilm.optim import clip_grad_norm_
from minilm.recipes.mlp_lm import MLPTrainConfig, evaluate_mlp_lm, train_mlp_lm
from minilm.recipes.rnn_lm import RNNTrainConfig, evaluate_rnn_lm, train_rnn_lm
from minilm.tour import Trained, format_table

FULL = os.environ.get("MINILM_FULL") == "1"
minilm.manual_seed(0)


# %% [markdown]
# ## 1. From counts to a neural language model
#
# Our running example is the names corpus: 32,000 first names, split once and for
# all into train, validation and test (`minilm.data.load_split`). Each name is a
# sequence `.emma.`, where `.` marks the start and the end; a model predicts each
# character and the final `.` from what comes before, and we score it in **nats
# per character** on the test split (perplexity is $e^{\text{nats}}$). This is
# exactly what the n-gram models of chapter 1 predict, so the numbers compare.

# %%
names = CharCorpus.load("names")
print(f"{names.vocab_size} symbols; {len(names.split('train'))} training names, "
      f"{names.num_predictions('test')} characters to predict in the test split")  # fmt: skip
print([names.decode(s) for s in names.split("train")[:5]])

results = []  # (Trained) rows for the ladder in section 7
for order, smoothing in [(2, "add-k"), (6, "kneser-ney")]:
    t0 = time.perf_counter()
    lm = NgramModel(order, smoothing).fit(names.sentences("train"))
    nats = math.log(lm.perplexity(names.sentences("test")))
    label = f"{order}-gram, {smoothing}"
    stored = sum(lm.counts.size[k] for k in range(1, order + 1))  # distinct n-grams counted
    results.append(Trained(label, stored, time.perf_counter() - t0, nats))
    print(f"{label:22} {nats:.3f} nats/char")

# %% [markdown]
# **The MLP language model.** Bengio et al. give every symbol a learned vector
# (an *embedding*, a row of a table $E$), concatenate the vectors of the previous
# $n$ symbols and feed them to a one-hidden-layer network:
#
# $$ e = [E_{x_{t-n}}; \dots; E_{x_{t-1}}], \quad h = \tanh(e W_1 + b_1), \quad
#    p(x_t \mid \cdot) = \mathrm{softmax}(h W_2 + b_2). $$
#
# Two things change compared with counting. Similar contexts get similar
# embeddings, so what the model learns about one transfers to the other. And the
# parameters grow *linearly* with the context length $n$ (the first layer has
# $n d$ inputs), where an n-gram table grows as $V^n$. Here is minilm's model:

# %%
show(MLPLM.forward)

# %%
mlp_cfg = MLPLMConfig(names.vocab_size, context=8, embed_dim=16, hidden=256 if FULL else 128,
                      pad_id=names.pad_id)  # fmt: skip
mlp = MLPLM(mlp_cfg)
t0 = time.perf_counter()
hist = train_mlp_lm(mlp, names, MLPTrainConfig(steps=8000 if FULL else 1500, lr=3e-3),
                    progress=False)  # fmt: skip
mlp_s = time.perf_counter() - t0
mlp_nats = evaluate_mlp_lm(mlp, names, "test")
results.append(Trained("MLP", mlp.num_parameters(), mlp_s, mlp_nats))
print(f"MLP: {mlp.num_parameters():,} parameters, {mlp_s:.0f} s, test {mlp_nats:.3f} nats/char")

# %% [markdown]
# The embeddings it learned place symbols that behave alike near each other.
# Projected on their two main directions (PCA), the vowels gather away from the
# consonants, and `.` (start and end) stands apart:

# %%
E = mlp.embed.weight.numpy()
E = E - E.mean(axis=0)
P = E @ np.linalg.svd(E, full_matrices=False)[2][:2].T  # (V, 2)
fig, ax = plt.subplots(figsize=(5, 4))
ax.scatter(P[:, 0], P[:, 1], s=8)
for i, (x, y) in enumerate(P):
    ch = names.decode([i])
    ax.annotate(ch, (x, y), color="tab:red" if ch in "aeiouy" else "black")
ax.set_title("character embeddings of the MLP, first two principal components")
plt.show()

# %% [markdown]
# ## 2. Recurrent neural networks
#
# An MLP sees a fixed window. A **recurrent** network reads one symbol at a time
# and carries a hidden state $h_t$ that summarizes everything so far:
#
# $$ h_t = \tanh(x_t W_{ih} + b_{ih} + h_{t-1} W_{hh} + b_{hh}), \qquad
#    \text{logits}_t = h_t W_{hy} + b_y. $$
#
# The same weights serve every step, so the model handles sequences of any length
# with a fixed number of parameters. `minilm.nn.RNNCell` is one step;
# `minilm.nn.RNN` runs a stack of cells over a whole sequence (inputs `(B, T, I)`,
# states `(layers, B, H)`), returns every step's output and the final state, and
# accepts an initial state, so a long text can be read window by window.

# %%
cell = nn.RNNCell(input_size=3, hidden_size=4)
h = cell(minilm.randn(2, 3))  # one step from the zero state
print("one step:", h.shape)
rnn = nn.RNN(3, 4, num_layers=2)
y, h_n = rnn(minilm.randn(2, 7, 3))
print("a sequence: outputs", y.shape, "final state", h_n.shape)
show(nn.RNN.run)

# %% [markdown]
# **Backpropagation through time (BPTT).** Unrolled over $T$ steps, an RNN is a
# deep network whose layers share weights, and backpropagation runs through it as
# through any graph: the gradient reaching $h_t$ is its own loss term's gradient
# plus what flows back from $h_{t+1}$,
#
# $$ \frac{\partial L}{\partial h_t} = \frac{\partial L_t}{\partial h_t}
#    + \frac{\partial L}{\partial h_{t+1}} \, \mathrm{diag}(1 - h_{t+1}^2)\, W_{hh}^\top, $$
#
# and the weight gradients add up over the steps. minilm's engine does this for
# any graph; writing it once by hand is the best way to see what it does.

# %% [markdown]
# **Exercise 5** (`exercises/ex5_rnn_bptt.py`): the forward pass of a tanh RNN
# over a sequence and its backward pass through time, by hand in NumPy, checked
# against the gradients minilm's engine computes. Grade it with
#
# ```
# python -m minilm grade chapters/05_sequence_models/exercises/ex5_rnn_bptt.py
# ```

# %% [markdown]
# ## 3. Vanishing and exploding gradients
#
# Unrolling that recursion, the gradient from step $T$ back to step $t$ is a
# product of $k = T - t$ Jacobians $J_s = \mathrm{diag}(1 - h_s^2)\, W_{hh}^\top$,
# a different matrix at every step. Its norm is bounded by the product of the
# norms, and the norm of each is at most the largest singular value
# $\sigma_\max$ of $W_{hh}$ (the tanh's derivative is at most 1):
#
# $$ \Big\lVert \prod_{s} J_s \Big\rVert \le \prod_s \lVert\mathrm{diag}(1 - h_s^2)\rVert\,
#    \sigma_\max(W_{hh}) \le \sigma_\max(W_{hh})^k. $$
#
# So if $\sigma_\max < 1$ the gradient *must* vanish geometrically, and it can
# explode only if $\sigma_\max > 1$ (Pascanu et al., 2013). The spectral radius
# $\rho$ (the largest $|\text{eigenvalue}|$) tells how the powers of one fixed
# matrix grow; it is no bound for a product of changing ones, and it is never
# larger than $\sigma_\max$ (for a random matrix, clearly smaller). Let us
# measure it: a random RNN with $W_{hh}$ scaled to a chosen $\rho$ reads 60
# random inputs, and we ask for the gradient of $\mathrm{sum}(h_{60})$ with
# respect to every earlier state.


# %%
def gradient_through_time(cell, T=60, B=8, seed=0):
    """||d sum(h_T) / d h_t|| for t = T..0 (index k = steps back)."""
    minilm.manual_seed(seed)
    x = minilm.randn(T, B, cell.input_size)
    state = cell.initial_state(B, x)
    state = tuple(s.requires_grad_() for s in state) if isinstance(state, tuple) else (
        state.requires_grad_())  # fmt: skip
    hs = [state[0] if isinstance(state, tuple) else state]
    for t in range(T):
        h, state = cell.step(cell.project(x[t]), state)
        hs.append(h)
    grads = minilm.grad(hs[-1].sum(), hs[:-1], allow_unused=True)
    norms = [float(np.linalg.norm(g.numpy())) if g is not None else 0.0 for g in grads]
    return norms[::-1]  # steps back: 1, 2, ..., T


def scaled_rnn(rho, H=32, seed=0):
    minilm.manual_seed(seed)
    cell = nn.RNNCell(8, H)
    W = np.random.default_rng(seed).standard_normal((H, H)) / math.sqrt(H)
    W *= rho / np.abs(np.linalg.eigvals(W)).max()
    cell.weight_hh.data[...] = W.astype(np.float32)
    return cell


curves = {f"RNN, rho = {rho}": gradient_through_time(scaled_rnn(rho)) for rho in
          (0.5, 0.9, 1.5, 3.0)}  # fmt: skip
minilm.manual_seed(0)
curves["LSTM, default init"] = gradient_through_time(nn.LSTMCell(8, 32))
curves["GRU, default init"] = gradient_through_time(nn.GRUCell(8, 32))
minilm.manual_seed(0)
lstm_cell, gru_cell = nn.LSTMCell(8, 32), nn.GRUCell(8, 32)
with minilm.no_grad():  # open the gates that keep the past: f (LSTM) and z (GRU) near 1
    lstm_cell.bias_ih.data[32:64] = 3.0
    gru_cell.bias_ih.data[32:64] = 3.0
curves["LSTM, forget bias 3"] = gradient_through_time(lstm_cell)
curves["GRU, update bias 3"] = gradient_through_time(gru_cell)

fig, ax = plt.subplots(figsize=(7, 4))
for label, norms in curves.items():
    ax.semilogy(range(1, len(norms) + 1), np.maximum(norms, 1e-30), label=label)
ax.set_xlabel("steps back from the end")
ax.set_ylabel("gradient norm")
ax.legend(fontsize=8)
ax.grid(alpha=0.3)
plt.show()
print(f"{'':22} {'1 step':>10} {'10 steps':>10} {'50 steps':>10}")
for label, norms in curves.items():
    print(f"{label:22} {norms[0]:10.2e} {norms[9]:10.2e} {norms[49]:10.2e}")
for rho in (0.5, 0.9, 1.5, 3.0):
    W = scaled_rnn(rho).weight_hh.numpy()
    print(f"rho = {rho}: largest singular value {np.linalg.svd(W, compute_uv=False)[0]:.2f}")
for label in ("RNN, rho = 0.5", "RNN, rho = 1.5", "LSTM, forget bias 3"):
    n = curves[label]
    print(f"{label}: {n[0]:.3g} -> {n[9]:.3g} -> {n[49]:.3g} (1, 10, 50 steps back), "
          f"{math.log10(n[0] / n[49]):.1f} orders of magnitude lost")  # fmt: skip

# %% [markdown] tags=["cites"]
# With $\rho < 1$ the gradient dies geometrically: with $\rho = 0.5$ it has
# lost 17.7 orders of magnitude after 50 steps, so a vanilla RNN cannot learn
# that something 50 characters back matters. With $\rho = 3$ it explodes
# instead. In between, the tanh decides: at $\rho = 1.5$ the norm goes
# 14.8 -> 8.72 -> 2.62 over 1, 10 and 50 steps, a slow decay rather than an
# explosion, because the saturated tanh ($1 - h^2$ near 0) shrinks each Jacobian
# well below the bound, though $\sigma_\max$ is 2.52 there. Only at $\rho = 0.5$
# is $\sigma_\max$ (0.84) below 1, so that vanishing is certain; $\rho = 0.9$ has
# $\sigma_\max$ = 1.51 and vanishes all the same: the bound says when vanishing is
# certain, not when it happens.
#
# The gated cells are only as good as their gates: at minilm's (and PyTorch's)
# default initialization every gate sits near $\sigma(0) = 0.5$, the LSTM's cell
# keeps half of itself per step, and its gradient decays like $0.5^k$. But the
# path along the cell is *additive* ($c_t = f \odot c_{t-1} + i \odot g$): the
# gradient along it is scaled by the forget gate $f$, not multiplied by a weight
# matrix. Open the gate (a forget bias of 3 gives $f \approx 0.95$; training
# learns such values where memory pays) and the gradient goes
# 2.49 -> 0.576 -> 0.367: it loses most of its size in the first ten steps (the
# paths through $h$, which the gate does not protect) and then decays slowly
# along the cell, so that after 50 steps it is still more than $10^9$ times the
# default LSTM's. The GRU's update gate $z$ plays the same role for
# $h_t = (1 - z) \odot n + z \odot h_{t-1}$.
#
# **Clipping** handles the exploding side. When the gradient's total norm
# exceeds a threshold $c$, `clip_grad_norm_` scales every gradient by
# $c / \lVert g \rVert$: the direction stays, the step is bounded. (Nothing so simple
# fixes vanishing gradients; that takes a different cell.)

# %%
cell = scaled_rnn(3.0)
x = minilm.randn(40, 8, 8)
state = cell.initial_state(8, x)
for t in range(40):
    h, state = cell.step(cell.project(x[t]), state)
(h * h).sum().backward()
before = [p.grad.numpy().copy() for p in cell.parameters()]
norm = clip_grad_norm_(cell.parameters(), max_norm=1.0).item()
after = [p.grad.numpy() for p in cell.parameters()]
flat = lambda gs: np.concatenate([g.reshape(-1) for g in gs])  # noqa: E731
cos = flat(before) @ flat(after) / (np.linalg.norm(flat(before)) * np.linalg.norm(flat(after)))
print(f"norm before {norm:.1f}, after {np.linalg.norm(flat(after)):.3f}, "
      f"cosine(before, after) = {cos:.6f}")  # fmt: skip

# %% [markdown]
# ## 4. LSTM and GRU
#
# The **LSTM** (Hochreiter and Schmidhuber, 1997, with the forget gate of Gers et
# al., 2000) keeps a cell $c_t$ beside $h_t$ and three gates that decide what to
# write, keep and show:
#
# $$ \begin{aligned}
# i &= \sigma(x W_{ii} + h W_{hi} + b_i), & f &= \sigma(x W_{if} + h W_{hf} + b_f),\\
# g &= \tanh(x W_{ig} + h W_{hg} + b_g), & o &= \sigma(x W_{io} + h W_{ho} + b_o),\\
# c_t &= f \odot c_{t-1} + i \odot g, & h_t &= o \odot \tanh(c_t).
# \end{aligned} $$
#
# The **GRU** (Cho et al., 2014) merges cell and state and uses two gates:
#
# $$ r = \sigma(\cdot),\quad z = \sigma(\cdot),\quad
#    n = \tanh(x W_{in} + b_{in} + r \odot (h W_{hn} + b_{hn})),\quad
#    h_t = (1 - z) \odot n + z \odot h_{t-1}. $$
#
# In minilm the four (three) gates' weights sit side by side in one matrix,
# `weight_ih` of shape (input, 4H) and `weight_hh` (H, 4H), so one matrix product
# computes every gate; PyTorch stores the transposes, with the same gate order.

# %% [markdown]
# **Exercise 1** (`exercises/ex1_lstm_cell.py`): one LSTM step in NumPy, in
# minilm's weight layout. Grade it with
#
# ```
# python -m minilm grade chapters/05_sequence_models/exercises/ex1_lstm_cell.py
# ```

# %% [markdown]
# **Exercise 2** (`exercises/ex2_gru_cell.py`): one GRU step in NumPy. Grade it with
#
# ```
# python -m minilm grade chapters/05_sequence_models/exercises/ex2_gru_cell.py
# ```

# %% [markdown]
# Check your answers (after grading): minilm's gate arithmetic, written once for
# arrays and tensors.

# %%
show(F.lstm_gates)
show(F.gru_gates)

# %% [markdown]
# Those are about fifteen small operations per step, and on small batches the
# cost of each operation, not the arithmetic, sets the speed. So minilm's fast
# layer (`minilm/fast/recurrent.py`) also runs them as one `Function` each
# (`LSTMGates`, `GRUGates`) whose backward works on arrays directly, and the cells
# use it when it is there; the tests check that it and the composed version give
# the same values and gradients. Same weights, same answer:

# %%
minilm.manual_seed(1)
lstm = nn.LSTM(5, 8)
x = minilm.randn(4, 10, 5)
with minilm.fast.disabled():  # the composed ops above, the reference
    composed = lstm(x)[0].numpy()
print("largest difference:", float(np.abs(lstm(x)[0].numpy() - composed).max()))
for cls in (nn.RNN, nn.GRU, nn.LSTM):
    print(f"{cls.__name__:5} with 128 hidden units, 32 inputs: "
          f"{cls(32, 128).num_parameters():,} parameters")  # fmt: skip

# %% [markdown]
# ## 5. Character-level language models on real text
#
# `minilm.models.RNNLM` is an embedding, a recurrent stack and a linear head that
# turns each hidden state into next-character logits. On names, each name is a
# short sequence that starts from the zero state; batches of names are padded,
# and the padded positions are excluded from the loss (`ignore_index`).

# %%
show(RNNLM.forward)

# %%
lstm_cfg = RNNLMConfig(names.vocab_size, cell="lstm", embed_dim=24,
                       hidden_size=128 if FULL else 64)  # fmt: skip
lstm = RNNLM(lstm_cfg)
t0 = time.perf_counter()
train_rnn_lm(lstm, names, RNNTrainConfig(steps=1500 if FULL else 300, batch_size=64, lr=1e-2),
             progress=False)  # fmt: skip
lstm_s = time.perf_counter() - t0
lstm_nats = evaluate_rnn_lm(lstm, names, "test")
results.append(Trained("LSTM", lstm.num_parameters(), lstm_s, lstm_nats))
print(f"LSTM: {lstm.num_parameters():,} parameters, {lstm_s:.0f} s, "
      f"test {lstm_nats:.3f} nats/char")  # fmt: skip

# %% [markdown]
# **A long text: truncated BPTT.** Shakespeare is one stream of a million
# characters. We cut it into $B$ contiguous rows and read them $T$ characters at
# a time; the final state of one window is the initial state of the next, so the
# model sees context from long before, but we *detach* it, so gradients flow back
# at most $T$ steps (backpropagating through the whole text would need the whole
# graph in memory). `StreamBatches` makes window $k+1$ continue each row exactly
# where window $k$ left it:

# %%
shakespeare = CharCorpus.load("tinyshakespeare", max_chars=None if FULL else 200_000)
sb = StreamBatches(shakespeare.split("train")[0], batch_size=4, bptt=24)
for _ in range(2):
    x, y, fresh = sb.next()
    print(repr(shakespeare.decode(x.numpy()[0])), "| fresh start" if fresh else "| continues")
show(train_rnn_lm)

# %%
shk_cfg = RNNLMConfig(shakespeare.vocab_size, cell="lstm", embed_dim=32, hidden_size=128)
shk = RNNLM(shk_cfg)
t0 = time.perf_counter()
train_rnn_lm(shk, shakespeare, RNNTrainConfig(steps=2000 if FULL else 150, batch_size=32, bptt=48,
                                             lr=1e-2), progress=False)  # fmt: skip
print(f"{time.perf_counter() - t0:.0f} s; validation loss "
      f"{evaluate_rnn_lm(shk, shakespeare, 'val'):.3f} nats/char")  # fmt: skip
print(shakespeare.decode(generate(shk, shakespeare.tokenizer.encode("ROMEO:"), 200, seed=0)))

# %% [markdown]
# After a few hundred steps the model has the layout of a play (names in capitals,
# line breaks, common words); the full run behind the numbers in section 7
# (`python -m minilm tour --corpus tinyshakespeare --full`) writes passable
# pseudo-Shakespeare.
#
# ## 6. Generation
#
# A language model gives a distribution over the next token; generating text means
# choosing a token, appending it and asking again. `minilm.generate` works with
# any model that maps the tokens so far to next-token logits, through one method,
# `next_logits(tokens, state) -> (logits, state)`; a recurrent model carries its
# hidden state, so each step costs one cell update. The choices:
#
# - **greedy**: always the most likely token. Deterministic, and repetitive.
# - **temperature** $T$: sample from $\mathrm{softmax}(z / T)$. $T < 1$ sharpens the
#   distribution towards greedy, $T > 1$ flattens it towards uniform.
# - **top-k**: sample among the $k$ most likely tokens only.
# - **top-p** (nucleus, Holtzman et al., 2020): sample among the smallest set of
#   most likely tokens whose probabilities sum to at least $p$; the set adapts
#   to how sure the model is.

# %% [markdown]
# **Exercise 3** (`exercises/ex3_top_p.py`): top-p filtering of a batch of
# logits. Grade it with
#
# ```
# python -m minilm grade chapters/05_sequence_models/exercises/ex3_top_p.py
# ```
#
# Here are the filters at work on the LSTM's distribution of first letters:

# %%
prompt = [names.pad_id]
logits, _ = lstm.next_logits(prompt, None)
probs = np.exp(log_softmax(logits))
fig, axes = plt.subplots(1, 3, figsize=(11, 3), sharey=True)
chars = [names.decode([i]) for i in range(names.vocab_size)]
for ax, (title, z) in zip(axes, [("the model", logits), ("top-k, k = 5", filter_top_k(logits, 5)),
                                 ("top-p, p = 0.6", filter_top_p(logits, 0.6))]):  # fmt: skip
    ax.bar(chars, np.exp(log_softmax(z)))
    ax.set_title(title)
    ax.tick_params(axis="x", labelsize=7)
axes[0].set_ylabel("P(first letter)")
plt.show()
for T in (0.5, 1.0, 1.5):
    p = np.exp(log_softmax(logits / T))
    print(f"T = {T}: entropy {-(p * np.log(p)).sum():.2f} nats;",
          ", ".join(names.decode(generate(lstm, prompt, 20, temperature=T, stop_token=names.pad_id,
                                          seed=s))[:-1] for s in range(6)))  # fmt: skip
print("greedy:", names.decode(generate(lstm, prompt, 20, greedy=True, stop_token=names.pad_id)))
print("top-p 0.8:", ", ".join(names.decode(generate(lstm, prompt, 20, top_p=0.8,
      stop_token=names.pad_id, seed=s))[:-1] for s in range(6)))  # fmt: skip

# %% [markdown]
# **Beam search** looks for the most likely *sequence* rather than choosing
# token by token. It keeps the `beam_size` best partial sequences; at each step it
# extends each by every token and keeps the best `beam_size` extensions by total
# log-probability. Finished sequences are ranked by
# $\log p / \text{length}^\alpha$: with $\alpha = 0$ the raw log-probability, which
# favours short outputs (every extra token multiplies in a probability below 1);
# $\alpha = 1$ ranks by log-probability per token. With `beam_size=1` it is greedy
# decoding; with a beam as large as the number of possible sequences it is exact
# (both are tested).

# %% [markdown]
# **Exercise 4** (`exercises/ex4_beam_step.py`): one step of beam search: extend
# every hypothesis by every token and keep the best. Grade it with
#
# ```
# python -m minilm grade chapters/05_sequence_models/exercises/ex4_beam_step.py
# ```

# %%
for alpha in (0.0, 1.0):
    found = beam_search(lstm, prompt, 12, beam_size=8, length_penalty=alpha,
                        stop_token=names.pad_id)  # fmt: skip
    print(f"alpha = {alpha}:", ", ".join(f"{names.decode(h.tokens)[:-1]} ({h.score:.2f})"
                                         for h in found[:6]))  # fmt: skip

# %% [markdown]
# For names, the most likely sequences are the most common short names: beam
# search finds *typical* outputs, not varied ones, which is why open-ended
# generation samples (with temperature, top-k or top-p) and beam search is kept
# for tasks with one right answer, such as translation (chapter 6).
#
# ## 7. The model ladder
#
# `python -m minilm tour` trains every model of chapters 1 to 5 on the names
# train split and scores each on the same test split. Its default run takes a
# few minutes on a 2-core CPU; `--full` trains bigger models for longer. The
# small models trained in this notebook:

# %%
print(format_table(results))

# %% [markdown] tags=["cites"]
# The bigram is at 2.450 nats per character and the 6-gram with Kneser-Ney at
# 1.990; the small MLP (2.129) and LSTM (2.166) trained here for a few seconds
# sit between them. The numbers from `python -m minilm tour` (default and
# `--full`) are in the main README ("The model ladder"). Two lessons from them.
# Context matters more than how a model is made: every model that sees several
# characters gets near 2 nats, far from the bigram. And on a corpus this small,
# a well-smoothed 6-gram is a hard baseline: it has memorized the common names,
# and the neural models only match it by default and pass it with more capacity
# and training (`--full`). The gap grows in the neural models' favour with more
# data and longer contexts, which is the road to chapter 7.
#
# ## Summary
#
# - A neural language model replaces counts by embeddings and a network, so
#   similar contexts share what they learn and the parameters grow linearly with
#   the context, not exponentially.
# - An RNN reads any length with the same weights; backpropagation through time
#   is ordinary backpropagation on the unrolled graph, and truncated BPTT with a
#   carried, detached state trains on long texts.
# - The gradient through time is a product of changing Jacobians bounded by
#   $\sigma_\max(W_{hh})^k$: it vanishes for certain when $\sigma_\max < 1$, may
#   explode above it; clipping bounds the step, gates with an additive path keep
#   the gradient alive when their gates are open.
# - Decoding is a choice: greedy and beam search find likely, typical outputs;
#   temperature, top-k and top-p sample varied ones.
#
# ## Exercises
#
# Each exercise is a file in `chapters/05_sequence_models/exercises/`: fill in the
# code between `### BEGIN YOUR SOLUTION` and `### END YOUR SOLUTION`, then grade
# one file or the whole folder:
#
# ```
# python -m minilm grade chapters/05_sequence_models/exercises/ex1_lstm_cell.py
# python -m minilm grade chapters/05_sequence_models/exercises/ex2_gru_cell.py
# python -m minilm grade chapters/05_sequence_models/exercises/ex3_top_p.py
# python -m minilm grade chapters/05_sequence_models/exercises/ex4_beam_step.py
# python -m minilm grade chapters/05_sequence_models/exercises/ex5_rnn_bptt.py
# python -m minilm grade chapters/05_sequence_models/exercises
# ```
#
# | exercise | task | points |
# | --- | --- | --- |
# | `ex1_lstm_cell.py` | one LSTM step in NumPy, in minilm's weight layout | 4 |
# | `ex2_gru_cell.py` | one GRU step in NumPy | 3 |
# | `ex3_top_p.py` | top-p (nucleus) filtering of logits, batched | 4 |
# | `ex4_beam_step.py` | one step of beam search | 4 |
# | `ex5_rnn_bptt.py` | backpropagation through time for a tanh RNN, by hand | 5 |
#
# Questions to think about:
#
# 1. The MLP model's first layer has $n d$ inputs. How many parameters does an
#    n-gram table need for the same context, and why can the MLP say something
#    about a context it has never seen?
# 2. The default LSTM's gradient decayed like $0.5^k$. What forget-gate value
#    would keep 10% of the gradient after 100 steps, and what bias gives it?
# 3. Clipping rescales the whole gradient when its norm is too large. Why does it
#    fix exploding gradients but do nothing for vanishing ones?
# 4. Beam search with $\alpha = 0$ prefers short names. Why does every extra
#    token lower a sequence's log-probability, and why does sampling not have
#    this problem?
#
# ## Further reading
#
# - Bengio, Ducharme, Vincent and Jauvin (2003), *A neural probabilistic
#   language model*.
# - Elman (1990), *Finding structure in time*: the simple recurrent network.
# - Hochreiter and Schmidhuber (1997), *Long short-term memory*; the forget gate
#   is from Gers, Schmidhuber and Cummins (2000).
# - Cho, van Merriënboer, Gulcehre, Bahdanau, Bougares, Schwenk and Bengio
#   (2014), *Learning phrase representations using RNN encoder-decoder for
#   statistical machine translation*: the GRU.
# - Pascanu, Mikolov and Bengio (2013), *On the difficulty of training recurrent
#   neural networks*: the singular-value bound and gradient clipping.
# - Holtzman, Buys, Du, Forbes and Choi (2020), *The curious case of neural text
#   degeneration*: nucleus (top-p) sampling.
