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
# # Chapter 2: Mathematical foundations
#
# Three pieces of mathematics carry the rest of the course:
#
# 1. **probability**: a language model *is* a conditional distribution, built with
#    the chain rule, and classifiers use Bayes' rule;
# 2. **information theory**: entropy, cross-entropy and KL divergence are how
#    models are trained and measured (the loss of every neural model in this
#    course is a cross-entropy, and perplexity is its exponential);
# 3. **linear algebra**: a network is matrix products, broadcasting and norms,
#    and keeping track of shapes is most of the work.
#
# Every quantity here is computed on real distributions drawn from the bundled
# corpora, with `minilm.info` for information theory and minilm tensors for the
# linear algebra. Four graded exercises are introduced where their topic is
# taught; where the library's code is the answer to one, the lesson shows it only
# after the exercise, in a cell marked "check your answer". The notebook runs in
# a few seconds.

# %%
import math
from collections import Counter

import matplotlib.pyplot as plt

import minilm
import minilm.functional as F
from minilm import info
from minilm.backend import np
from minilm.course import show
from minilm.data import load_split, load_text
from minilm.ngram import NgramModel
from minilm.text import CharTokenizer, split_words

names = load_split("names", "train")
LETTERS = [chr(ord("a") + i) for i in range(26)]
print(len(names), "training names, e.g.", names[:6])

# %% [markdown]
# ## 1. Probability
#
# ### Distributions from counts
#
# A discrete distribution gives each outcome a probability $P(x) \ge 0$, with
# $\sum_x P(x) = 1$. From data, the simplest estimate is the relative frequency.
# Here, the first and the last letter of a name:

# %%
first = np.array([sum(n[0] == c for n in names) for c in LETTERS], dtype=float)
last = np.array([sum(n[-1] == c for n in names) for c in LETTERS], dtype=float)
P_first, P_last = first / first.sum(), last / last.sum()
fig, ax = plt.subplots(figsize=(9, 2.8))
x = np.arange(26)
ax.bar(x - 0.2, P_first, width=0.4, label="first letter")
ax.bar(x + 0.2, P_last, width=0.4, label="last letter")
ax.set_xticks(x, LETTERS)
ax.legend()
ax.set_title("letters of names")
fig.tight_layout()
plt.show()

# %% [markdown]
# ### Joint, marginal and conditional probability
#
# The **joint** distribution $P(x, y)$ of the first letter $X$ and the last letter
# $Y$ is a table; summing out one variable gives the other's **marginal**,
# $P(x) = \sum_y P(x, y)$. The **conditional** distribution is a row of the joint
# table, renormalized:
#
# $$ P(y \mid x) = \frac{P(x, y)}{P(x)}. $$

# %%
joint = np.zeros((26, 26))
for n in names:
    joint[ord(n[0]) - ord("a"), ord(n[-1]) - ord("a")] += 1
P_xy = joint / joint.sum()
P_x, P_y = P_xy.sum(axis=1), P_xy.sum(axis=0)
P_y_given_x = P_xy / P_x[:, None]
print("marginals equal the direct counts:", np.allclose(P_x, P_first), np.allclose(P_y, P_last))
for c in "aky":
    row = P_y_given_x[ord(c) - ord("a")]
    top = np.argsort(-row)[:4]
    print(f"P(last | first = {c!r}):", ", ".join(f"{LETTERS[i]} {row[i]:.2f}" for i in top))
top = np.argsort(-P_y)[:4]
print("P(last), overall:      ", ", ".join(f"{LETTERS[i]} {P_y[i]:.2f}" for i in top))

# %% [markdown]
# ### The chain rule
#
# Rearranged, the definition of conditional probability is the **chain rule**:
# $P(x, y) = P(x)\, P(y \mid x)$. For a sequence, applied again and again,
#
# $$ P(w_1, \dots, w_T) = P(w_1)\, P(w_2 \mid w_1) \cdots P(w_T \mid w_1, \dots, w_{T-1}), $$
#
# which is how every language model in this course scores text (chapter 1). On
# the table, and on a name under a bigram model, one factor per character plus
# the end of the name:

