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
# # Chapter 9: Training and optimization
#
# Every model so far trained in one process, in float32. Large models are
# trained otherwise: in 16-bit floating point, on batches too big for one
# device, on many devices at once. Each of these changes *how* the same
# arithmetic is done, and each comes with a promise that the result stays (nearly)
# the same. This chapter measures each promise:
#
# 1. **floating-point formats**: what float32, float16 and bfloat16 can hold, and
#    why an update can vanish;
# 2. **mixed precision**: matrix products in 16 bits, master weights in 32;
#    gradients that underflow, and the loss scaling that rescues them;
# 3. **batch size and gradient accumulation**: a bigger batch without more
#    memory, and how the learning rate should follow the batch size;
# 4. **data parallelism on MPI**: K processes that train one model, the ring
#    allreduce that sums their gradients, and a live run that equals one process;
# 5. **pipeline parallelism**: a model cut into stages, the GPipe schedule and
#    its bubble.
#
# Part 2 starts from one trained GPT and makes it smaller, measuring what each
# way costs in quality:
#
# 6. **quantization**: int8 and int4 weights, integer matrix products, and
#    quantization-aware training;
# 7. **pruning**: zeroing the smallest weights, or removing whole heads and
#    neurons;
# 8. **knowledge distillation**: a small student taught by the big model;
# 9. **hyperparameter search**: grid, random and successive halving at equal
#    budgets;
# 10. **ensembles**: averaging language models, and bagging a classifier;
# 11. all of it on one table of size against quality.
#
# On a CPU the 16-bit formats are *emulated* (the values are rounded exactly as
# the formats round them; the speed is not a GPU's), and the parallel runs use
# two processes on one machine: the numerics and the communication are real,
# the scale is not. The default run takes a minute or two on a laptop CPU;
# `MINILM_FULL=1` trains longer.

# %%
import contextlib
import importlib.util
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import matplotlib.pyplot as plt
import ml_dtypes

import minilm
import minilm.functional as F
import minilm.optim as optim
from minilm import distributed, pipeline, precision
from minilm.backend import np
from minilm.bench import batch_size as batch_bench
from minilm.course import repo_root, show
from minilm.data import lm_batch
from minilm.data.lm_corpus import CharCorpus, padded_batch
from minilm.models.gpt import GPT, GPTConfig
from minilm.ops.arith import matmul
from minilm.pipeline import bubble_fraction, gpipe_schedule
from minilm.recipes.gpt import GPTTrainConfig, evaluate_gpt, train_gpt
from minilm.tour import GPT_SIZES
from minilm.train import cross_entropy_loss, fit

FULL = os.environ.get("MINILM_FULL") == "1"
minilm.manual_seed(0)
bfloat16 = ml_dtypes.bfloat16

# %% [markdown]
# ## 1. Floating-point formats
#
# A binary floating-point number is $(-1)^s \times 1.m \times 2^{e - \text{bias}}$:
# a sign bit $s$, an exponent $e$ of a few bits, and a mantissa $m$ holding the
# bits after the binary point. The exponent's bits decide the **range** (how
# large and how small a number can be), the mantissa's bits the **precision**
# (how close two neighbouring numbers are). Three formats matter for training:
#
# - **float32**: 1 + 8 + 23 bits, the default everywhere so far;
# - **float16** (IEEE half): 1 + 5 + 10 bits: half the memory, and the format
#   GPUs multiply fastest (tensor cores), but a narrow range;
# - **bfloat16** ("brain float", from Google's TPUs): 1 + 8 + 7 bits: the
#   *top half* of a float32, so it has float32's range with far fewer digits.
#
# NumPy knows float32 and float16; `ml_dtypes` adds bfloat16. Here are the
# bits of a few numbers in each, split into sign | exponent | mantissa:

# %%
FORMATS = {"float32": (np.float32, np.uint32, 8), "float16": (np.float16, np.uint16, 5),
           "bfloat16": (bfloat16, np.uint16, 8)}  # fmt: skip


def bit_fields(value, name):
    dtype, as_int, n_exp = FORMATS[name]
    bits = np.array([value], dtype=dtype).view(as_int)[0]
    text = format(int(bits), f"0{8 * np.dtype(as_int).itemsize}b")
    return f"{text[0]} {text[1 : 1 + n_exp]} {text[1 + n_exp :]}"


for value in [1.0, -2.5, 0.1]:
    for name in FORMATS:
        stored = float(np.array([value], dtype=FORMATS[name][0])[0])
        print(f"{value:5} {name:9s} {bit_fields(value, name):34s} holds {stored!r}")

# %% [markdown]
# 0.1 has no finite binary expansion, so every format stores a neighbour of it,
# and the fewer mantissa bits, the further that neighbour. What each format can
# hold, from `np.finfo` and `ml_dtypes.finfo`: `max` the largest finite value,
# `smallest normal` the smallest with a full mantissa, `smallest subnormal` the
# smallest nonzero value (below the normals the exponent is stuck at its
# minimum and precision drains away bit by bit), and `eps` the spacing of
# numbers just above 1.0:

# %%
print(f"{'format':9s} {'bits':>4s} {'exp':>3s} {'mant':>4s} {'max':>12s} "
      f"{'smallest normal':>16s} {'smallest subnormal':>19s} {'eps':>10s}")  # fmt: skip
for name, (dtype, _, _) in FORMATS.items():
    fi = ml_dtypes.finfo(dtype)
    print(f"{name:9s} {fi.bits:4d} {fi.nexp:3d} {fi.nmant:4d} {float(fi.max):12.4g} "
          f"{float(fi.smallest_normal):16.4g} {float(fi.smallest_subnormal):19.4g} "
          f"{float(fi.eps):10.7g}")  # fmt: skip

# %% [markdown] tags=["cites"]
# float16's whole range is 65504 down to about 6e-08; a gradient entry smaller
# than that becomes exactly zero. bfloat16 reaches as far as float32 (3.4e+38,
# subnormals down to 9.2e-41) but its eps is 0.0078125: about two decimal
# digits.
#
# The spacing between neighbouring numbers grows with their size: it is
# $2^{e}\cdot\text{eps}$ for numbers in $[2^e, 2^{e+1})$, a constant *relative*
# spacing. We measure it by adding 1 to each value's bit pattern (the next
# representable number up) and plotting the gap against the magnitude:


# %%
def spacing(x, name):
    """The gap from each value of x (rounded to the format) to the next one up."""
    dtype, as_int, _ = FORMATS[name]
    with np.errstate(over="ignore", invalid="ignore"):  # past the max: inf, and inf - inf
        v = np.asarray(x, dtype=np.float64).astype(dtype)
        up = (v.view(as_int) + 1).view(dtype)
        return up.astype(np.float64) - v.astype(np.float64), v.astype(np.float64)


mags = np.logspace(-9, 6, 3000)
fig, ax = plt.subplots(figsize=(8, 4.5))
for name, color in zip(FORMATS, ["tab:blue", "tab:orange", "tab:green"]):
    gap, held = spacing(mags, name)
    ok = np.isfinite(held) & np.isfinite(gap) & (held > 0)
    ax.loglog(mags[ok], gap[ok], color=color, lw=2)
    ax.annotate(name, (mags[ok][-1] * 1.5, gap[ok][-1]), color=color, va="center", fontsize=10)
f16 = ml_dtypes.finfo(np.float16)
ax.axvline(float(f16.smallest_normal), color="tab:orange", ls=":", lw=1)
ax.annotate("float16 smallest normal", (float(f16.smallest_normal) * 1.4, 1e-5), rotation=90,
            va="bottom", fontsize=8)  # fmt: skip
ax.axvline(65504, color="tab:orange", ls=":", lw=1)
ax.annotate("float16 max", (65504 / 1.4, 1e-15), rotation=90, ha="right", va="bottom",
            fontsize=8)  # fmt: skip
ax.annotate("float16 subnormals:\nconstant spacing 6e-8", xy=(1e-6, 6e-8), xytext=(1e-9, 1e-3),
            fontsize=9, arrowprops={"arrowstyle": "->", "color": "tab:orange"})  # fmt: skip
ax.set_xlim(5e-10, 1e9)
ax.set_xlabel("magnitude |x|")
ax.set_ylabel("gap to the next representable number")
ax.set_title("Spacing of representable numbers")
ax.grid(alpha=0.3, which="both")
plt.show()

# %% [markdown]
# Three straight staircases of slope one (constant relative spacing, each step
# an exponent), offset by their mantissa widths: bfloat16's numbers are 8 times
# sparser than float16's, which are 8192 times sparser than float32's. float16's
# line stops at 65504, and below its smallest normal it turns flat: the
# subnormals, evenly spaced, fewer and fewer significant bits.
#
# **Why the weights stay float32.** An optimizer step moves a weight by a
# learning rate times something of order one: often $10^{-4}$ of the weight or
# less. Next to 1.0, float16's numbers are 0.000977 apart, so a weight of 1.0
# plus $10^{-4}$ rounds back to 1.0, every time:

# %%
for name in FORMATS:
    dtype = FORMATS[name][0]
    w = np.array([1.0], dtype=dtype)
    once = w + np.array([1e-4], dtype=dtype)
    for _ in range(1000):  # a thousand steps of +1e-4
        w = w + np.array([1e-4], dtype=dtype)
    print(f"{name:9s} 1.0 + 1e-4 = {float(once[0])!r:22s} after 1000 such steps: "
          f"{float(w[0])!r} (exact: 1.1)")  # fmt: skip

