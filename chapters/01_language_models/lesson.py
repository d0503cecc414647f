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
# # Chapter 1: Language models
#
# A **language model** assigns a probability to every piece of text. Everything in
# this course, up to GPT, is one: a function that, given the tokens so far, returns
# a probability distribution over the next token. This chapter builds the oldest
# kind, the statistical **n-gram** model, which is still the first rung of every
# model ladder: each later model in the course is compared with it on the same
# corpora, the same splits and the same perplexity.
#
# 1. what a language model is, and where one is used;
# 2. the Markov assumption and n-gram counts;
# 3. maximum-likelihood estimates, and why they fail on new text;
# 4. add-k (Laplace) smoothing;
# 5. interpolation and backoff;
# 6. Kneser-Ney smoothing;
# 7. sampling text from a model;
# 8. evaluation: cross-entropy, perplexity, vocabulary coverage and unknown words.
#
# The models are `minilm.ngram.NgramModel`; the corpora are the bundled `names`
# (32,033 first names, one character per token) and `tinyshakespeare` (one word or
# punctuation mark per token), with their fixed train/val/test splits. Four
# graded exercises are introduced where their topic is taught; where the
# library's code is the answer to one, the lesson shows it only after the
# exercise, in a cell marked "check your answer". The notebook runs in well
# under a minute on a 2-core CPU.

# %%
import inspect
import math
from collections import Counter

import matplotlib.pyplot as plt

from minilm.backend import np
from minilm.course import show
from minilm.data import load_split
from minilm.metrics import accuracy
from minilm.ngram import AddK, NgramModel
from minilm.ngram.corpus import DEFAULT_MIN_COUNT, corpus_sentences
from minilm.ngram.smoothing import MLE, Backoff, Interpolation, KneserNey
from minilm.text import split_words

names = {s: corpus_sentences("names", s) for s in ("train", "val", "test")}
shakespeare = {s: corpus_sentences("tinyshakespeare", s) for s in ("train", "val", "test")}
print(f"names: {len(names['train'])} train, {len(names['val'])} val, {len(names['test'])} test;",
      "e.g.", names["train"][:5])  # fmt: skip
print(f"tinyshakespeare: {len(shakespeare['train'])} train lines, e.g.", shakespeare["train"][1])

# %% [markdown]
# ## 1. What a language model is
#
# Write a text as tokens $w_1, \dots, w_T$. The **chain rule** of probability
# factorizes its probability exactly, one token at a time:
#
# $$ P(w_1, \dots, w_T) = \prod_{t=1}^{T} P(w_t \mid w_1, \dots, w_{t-1}). $$
#
# So a model of the next token, $P(w_t \mid w_{<t})$, is a model of all text.
# That is **next-token prediction**, and it is what every model in this course
# learns. A sentence ends with an end token `</s>`, so the model also says when to
# stop.
#
# Here is a small model of names (a trigram model, built below) asked what comes
# after "em":

# %%
lm3 = NgramModel(3, "kneser-ney").fit(names["train"])
p = lm3.distribution("em")
top = np.argsort(-p)[:10]
fig, ax = plt.subplots(figsize=(6, 2.8))
ax.bar([lm3.tokens[i] for i in top], p[top])
ax.set_title('P(next character | "em"), trigram Kneser-Ney model of names')
fig.tight_layout()
plt.show()

# %% [markdown]
# ### Where language models are used
#
# - **Generation**: sample the next token, append it, repeat (section 7). This is
#   how every chatbot writes.
# - **Choosing among candidates**: a speech recognizer or a translation system
#   proposes several outputs; the language model prefers the fluent one. A
#   trigram model of Shakespeare scores word orders:

# %%
lm_words = NgramModel(3, "kneser-ney", min_count=2).fit(shakespeare["train"])
for sentence in ["I will not go to the king .", "king the to go not will I ."]:
    words = sentence.split()
    print(f"{sentence:32s} log P = {lm_words.logprobs([words]).sum():7.2f}")