# %%
print("max |P(x, y) - P(x) P(y|x)| =", np.abs(P_xy - P_x[:, None] * P_y_given_x).max())
bigram = NgramModel(2, "kneser-ney").fit(names)
name = "emma"
factors = [bigram.prob(c, name[:i]) for i, c in enumerate(name)]  # P(e|<s>) P(m|e) ...
factors.append(bigram.prob("</s>", name))
print(" * ".join(f"{f:.3f}" for f in factors), f"= {math.prod(factors):.3e}")
print(f"exp(sum of the model's log-probabilities) = {math.exp(bigram.logprobs([name]).sum()):.3e}")

# %% [markdown]
# ### Bayes' rule
#
# The two ways of writing the joint, $P(x)P(y \mid x) = P(y)P(x \mid y)$, give
# **Bayes' rule**, which turns $P(\text{evidence} \mid \text{cause})$ into
# $P(\text{cause} \mid \text{evidence})$:
#
# $$ P(c \mid w) = \frac{P(w \mid c)\, P(c)}{\sum_{c'} P(w \mid c')\, P(c')}. $$
#
# On the sentiment corpus: how likely is a review sentence to be positive given
# that it contains a word? Bayes from $P(\text{word} \mid \text{class})$ and the
# prior, against counting directly among the sentences that contain the word:

# %%
reviews = load_split("sentiment", "train")
labels = np.array([y for _, y in reviews])
prior = np.array([np.mean(labels == 0), np.mean(labels == 1)])
print(f"prior P(positive) = {prior[1]:.3f}")
for word in ["great", "bad", "not", "the"]:
    has = np.array([word in split_words(text.lower()) for text, _ in reviews])
    likelihood = np.array([has[labels == c].mean() for c in (0, 1)])  # P(word | class)
    bayes = likelihood[1] * prior[1] / (likelihood @ prior)
    print(f"{word!r:8s} P(w|neg) {likelihood[0]:.3f}  P(w|pos) {likelihood[1]:.3f}  "
          f"Bayes P(pos|w) {bayes:.3f}  counted {labels[has].mean():.3f}")  # fmt: skip

# %% [markdown]
# The two columns agree to the last digit, as they must: on the same counts,
# Bayes' rule is an identity. Its use is when $P(\text{evidence} \mid c)$ is what
# can be estimated, as a language model of each class estimates
# $P(\text{text} \mid c)$ for texts never seen (chapter 1's classifier).
#
# For a whole sentence, $P(\text{text} \mid c)$ is a product of many small
# probabilities and underflows to 0 in floating point; the computation is done
# with logarithms, where Bayes' rule becomes a softmax over the classes of
# $\log P(\text{text} \mid c) + \log P(c)$.

# %% [markdown]
# **Exercise 3** (`exercises/ex3_bayes.py`, 4 points). Write
# `posterior(log_prior, log_likelihood)`: Bayes' rule from logarithms, for
# log-likelihoods down to -2000, without exponentiating a huge negative number
# (subtract each text's largest score first: why does that not change the
# result?). Grade it with
#
# ```
# python -m minilm grade chapters/02_math_foundations/exercises/ex3_bayes.py
# ```

# %% [markdown]
# ## 2. Information theory
#
# ### Entropy
#
# The **surprise** of an outcome of probability $p$ is $-\log p$: a certain event
# tells nothing, a rare one a lot. **Entropy** is the expected surprise,
#
# $$ H(X) = -\sum_x P(x) \log P(x), $$
#
# in bits with $\log_2$ and in nats with $\ln$. It is the average number of bits
# an optimal code needs per outcome, 0 for a certain outcome and $\log_2 K$ for
# $K$ equally likely ones (the most uncertain distribution on $K$ outcomes).
# Outcomes of probability 0 contribute nothing ($0 \log 0 = 0$, the limit of
# $p \log p$). `minilm.info.entropy` takes probabilities or counts:

# %%
ps = np.linspace(0.001, 0.999, 200)
fig, ax = plt.subplots(figsize=(4, 2.8))
ax.plot(ps, [info.entropy([p, 1 - p], base=2) for p in ps])
ax.set_xlabel("P(heads)")
ax.set_ylabel("H in bits")
ax.set_title("entropy of a coin")
fig.tight_layout()
plt.show()

# %% [markdown]
# The letters of names, and of Shakespeare (lower-cased, letters only):

# %%
name_letters = Counter("".join(names))
text = load_text("tinyshakespeare")
play_letters = Counter(c for c in text.lower() if "a" <= c <= "z")
p_names = np.array([name_letters[c] for c in LETTERS], dtype=float)
p_plays = np.array([play_letters[c] for c in LETTERS], dtype=float)
print(f"H(letters of names)       = {info.entropy(p_names, base=2):.3f} bits")
print(f"H(letters of Shakespeare) = {info.entropy(p_plays, base=2):.3f} bits")
print(f"uniform over 26 letters   = {math.log2(26):.3f} bits")