# %% [markdown]
# In float16 or bfloat16 the weight never moves. This is why mixed-precision
# training (Micikevicius et al., 2018) keeps a float32 **master copy** of the
# weights, and the optimizer's state, and uses 16 bits only where it is both
# safe and fast: the matrix products.
#
# How does a float32 become a bfloat16? Round its 32-bit pattern to the nearest
# multiple of $2^{16}$, ties to the even neighbour: integer arithmetic on the
# bits, and the exercise below.

# %% [markdown]
# **Exercise 1** (`exercises/ex1_bfloat16_rounding.py`): round float32 to
# bfloat16 by hand, on the bits, with round-to-nearest-even, infinities and
# NaN. Grade it with
#
# ```
# python -m minilm grade chapters/09_training_and_optimization/exercises/ex1_bfloat16_rounding.py
# ```

# %% [markdown]
# Check your answer (after grading): minilm rounds any array to a low format by
# converting it there and back (`ml_dtypes` does the bit work for bfloat16):

# %%
show(precision.round_array)
x = np.array([1.0 + 2**-8, 1.0 + 3 * 2**-8, 1.0 + 2**-8 + 2**-20, 3.4e38], dtype=np.float32)
print("x                     ", x.tolist())
print("rounded to bfloat16   ", precision.round_array(x, bfloat16).tolist())
print("rounded to float16    ", precision.round_array(x, np.float16).tolist())

# %% [markdown]
# The first two values sit exactly halfway between two bfloat16 numbers: one
# rounds down, the other up, each to the neighbour whose last mantissa bit is 0.
# The third is a hair above halfway and rounds up. 3.4e38 is beyond float16's
# range: infinity.
#
# ## 2. Mixed precision in minilm
#
# `minilm.precision.autocast` marks a region where the matrix products run in a
# low precision. Inside it, `F.linear` and `matmul` (the `@` operator) read
# their operands as the low format holds them and round their result; every
# other op (softmax, cross-entropy, layer norm, sums of many terms and
# exponentials) computes in float32. These are the `to_low` calls:

# %%
show(F.linear)
show(matmul)
show(precision.to_low)

# %% [markdown]
# **What the CPU does, plainly.** NumPy's float16 matmul is two orders of
# magnitude slower than its float32 one and NumPy has no bfloat16, so on the
# CPU minilm *emulates*: arrays stay float32, rounded to exactly the values the
# low format can hold (the same rounding, range, underflow and overflow) at
# each product's inputs and output, and in the backward pass the gradient
# arriving at a rounded value is rounded too. The products themselves run in
# float32. On a GPU the operands are real float16 arrays and CuPy's float16
# kernels run (CuPy has no bfloat16, so `bf16` is CPU-only). `describe` says
# which, as `python -m minilm train --precision fp16` prints it:

# %%
print(precision.describe("fp16", "cpu"))
print(precision.describe("fp16", "cuda"))
a = minilm.tensor([[1.0 + 2**-12, 3.0]])  # 1 + 2^-12 needs 12 mantissa bits
b = minilm.tensor([[1.0], [1e-4]])
with precision.autocast("fp16"):
    y16 = a @ b
with precision.autocast("bf16"):
    y_bf = a @ b
print("float32:", (a @ b).item(), " fp16 autocast:", y16.item(), " bf16 autocast:", y_bf.item(),
      " dtype inside autocast:", y16.dtype)  # fmt: skip

# %% [markdown] tags=["cites"]
# In float32 the product is 1.000544. Inside autocast the operand $1 + 2^{-12}$
# is rounded to 1 (float16 keeps 10 mantissa bits), and the result,
# $1 + 0.0003$, is rounded too: float16's numbers next to 1 are $2^{-10}$ apart,
# so it becomes 1.0, held in a float32 array.

# %% [markdown]
# ### Gradients that underflow
#
# Rounding the backward pass to float16 loses every gradient entry smaller than
# float16's smallest subnormal. `precision.gradient_underflow` measures it on
# one batch: the same forward and backward pass in float32 and under autocast,
# and the share of gradient entries that are nonzero in float32 but exactly
# zero in float16. We use the small GPT of the tour (2 layers, width 64) on a
# batch of 32 names, at initialization:

# %%
corpus = CharCorpus.load("names")
train_names = corpus.split("train")
size = GPT_SIZES["default"]
longest = max(len(s) for s in train_names) - 1  # a whole name fits in the context, as in the tour
gpt_config = GPTConfig(vocab_size=corpus.vocab_size, n_layer=size["n_layer"],
                       n_head=size["n_head"], n_embd=size["n_embd"],
                       block_size=max(size["block_size"], longest))  # fmt: skip


def name_batches(seed, batch_size=32):
    gen = np.random.default_rng(seed)
    return lambda: padded_batch([train_names[i] for i in gen.integers(0, len(train_names),
                                                                      batch_size)])  # fmt: skip


minilm.manual_seed(0)
gpt = GPT(gpt_config)
gpt.eval()  # no dropout: the float32 and the float16 pass see the same network
batch = name_batches(0)()
u = precision.gradient_underflow(gpt, cross_entropy_loss, batch, "fp16")
print(f"gradient entries: zero in float32 {u['zero_fp32']:.2%}, lost to float16 underflow "
      f"{u['underflow']:.3%}; relative error of the float16 gradient "
      f"{u['rel_error']:.2e}")  # fmt: skip
cross_entropy_loss(gpt, batch).backward()
grads = np.concatenate([p.grad.numpy().ravel() for p in gpt.parameters()])
gpt.zero_grad()
nonzero = np.abs(grads[grads != 0])
print(f"|gradient| entries: largest {nonzero.max():.3g}, median {np.median(nonzero):.3g}, "
      f"smallest {nonzero.min():.3g}")  # fmt: skip
print(f"largest times 2**16 = {nonzero.max() * 2**16:,.0f} (float16's max: 65,504)")

# %% [markdown]
# At this model's size, unscaled float16 loses almost nothing: the typical
# gradient entry is around $10^{-3}$, far above $6\times10^{-8}$. Deep networks
# are different: the gradient of an early layer is a product of many factors
# smaller than one, and in a detector Micikevicius et al. trained (SSD), many
# activation gradients fell below float16's smallest subnormal, while most of
# float16's range above them went unused. We can make our small
# network's gradients as small by multiplying its loss by $2^{-k}$: every
# gradient entry shrinks by exactly $2^{-k}$ (a power of two only shifts
# exponents). Then we measure the underflow without scaling, with the loss
# scaled by a fixed $2^{16}$ (and divided out of the float32 gradients after),
# and in bfloat16:

# %%
ks = list(range(0, 34, 2))
sweep = {"float16, no scaling": [], "float16, loss scaled by 2^16": [], "bfloat16, no scaling": []}
for k in ks:

    def shrunk(model, batch, k=k):  # a network whose gradients are 2^k times smaller
        return cross_entropy_loss(model, batch) * 2.0**-k

    for label, (prec, scale) in zip(sweep, [("fp16", 1.0), ("fp16", 2.0**16), ("bf16", 1.0)]):
        sweep[label].append(precision.gradient_underflow(gpt, shrunk, batch, prec, scale))

fig, axes = plt.subplots(1, 2, figsize=(12, 4.3))
for label, rows in sweep.items():
    axes[0].plot(ks, [100 * r["underflow"] for r in rows], "o-", label=label)
    axes[1].semilogy(ks, [r["rel_error"] for r in rows], "o-")
axes[0].set_ylabel("gradient entries lost to underflow (%)")
axes[1].set_ylabel("relative error of the gradient")
for ax in axes:
    ax.set_xlabel("k: the loss multiplied by $2^{-k}$")
    ax.grid(alpha=0.3)
fig.legend(loc="upper center", ncol=3)
fig.tight_layout(rect=(0, 0, 1, 0.92))
plt.show()
for k, a_, b_ in zip(ks, sweep["float16, no scaling"], sweep["float16, loss scaled by 2^16"]):
    if k in (0, 4, 8, 12, 14, 24, 28, 30):
        print(f"k={k:2d}: without scaling lost {a_['underflow']:6.2%} (relative error "
              f"{a_['rel_error']:.1e}); loss scaled by 2^16: lost "
              f"{b_['underflow']:6.2%}")  # fmt: skip
logits = gpt(batch[0])
(dlogits,) = minilm.grad(F.cross_entropy(logits, batch[1]), [logits])
d = np.abs(dlogits.numpy())
print(f"median |d loss / d logit| = {np.median(d[d > 0]):.2e}: under float16's smallest "
      f"subnormal ({float(f16.smallest_subnormal):.2e}) once multiplied by 2^-13 "
      f"({np.median(d[d > 0]) * 2.0**-13:.1e})")  # fmt: skip

# %% [markdown]
# Without scaling, the error of the float16 gradient grows long before entries
# vanish: below float16's smallest normal the subnormals keep fewer and fewer
# significant bits, so at $k = 4$ the gradient is already less accurate, and at
# $k = 8$ a few percent of its entries are zero. At $k = 14$ the loss of entries
# jumps to almost all of them: the gradient of the logits, the first thing the
# backward pass rounds (about $1.5\times10^{-4}$ per entry here: one over the
# batch's tokens, shared over the vocabulary), underflows itself, and then
# nothing flows back at all. Multiplying the loss by $2^{16}$ moves both curves
# 16 to the right: the same gradients, held $2^{16}$ times higher in float16's
# range. bfloat16 never underflows here (it has float32's exponent range), but
# its relative error stays near $4\times10^{-3}$: fewer digits in every entry.
#
# **Loss scaling.** Multiply the loss by $S$ before the backward pass; every
# gradient is then $S$ times larger (the chain rule is linear in the loss);
# divide the float32 gradients by $S$ before the update. The update is unchanged,
# but the float16 backward pass held values $S$ times further from underflow.
# How large may $S$ be? Up to the point where the largest gradient entry times
# $S$ overflows float16's 65504 to infinity. Our largest entry times $2^{16}$
# (printed above) fits, by a factor of about two: $2^{17}$ would be too much.
# The right $S$ changes during training, so **dynamic loss scaling** searches for
# it: start high; when the scaled gradients contain an inf or a NaN, skip that
# step and halve $S$; after a run of clean steps (1000 by default), try doubling
# it.