# %% [markdown]
# - **Classification**: train one language model per class and ask which one
#   finds the text likelier. By Bayes' rule (chapter 2),
#   $P(c \mid \text{text}) \propto P(\text{text} \mid c)\,P(c)$. On the sentiment
#   corpus (review sentences labelled negative 0 or positive 1), two unigram
#   models already classify most test sentences right:

# %%
reviews = {s: load_split("sentiment", s) for s in ("train", "test")}
class_lms, log_prior = {}, {}
for label in (0, 1):
    texts = [split_words(text.lower()) for text, y in reviews["train"] if y == label]
    class_lms[label] = NgramModel(1, "laplace").fit(texts)
    log_prior[label] = math.log(len(texts) / len(reviews["train"]))


def classify(text):
    words = split_words(text.lower())
    scores = [class_lms[c].logprobs([words]).sum() + log_prior[c] for c in (0, 1)]
    return int(np.argmax(scores))


truth = [y for _, y in reviews["test"]]
predicted = [classify(text) for text, _ in reviews["test"]]
print(f"test accuracy of the two-language-model classifier: {accuracy(truth, predicted):.3f}")
print(classify("a wonderful, moving film"), classify("the food was cold and the staff rude"))

# %% [markdown]
# (This is the naive Bayes classifier: a unigram model per class. Chapter 8 trains
# neural classifiers on the same split.)
#
# ## 2. The Markov assumption and n-gram counts
#
# The full history $w_{<t}$ is almost never repeated, so its statistics cannot be
# counted. The **Markov assumption** keeps only the last $n-1$ tokens:
#
# $$ P(w_t \mid w_1, \dots, w_{t-1}) \approx P(w_t \mid w_{t-n+1}, \dots, w_{t-1}). $$
#
# An **n-gram** is a run of $n$ tokens; a unigram model ($n=1$) ignores the
# context, a bigram model ($n=2$) looks at one token back, a trigram model at two.
# Training is counting. Each sentence is padded with $n-1$ start tokens `<s>` and
# one end token `</s>`: for $n=2$, "emma" becomes `<s> e m m a </s>`.
#
# The bigram counts of names, as a table: row = the previous character, column =
# the next one.

# %%
lm2 = NgramModel(2, "mle").fit(names["train"])
vocab = lm2.vocab.itos  # ids: <s>, </s>, <unk>, then the characters
index = lm2.vocab.stoi
print(vocab)
print("c(e m) =", lm2.counts.count([index["e"], index["m"]]),
      "  c(<s> e) =", lm2.counts.count([index["<s>"], index["e"]]))  # fmt: skip

shown = ["<s>", "</s>"] + [t for t in vocab if len(t) == 1]
table = np.array([[lm2.counts.count([index[a], index[b]]) for b in shown] for a in shown])
fig, ax = plt.subplots(figsize=(7.5, 7))
ax.imshow(np.log1p(table), cmap="Blues")
labels = ["<s>", "</s>"] + shown[2:]
ax.set_xticks(range(len(shown)), labels, fontsize=7, rotation=90)
ax.set_yticks(range(len(shown)), labels, fontsize=7)
ax.set_xlabel("next character")
ax.set_ylabel("previous character")
ax.set_title("bigram counts in the names training split (log scale)")
fig.tight_layout()
plt.show()

# %% [markdown]
# The `<s>` column is empty (the start token is never predicted) and so is the
# `</s>` row (nothing follows the end). minilm counts every order at once, with
# NumPy: an n-gram is named by one integer built from the shorter gram it ends
# with, so counting an order is one `np.unique` over all positions, never a Python
# loop over occurrences:

# %%
print(inspect.getdoc(lm2.counts))

# %% [markdown]
# How sparse do the counts get? The number of distinct n-grams seen in training
# against the number that could exist, $V^n$:

# %%
lm5 = NgramModel(5, "mle").fit(names["train"])
V = len(lm5.tokens)
for k in range(1, 6):
    print(f"n={k}: {lm5.counts.size[k]:7d} distinct seen, of {V**k:13,d} possible "
          f"({lm5.counts.size[k] / V**k:.2e})")  # fmt: skip

# %% [markdown]
# ## 3. Maximum likelihood, and the zero problem
#
# The probabilities that make the training text most likely are the relative
# frequencies, the **maximum-likelihood estimate** (MLE):
#
# $$ P_\text{MLE}(w \mid h) = \frac{c(h\,w)}{c(h)}, $$
#
# with $c(h\,w)$ the count of the n-gram and $c(h)$ the count of its context.
#
# **Exercise 1** (`exercises/ex1_bigram_counts.py`, 4 points). Build the bigram
# count table of a list of sentences yourself, with the `<s>` and `</s>`
# padding, and turn it into the table of maximum-likelihood probabilities.
# Grade it with
#
# ```
# python -m minilm grade chapters/01_language_models/exercises/ex1_bigram_counts.py
# ```
#
# Check your answer (after grading exercise 1) against minilm's version, which
# scores a whole batch of n-grams of every order at once (an unseen context
# falls back to a shorter one, so every distribution still sums to 1):

# %%
show(MLE.score)

# %% [markdown]
# The trouble: an n-gram never seen in training gets probability 0, and one such
# n-gram anywhere in the test text makes its probability 0. The longer the
# context, the more test n-grams are new:

# %%
for n in (2, 3, 4, 5):
    logp = NgramModel(n, "mle").fit(names["train"]).logprobs(names["test"])
    print(f"n={n}: {np.mean(np.isinf(logp)):6.2%} of test tokens get probability 0 under MLE")

# %% [markdown]
# Every method below, **smoothing**, moves some probability from seen n-grams to
# unseen ones.
#
# ## 4. Add-k (Laplace) smoothing
#
# Pretend every n-gram was seen $k$ more times than it was:
#
# $$ P_\text{add-k}(w \mid h) = \frac{c(h\,w) + k}{c(h) + kV}, $$
#
# where $V$ is the number of tokens the model can predict. $k = 1$ is **Laplace**
# smoothing.
#
# **Exercise 2** (`exercises/ex2_add_k.py`, 4 points). Write add-k smoothing of a
# count table (one row per context, one column per predictable token), unseen
# contexts included. Grade it with
#
# ```
# python -m minilm grade chapters/01_language_models/exercises/ex2_add_k.py
# ```

# %% [markdown]
# $k$ is a knob, chosen on the validation split. For characters it works; for
# words it hurts: each context sees a few dozen distinct next words out of
# thousands, and add-k hands most of the probability to the thousands never seen.

# %%
ks = [0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0]
curves = {
    "names, characters, n=3": [NgramModel(3, AddK(k)).fit(names["train"]).perplexity(names["val"])
                               for k in ks],
    "Shakespeare, words, n=2": [NgramModel(2, AddK(k), min_count=2).fit(shakespeare["train"])
                                .perplexity(shakespeare["val"]) for k in ks],
}  # fmt: skip
fig, axes = plt.subplots(1, 2, figsize=(10, 3.3))
for ax, (title, ppl) in zip(axes, curves.items()):
    ax.semilogx(ks, ppl, "o-")
    ax.set_title(title)
    ax.set_xlabel("k")
    ax.set_ylabel("validation perplexity")
    ax.grid(alpha=0.3)
    best = int(np.argmin(ppl))
    print(f"{title}: best k = {ks[best]} (perplexity {ppl[best]:.2f}); k = 1 gives {ppl[-1]:.2f}")
fig.tight_layout()
plt.show()

