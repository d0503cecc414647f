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
# # Chapter 8: Pretraining and fine-tuning
#
# Pretrain an encoder on unlabelled text, then fine-tune it on a small labelled
# task, and *measure* whether that beats the same model from scratch and a
# bag-of-words logistic regression. Then a multi-label task, and prompting a GPT.
#
# Small settings run in about a minute. The README's numbers come from
# `python -m minilm finetune`, which runs these same functions at full
# size, picks each model's weights on the validation split and averages seeds.

# %%
import os

import matplotlib.pyplot as plt

import minilm
import minilm.nn as nn
from minilm.data.lm_corpus import CharCorpus
from minilm.metrics import accuracy, confusion_matrix, f1_score, precision_recall_f1
from minilm.models import GPT, GPTConfig
from minilm.models.bert import BERT, BERTClassifier, BERTConfig
from minilm.recipes.finetune import (
    LABELS,
    TextTask,
    bow_features,
    predict_logits,
    pretrain_mlm,
    sigmoid,
    train_classifier,
    tune_thresholds,
)
from minilm.recipes.gpt import GPTTrainConfig, train_gpt

FULL = os.environ.get("MINILM_FULL") == "1"
PRE, FT = (1500, 600) if FULL else (60, 60)
minilm.manual_seed(0)

# %% [markdown]
# ## 1. The task and three contenders
#
# The UCI sentences (amazon, imdb, yelp reviews; 0 negative, 1 positive), on
# minilm's fixed 80/10/10 split. All three models see the same training rows
# and are scored on the same 300 test rows.

# %%
task = TextTask.load()
V = task.tokenizer.vocab_size
cfg = BERTConfig(
    vocab_size=V,
    max_len=40,
    n_layer=2,
    n_head=4,
    d_model=128 if FULL else 64,
    dropout=0.1,
    num_special=5,
)
y_test = task.sentiment["test"]


def report(name, logits):
    p = logits.argmax(-1)
    print(f"{name:26} accuracy {accuracy(y_test, p):.3f}  F1 {f1_score(y_test, p):.3f}")
    return confusion_matrix(y_test, p, labels=[0, 1])


# %%
bow = nn.Linear(V, 2)
train_classifier(
    bow,
    bow_features(task, "train"),
    task.sentiment["train"],
    600,
    batch_size=64,
    lr=1e-2,
    weight_decay=0.0,
    progress=False,
)
cms = {
    "bag of words": report("bag-of-words logreg", predict_logits(bow, bow_features(task, "test")))
}

# %%
scratch = BERTClassifier(BERT(cfg), 2)
train_classifier(scratch, task.ids["train"], task.sentiment["train"], FT, lr=5e-4, progress=False)
cms["scratch"] = report("transformer, scratch", predict_logits(scratch, task.ids["test"]))

# %% [markdown]
# ## 2. Pretrain, then fine-tune
#
# Masked language modelling on the unlabelled English we ship (eng-fra's
# English side and the sentiment *training* sentences), then the same
# classifier head and training as above.

# %%
bert = BERT(cfg)
hist = pretrain_mlm(bert, task, PRE, progress=False)
plt.plot(hist.loss)
plt.ylabel("MLM loss")
plt.show()
pretrained = {k: v.data.copy() for k, v in bert.state_dict().items()}  # reused in section 3
clf = BERTClassifier(bert, 2)
train_classifier(clf, task.ids["train"], task.sentiment["train"], FT, lr=5e-4, progress=False)
cms["pretrained"] = report("transformer, pretrained", predict_logits(clf, task.ids["test"]))

# %%
fig, axes = plt.subplots(1, 3, figsize=(9, 3))
for ax, (name, cm) in zip(axes, cms.items()):
    ax.imshow(cm, cmap="Blues")
    for i in range(2):
        for j in range(2):
            ax.text(j, i, cm[i, j], ha="center")
    ax.set_title(name)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
plt.tight_layout()
plt.show()

# %% [markdown]
# With 2,400 labelled sentences, most of the signal is in which words occur,
# which is exactly what bag-of-words sees; see the README for the full-size
# comparison and what it says about when pretraining pays.
#
# ## 3. Multi-label: sentiment and domain at once
#
# A review router tags each sentence with its sentiment *and* the product it
# is about: four sigmoid outputs (positive, phone, film, restaurant), each
# with its own threshold chosen on the validation split (`tune_thresholds`:
# the cut between two validation scores that maximises that label's F1).
# It starts from the pretrained encoder again, not the one fine-tuned above.

# %%
encoder = BERT(cfg)
encoder.load_state_dict(pretrained)
ml = BERTClassifier(encoder, len(LABELS))
train_classifier(ml, task.ids["train"], task.multilabel["train"], FT, lr=5e-4, progress=False)
pv = sigmoid(predict_logits(ml, task.ids["val"]))
pt = sigmoid(predict_logits(ml, task.ids["test"]))
yv, yt = task.multilabel["val"].astype(int), task.multilabel["test"].astype(int)
th = tune_thresholds(pv, yv)
pred = (pt >= th).astype(int)
print("thresholds", dict(zip(LABELS, th.round(2))))
print(
    "micro F1",
    round(precision_recall_f1(yt, pred, "micro")[2], 3),
    "macro F1",
    round(precision_recall_f1(yt, pred, "macro")[2], 3),
)

# %% [markdown]
# ## 4. Generation and prompting with a GPT
#
# A character GPT continues whatever it is given: the prompt *is* the
# interface. A small one trained for a minute has learned spelling and the
# play's layout (names in capitals, then a colon), not meaning.

# %%
corpus = CharCorpus.load("tinyshakespeare", max_chars=None if FULL else 200_000)
gpt = GPT(GPTConfig(vocab_size=corpus.vocab_size, block_size=64, n_layer=2, n_head=4, n_embd=64))
train_gpt(
    gpt, corpus, GPTTrainConfig(steps=2000 if FULL else 100, lr=2e-3, warmup=20), progress=False
)
for prompt in ["JULIET:\n", "First Citizen:\nWe"]:
    for t in (0.5, 1.0):
        out = gpt.generate(corpus.tokenizer.encode(prompt), 80, temperature=t, top_k=20, seed=1)
        print(f"--- T={t}\n{prompt}{corpus.decode(out)}")