# %% [markdown]
# **Exercise 2** (`exercises/ex2_loss_scaler.py`): unscale a step's gradients
# and detect an overflow, and write the rule that moves the scale. Grade it with
#
# ```
# python -m minilm grade chapters/09_training_and_optimization/exercises/ex2_loss_scaler.py
# ```

# %% [markdown]
# Check your answer (after grading): minilm's rule, and the `LossScaler` that
# `fit(precision="fp16")` uses around it.

# %%
show(precision.scaler_update)
show(precision.LossScaler.unscale_)

# %% [markdown]
# ### Dynamic loss scaling at work
#
# `fit(..., precision="fp16")` uses a dynamic scaler starting at $2^{16}$. Our
# GPT's mean loss fits at $2^{16}$, so to see the scaler work, train on a loss
# whose gradients are bigger: the cross-entropy *summed* over the batch's tokens
# instead of averaged (a common choice, and a few hundred times larger). With
# AdamW, which divides each step by the gradient's own size, the training is
# the same either way; only the float16 range notices. The overflowing backward
# passes make infinities and NaNs on purpose, so NumPy's warnings are silenced:


# %%
def summed_loss(model, batch):
    x, y = batch
    return F.cross_entropy(model(x), y, reduction="sum")


minilm.manual_seed(0)
model = GPT(gpt_config)
with np.errstate(all="ignore"):
    hist = fit(model, optim.AdamW(model.parameters(), lr=3e-3), name_batches(1), 30,
               loss_fn=summed_loss, precision="fp16", loss_scale="dynamic",
               progress=False)  # fmt: skip
print("loss scale at steps 1..12:", [f"{s:g}" for s in hist.loss_scale[:12]])
print("steps skipped for overflow:", hist.overflows)
print(f"the scale stays at {hist.loss_scale[-1]:g}; summed loss {hist.loss[0]:.0f} -> "
      f"{hist.loss[-1]:.0f}")  # fmt: skip

# %% [markdown]
# Each skipped step is one halving. Once the scaled gradients fit, the scale
# stays; after 1000 clean steps it tries doubling, and if that overflows, one
# step is skipped and the scale halves back. So after the start, at most about
# one step in a thousand is lost.
#
# ### Four precisions, trained
#
# The same GPT, from the same seed on the same batches, trained for 150 steps in
# float32, in float16 with dynamic loss scaling, in float16 without scaling
# (`loss_scale=1`), and in bfloat16; then again with the loss multiplied by
# $2^{-14}$, standing in for a network with tiny gradients. Validation loss in
# nats per character:

# %%
RUNS = [("fp32", "fp32", "dynamic"), ("fp16, dynamic scaling", "fp16", "dynamic"),
        ("fp16, no scaling", "fp16", 1.0), ("bf16", "bf16", "dynamic")]  # fmt: skip
steps = 600 if FULL else 150


def train_in(prec, loss_scale, k):
    minilm.manual_seed(0)
    model = GPT(gpt_config)

    def loss_fn(model, batch):
        return cross_entropy_loss(model, batch) * 2.0**-k

    t0 = time.perf_counter()
    hist = fit(model, optim.AdamW(model.parameters(), lr=3e-3), name_batches(2), steps,
               loss_fn=loss_fn, precision=prec, loss_scale=loss_scale, progress=False)  # fmt: skip
    seconds = time.perf_counter() - t0
    return evaluate_gpt(model, corpus, "val"), hist, seconds


results = {}
minilm.manual_seed(0)
print(f"untrained: {evaluate_gpt(GPT(gpt_config), corpus, 'val'):.4f}")
print(f"{'':24s} {'loss x 1':>10s} {'loss x 2^-14':>13s}")
for label, prec, loss_scale in RUNS:
    plain, _, seconds = train_in(prec, loss_scale, 0)
    tiny = train_in(prec, loss_scale, 14)[0]
    results[label] = (plain, tiny)
    print(f"{label:24s} {plain:10.4f} {tiny:13.4f}   ({seconds:.1f} s for {steps} steps)")

# %% [markdown]
# At this scale the four agree to about the third decimal: rounding every matrix
# product to float16 or bfloat16 costs this model nothing measurable. With the
# tiny gradients, float16 without scaling falls apart, ending worse than the
# untrained model (the next cell shows why), while dynamic loss scaling trains
# as float32 does, and
# bfloat16, with float32's range, needs no scaling at all. (The second column
# differs from the first even in float32: AdamW divides by $\sqrt{v} +
# \epsilon$, and its $\epsilon = 10^{-8}$ is no longer negligible beside
# gradients $2^{14}$ times smaller.) The seconds are the emulation's,
# not a speed measurement: rounding costs extra work on a CPU, while on a GPU
# the 16-bit products are the fast part.
#
# Which parameters does unscaled float16 still train at $2^{-14}$? One backward
# pass under `autocast`, counting each parameter's nonzero gradient entries:

# %%
with precision.autocast("fp16"):
    tiny_loss = cross_entropy_loss(gpt, batch) * 2.0**-14
tiny_loss.backward()
for name, p in gpt.named_parameters():
    share = float((p.grad.numpy() != 0).mean())
    if share > 0:
        print(f"{name}: {share:.0%} of its gradient entries are nonzero")
print("every other parameter: all zero")
gpt.zero_grad()

# %% [markdown]
# Only the token embedding, which this GPT also uses as its output layer (tied
# weights), gets a gradient. Of the logits' gradient $(p - \text{onehot})/N$,
# only the largest entries survive the rounding: the $(p_y - 1)/N$ at each
# target, "raise the right letter", without the small "lower every other
# letter" entries. Nothing reaches the layers below. AdamW, which gives every
# entry a step of about the learning rate whatever the gradient's size, follows
# this lopsided gradient at full speed.
#
# The full table, from `python -m minilm.bench precision`, for a bigger GPT
# and an LSTM on names and tinyshakespeare, is in this chapter's README.
#
# ## 3. Batch size and gradient accumulation
#
# A step's gradient is a mean over the batch. When a batch of $B$ does not fit
# in memory, split it into $K$ micro-batches of $B/K$, run forward and backward
# on each, and let the gradients add up in `.grad` before one optimizer step,
# each micro-batch's loss multiplied by $1/K$:
#
# $$ \nabla \frac{1}{B}\sum_{i=1}^{B} \ell_i
#    = \frac{1}{K}\sum_{k=1}^{K} \nabla \frac{1}{B/K}\sum_{i \in \text{micro-batch } k} \ell_i . $$
#
# The equality holds when every micro-batch has the same number of terms (here:
# windows of text all of one length; with padded names of different lengths,
# a mean over tokens weights the micro-batches differently). `fit(...,
# accumulate=K)` does it. Measured: train once on batches of 32 windows, once
# on the same windows as pairs of 16 with `accumulate=2`:

# %%
shakespeare = CharCorpus.load("tinyshakespeare")
ids = shakespeare.split("train")[0]
small = GPTConfig(vocab_size=shakespeare.vocab_size, block_size=32, n_layer=2, n_head=4,
                  n_embd=64)  # fmt: skip
gen = np.random.default_rng(0)
big_batches = [lm_batch(ids, 32, 32, rng=gen) for _ in range(20)]
halves = [(x[i : i + 16], y[i : i + 16]) for x, y in big_batches for i in (0, 16)]


def trained(data, accumulate):
    minilm.manual_seed(0)
    model = GPT(small)
    fit(model, optim.AdamW(model.parameters(), lr=1e-3), data, 20, accumulate=accumulate,
        progress=False)  # fmt: skip
    return {n: p.numpy() for n, p in model.named_parameters()}


def max_diff(a, b):
    return max(float(np.abs(a[n] - b[n]).max()) for n in a)


whole, accumulated = trained(big_batches, 1), trained(halves, 2)
half_only = trained(halves[::2], 1)  # batches of 16, no accumulation: another model
minilm.manual_seed(0)
start = {n: p.numpy() for n, p in GPT(small).named_parameters()}
print(f"max |parameter change| over 20 steps:          {max_diff(whole, start):.2e}")
print(f"batch 32 vs 2 x 16 accumulated, max |diff|:    {max_diff(whole, accumulated):.2e}")
print(f"batch 32 vs batch 16 (no accumulation):        {max_diff(whole, half_only):.2e}")

# %% [markdown]
# Accumulation gives the batch-32 model to float32 rounding (the sums are taken
# in another order, and Adam's division by the gradient's size magnifies the
# rounding of near-zero entries a little); training on half the batch gives a
# different model. Accumulation buys the *statistics* of a large batch; it does
# not buy speed (the same arithmetic, done one micro-batch after another).
#
# ### How the learning rate follows the batch size
#
# With $K$ times the batch, a run over the same data takes $K$ times fewer
# steps. The **linear scaling rule** (Goyal et al., 2017) says: multiply the
# learning rate by $K$ too. For plain SGD and small steps, $K$ steps of
# $\eta$ on batches $B_1..B_K$ move the weights by about
# $-\eta\sum_k \nabla L_{B_k}$, and one step of $K\eta$ on their union moves them
# by the same $-K\eta\,\nabla L_{B_1\cup\dots\cup B_K}$: the rule holds while the
# gradient changes little over $K$ steps, and it breaks early in training (hence
# a warmup) and when $K\eta$ is too large to be stable. For Adam, whose step
# does not grow with the gradient, a square-root rule ($\eta \propto \sqrt{K}$)
# is often closer. `minilm.bench.batch_size` trains the tour's GPT on the same
# number of names at several batch sizes under each rule; its quick mode:

# %%
quick = batch_bench.QUICK
if FULL:  # the README's table: every batch size and rule, 12,800 names, two seeds
    rows = batch_bench.run(seeds=(0, 1), log=None)
else:
    rows = batch_bench.run(quick["batch_sizes"], quick["rules"], examples=quick["examples"],
                           log=None)  # fmt: skip
print(batch_bench.table(rows))
batch_bench.plot(rows)
plt.show()

# %% [markdown]
# Read the table along a column: every run saw the same names, so a row with
# a larger batch took proportionally fewer steps. These are short runs of one
# seed (the quick mode), so they show the small-budget end of the story: as the
# batch grows and the steps become few, the loss rises under any rule, and a
# learning rate scaled up linearly for AdamW (whose step size does not grow with
# the gradient, unlike SGD's, for which the rule was derived) is not what the
# large batches need. The README's table, from the full benchmark (three times
# the names, two seeds, and a sweep of learning rates at batch 32 and 256),
# shows where the rule holds, where it breaks, and what the largest batch
# reaches at its best learning rate.
#
# ## 4. Data-parallel training on MPI
#
# Data parallelism trains one model on $K$ processes (GPUs, or here CPU
# processes), each with a copy of the whole model, each taking a share of every
# batch. It rests on three promises:
#
# 1. **the same start**: every rank (process) begins from the same parameters
#    (rank 0's are broadcast);
# 2. **its own micro-batches**: each step, rank $r$ computes the gradient of its
#    share of the batch only;
# 3. **allreduce**: before the update, the gradients are summed over the ranks,
#    so every rank applies the same update and the copies stay identical.
#
# Kept together, they make $K$ processes one process with `accumulate=K`: the
# same model, to rounding. The expensive part is promise 3: every step, every
# rank must end with the sum of $K$ gradients as large as the model.
#
# ### Ring allreduce
#
# The ranks stand in a ring. Each cuts its gradient into $K$ chunks. In the
# **reduce-scatter** phase, at each of $K-1$ steps every rank passes one chunk to
# its right neighbour, which adds it into its own; afterwards, rank $r$ holds the
# full sum of one chunk. In the **all-gather** phase, $K-1$ more steps pass the
# finished chunks around the ring, each overwriting the stale copy. Each rank
# sends $2(K-1)$ chunks of $n/K$ numbers: $2(K-1)/K$ times its gradient, under
# twice its size *whatever $K$ is*, and all links are busy at once (Patarasuk and
# Yuan, 2009). That is why MPI and NCCL use it for large messages.

# %% [markdown]
# **Exercise 3** (`exercises/ex3_ring_allreduce.py`): one reduce-scatter step
# and one all-gather step, with a list of NumPy arrays standing in for the
# ranks. Grade it with
#
# ```
# python -m minilm grade chapters/09_training_and_optimization/exercises/ex3_ring_allreduce.py
# ```

# %% [markdown]
# Check your answer (after grading): minilm's two steps, and the allreduce
# made of them.

# %%
show(distributed.ring_reduce_scatter_step)
show(distributed.ring_allgather_step)
show(distributed.ring_allreduce)

# %% [markdown]
# Run on four "ranks" holding 1, 10, 100, 1000 at every entry: after the
# reduce-scatter, each rank holds one finished chunk (1111) and partial sums
# elsewhere; after the all-gather, every rank holds 1111 everywhere.

# %%
K, n = 4, 8
buffers = [np.full(n, 10.0**r) for r in range(K)]
for s in range(K - 1):
    distributed.ring_reduce_scatter_step(buffers, s)
print("after the reduce-scatter:")
for r, b in enumerate(buffers):
    print(f"  rank {r}: {b.astype(int).tolist()}")
for s in range(K - 1):
    distributed.ring_allgather_step(buffers, s)
print("after the all-gather:")
for r, b in enumerate(buffers):
    print(f"  rank {r}: {b.astype(int).tolist()}")
rng = np.random.default_rng(0)
arrays = [rng.normal(size=1001) for _ in range(5)]
out = distributed.ring_allreduce(arrays)
print("5 ranks, 1001 numbers: max |ring - sum| =",
      max(float(np.abs(o - np.sum(arrays, axis=0)).max()) for o in out))  # fmt: skip