# %% [markdown]
# ### Cross-entropy and KL divergence
#
# Code outcomes from $p$ with a code built for $q$ and each costs $-\log q(x)$;
# the average is the **cross-entropy**, and the excess over the best possible
# code is the **Kullback-Leibler divergence**:
#
# $$ H(p, q) = -\sum_x p(x) \log q(x), \qquad
#    \mathrm{KL}(p \,\|\, q) = \sum_x p(x) \log\frac{p(x)}{q(x)} = H(p, q) - H(p) \ge 0. $$
#
# Training a model $q$ by minimizing the cross-entropy with the data $p$ is
# minimizing KL, since $H(p)$ does not depend on the model.
#
# **Why KL is never negative** (Gibbs' inequality). The logarithm is concave, so
# by Jensen's inequality the average of logarithms is at most the logarithm of
# the average: $\mathbb{E}[\log X] \le \log \mathbb{E}[X]$. Take $X = q(x)/p(x)$
# with $x$ drawn from $p$, summing over the outcomes where $p(x) > 0$:
#
# $$ -\mathrm{KL}(p \,\|\, q) = \sum_{x:\,p(x)>0} p(x) \log\frac{q(x)}{p(x)}
#    \le \log \sum_{x:\,p(x)>0} p(x)\,\frac{q(x)}{p(x)}
#    = \log \sum_{x:\,p(x)>0} q(x) \le \log 1 = 0. $$
#
# So $\mathrm{KL}(p \,\|\, q) \ge 0$, and $H(p, q) \ge H(p)$: no code beats the
# one built for the true distribution. Equality needs both steps to be
# equalities: Jensen's only when $q(x)/p(x)$ is the same constant wherever
# $p(x) > 0$, and the last only when $q$ puts all its mass there; together,
# $q = p$. (The same bound follows from $\log t \le t - 1$, applied to
# $t = q(x)/p(x)$.) Names' letters coded with Shakespeare's statistics:

# %%
h_p = info.entropy(p_names, base=2)
h_pq = info.cross_entropy(p_names, p_plays, base=2)
kl_pq = info.kl_divergence(p_names, p_plays, base=2)
print(f"H(names, plays) = {h_pq:.4f} = H(names) + KL = {h_p:.4f} + {kl_pq:.4f}")
print("KL of a distribution with itself:", info.kl_divergence(p_names, p_names))
print("KL when q misses an outcome p has:", info.kl_divergence([0.5, 0.5], [1.0, 0.0]))

# %% [markdown]
# The last line is why n-gram models need smoothing (chapter 1): a model that gives
# probability 0 to something that happens has infinite cross-entropy.
#
# Gibbs' inequality on every pair of real distributions at once: the
# next-character distributions $P(\cdot \mid a)$ of the bigram model (one per
# letter $a$), compared with each other, 26 times 26 divergences:

# %%
letters_next = np.array([bigram.distribution(c) for c in LETTERS])  # (26, V): P(next | letter)
pairwise = np.array([[info.kl_divergence(p, q, base=2) for q in letters_next]
                     for p in letters_next])  # fmt: skip
off_diagonal = pairwise[~np.eye(26, dtype=bool)]
print(f"smallest KL between two different letters: {off_diagonal.min():.4f} bits; "
      f"largest on the diagonal: {np.abs(np.diag(pairwise)).max():.1e}")  # fmt: skip
print(f"largest |KL(p || q) - KL(q || p)|: {np.abs(pairwise - pairwise.T).max():.2f} bits")

# %% [markdown] tags=["cites"]
# Every divergence is positive (no two different letters come closer than
# 0.1659 bits) and each distribution's divergence from itself is 0, as Gibbs'
# inequality says. But the last line shows a pair whose two divergences differ by
# 4.03 bits: KL is **not symmetric**, and which way round it is taken matters. Names'
# letters and Shakespeare's are too alike to show it (about a third of a bit
# either way), so compare a peaked distribution with a broad one: what follows
# "q" in a name (bigram model) against the distribution of all characters
# (unigram model), both Kneser-Ney, so that no probability is 0:

# %%
p_any = NgramModel(1, "kneser-ney").fit(names).distribution()  # P(c), same tokens as bigram
for c in "qx":
    p_after = bigram.distribution(c)  # P(. | c)
    kl_forward = info.kl_divergence(p_after, p_any, base=2)
    kl_backward = info.kl_divergence(p_any, p_after, base=2)
    print(f"after {c!r}: KL(P(.|{c}) || P(.)) = {kl_forward:.3f} bits;  "
          f"KL(P(.) || P(.|{c})) = {kl_backward:.3f} bits")  # fmt: skip
p_after = bigram.distribution("q")
forward = p_after * np.log2(p_after / p_any)  # the terms of KL(P(.|q) || P(.))
backward = p_any * np.log2(p_any / p_after)  # the terms of KL(P(.) || P(.|q))
for name, terms, p, q, k in [("KL(P(.|q) || P(.))", forward, p_after, p_any, 1),
                             ("KL(P(.) || P(.|q))", backward, p_any, p_after, 3)]:  # fmt: skip
    top = np.argsort(-terms)[:k]
    parts = [f"{bigram.tokens[i]!r} {p[i]:.3f} log2({p[i]:.3f}/{q[i]:.4f}) = {terms[i]:.2f}"
             for i in top]  # fmt: skip
    print(f"largest terms of {name}: " + ", ".join(parts))

# %% [markdown] tags=["cites"]
# $\mathrm{KL}(p \,\|\, q)$ is an average under $p$: it charges for outcomes that
# $p$ finds likely and $q$ does not. After "q" nearly everything is "u" (0.742),
# which all characters together give only 0.0137: that one term is worth 4.27
# bits (the terms where $p < q$ are negative and take a little back), and the
# divergence is 3.995 bits. The other way round, the average is
# under the broad distribution, and the charge is spread over the common
# letters that rarely follow "q" ('n' 0.52, 'e' 0.41 bits, ...), for 2.939 bits
# in all. After "x" the inequality is reversed (0.739 against 1.402 bits): which
# direction is larger depends on where each distribution puts its mass. Training
# a model minimizes $\mathrm{KL}(\text{data} \,\|\, \text{model})$, the direction
# that punishes a model for giving little probability to what the data does;
# chapter 10 meets the other direction.

# %% [markdown]
# **Exercise 1** (`exercises/ex1_entropy_kl.py`, 4 points). Write `entropy`,
# `cross_entropy` and `kl_divergence` for 1-D distributions, with $0 \log 0 = 0$,
# infinities where $q$ misses an outcome of $p$, and a `base` argument (nats or
# bits). Grade it with
#
# ```
# python -m minilm grade chapters/02_math_foundations/exercises/ex1_entropy_kl.py
# ```
#
# Check your answer (after grading exercise 1): minilm's entropy and KL, which
# take counts too and work along an axis.

# %%
show(info.entropy)
show(info.kl_divergence)
#
# ### Joint entropy, conditional entropy, mutual information
#
# For two variables: the **joint entropy** $H(X, Y)$ of the joint table; the
# **conditional entropy** $H(Y \mid X) = -\sum_{x,y} P(x,y)\log P(y \mid x)$, the
# uncertainty left in $Y$ once $X$ is known, with the chain rule
# $H(X, Y) = H(X) + H(Y \mid X)$; and the **mutual information**
#
# $$ I(X; Y) = H(Y) - H(Y \mid X) = \sum_{x,y} P(x,y) \log\frac{P(x,y)}{P(x)P(y)}, $$
#
# how many bits knowing one tells about the other: symmetric, $\ge 0$, and 0
# exactly when $X$ and $Y$ are independent. For the first and last letters of
# names:

# %%
H_x, H_y = info.entropy(joint.sum(axis=1), base=2), info.entropy(joint.sum(axis=0), base=2)
H_xy = info.joint_entropy(joint, base=2)
H_y_x = info.conditional_entropy(joint, base=2)
I_xy = info.mutual_information(joint, base=2)
print(f"H(X) = {H_x:.4f}, H(Y) = {H_y:.4f}, H(X,Y) = {H_xy:.4f} bits")
print(f"H(X) + H(Y|X) = {H_x:.4f} + {H_y_x:.4f} = {H_x + H_y_x:.4f}")
print(f"I(X;Y) = {I_xy:.4f} bits = H(Y) - H(Y|X) = {H_y - H_y_x:.4f};  "
      f"I(Y;X) = {info.mutual_information(joint.T, base=2):.4f}")  # fmt: skip