# %% [markdown] tags=["cites"]
# On characters the best $k$ (0.1) is only a little better than Laplace's
# $k = 1$ (9.36 against 9.48): with 28 predictable tokens, adding one to each
# count takes little from the seen ones. On words, $k = 1$ triples the
# perplexity of the best $k$ (481.14 against 159.85 with $k$ = 0.01): every
# context hands a pseudo-count to each of about 7,000 words.
#
# Check your answer (after grading exercise 2): minilm's add-k, which scores a
# batch of n-grams at once.

# %%
show(AddK.score)

# %% [markdown]
# ## 5. Interpolation and backoff
#
# A better idea: when the long context knows little, listen to the shorter ones.
#
# **Linear interpolation** (Jelinek-Mercer) mixes the MLEs of every order, from the
# uniform distribution $P_0 = 1/V$ up:
#
# $$ P(w \mid h) = \sum_{k=0}^{n} \lambda_k\, P_k(w \mid h), \qquad \sum_k \lambda_k = 1. $$
#
# The weights are tuned on held-out text. minilm uses EM: each held-out token is
# explained by each order in proportion to $\lambda_k P_k$; the new $\lambda_k$ is
# the average share of order $k$.

# %%
show(Interpolation._em)
lm_interp = NgramModel(3, "interpolation").fit(names["train"], heldout=names["val"])
print("weights, uniform first:", np.round(lm_interp.smoothing.weights, 4))

# %% [markdown] tags=["cites"]
# Almost all the weight (0.9328) goes to the trigram: on names it has seen nearly
# every test context. On Shakespeare's words it is a different story:

# %%
lm_interp_w = NgramModel(3, "interpolation", min_count=2)
lm_interp_w.fit(shakespeare["train"], heldout=shakespeare["val"])
print("weights, uniform first:", np.round(lm_interp_w.smoothing.weights, 4))

# %% [markdown] tags=["cites"]
# The bigram gets the most weight (0.5424) and the trigram less than a fifth
# (0.1864): most word trigrams of new text were never seen in training.
#
# **Backoff** uses one order at a time: the discounted long-context estimate
# when the n-gram was seen, and otherwise the shorter context's probability,
# scaled by $\alpha(h)$ so the distribution sums to 1:
#
# $$ P(w \mid h) = \begin{cases} \dfrac{c(h\,w) - D}{c(h)} & c(h\,w) > 0 \\[1ex]
#    \alpha(h)\, P(w \mid h') & \text{otherwise,} \end{cases} $$
#
# where $h'$ is $h$ without its first token and the **absolute discount** $D$ is
# estimated from how many n-grams were seen once ($n_1$) and twice ($n_2$):
# $D = n_1 / (n_1 + 2 n_2)$. This is **absolute-discount backoff**. The scheme
# is Katz's (1987), but Katz discounted each count by a Good-Turing estimate,
# which depends on the count itself; minilm subtracts one fixed $D$ per order,
# as Ney, Essen and Kneser (1994) did.

# %%
print(inspect.getdoc(Backoff))

# %% [markdown]
# ## 6. Kneser-Ney smoothing
#
# Kneser-Ney is interpolation with absolute discounting and one more idea, about
# the lower-order distribution. In Shakespeare, "VINCENTIO" occurs almost two
# hundred times, so a unigram model thinks it a likely word anywhere. But it
# only ever follows "DUKE"; in a new context it is a poor guess. Kneser-Ney's
# lower order counts **in how many different contexts** a word appears, the
# **continuation count** $N_{1+}(\bullet\, w) = |\{u : c(u\,w) > 0\}|$. Below,
# frequent words seen in at most two contexts (speaker names, and capitalized
# words that only open a line, after `<s>`), then a few ordinary words:

# %%
counts = lm_words.counts
unigram, continuation = counts.counts[1], counts.continuation[1]
words = [lm_words.vocab.itos[i] for i in counts.last[1]]
by_count = np.argsort(-unigram)
narrow = [words[j] for j in by_count if unigram[j] >= 100 and continuation[j] <= 2][:8]
print(f"{'word':12s} {'count':>6s} {'contexts':>8s}")
for w in narrow + ["VINCENTIO", "with", "love", "death"]:
    i = words.index(w)
    print(f"{w:12s} {unigram[i]:6d} {continuation[i]:8d}")