n = 10**6 + 1  # numbers in each rank's buffer
for K in [2, 4, 8, 64]:
    size = [n * (i + 1) // K - n * i // K for i in range(K)]  # the K chunks' sizes
    sent = [sum(size[(r - s) % K] + size[(r + 1 - s) % K] for s in range(K - 1))
            for r in range(K)]  # what rank r sends in the two phases  # fmt: skip
    print(f"K={K:2d}: each rank sends {max(sent) / n:.4f} x its buffer "
          f"(2(K-1)/K = {2 * (K - 1) / K:.4f})")  # fmt: skip

# %% [markdown]
# ### minilm's data parallelism
#
# `mpiexec -n K python -m minilm train ...` starts K copies of the program;
# `minilm.distributed.world()` tells each its rank. `fit(..., world=...)` keeps
# the three promises: it broadcasts rank 0's parameters, draws the same
# `accumulate * K` micro-batches on every rank and computes only its own, and
# sums the gradients with `GradientSync`, which packs them into buckets of
# about 4 MB (one MPI `Allreduce` per bucket: one call per parameter would pay
# MPI's per-message latency hundreds of times a step). MPI's own `Allreduce`
# picks its algorithm (a ring, or a tree for small messages); the ring above is
# how the large ones work.

# %%
show(distributed.broadcast_parameters)
show(distributed.GradientSync.__call__)

# %% [markdown]
# ### A live run: two processes equal one process with `--accumulate 2`
#
# Train the tour's GPT on names for 50 steps with two MPI processes, then in one
# process with `--accumulate 2`, save both, and compare every parameter. (MPI
# comes with `pip install 'minilm[parallel]'`: mpi4py and an MPICH wheel. Where
# it is missing, the cell says so and skips.)

# %%
here = Path(sys.executable).parent
MPIEXEC = shutil.which("mpiexec", path=str(here)) or shutil.which("mpiexec")
HAVE_MPI = MPIEXEC is not None and importlib.util.find_spec("mpi4py") is not None
if not HAVE_MPI:
    print("SKIPPED: mpiexec or mpi4py is missing, so the two-process runs below do not run. "
          "Install them with: pip install 'minilm[parallel]'")  # fmt: skip
work = Path(tempfile.mkdtemp(prefix="minilm-ch09-"))
env = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"}  # 1 thread a process
train = [sys.executable, "-m", "minilm", "train", "--model", "gpt", "--corpus", "names",
         "--steps", "150" if FULL else "50", "--seed", "0"]  # fmt: skip


def run(cmd):
    done = subprocess.run(cmd, cwd=work, env=env, capture_output=True, text=True, timeout=600)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed:\n{done.stdout}\n{done.stderr}")
    rate = re.findall(r"tok/s=([\d,]+)", done.stderr)
    lines = [ln for ln in done.stdout.splitlines() if ln.startswith(("train time", "allreduce",
                                                                     "data parallel"))]  # fmt: skip
    return lines + ([f"tokens/s    {rate[-1]} (the progress bar's last reading)"] if rate else [])


if HAVE_MPI:
    from safetensors.numpy import load_file

    print("$ mpiexec -n 2 python -m minilm train ... --save parallel.safetensors")
    print("\n".join(run([MPIEXEC, "-n", "2", *train, "--save", "parallel.safetensors"])))
    print("$ python -m minilm train ... --accumulate 2 --save single.safetensors")
    print("\n".join(run([*train, "--accumulate", "2", "--save", "single.safetensors"])))
    a, b = load_file(work / "parallel.safetensors"), load_file(work / "single.safetensors")
    params = [k for k in a if k.startswith("tensors/")]
    worst = max(float(np.abs(a[k] - b[k]).max()) for k in params)
    print(f"{len(params)} parameter tensors; max |2 processes - 1 process, accumulate 2| = {worst}")

# %% [markdown]
# The two models agree to the last bit, or to float32 rounding where the sum
# over ranks is taken in another order than one process accumulates. The
# `allreduce` line is the communication: one bucket, under half a megabyte a
# step, about a millisecond between two processes on one machine. The two
# tokens-per-second readings measure the rest: each process does half of a
# step's arithmetic, so on two *free* cores two processes approach twice one
# process's rate; on a busy machine (when the course's tests run two notebooks
# at once, say) the second process has no core of its own and gains little or
# nothing.
#
# **On a real cluster**, the program does not change; what changes is below it:
#
# - `mpiexec -n 16 -f hostfile python -m minilm train ...` (MPICH's Hydra; Open
#   MPI says `--hostfile`) starts the ranks on several machines, the hostfile
#   listing them, and MPI carries the allreduce over the network;
# - on GPUs the gradients stay on the device and the allreduce is NCCL's
#   (PyTorch's `DistributedDataParallel`, Li et al. 2020, overlaps it with the
#   backward pass bucket by bucket); minilm copies CuPy arrays through the host;
# - the cost of a ring allreduce of $N$ bytes is about
#   $2\frac{K-1}{K}\cdot N/\text{bandwidth}$ per step, plus latency: it barely
#   grows with $K$, but it is paid every step, so it must stay small next to the
#   step's compute.

# %%
n_params = sum(p.size for p in gpt.parameters())  # the GPT trained by the command above
for what, n_bytes, bandwidth in [(f"this GPT ({n_params:,} params, float32)", n_params * 4, 10e9),
                                 ("GPT-2 small (124M, float32)", 124e6 * 4, 10e9),
                                 ("a 7B model (float16 gradients)", 7e9 * 2, 100e9)]:  # fmt: skip
    for K in [2, 8, 64]:
        seconds = 2 * (K - 1) / K * n_bytes / bandwidth
        print(f"{what:36s} K={K:2d} at {bandwidth / 1e9:3.0f} GB/s: {1000 * seconds:9.3f} ms "
              "a step")  # fmt: skip

# %% [markdown]
# What does not change: the three promises, and so the result, which is one
# process's with `accumulate=K`.
#
# ## 5. Pipeline parallelism
#
# Data parallelism needs the whole model on every device. When it does not fit,
# cut the *model*: **pipeline parallelism** gives each of $S$ ranks a
# consecutive **stage** of layers (`minilm.pipeline`: stage 0 holds the
# embeddings and the first blocks, the last stage the last blocks and the head).
# The forward pass goes stage to stage, each sending its activation to the
# next; the backward pass comes back, each sending the gradient of the
# activation it received.
#
# Sent whole, a batch keeps one stage busy at a time. GPipe (Huang et al., 2019)
# cuts it into $M$ **micro-batches**: while stage 1 runs micro-batch 0, stage 0
# already runs micro-batch 1. Every forward, then every backward; the
# micro-batches' gradients add up, so the step is gradient accumulation over
# them, exactly as in section 3.

# %% [markdown]
# **Exercise 4** (`exercises/ex4_gpipe_schedule.py`): split a batch into
# micro-batches, write the GPipe schedule tick by tick, and find the share of
# the ticks a stage sits idle. Grade it with
#
# ```
# python -m minilm grade chapters/09_training_and_optimization/exercises/ex4_gpipe_schedule.py
# ```

# %% [markdown]
# minilm's schedule, drawn: a row per stage, a column per clock tick, each
# forward (blue) and backward (orange) labelled with its micro-batch. The grey
# cells are the **bubble**: stages waiting for the first micro-batch to reach
# them, or for the last to clear the stages after them.


# %%
def draw_schedule(ax, S, M, width):
    """The schedule as a (stages, ticks) grid; returns the share of idle cells."""
    ticks = gpipe_schedule(S, M)
    grid = np.zeros((S, len(ticks)))
    for t, tick in enumerate(ticks):
        for s, kind, m in tick:
            grid[s, t] = 1 if kind == "F" else 2
            ax.text(t, s, str(m), ha="center", va="center", fontsize=7, color="white")
    colors = plt.matplotlib.colors.ListedColormap(["#dddddd", "tab:blue", "tab:orange"])
    ax.imshow(grid, cmap=colors, vmin=0, vmax=2, aspect="auto")
    ax.set_xticks(np.arange(-0.5, len(ticks)), minor=True)
    ax.set_yticks(np.arange(-0.5, S), minor=True)
    ax.grid(which="minor", color="white", lw=1.5)
    ax.tick_params(which="minor", length=0)
    ax.set_xlim(-0.5, width - 0.5)  # one tick is as wide in every panel of a column
    idle = float((grid == 0).mean())
    ax.set_title(f"S={S}, M={M}: {len(ticks)} ticks, idle {idle:.0%}", fontsize=9)
    ax.set_yticks(range(S), [f"stage {s}" for s in range(S)], fontsize=7)
    ax.set_xticks([])
    for side in ax.spines.values():
        side.set_visible(False)
    return idle


stage_counts, micro_counts = [2, 3, 4], [1, 2, 4, 8]
widths = [2 * (max(stage_counts) + M - 1) for M in micro_counts]
fig, axes = plt.subplots(3, 4, figsize=(14, 5.5), gridspec_kw={"width_ratios": widths})
measured = {}
for i, S in enumerate(stage_counts):
    for j, M in enumerate(micro_counts):
        measured[S, M] = draw_schedule(axes[i, j], S, M, widths[j])
fig.suptitle("GPipe schedules, one column per clock tick: forward (blue), backward (orange), "
             "idle (grey); the numbers are micro-batches")  # fmt: skip
fig.tight_layout()
plt.show()

# %% [markdown]
# Counting the grey cells gives the **bubble fraction**: each stage idles
# $S - 1$ ticks in each phase of $M + S - 1$ ticks, so
#
# $$ \text{bubble} = \frac{S-1}{M+S-1}, $$
#
# which `minilm.pipeline.bubble_fraction` computes. More micro-batches shrink
# it; more stages grow it:

# %%
fig, ax = plt.subplots(figsize=(6.5, 3.8))
Ms = np.arange(1, 33)
for S in [2, 3, 4, 8]:
    ax.plot(Ms, [bubble_fraction(S, int(M)) for M in Ms], label=f"S = {S} stages")
for (_, M), idle in measured.items():
    ax.plot(M, idle, "k.", ms=8)
ax.plot([], [], "k.", label="counted in the drawings")
ax.set_xlabel("micro-batches M")
ax.set_ylabel("bubble: share of ticks idle")
ax.set_ylim(0, 1)
ax.grid(alpha=0.3)
ax.legend()
plt.show()
print("counted = formula:", all(abs(idle - bubble_fraction(S, M)) < 1e-12
                                for (S, M), idle in measured.items()))  # fmt: skip

# %% [markdown]
# Check your answer (after grading):

# %%
show(pipeline.split_microbatches)
show(pipeline.gpipe_schedule)
show(pipeline.bubble_fraction)

# %% [markdown]
# Micro-batches are not free: every stage keeps the activations of all $M$
# micro-batches until their backward pass (real systems recompute them instead:
# activation checkpointing), and every micro-batch crosses every cut twice.
#
# ### Two stages, two processes
#
# `pipeline_demo.py` (in this chapter's folder) cuts a 4-block GPT into two
# stages, one per MPI process, and trains it for three steps with
# `minilm.pipeline.pipeline_step` and 4 micro-batches. Beside it, each process
# trains a copy of the model in the ordinary way (whole batch, one `backward()`)
# and compares: the losses, and each rank's gradients for the parameters its
# stage owns.

# %%
demo = repo_root() / "chapters" / "09_training_and_optimization" / "pipeline_demo.py"
if HAVE_MPI:
    done = subprocess.run([MPIEXEC, "-n", "2", sys.executable, str(demo)], cwd=work, env=env,
                          capture_output=True, text=True, timeout=600)  # fmt: skip
    print(done.stdout, done.stderr[-2000:] if done.returncode else "")
else:
    print("SKIPPED: mpiexec or mpi4py is missing (pip install 'minilm[parallel]')")
shutil.rmtree(work, ignore_errors=True)

# %% [markdown]
# The pipeline's loss is the one-process loss, and every gradient agrees to
# float32 rounding (about $10^{-7}$ to $10^{-6}$ of gradients of size 0.1 to 1).
# Each rank only ever held and updated its own stage. With a tied head (the
# token embedding reused as the output layer), the first and last stage each
# keep a copy of the embedding and sum its two gradients after each backward
# pass, so both copies stay equal.
#
# **Tensor parallelism** is the other way to cut a model: instead of giving
# each rank whole layers, it cuts *each* layer. A linear layer $Y = XW$ with $W$
# split by columns, $W = [W_1, W_2]$, lets rank $i$ compute $XW_i$, its share
# of the output features, with no communication; the next layer, split by
# rows, takes those shares and produces partial sums that one allreduce adds
# up. Megatron-LM (Shoeybi et al., 2019) splits a transformer block this way:
# the attention heads across ranks, the MLP's first matrix by columns and its
# second by rows, two allreduces per block in the forward pass. Every rank works
# on every layer at once, with no bubble, but it communicates inside every
# layer, so it needs the fastest links (the GPUs of one machine), while a
# pipeline only sends at its cuts. The largest runs combine all three: tensor
# parallelism inside a machine, pipeline stages across machines, and data
# parallelism over copies of the whole arrangement. minilm does not build
# tensor parallelism.

# %% [markdown]
# # Part 2: Making a trained model smaller
#
# Part 1 changed how a model is *trained*. Part 2 starts from one trained model
# and makes it cheaper to keep and to run: fewer bits per weight
# (**quantization**), fewer weights (**pruning**), or a smaller model taught by
# the big one (**distillation**). Then two ways to spend compute well:
# **hyperparameter search** and **ensembles**. Every measurement starts from the
# same checkpoint: the GPT that chapter 7 ships (2 layers, 4 heads, width 64,
# 108,352 parameters, trained 6000 steps on tinyshakespeare by the command in
# chapter 7's README), scored on the same validation characters.

# %%
from minilm import quantize
from minilm.bench import compress

shakespeare = CharCorpus.load("tinyshakespeare")
VAL_CHARS = None if FULL else 10_000  # the notebook scores the first 10,000 by default


def val_nats(model, precision="fp32"):
    """Validation nats/char of a char GPT on tinyshakespeare (the lesson's share of it)."""
    with precision_context(precision):
        return evaluate_gpt(model, shakespeare, "val", max_chars=VAL_CHARS)


def precision_context(name):
    return precision.autocast(name) if name != "fp32" else contextlib.nullcontext()


checkpoint = compress.load_checkpoint()
n_params = sum(p.size for p in checkpoint.parameters())
base_val = val_nats(checkpoint)
print(f"the checkpoint: {n_params:,} parameters, {4 * n_params:,} bytes in float32, "
      f"validation {base_val:.4f} nats/char")  # fmt: skip

# %% [markdown]
# ## 6. Quantization
#
# **Symmetric quantization** stores a tensor as integers $q \in [-Q, Q]$ and
# one float scale: $Q = 2^{b-1}-1$ (127 for int8, 7 for int4),
# $s = \max|w| / Q$, $q = \mathrm{round}(w/s)$, and $w \approx s\,q$. Rounding
# moves each value by at most $s/2$, so the error is set by the largest value
# the scale must reach. One scale **per output channel** (a column of minilm's
# (in, out) weight) lets a column of small weights keep small steps; int4, with
# only 15 levels, takes one scale per **group** of 32 inputs. Here is the first
# block's $q, k, v$ projection of the checkpoint:

# %%
w = checkpoint.blocks[0].attn.qkv_proj.weight.numpy()  # (64, 192)
for axis, label in ((None, "int8, one scale"), (1, "int8, a scale per output")):
    q, s = quantize.quantize_symmetric(w, 8, axis)
    err = np.abs(quantize.dequantize(q, s) - w)
    print(f"{label:>26}: {np.size(s):4d} scales, max |error| {err.max():.2e}, "
          f"mean {err.mean():.2e}")  # fmt: skip
q4, s4 = quantize.quantize_groupwise(w, 4, 32)
err4 = np.abs(quantize.dequantize_groupwise(q4, s4) - w)
print(f"{'int4, a scale per 32 inputs':>26}: {s4.size:4d} scales, max |error| {err4.max():.2e}, "
      f"mean {err4.mean():.2e}")  # fmt: skip
col_max = np.abs(w).max(axis=0)
print(f"the columns' largest |w| range from {col_max.min():.3f} to {col_max.max():.3f}")

# %% [markdown]
# **Exercise 5** (`exercises/ex5_int8_quantization.py`): symmetric per-channel
# quantization and its inverse. Grade it with
#
# ```
# python -m minilm grade chapters/09_training_and_optimization/exercises/ex5_int8_quantization.py
# ```
#
# **Integer arithmetic.** A quantized matrix product multiplies the integers
# and adds them up in int32 (a product of two int8 values is at most
# $127^2 = 16129$; a sum of 64 of them fits easily, a sum in int16 would not),
# then applies the two scales once: with each input row quantized on the fly
# (its own scale $s_x$, *dynamic* quantization) and a scale per output column
# $s_w$, $(s_x q_x)(q_w s_w) = s_x s_w\,(q_x q_w)$. The scales factor out of the
# sum only because they do not depend on the summed index: a scale per input
# group (int4's) does not, so int4 weights are dequantized before the product.

# %%
x = np.random.default_rng(1).standard_normal((8, 64)).astype(np.float32)
xq, xs = quantize.quantize_rows(x)
wq, ws = quantize.quantize_symmetric(w, 8, axis=1)
acc = xq.astype(np.int32) @ wq.astype(np.int32)  # what int8 hardware adds up
print("largest |int32 sum|:", int(np.abs(acc).max()), "(int16 holds up to 32767)")
y_int = quantize.int8_matmul(xq, xs, wq, ws)
y = x @ w
print(f"int8 product vs float32: max error {np.abs(y_int - y).max():.2e} "
      f"on outputs up to {np.abs(y).max():.2f}")  # fmt: skip

# %% [markdown]
# **The whole model.** `quantize_model` swaps every `Linear` layer for a
# `QuantizedLinear` (int8 through the integer product; int4 dequantized on the
# fly) and every embedding table for a `QuantizedEmbedding`. The GPT's token
# embedding is also its output layer (the logits are $h\,E^\top$), the one table
# every logit reads, so with int4 it stays int8 per row. Bytes count the
# integers, the scales and the float32 parameters left (biases, norms):

# %%
schemes = {"int8": "int8 per tensor", "int8-channel": "int8 per channel",
           "int4": "int4, groups of 32"}  # fmt: skip
for scheme, label in schemes.items():
    m = compress.load_checkpoint()
    stats = quantize.quantize_model(m, scheme)
    nbytes = stats["quantized_bytes"] + 4 * sum(p.size for p in m.parameters())
    print(f"{label:>19}: {nbytes:7,} bytes ({4 * n_params / nbytes:.1f}x smaller), "
          f"validation {val_nats(m):.4f} nats/char ({val_nats(m) - base_val:+.4f})")  # fmt: skip

# %% [markdown]
# **Quantization-aware training** (QAT) trains the model *as it will be
# quantized*: each forward pass uses the weights rounded to the scheme's
# values (`FakeQuantize`: quantize, then dequantize), so the loss sees the
# rounding, while the optimizer keeps updating float32 weights underneath.
# Rounding's derivative is zero almost everywhere, which would stop all
# learning; the **straight-through estimator** (Bengio et al., 2013) passes the
# gradient through as if the rounding were the identity. A weight then moves
# until its *rounded* value serves the loss. `prepare_qat` turns each Linear
# into a `QATLinear`; after training, `quantize_model` gives the integer model
# that the training simulated. A fair comparison trains the float model for the
# same steps and quantizes it afterwards:

# %%
qat_steps = 300 if FULL else 60
after = {}
for label, qat in (("fine-tune, then quantize to int4", False), ("QAT int4", True)):
    m = compress.load_checkpoint()
    if qat:
        quantize.prepare_qat(m, "int4")
    train_gpt(m, shakespeare, GPTTrainConfig(steps=qat_steps, lr=3e-4, warmup=0),
              progress=False, eval_split=None)  # fmt: skip
    quantize.quantize_model(m, "int4")
    after[label] = val_nats(m)
    print(f"{label:>32}: {after[label]:.4f} nats/char after {qat_steps} steps")

# %% [markdown]
# Quantizing after the fine-tune loses what int4 rounding always loses;
# training with the rounding in the loop lets the weights settle where their
# rounded values serve the loss, and recovers most of it (the full table of
# section 11, with 300 steps, has both). int8 needs no QAT on this model: its
# rounding error is already below what the model can notice.
#
# ## 7. Pruning
#
# **Magnitude pruning** sets the weights of smallest $|w|$ to zero: the $n =
# \mathrm{round}(s \cdot N)$ smallest of all $N$ prunable weights for sparsity
# $s$ (*global*: a layer whose weights are small gives up more), or a share $s$
# of every matrix (*per layer*). The model keeps its shape, so the saving is
# only real for a format (or hardware) that stores and multiplies the non-zero
# entries alone. Prunable here are the Linear weights (the embedding is the
# output layer too, and stays):

# %%
from minilm import prune

sparsities = (0.5, 0.75, 0.9)
for scope in ("global", "layer"):
    row = []
    for s in sparsities:
        m = compress.load_checkpoint()
        prune.magnitude_prune(m, s, scope)
        row.append(f"{s:.0%}: {val_nats(m):.3f}")
    print(f"{scope:>6} pruning, no fine-tuning, val nats/char  " + "   ".join(row))
m = compress.load_checkpoint()
masks = prune.magnitude_prune(m, 0.5, "global")
kept = {name: float(mask.mean()) for name, mask in masks.items()}
print("global 50%: share kept per matrix:",
      ", ".join(f"{n.replace('blocks.', 'b').replace('.weight', '')} {k:.2f}"
                for n, k in kept.items()))  # fmt: skip

# %% [markdown]
# **Exercise 6** (`exercises/ex6_magnitude_pruning.py`): the global magnitude
# mask, exactly as `minilm.prune` draws it. Grade it with
#
# ```
# python -m minilm grade chapters/09_training_and_optimization/exercises/ex6_magnitude_pruning.py
# ```
#
# **Fine-tuning with the masks.** Pruning hurts at once; some more training
# lets the remaining weights take over, but only if the pruned ones *stay*
# zero: an optimizer step moves every weight that has a gradient (and Adam's
# momentum and weight decay move them even without one). `MaskedOptimizer`
# wraps any optimizer, zeroes the pruned entries' gradients and re-applies the
# masks after every step:

# %%
prune_steps = 300 if FULL else 60
m = compress.load_checkpoint()
masks = prune.magnitude_prune(m, 0.75, "global")
before = val_nats(m)
prune.finetune(m, shakespeare, masks, prune_steps, lr=3e-4)
still_zero = all(bool((p.numpy()[~masks[n]] == 0).all()) for n, p in prune.prunable(m))
print(f"75% pruned: {before:.3f} nats/char, after {prune_steps} steps of fine-tuning "
      f"{val_nats(m):.3f}; sparsity now {prune.sparsity(m):.2%}, pruned weights all zero: "
      f"{still_zero}")  # fmt: skip

# %% [markdown]
# **Structured pruning** removes whole units, so the model really gets smaller
# and faster with dense kernels: an attention **head** (its columns of the
# $q, k, v$ projection and its rows of the output projection) or an MLP
# **neuron** (its column of the first matrix and row of the second). Removing
# a unit is the same as zeroing what it writes into the residual stream, which
# is how `tests/test_prune.py` checks it. Which units go is decided by a score:
# the norms of the weights that read from and write to the unit, or a
# first-order (Taylor) estimate of how much the loss rises without it,
# $|\sum_k w_{jk}\,\partial L/\partial w_{jk}|$ over the unit's output weights.

# %%
m = compress.load_checkpoint()
t_full = prune.forward_time(m, repeats=5)
prune.prune_heads(m, 0.5)
gen = np.random.default_rng(0)
batches = [lm_batch(shakespeare.split("train")[0], 32, 64, rng=gen) for _ in range(4)]
prune.prune_neurons(m, 0.5, prune.neuron_importance(m, "taylor", batches))
print(f"half the heads and half the MLP neurons removed: {m.num_parameters():,} parameters "
      f"(from {n_params:,}), heads per block {[b.attn.num_heads for b in m.blocks]}")  # fmt: skip
before = val_nats(m)
train_gpt(m, shakespeare, GPTTrainConfig(steps=prune_steps, lr=3e-4, warmup=0), progress=False,
          eval_split=None)  # fmt: skip
ratio = prune.forward_time(m, repeats=5) / t_full
print(f"val {before:.3f} nats/char, after {prune_steps} steps {val_nats(m):.3f}; "
      f"a forward pass takes {ratio:.2f} of the full model's time")  # fmt: skip

# %% [markdown]
# ## 8. Knowledge distillation
#
# A smaller model trained on the text learns from one answer per position: the
# character that came next. The big model knows more than that: after "th" it
# spreads its probability over "e", "a", "i", "o" in proportions a student can
# copy. **Distillation** (Hinton, Vinyals and Dean, 2015) trains the student
# on the teacher's distribution, softened by a temperature $T$ (both sets of
# logits divided by $T$ before the softmax, so that the small probabilities
# count), mixed with the ordinary loss on the real next character:
#
# $$L = \alpha\,T^2\,\frac1N\sum_n \mathrm{KL}\big(\sigma(t_n/T)\,\|\,\sigma(s_n/T)\big)
#       + (1-\alpha)\,\frac1N\sum_n \mathrm{CE}(s_n, y_n),$$
#
# $\sigma$ the softmax over the vocabulary, $t_n$ and $s_n$ the teacher's and
# the student's logits at position $n$, $y_n$ the real next character.
#
# The gradient of the first term with respect to the student's logits is
# $\alpha\,T\,(\mathrm{softmax}(s/T) - \mathrm{softmax}(t/T))/N$: it shrinks like
# $1/T$ per logit and the soft targets' differences shrink like $1/T$ too, so
# without the $T^2$ the soft term would fade as $T$ grows; with it, changing $T$
# does not change how much the soft term weighs against the hard one.

# %% [markdown]
# **Exercise 7** (`exercises/ex7_distillation_loss.py`): the loss and its
# gradient with respect to the student's logits, stable for logits in the
# thousands. Grade it with
#
# ```
# python -m minilm grade chapters/09_training_and_optimization/exercises/ex7_distillation_loss.py
# ```
#
# The teacher is the checkpoint; the student a GPT of 2 layers of width 32
# (29,600 parameters, a quarter of the teacher's). The same student, with the
# same initial weights, batches and optimizer, is trained once on the
# distillation loss and once from scratch ($\alpha = 0$: the hard labels only).
# The settings (`distill.DISTILL_SETTINGS`) were chosen on the validation split
# from $T \in \{1, 2, 4\}$ and $\alpha \in \{0.5, 0.9\}$: $T = 1$ and mostly soft
# targets did best. This teacher's distribution is already soft (its
# perplexity is about 5), so it is a better target than the one character that
# happened to come next, and flattening it further only blurred it.

# %%
from minilm import distill

distill_steps = 2000 if FULL else 200
print("distillation settings:", distill.DISTILL_SETTINGS["gpt"])
students = {}
for label, alpha in (("distilled", None), ("from scratch", 0.0)):
    t0 = time.perf_counter()
    students[label] = distill.distill_student(checkpoint, shakespeare, distill_steps, seed=0,
                                              kind="gpt", alpha=alpha)  # fmt: skip
    print(f"student {label:>12}: {sum(p.size for p in students[label].parameters()):,} "
          f"parameters, validation {val_nats(students[label]):.4f} nats/char after "
          f"{distill_steps} steps ({time.perf_counter() - t0:.0f} s)")  # fmt: skip

# %% [markdown]
# Each distillation step also runs the teacher, so it costs more than a
# scratch step. In the full-length runs of the table below (2000 steps each),
# the distilled student is ahead of its twin from scratch, and both remain far
# behind the teacher: a quarter of the parameters cannot hold what the teacher
# holds, whatever it is taught with.
#
# ## 9. Hyperparameter search
#
# A learning rate, a width and a dropout rate are chosen before training, and
# the only way to judge a choice is to train with it. **Grid search** tries
# every combination of a few values each; **random search** (Bergstra and
# Bengio, 2012) draws each setting from a range, so with the same number of
# trials it tries many more values of the setting that matters.
# **Successive halving** (Jamieson and Talwalkar, 2016; the core of Hyperband,
# Li et al., 2017) spends the budget unevenly: it trains $n$ configurations
# briefly, keeps the best $1/\eta$ of them, trains those $\eta$ times longer,
# and so on until one is left. A bad configuration usually shows early, so few
# steps are wasted on it. `minilm.search` runs the trials in `workers`
# processes at once and records every trial, failed ones included (even one
# that kills its process: it fails alone, and the others are run again).

# %% [markdown]
# **Exercise 8** (`exercises/ex8_successive_halving.py`): one round of
# successive halving (which configurations go on) and the plan of rungs.
# Grade it with
#
# ```
# python -m minilm grade chapters/09_training_and_optimization/exercises/ex8_successive_halving.py
# ```
#
# A small search over the names GPT's learning rate, width and dropout, at
# equal budgets: random search trains 9 configurations for the same number of
# steps each; successive halving trains 9 briefly, 3 of them 3 times longer,
# and the best of those 9 times longer.

# %%
from minilm import search

n_configs, min_steps = 9, (60 if FULL else 15)
plan = search.halving_rungs(n_configs, min_steps, eta=3)
budget = sum(k * s for k, s in plan)
print("successive halving's rungs (configurations, steps each):", plan, "=", budget, "steps")
results = [
    search.random_search(search.gpt_trial, search.GPT_SPACE, n_configs, budget // n_configs,
                         seed=0, workers=2),
    search.successive_halving(search.gpt_trial, search.GPT_SPACE, n_configs, min_steps,
                              eta=3, seed=0, workers=2),
]  # fmt: skip
print(search.format_table(results, "val nats/char"))
search.plot_search(results, score_name="val nats/char")
plt.show()

# %% [markdown]
# Both strategies draw the same 9 configurations here (the same seed), so the
# difference is only in how the steps are spread. Successive halving's winner
# was trained the longest, which is part of why its score is lower: a fair
# reading retrains every strategy's best configuration for the same number of
# steps (`python -m minilm.search --confirm 2` retrains each winner with two
# more seeds). The README of this chapter has a larger run with a grid as well.
#
# ## 10. Ensembles
#
# Several models that make different mistakes can be combined. For language
# models, two ways: the **mixture** $p(v) = \sum_m w_m\,p_m(v)$ (a weighted
# average of probabilities; by Jensen's inequality its loss is never above the
# weighted average of the members' losses) and the **log-linear** combination
# $p(v) \propto \prod_m p_m(v)^{w_m}$ (a token needs every member's support).
# Here the checkpoint GPT and a character 5-gram model with Kneser-Ney
# smoothing (chapter 1's, counted on the training split in a second or two),
# with weights fitted on the validation split and scored on the test split,
# every model on exactly the same positions:

# %%
from minilm import ensemble

ngram5 = ensemble.fit_char_ngram(shakespeare, order=5)
members = {"GPT (the checkpoint)": checkpoint, "5-gram, Kneser-Ney": ngram5}
val_y, val_lps = ensemble.stream_logprobs(list(members.values()), shakespeare, "val")
test_y, test_lps = ensemble.stream_logprobs(list(members.values()), shakespeare, "test")
for name, lp in zip(members, test_lps):
    print(f"{name:>24}: {ensemble.nats(lp, test_y):.4f} test nats/char")
for how in ("mixture", "log-linear"):
    w = ensemble.fit_weights(val_lps, val_y, how)
    score = ensemble.nats(ensemble.combine(test_lps, how, w), test_y)
    print(f"{how:>24}: {score:.4f} test nats/char, weights {np.round(w, 2).tolist()}")

# %% [markdown]
# For a classifier, **bagging** (Breiman, 1996) trains each member on its own
# bootstrap resample of the training set (drawn with replacement, so each
# leaves out about a third of the examples) and lets them vote. Chapter 4's
# bag-of-words logistic regression on the sentiment sentences fits its
# training set almost perfectly and does worse on the test split, the kind of
# high-variance model that averaging helps:

# %%
from minilm.metrics import accuracy
from minilm.recipes.finetune import TextTask, bow_features

task = TextTask.load()
X_tr, X_te = (bow_features(task, s) for s in ("train", "test"))
y_tr, y_te = (np.asarray(task.sentiment[s]) for s in ("train", "test"))
counter = iter(range(1000))


def train_classifier(X, y):
    minilm.manual_seed(next(counter))
    clf = minilm.nn.Linear(X.shape[1], 2)
    fit(clf, optim.Adam(clf.parameters(), lr=0.01), [(minilm.tensor(X), minilm.tensor(y))],
        steps=100, progress=False)  # fmt: skip
    return clf


def probabilities(clf, X):
    with minilm.no_grad():
        return F.softmax(clf(minilm.tensor(X)), axis=-1).numpy()


single = train_classifier(X_tr, y_tr)
print(f"one model on all the training data: test accuracy "
      f"{accuracy(y_te, probabilities(single, X_te).argmax(-1)):.3f}")  # fmt: skip
bag = ensemble.bagging(train_classifier, X_tr, y_tr, 25 if FULL else 9, seed=0)
probs = [probabilities(c, X_te) for c in bag]
members_acc = [accuracy(y_te, p.argmax(-1)) for p in probs]
voted = ensemble.vote(np.stack([p.argmax(-1) for p in probs]))
averaged = ensemble.average_probabilities(probs).argmax(-1)
print(f"{len(bag)} bagged models: each {min(members_acc):.3f} to {max(members_acc):.3f}; "
      f"majority vote {accuracy(y_te, voted):.3f}; averaged probabilities "
      f"{accuracy(y_te, averaged):.3f}")  # fmt: skip

# %% [markdown]
# ## 11. All of it on one table
#
# `python -m minilm.bench compress` starts every row from the same checkpoint
# and prints bytes, parameters, validation nats/char (the whole split) and CPU
# milliseconds per 1000 sampled characters: float32, the 16-bit formats, int8
# per tensor and per channel, int4, QAT, 50% and 90% magnitude pruning with
# fine-tuning, structural pruning and the distilled student, with the float
# model fine-tuned for the same steps as the control. The chapter's README has
# the table of a full run and this figure of it:

# %%
figure = repo_root() / "chapters" / "09_training_and_optimization" / "figures" / "compress.png"
plt.figure(figsize=(9, 5.5))
plt.imshow(plt.imread(figure))
plt.axis("off")
plt.show()

# %% [markdown]
# ## Summary
#
# - float16 has 10 mantissa bits and a range from 6e-8 to 65504; bfloat16 has 7
#   mantissa bits and float32's range. An update of $10^{-4}$ on a weight of 1.0
#   vanishes in both, so mixed precision keeps float32 master weights and
#   optimizer state and uses 16 bits for the matrix products only.
# - Gradients smaller than float16's smallest subnormal underflow to zero. Loss
#   scaling multiplies the loss by $S$ before the backward pass and divides the
#   gradients by $S$ after; dynamic loss scaling halves $S$ and skips the step on
#   an overflow and doubles it after a run of clean steps.
# - Gradient accumulation over $K$ micro-batches of equal size gives the
#   gradient of the whole batch; the linear scaling rule multiplies the learning
#   rate by $K$ with the batch, and holds only so far.
# - Data parallelism is three promises (the same start, each rank its own
#   micro-batches, an allreduce of the gradients); kept, $K$ processes train the
#   model one process trains with `accumulate=K`. A ring allreduce sends
#   $2(K-1)/K$ times the gradient per rank, whatever $K$.
# - A GPipe pipeline cuts the model into $S$ stages and the batch into $M$
#   micro-batches; it idles a share $(S-1)/(M+S-1)$ of the time and computes the
#   same gradients as accumulation. Tensor parallelism cuts each layer instead.
# - Symmetric quantization stores $\mathrm{round}(w/s)$ with $s = \max|w|/Q$;
#   each value moves by at most $s/2$, so one scale per output channel (int8)
#   or per group of inputs (int4) keeps the steps small where the values are.
#   An int8 product sums integers in int32 and applies the scales once; int8
#   costs this GPT almost nothing, int4 a little, and quantization-aware
#   training with the straight-through estimator wins most of int4's loss back.
# - Magnitude pruning zeroes the smallest weights; it needs fine-tuning with
#   the masks kept, and a sparse format to save anything. Removing whole heads
#   and neurons shrinks the model and its time, and costs more quality per
#   parameter removed.
# - Distillation trains a student on the teacher's distribution; the $T^2$
#   keeps the soft term's weight as $T$ changes. It helped a student a quarter
#   of the teacher's size, which stays far behind the teacher.
# - Successive halving spends a search's budget on the configurations that
#   look good early; compare strategies at equal budgets, and retrain winners
#   for equal steps before believing the gap.
# - A mixture of language models is never worse than its members' weighted
#   mean loss; a GPT and an n-gram make different mistakes and combine well.
#   Bagging averages away some of a high-variance classifier's variance.
#
# ## Exercises
#
# Each exercise is a file in `chapters/09_training_and_optimization/exercises/`:
# fill in the code between `### BEGIN YOUR SOLUTION` and `### END YOUR
# SOLUTION`, then grade one file or the whole folder:
#
# ```
# python -m minilm grade chapters/09_training_and_optimization/exercises/ex1_bfloat16_rounding.py
# python -m minilm grade chapters/09_training_and_optimization/exercises/ex2_loss_scaler.py
# python -m minilm grade chapters/09_training_and_optimization/exercises/ex3_ring_allreduce.py
# python -m minilm grade chapters/09_training_and_optimization/exercises/ex4_gpipe_schedule.py
# python -m minilm grade chapters/09_training_and_optimization/exercises/ex5_int8_quantization.py
# python -m minilm grade chapters/09_training_and_optimization/exercises/ex6_magnitude_pruning.py
# python -m minilm grade chapters/09_training_and_optimization/exercises/ex7_distillation_loss.py
# python -m minilm grade chapters/09_training_and_optimization/exercises/ex8_successive_halving.py
# python -m minilm grade chapters/09_training_and_optimization/exercises
# ```
#
# | exercise | task | points |
# | --- | --- | --- |
# | `ex1_bfloat16_rounding.py` | float32 to bfloat16 on the bits, round to nearest even | 4 |
# | `ex2_loss_scaler.py` | unscaling with overflow detection; the dynamic loss-scaling rule | 6 |
# | `ex3_ring_allreduce.py` | one reduce-scatter and one all-gather step of a ring allreduce | 6 |
# | `ex4_gpipe_schedule.py` | micro-batches, the GPipe schedule and its bubble | 6 |
# | `ex5_int8_quantization.py` | symmetric per-channel quantization and its inverse | 6 |
# | `ex6_magnitude_pruning.py` | the global magnitude-pruning mask | 5 |
# | `ex7_distillation_loss.py` | the distillation loss and its gradient | 6 |
# | `ex8_successive_halving.py` | a round of successive halving and its rungs | 5 |
#
# Questions to think about:
#
# 1. Dynamic loss scaling doubles the scale after 1000 clean steps. What would
#    go wrong with doubling after every clean step, and what with never growing
#    the scale at all?
# 2. Why does bfloat16 need no loss scaling, and why is a bfloat16 model's
#    output still noisier than a float16 one's when neither underflows?
# 3. Gradient accumulation over padded names of different lengths, with a loss
#    averaged over each micro-batch's tokens, does not equal the large batch.
#    Which loss would make it equal?
# 4. A ring allreduce's time barely grows with $K$, so why does data
#    parallelism stop paying off on many devices? (Think about the batch each
#    rank gets, and the linear scaling rule.)
# 5. With $S$ stages, how many micro-batches keep the bubble under 10%? What
#    does that cost in activation memory?
# 6. int8 per tensor is nearly as good as per channel on this GPT. Which
#    weight matrix would make them differ most, and how would you find it?
# 7. At 90% sparsity, global pruning and per-layer pruning end close after
#    fine-tuning. Why might global pruning be dangerous in a model with one
#    small but essential matrix?
# 8. Successive halving's winner was trained 9 times longer than random
#    search's. Design a comparison that separates "found a better
#    configuration" from "trained it longer".
#
# ## Further reading
#
# - Micikevicius, Narang, Alben, Diamos, Elsen, Garcia, Ginsburg, Houston,
#   Kuchaiev, Venkatesh and Wu (2018), *Mixed precision training*: float32
#   master weights, loss scaling, float16 products.
# - Goyal, Dollár, Girshick, Noordhuis, Wesolowski, Kyrola, Tulloch, Jia and He
#   (2017), *Accurate, large minibatch SGD: training ImageNet in 1 hour*: the
#   linear scaling rule and its warmup.
# - Huang, Cheng, Bapna, Firat, Chen, Chen, Lee, Ngiam, Le, Wu and Chen (2019),
#   *GPipe: efficient training of giant neural networks using pipeline
#   parallelism*.
# - Shoeybi, Patwary, Puri, LeGresley, Casper and Catanzaro (2019),
#   *Megatron-LM: training multi-billion parameter language models using model
#   parallelism*: tensor parallelism inside a transformer block.
# - Patarasuk and Yuan (2009), *Bandwidth optimal all-reduce algorithms for
#   clusters of workstations*: the ring allreduce.
# - Li, Zhao, Varma, Salpekar, Noordhuis, Li, Paszke, Smith, Vaughan, Damania
#   and Chintala (2020), *PyTorch distributed: experiences on accelerating data
#   parallel training*: gradient buckets and overlapping the allreduce with the
#   backward pass.
# - Jacob, Kligys, Chen, Zhu, Tang, Howard, Adam and Kalenichenko (2018),
#   *Quantization and training of neural networks for efficient
#   integer-arithmetic-only inference*.
# - Bengio, Léonard and Courville (2013), *Estimating or propagating gradients
#   through stochastic neurons for conditional computation*: the
#   straight-through estimator.
# - Han, Pool, Tran and Dally (2015), *Learning both weights and connections
#   for efficient neural networks*; Michel, Levy and Neubig (2019), *Are
#   sixteen heads really better than one?*
# - Hinton, Vinyals and Dean (2015), *Distilling the knowledge in a neural
#   network*.
# - Bergstra and Bengio (2012), *Random search for hyper-parameter
#   optimization*; Li, Jamieson, DeSalvo, Rostamizadeh and Talwalkar (2017),
#   *Hyperband*.
# - Breiman (1996), *Bagging predictors*.