# %% [markdown] tags=["cites"]
# The first letter says little about the last (0.0896 bits, of the 3.4913 bits of
# uncertainty in the last letter). Neighbouring characters say much more about
# each other. Below, the mutual information between
# Shakespeare's characters $d$ positions apart: it falls quickly with $d$ but never
# quite reaches 0, which is why longer contexts keep helping a language model, a
# little less each time.

# %%
chars = CharTokenizer.from_text(text)
ids = np.array(chars.encode(text))
V = chars.vocab_size
distances = list(range(1, 13))
mi = []
for d in distances:
    table = np.zeros((V, V))
    np.add.at(table, (ids[:-d], ids[d:]), 1)  # table[a, b]: a at position t, b at t + d
    mi.append(info.mutual_information(table, base=2))
fig, ax = plt.subplots(figsize=(5, 3))
ax.plot(distances, mi, "o-")
ax.set_yscale("log")
ax.set_xlabel("distance d between two characters")
ax.set_ylabel("I(c_t ; c_{t+d}) in bits")
ax.grid(alpha=0.3)
fig.tight_layout()
plt.show()
print(f"H(c) = {info.entropy(np.bincount(ids), base=2):.3f} bits; I at d=1: {mi[0]:.3f} bits")

# %% [markdown] tags=["cites"]
# Knowing one character removes 1.241 of the 4.779 bits of the next.

# %% [markdown]
# **Exercise 2** (`exercises/ex2_mutual_information.py`, 4 points). Write
# `conditional_entropy` and `mutual_information` of a count table (X on the
# rows), in nats, with $0 \log 0 = 0$. Grade it with
#
# ```
# python -m minilm grade chapters/02_math_foundations/exercises/ex2_mutual_information.py
# ```

# %% [markdown]
# ### Perplexity is 2 to the cross-entropy
#
# A model's **perplexity** on a text is $2^{H}$ with $H$ the cross-entropy in bits
# per token between the text and the model ($e^H$ in nats: the same number). For a
# unigram model this is literally `info.cross_entropy` between the test split's
# token counts and the model's distribution:

# %%
test = load_split("names", "test")
unigram = NgramModel(1, "mle").fit(names)
test_counts = Counter(c for n in test for c in n) + Counter({"</s>": len(test)})
p_test = np.array([test_counts[t] for t in unigram.tokens], dtype=float)
q_model = unigram.distribution()
H_bits = info.cross_entropy(p_test, q_model, base=2)
print(f"cross-entropy {H_bits:.4f} bits; 2^H = {2**H_bits:.4f}; "
      f"lm.perplexity = {unigram.perplexity(test):.4f}")  # fmt: skip

# %% [markdown]
# And the conditional entropy of a character given the one before it, on the
# training names (with the start and end tokens), is exactly the log-perplexity of
# the maximum-likelihood bigram model on its own training data:

# %%
mle = NgramModel(2, "mle").fit(names)
tokens = mle.vocab.itos
pairs = np.array([[mle.counts.count([i, j]) for j in range(len(tokens))]
                  for i in range(len(tokens))], dtype=float)  # fmt: skip
print(f"H(next | previous) = {info.conditional_entropy(pairs, base=2):.4f} bits; "
      f"log2 of the training perplexity = {math.log2(mle.perplexity(names)):.4f}")  # fmt: skip

# %% [markdown]
# ## 3. Linear algebra for networks
#
# ### Matrix products and their shapes
#
# A product $AB$ needs the inner sizes to agree: (n, k) @ (k, m) gives (n, m).
# With more axes, `@` multiplies the last two and treats the ones before as a
# batch. A language model's output layer turns a batch of $B$ sequences of $T$
# hidden vectors of size $C$ into scores over a vocabulary of $V$ tokens:
# (B, T, C) @ (C, V) gives (B, T, V). A one-hot vector times a matrix picks a row,
# which is what an embedding lookup is (chapter 4):

# %%
minilm.manual_seed(0)
B, T, C = 4, 8, 16
V = chars.vocab_size
batch = minilm.tensor(ids[: B * T].reshape(B, T))  # (B, T) token ids
embedding = minilm.randn(V, C)  # (V, C)
one_hot = F.one_hot(batch, V)  # (B, T, V)
h = one_hot @ embedding  # (B, T, V) @ (V, C) -> (B, T, C)
print("ids", batch.shape, "one-hot", one_hot.shape, "hidden", h.shape)
print("one-hot @ E equals the rows of E:", np.allclose(h.numpy(), embedding.numpy()[ids[: B * T]]
                                                       .reshape(B, T, C)))  # fmt: skip