# %% [markdown]
# The continuation probability is
# $P_\text{cont}(w) = N_{1+}(\bullet\, w) / N_{1+}(\bullet\,\bullet)$, and
# interpolated Kneser-Ney for a bigram model is
#
# $$ P_\text{KN}(w \mid h) = \frac{\max(c(h\,w) - D, 0)}{c(h)}
#    + \frac{D\, N_{1+}(h\,\bullet)}{c(h)}\, P_\text{cont}(w), $$
#
# where $N_{1+}(h\,\bullet)$ is the number of distinct tokens seen after $h$: the
# discount taken from each of them is exactly the mass handed to the lower
# order. For higher orders the same formula recurses, with continuation counts at
# every order below the top. **Modified Kneser-Ney** (Chen and Goodman) uses three
# discounts, for n-grams seen once, twice, and three or more times.
#
# **Exercise 3** (`exercises/ex3_kneser_ney.py`, 5 points). From a bigram count
# table, compute the continuation probability $P_\text{cont}$ and the
# interpolated Kneser-Ney bigram model with one discount $D$. Grade it with
#
# ```
# python -m minilm grade chapters/01_language_models/exercises/ex3_kneser_ney.py
# ```
#
# Check your answer (after grading exercise 3): minilm scores a batch of n-grams
# of any order at once, from order 1 up, with continuation counts below the top
# order.

# %%
show(KneserNey.score)

# %% [markdown]
# ## 7. Sampling text from a model
#
# To generate, sample a token from $P(\cdot \mid h)$, append it, and repeat until
# `</s>`. The **temperature** $T$ reshapes the distribution to $p^{1/T}$
# (renormalized): $T < 1$ sharpens it toward the likeliest tokens, $T > 1$
# flattens it, $T = 0$ always takes the most likely one. Names from Kneser-Ney
# models of growing order:

# %%
for n in (1, 2, 3, 4, 5):
    lm = NgramModel(n, "kneser-ney").fit(names["train"])
    samples = ["".join(s) for s in lm.generate(8, seed=0)]
    print(f"n={n}:", ", ".join(samples))

# %% [markdown]
# A unigram model knows letter frequencies only; by $n = 4$ most samples look
# like names. The longer the context, the more the model copies its training
# data:

# %%
known = set(names["train"])
for n in (2, 3, 4, 5):
    lm = NgramModel(n, "kneser-ney").fit(names["train"])
    copies = np.mean(["".join(s) in known for s in lm.generate(200, seed=0)])
    print(f"n={n}: {copies:.0%} of 200 samples are names from the training split")

# %% [markdown]
# Temperature, on the trigram model:

# %%
for T in (0.5, 1.0, 1.5):
    print(f"T={T}:", ", ".join("".join(s) for s in lm3.generate(8, seed=1, temperature=T)))

# %% [markdown]
# Shakespeare, from the word trigram model with Kneser-Ney, and with add-1
# smoothing (which hands most of the mass to words never seen in the context):

# %%
lm_laplace = NgramModel(3, "laplace", min_count=2).fit(shakespeare["train"])
for name, lm in [("Kneser-Ney", lm_words), ("add-1", lm_laplace)]:
    for sample in lm.generate(2, seed=3, max_tokens=20):
        print(f"{name:10s}", " ".join(sample))

