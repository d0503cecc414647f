"""Pretraining then fine-tuning, measured (chapter 08).

- :class:`TextTask`: the UCI sentiment sentences on minilm's fixed splits, word
  ids with a ``[CLS]`` in front, and two label sets: sentiment (one label) and a
  multi-label task built from the same rows (see :data:`LABELS`).
- :func:`pretraining_text`: the bundled English without any label: the English
  side of the eng-fra training pairs and the sentiment *training* sentences.
  (The val and test sentences are never seen, not even unlabelled.)
- :func:`pretrain_mlm`, :func:`train_classifier`, :func:`predict_logits`: the
  loops; :func:`bow_features` for the bag-of-words baseline, which is a
  ``nn.Linear`` on word counts trained by the same loop.
"""

from __future__ import annotations

from dataclasses import dataclass

from .. import functional as F
from .. import optim
from ..backend import np
from ..data import load_sentiment, load_split, pad_batch
from ..data.corpora import SENTIMENT_SOURCES
from ..tensor import no_grad, tensor
from ..text import WordTokenizer
from ..train import fit

__all__ = ["SPECIALS", "LABELS", "TextTask", "pretraining_text", "pretrain_mlm",
           "train_classifier", "predict_logits", "bow_features"]  # fmt: skip

SPECIALS = ("[PAD]", "[CLS]", "[SEP]", "[MASK]")  # ids 0..3; "[UNK]" is 4
# The multi-label task: a review router tags each sentence with its sentiment
# AND the product it is about. "positive" is independent of the domain; the
# three domains exclude each other; so a row has one or two labels.
LABELS = ("positive", "phone (amazon)", "film (imdb)", "restaurant (yelp)")


def pretraining_text() -> list[str]:
    """Unlabelled English: eng-fra train English sides (distinct) + sentiment train sentences."""
    english = list(dict.fromkeys(en for en, _ in load_split("eng-fra", "train")))
    return english + [s for s, _ in load_split("sentiment", "train")]


@dataclass
class TextTask:
    """The sentiment splits, tokenized: ``ids[split]`` lists of ids (``[CLS]`` first),
    ``sentiment[split]`` (N,) 0/1, ``multilabel[split]`` (N, 4) 0/1 (:data:`LABELS`)."""

    tokenizer: WordTokenizer
    ids: dict
    sentiment: dict
    multilabel: dict
    max_len: int

    @classmethod
    def load(cls, max_len: int = 40, min_count: int = 2) -> TextTask:
        tok = WordTokenizer.from_text("\n".join(pretraining_text()), min_count=min_count,
                                      specials=SPECIALS, unk="[UNK]", lower=True)  # fmt: skip
        source = {}
        for k, src in enumerate(SENTIMENT_SOURCES):
            for sentence, _ in load_sentiment(src):
                source[sentence] = k
        ids, sent, multi = {}, {}, {}
        for split in ("train", "val", "test"):
            rows = load_split("sentiment", split)
            ids[split] = [[1, *tok.encode(s)][:max_len] for s, _ in rows]
            sent[split] = np.array([y for _, y in rows], dtype=np.int64)
            m = np.zeros((len(rows), len(LABELS)), dtype=np.float32)
            m[:, 0] = sent[split]
            m[np.arange(len(rows)), 1 + np.array([source[s] for s, _ in rows])] = 1
            multi[split] = m
        return cls(tok, ids, sent, multi, max_len)

    def encode(self, sentences) -> list[list[int]]:
        return [[1, *self.tokenizer.encode(s)][: self.max_len] for s in sentences]


def pretrain_mlm(bert, task: TextTask, steps: int, batch_size: int = 64, lr: float = 1e-3,
                 seed: int = 0, progress: bool = True):  # fmt: skip
    """Masked-language-model pretraining of ``bert`` on :func:`pretraining_text`."""
    seqs = task.encode(pretraining_text())
    device = bert.tok.weight.device
    gen = np.random.default_rng(seed)

    def batch():
        ids, _ = pad_batch([seqs[i] for i in gen.integers(0, len(seqs), batch_size)],
                           device=device)  # fmt: skip
        return (ids,)

    opt = optim.AdamW(bert.parameters(), lr=lr, weight_decay=0.01)
    sched = optim.WarmupCosineLR(opt, min(100, steps - 1), steps, eta_min=lr / 10)
    return fit(bert, opt, batch, steps, loss_fn=lambda m, b: m.mlm_loss(b[0], rng=gen),
               scheduler=sched, clip_grad_norm=1.0, seed=seed, progress=progress)  # fmt: skip


def _batches(inputs, labels, batch_size, gen, device):
    n = len(labels)

    def batch():
        idx = gen.integers(0, n, batch_size)
        if isinstance(inputs, np.ndarray):
            return tensor(inputs[idx], device=device), tensor(labels[idx], device=device)
        ids, mask = pad_batch([inputs[i] for i in idx], device=device)
        return ids, tensor(labels[idx], device=device)

    return batch


def _loss(model, b):
    x, y = b
    logits = model(x)
    if y.dtype.kind == "f":  # multi-label: one sigmoid per label
        return F.binary_cross_entropy_with_logits(logits, y)
    return F.cross_entropy(logits, y)


def train_classifier(model, inputs, labels, steps: int, batch_size: int = 32, lr: float = 1e-3,
                     weight_decay: float = 0.01, seed: int = 0, progress: bool = True):  # fmt: skip
    """Train any ``model(x) -> logits`` on token-id lists (padded per batch) or a
    feature array; integer labels use cross-entropy, float (N, L) labels a
    sigmoid per label (binary cross-entropy)."""
    device = next(iter(model.parameters())).device
    gen = np.random.default_rng(seed)
    opt = optim.AdamW(model.parameters(), lr=lr, weight_decay=weight_decay)
    sched = optim.WarmupCosineLR(opt, min(steps // 10, steps - 1), steps, eta_min=lr / 10)
    return fit(model, opt, _batches(inputs, labels, batch_size, gen, device), steps,
               loss_fn=_loss, scheduler=sched, clip_grad_norm=1.0, seed=seed,
               progress=progress)  # fmt: skip


def predict_logits(model, inputs, batch_size: int = 256):
    """Logits (N, C) as a NumPy array, in eval mode."""
    device = next(iter(model.parameters())).device
    was = model.training
    model.eval()
    out = []
    with no_grad():
        for i in range(0, len(inputs), batch_size):
            chunk = inputs[i : i + batch_size]
            if isinstance(inputs, np.ndarray):
                x = tensor(chunk, device=device)
            else:
                x, _ = pad_batch(chunk, device=device)
            out.append(model(x).numpy())
    model.train(was)
    return np.concatenate(out)


def bow_features(task: TextTask, split: str):
    """Bag of words: (N, V) word counts (``[CLS]`` and padding excluded), float32."""
    V = task.tokenizer.vocab_size
    X = np.zeros((len(task.ids[split]), V), dtype=np.float32)
    for i, seq in enumerate(task.ids[split]):
        np.add.at(X[i], seq[1:], 1.0)
    return X