W_out = minilm.randn(C, V) * (1 / math.sqrt(C))  # (C, V)
logits = h @ W_out  # (B, T, C) @ (C, V) -> (B, T, V)
print("logits", logits.shape)
try:
    h @ embedding  # (B, T, C) @ (V, C): inner sizes C and V differ
except ValueError as e:
    print("error:", e)

# %% [markdown]
# ### Broadcasting
#
# An elementwise operation between arrays of different shapes lines their shapes
# up from the right; each pair of sizes must be equal or one of them 1, and a size
# 1 is stretched to match (without copying). So a bias of shape (V,) adds to every
# position of (B, T, V), and `keepdims=True` keeps a reduced axis as size 1 so the
# result broadcasts back, as in the stable softmax:

# %%
bias = minilm.zeros(V)
scores = logits + bias  # (B, T, V) + (V,) -> (B, T, V)
shifted = scores - scores.max(axis=-1, keepdims=True)  # (B, T, V) - (B, T, 1)
probs = shifted.exp() / shifted.exp().sum(axis=-1, keepdims=True)
print(scores.shape, scores.max(axis=-1, keepdims=True).shape, probs.shape)
print("rows sum to 1:", np.allclose(probs.sum(axis=-1).numpy(), 1.0, atol=1e-5))
print("equals F.softmax:", np.allclose(probs.numpy(), F.softmax(logits).numpy(), atol=1e-6))
col, row = minilm.arange(3).reshape(3, 1), minilm.arange(4).reshape(1, 4)
print("(3, 1) * (1, 4) ->", (col * row).shape, "an outer product:\n", (col * row).numpy())
try:
    minilm.zeros(B, T, V) + minilm.zeros(T)  # (B, T, V) + (T,): V and T differ
except ValueError as e:
    print("error:", e)

# %% [markdown]
# ### Norms
#
# A norm measures a vector's size: $\|x\|_1 = \sum |x_i|$,
# $\|x\|_2 = \sqrt{\sum x_i^2}$, $\|x\|_\infty = \max |x_i|$; the Frobenius norm of
# a matrix is the 2-norm of all its entries. Norms appear in gradient clipping
# (chapter 3), weight decay, and in the **cosine similarity**
# $\cos(x, y) = x \cdot y / (\|x\|_2 \|y\|_2)$, which compares directions and
# ignores lengths. The squared distance between two vectors expands into norms
# and one dot product, $\|x - y\|^2 = \|x\|^2 + \|y\|^2 - 2\,x \cdot y$, so the
# distances between all rows of two matrices need a single matrix product.

# %%
x = minilm.tensor([3.0, -4.0, 0.0])
print("L1", x.abs().sum().item(), " L2", (x * x).sum().sqrt().item(), " Linf", x.abs().max().item())
print("Frobenius norm of W_out", (W_out * W_out).sum().sqrt().item(),
      "~ sqrt(V) =", round(math.sqrt(V), 2))  # fmt: skip

# %% [markdown]
# **Exercise 4** (`exercises/ex4_distances.py`, 4 points). Write
# `pairwise_sq_distances(X, Y)` and `cosine_similarity(X, Y)` for all pairs of
# rows of X (N, D) and Y (M, D), with one matrix product `X @ Y.T` and
# broadcasting, no Python loops. Grade it with
#
# ```
# python -m minilm grade chapters/02_math_foundations/exercises/ex4_distances.py
# ```

# %% [markdown]
# Which letters behave alike? Describe each letter by the distribution of the
# character that follows it in names (a row of the bigram model's table), and
# compare the rows by cosine similarity, all in one matrix product:

# %%
letter_ids = [mle.vocab.stoi[c] for c in LETTERS]
follows = minilm.tensor(pairs[letter_ids], dtype="float64")  # (26, V): counts of what follows
unit = follows / (follows * follows).sum(axis=-1, keepdims=True).sqrt()  # rows of length 1
similarity = (unit @ unit.T).numpy()  # (26, V) @ (V, 26) -> (26, 26)
fig, ax = plt.subplots(figsize=(5.5, 5))
image = ax.imshow(similarity, cmap="viridis")
fig.colorbar(image, ax=ax, shrink=0.8)
ax.set_xticks(range(26), LETTERS)
ax.set_yticks(range(26), LETTERS)
ax.set_title("cosine similarity of what follows each letter")
fig.tight_layout()
plt.show()
for c in "aeoknr":
    i = LETTERS.index(c)
    nearest = [LETTERS[j] for j in np.argsort(-similarity[i]) if j != i][:3]
    print(f"{c}: most similar {nearest}")