# %% [markdown]
# ## 8. Evaluation: cross-entropy and perplexity
#
# A good model gives the held-out test text a high probability. Averaged per
# token, in log space, that is the **cross-entropy** between the text and the
# model (chapter 2 explains the name):
#
# $$ H = -\frac{1}{N} \sum_{t=1}^{N} \log P(w_t \mid h_t), \qquad
#    \text{perplexity} = e^{H} \;(= 2^{H} \text{ with } H \text{ in bits}). $$
#
# $N$ counts every predicted token, each sentence's `</s>` included. Perplexity is
# the size of a uniform choice that would be as surprising: a perplexity of 9 on
# names means the model is, on average, as unsure as a fair choice among 9
# characters (against 28 for a uniform guess).
#
# **Exercise 4** (`exercises/ex4_perplexity.py`, 4 points). Compute a model's
# cross-entropy in bits per token and its perplexity on a list of sentences,
# from `lm.prob` alone (mind the `</s>` of every sentence). Grade it with
#
# ```
# python -m minilm grade chapters/01_language_models/exercises/ex4_perplexity.py
# ```
#
# The trigram model of names, scored both ways; `NgramModel.perplexity` is
# exactly $e^H$:

# %%
logp = lm3.logprobs(names["test"])
print(f"{len(logp)} test tokens; cross-entropy {-logp.mean():.4f} nats = "
      f"{-logp.mean() / math.log(2):.4f} bits per character")  # fmt: skip
print(f"exp(H) = {math.exp(-logp.mean()):.4f}")
print(f"lm.perplexity = {lm3.perplexity(names['test']):.4f}")

# %% [markdown]
# Now every smoothing method at every order, fitted on train (interpolation
# weights tuned on val) and scored on test: the same table `python -m minilm.bench
# ngram` prints. Words seen once in Shakespeare's training split become `<unk>`
# (`min_count=2`), so every method meets unknown words the same way.

# %%
METHODS = ["mle", "add-k", "interpolation", "backoff", "kneser-ney", "modified-kneser-ney"]
ORDERS = {"names": range(1, 6), "tinyshakespeare": range(1, 6)}
splits = {"names": names, "tinyshakespeare": shakespeare}
results = {}
for corpus, orders in ORDERS.items():
    data, min_count = splits[corpus], DEFAULT_MIN_COUNT["char" if corpus == "names" else "word"]
    for method in METHODS:
        results[corpus, method] = [
            NgramModel(n, method, min_count=min_count).fit(data["train"], heldout=data["val"])
            .perplexity(data["test"])
            for n in orders
        ]  # fmt: skip
    print(f"\n{corpus}: test perplexity")
    print(f"{'method':20s}" + "".join(f"{f'n={n}':>10s}" for n in orders))
    for method in METHODS:
        print(f"{method:20s}" + "".join(f"{v:10.2f}" for v in results[corpus, method]))

fig, axes = plt.subplots(1, 2, figsize=(11, 3.8))
for ax, (corpus, orders) in zip(axes, ORDERS.items()):
    for method in METHODS[1:]:  # MLE is infinite beyond n = 1
        ax.plot(list(orders), results[corpus, method], "o-", label=method)
    if corpus == "tinyshakespeare":  # add-k spans an order of magnitude there
        ax.set_yscale("log")
    ax.set_xticks(list(orders))
    ax.set_xlabel("order n")
    ax.set_ylabel("test perplexity")
    ax.set_title(f"{corpus} ({'characters' if corpus == 'names' else 'words'})")
    ax.grid(alpha=0.3)
axes[0].legend(fontsize=8)
fig.tight_layout()
plt.show()