# %% [markdown]
# Letters are known by the company they keep: vowels are followed by much the
# same consonants, so they sit close together. Chapter 4 learns such vectors
# (embeddings) for words.

# %% [markdown]
# ## Summary
#
# - Joint, marginal and conditional distributions come from counts; the chain
#   rule factorizes a joint (and a text, token by token), and Bayes' rule turns
#   $P(\text{evidence} \mid \text{cause})$ around, in log space as a softmax.
# - Entropy is expected surprise; cross-entropy is the cost of coding $p$ with
#   $q$'s code, and KL the excess, $\mathrm{KL}(p \,\|\, q) = H(p, q) - H(p)$. By
#   Jensen's inequality (Gibbs' inequality) KL is never negative, and 0 only
#   when $p = q$; it is not symmetric, and infinite where $q$ misses an outcome
#   of $p$. Minimizing cross-entropy trains a model.
# - Conditional entropy and mutual information measure what one variable tells
#   about another; characters of text share information that fades with
#   distance but does not vanish.
# - Perplexity is 2 to the cross-entropy in bits.
# - Matrix products need matching inner sizes and batch over leading axes;
#   broadcasting stretches size-1 axes; norms and cosine similarity measure size
#   and direction, and all pairwise comparisons take one matrix product.
#
# ## Exercises
#
# Each exercise is a file in `chapters/02_math_foundations/exercises/`: fill in the
# code between `### BEGIN YOUR SOLUTION` and `### END YOUR SOLUTION`, then grade
# it with its command below (or all of them with
# `python -m minilm grade chapters/02_math_foundations/exercises`):
#
# | exercise | task | points |
# | --- | --- | --- |
# | `ex1_entropy_kl.py` | entropy, cross-entropy and KL, with 0 log 0 and infinities | 4 |
# | `ex2_mutual_information.py` | conditional entropy and mutual information of a count table | 4 |
# | `ex3_bayes.py` | Bayes' rule in log space, stable for tiny likelihoods | 4 |
# | `ex4_distances.py` | pairwise squared distances and cosine similarities by broadcasting | 4 |
#
# ```
# python -m minilm grade chapters/02_math_foundations/exercises/ex1_entropy_kl.py
# python -m minilm grade chapters/02_math_foundations/exercises/ex2_mutual_information.py
# python -m minilm grade chapters/02_math_foundations/exercises/ex3_bayes.py
# python -m minilm grade chapters/02_math_foundations/exercises/ex4_distances.py
# ```
#
# The graders compare your functions with `minilm.info` and minilm tensors on
# random distributions, tables and matrices drawn by hypothesis, and print the
# smallest input on which they differ.
#
# Questions to think about (not graded):
#
# 1. Prove $I(X; Y) \ge 0$ from Gibbs' inequality. (Hint: mutual information is
#    a KL divergence between two distributions over pairs.)
# 2. A model minimizes $\mathrm{KL}(\text{data} \,\|\, \text{model})$. Why does
#    that make it spread probability over everything the data does, and what
#    would minimizing $\mathrm{KL}(\text{model} \,\|\, \text{data})$ do instead?
# 3. Why may Bayes' rule in log space subtract the largest score from every
#    class's score without changing the posterior?
# 4. The Frobenius norm of a (C, V) matrix of independent standard normal
#    entries, scaled by $1/\sqrt{C}$, is about $\sqrt{V}$. Why?
#
# ## Further reading
#
# - T. M. Cover and J. A. Thomas (2006), *Elements of Information Theory*, 2nd
#   edition, Wiley: chapter 2 (entropy, relative entropy, mutual information,
#   Jensen's inequality and its consequences).
# - D. J. C. MacKay (2003), *Information Theory, Inference, and Learning
#   Algorithms*, Cambridge University Press: chapters 2 and 8 (probability,
#   entropy, Gibbs' inequality).
# - C. E. Shannon (1948), *A mathematical theory of communication*, Bell System
#   Technical Journal: entropy, and the entropy of English from n-gram
#   statistics.