# %% [markdown] tags=["cites"]
# What the table says:
#
# - MLE is infinite from $n = 2$ on: some test n-gram is always new.
# - Add-1 gets *worse* with order on words, from 278.07 at $n = 1$ to 489.46 at
#   $n = 2$ and 3266.16 at $n = 5$: the mass it gives to unseen words grows with
#   the number of contexts. On characters, where $V$ is small, it improves up to
#   $n = 4$ (9.04) and only then gets worse (10.69 at $n = 5$).
# - Interpolation, backoff and Kneser-Ney keep improving with order on names, to
#   7.40, 7.65 and 7.37 at $n = 5$; modified Kneser-Ney is the best or tied at
#   every order (7.24 at $n = 5$), as Chen and Goodman found on much larger
#   corpora.
# - On Shakespeare's words the gains after $n = 2$ are small, and only the
#   Kneser-Ney models keep them: modified Kneser-Ney improves at every order up to
#   $n = 5$ (108.59, 105.95, 104.79, 104.67), interpolation flattens out (123.50
#   at $n = 3$, 123.13 at $n = 5$), and backoff is best at $n = 2$ (116.13) and
#   worse after it (122.38 at $n = 5$). There is not enough text to estimate
#   long word contexts, and a method that trusts the long context whenever it
#   was seen at all (backoff) suffers most.
#
# These numbers are the first rung of the model ladder (`python -m minilm tour`):
# the neural models of chapters 5 and 7 are scored on the same splits.
#
# ### Vocabulary coverage and unknown words
#
# A word model has a finite vocabulary; a test word outside it is
# **out-of-vocabulary** (OOV) and becomes `<unk>`. The **OOV rate** is the share of
# test tokens that are unknown; **coverage** is the rest. Dropping rare training
# words shrinks the vocabulary and raises the OOV rate:

# %%
train_counts = Counter(w for s in shakespeare["train"] for w in s)
test_tokens = [w for s in shakespeare["test"] for w in s]
print(f"{'min_count':>9s} {'vocabulary':>10s} {'OOV rate':>9s}")
for min_count in (1, 2, 3, 5, 10):
    kept = {w for w, c in train_counts.items() if c >= min_count}
    oov = np.mean([w not in kept for w in test_tokens])
    print(f"{min_count:9d} {len(kept):10d} {oov:9.2%}")

# %% [markdown] tags=["cites"]
# Even with every training word kept, 5.91% of the test tokens (about one in
# seventeen) were never seen: new words are the rule in running text
# (chapter 4's subword tokenizers are the modern answer: no word is ever
# unknown). Coverage by the most frequent
# words, a sign of Zipf's law: a few hundred words cover most of the text.

# %%
ranked = [w for w, _ in train_counts.most_common()]
sizes = [10, 30, 100, 300, 1000, 3000, 10000, len(ranked)]
coverage = []
for size in sizes:
    kept = set(ranked[:size])
    coverage.append(np.mean([w in kept for w in test_tokens]))
fig, ax = plt.subplots(figsize=(5, 3.2))
ax.semilogx(sizes, coverage, "o-")
ax.set_xlabel("vocabulary: the most frequent training words")
ax.set_ylabel("share of test tokens covered")
ax.grid(alpha=0.3)
fig.tight_layout()
plt.show()

# %% [markdown]
# A warning about `<unk>`: it is one token standing for thousands of words, so it
# is cheap to predict. A model with a smaller vocabulary gets a *lower* perplexity
# on the same text without being better, and unknown words look likely:

# %%
for sentence in ["I will not go to the king .", "I will not go to the walrus ."]:
    print(f"{sentence:30s} perplexity {lm_words.perplexity([sentence.split()]):6.2f}")
for min_count in (2, 10):
    lm = NgramModel(2, "kneser-ney", min_count=min_count).fit(shakespeare["train"])
    print(f"bigram KN, min_count={min_count:2d}: vocabulary {len(lm.vocab):5d}, "
          f"test perplexity {lm.perplexity(shakespeare['test']):.2f}")  # fmt: skip

# %% [markdown] tags=["cites"]
# The sentence with the unknown "walrus" scores a lower perplexity (15.84) than
# the one with "king" (15.98), and the bigram model that maps every word seen
# fewer than ten times to `<unk>` reports a test perplexity of 53.12 against
# 109.34, without being a better model. Perplexities are comparable only between
# models with the same vocabulary (or tokenization) on the same text. That is
# why the course fixes the splits and reports character-level models on names,
# and why chapter 5 compares models in nats per character.

# %% [markdown]
# ## Summary
#
# - A language model gives the next token a distribution; by the chain rule that
#   is a distribution over whole texts. It generates, ranks candidates and, one
#   model per class, classifies.
# - An n-gram model keeps the last $n-1$ tokens (the Markov assumption) and is
#   trained by counting, with `<s>` and `</s>` padding.
# - Maximum likelihood gives unseen n-grams probability 0. Add-k smoothing fixes
#   that bluntly (well for characters, badly for words); interpolation and
#   absolute-discount backoff use shorter contexts; Kneser-Ney's lower orders
#   count the contexts a word follows, not its occurrences, and (modified)
#   Kneser-Ney is the best method here at every order.
# - Sampling draws tokens one at a time; temperature trades variety for
#   likelihood, and long contexts copy the training data.
# - Cross-entropy and perplexity on held-out text measure a model; they compare
#   only models with the same vocabulary on the same text.
#
# ## Exercises
#
# Each exercise is a file in `chapters/01_language_models/exercises/`: fill in the
# code between `### BEGIN YOUR SOLUTION` and `### END YOUR SOLUTION`, then grade
# it with its command below (or all of them with
# `python -m minilm grade chapters/01_language_models/exercises`):
#
# | exercise | task | points |
# | --- | --- | --- |
# | `ex1_bigram_counts.py` | bigram counts with `<s>`/`</s>` padding, and the MLE table | 4 |
# | `ex2_add_k.py` | add-k (Laplace) smoothing of a count table | 4 |
# | `ex3_kneser_ney.py` | the continuation probability and a Kneser-Ney bigram model | 5 |
# | `ex4_perplexity.py` | cross-entropy in bits and perplexity from `lm.prob` | 4 |
#
# ```
# python -m minilm grade chapters/01_language_models/exercises/ex1_bigram_counts.py
# python -m minilm grade chapters/01_language_models/exercises/ex2_add_k.py
# python -m minilm grade chapters/01_language_models/exercises/ex3_kneser_ney.py
# python -m minilm grade chapters/01_language_models/exercises/ex4_perplexity.py
# ```
#
# The graders compare your functions with `minilm.ngram` on random small corpora
# (hypothesis draws them) and print the smallest corpus on which they differ.
#
# Questions to think about (not graded):
#
# 1. Why does add-1 get worse as the order grows, on words much sooner than on
#    characters? Count how many n-grams each context could be followed by, and
#    how many it was.
# 2. Backoff uses the long context whenever its n-gram was seen at all;
#    interpolation always mixes in the shorter ones. Which would you expect to
#    cope better with a small corpus, and does the Shakespeare table agree?
# 3. The continuation count of "VINCENTIO" is 1. What would a unigram model
#    with raw counts, and Kneser-Ney's lower order, each say about
#    "VINCENTIO" after a context never seen in training?
# 4. A model with a 2,000-word vocabulary has a lower perplexity than one with
#    7,000 words on the same text. Name two ways to compare them fairly.
#
# ## Further reading
#
# - D. Jurafsky and J. H. Martin, *Speech and Language Processing* (3rd edition
#   draft), chapter 3, "N-gram Language Models": the chapter this one follows.
# - S. F. Chen and J. Goodman (1999), *An empirical study of smoothing techniques
#   for language modeling*, Computer Speech and Language 13 (the 1998 Harvard
#   technical report has the full tables): modified Kneser-Ney and the
#   comparison this chapter repeats in miniature.
# - R. Kneser and H. Ney (1995), *Improved backing-off for M-gram language
#   modeling*, ICASSP: continuation counts.
# - S. M. Katz (1987), *Estimation of probabilities from sparse data for the
#   language model component of a speech recognizer*, IEEE Transactions on
#   ASSP: backoff with Good-Turing discounts.
# - H. Ney, U. Essen and R. Kneser (1994), *On structuring probabilistic
#   dependences in stochastic language modelling*, Computer Speech and Language
#   8: absolute discounting and the estimate $D = n_1/(n_1 + 2 n_2)$.
