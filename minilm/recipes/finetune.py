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
- :func:`tune_thresholds`: per-label decision thresholds for the multi-label task.
- :func:`pooled_features` (what a linear probe trains on) and :func:`mlm_eval_loss`
  (the MLM loss on held-out sentences).
- :func:`compare` and ``python -m minilm finetune``: the
  chapter's measurement: pretrained vs from-scratch transformer vs bag of words,
  on sentiment and on the multi-label task, scored on the test split.
- :func:`pretrain_encoder`, :func:`load_encoder` and ``python -m minilm finetune
  --save-encoder PATH``: the MLM-pretrained encoder of
  :func:`compare` written to a file and read back (the one chapter 08's lesson
  loads, :data:`PRETRAINED`, was made this way).
- Next-sentence prediction, BERT's second pretraining task: :func:`pretraining_documents`
  (the sentences in document order that pairs are drawn from), ``pretrain_mlm(...,
  pairs=True, nsp=True)``, :func:`evaluate_pairs` (NSP accuracy on held-out pairs), and
  :func:`compare_nsp` / ``python -m minilm finetune --nsp-ablation``: the downstream
  scores of encoders pretrained with and without it.
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import asdict, dataclass, fields, replace
from importlib import resources

from .. import functional as F
from .. import optim
from ..backend import np
from ..data import load_sentiment, load_split, pad_batch
from ..data.corpora import SENTIMENT_SOURCES
from ..io import CheckpointError, load, save
from ..metrics import accuracy, confusion_matrix, f1_score, precision_recall_f1
from ..tensor import manual_seed, no_grad, tensor
from ..text import WordTokenizer
from ..train import fit

__all__ = ["SPECIALS", "LABELS", "TextTask", "pretraining_text", "pretrain_mlm",
           "train_classifier", "classifier_loss", "predict_logits", "bow_features",
           "sigmoid", "tune_thresholds", "pooled_features", "mlm_eval_loss", "CompareConfig",
           "compare", "format_tables", "PRETRAINED", "pretrain_encoder", "save_encoder",
           "load_encoder", "pretraining_documents", "evaluate_pairs", "NSP_ARMS", "compare_nsp",
           "format_nsp_table", "SENTIMENT_LABELS", "save_classifier"]  # fmt: skip

SPECIALS = ("[PAD]", "[CLS]", "[SEP]", "[MASK]")  # ids 0..3; "[UNK]" is 4
# The multi-label task: a review router tags each sentence with its sentiment
# AND the product it is about. "positive" is independent of the domain; the
# three domains exclude each other; so a row has one or two labels.
LABELS = ("positive", "phone (amazon)", "film (imdb)", "restaurant (yelp)")
SENTIMENT_LABELS = ("negative", "positive")  # the sentiment task's classes 0 and 1


def pretraining_text() -> list[str]:
    """Unlabelled English: eng-fra train English sides (distinct) + sentiment train sentences."""
    english = list(dict.fromkeys(en for en, _ in load_split("eng-fra", "train")))
    return english + [s for s, _ in load_split("sentiment", "train")]


def pretraining_documents(split: str = "train") -> list[list[str]]:
    """Sentences in document order, for next-sentence pairs: the sentiment sentences
    of ``split``, one document per source file (amazon, imdb, yelp), in file order.

    None of the bundled English has documents in the usual sense. The eng-fra
    sentences are Tatoeba's, unrelated to each other and sorted by length, so
    there a "next sentence" would be one of about the same length (a shortcut,
    not discourse); they are left out. The sentiment files keep each review site
    apart and often run several sentences of one review in a row (the imdb file's
    "Loved the casting of Jimmy Buffet as the science teacher." is followed by
    "And those baby owls were adorable."), so the next sentence is on the same
    site, sometimes from the same review. The split's sentences keep their file
    order; a sentence of another split is skipped over, so the next training
    sentence is the next line of the file four times in five (the split is 80%).
    Pretraining uses ``"train"``; ``"val"`` gives held-out pairs (:func:`evaluate_pairs`).

    >>> [len(doc) for doc in pretraining_documents("val")]
    [106, 100, 94]
    """
    left = Counter(s for s, _ in load_split("sentiment", split))  # a repeated sentence: each copy
    docs = []
    for src in SENTIMENT_SOURCES:
        doc = []
        for sentence, _ in load_sentiment(src):
            if left[sentence] > 0:
                left[sentence] -= 1
                doc.append(sentence)
        docs.append(doc)
    return docs


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
                 seed: int = 0, progress: bool = True, bucket: bool = True,
                 pairs: bool = False, nsp: bool = False):  # fmt: skip
    """Masked-language-model pretraining of ``bert`` on :func:`pretraining_text`.

    With ``bucket`` (the default) a batch is ``batch_size`` sentences of similar
    length: a random window of the sentences sorted by length (equal lengths in a
    random order). Most of the pretraining text is short eng-fra sentences, and a
    batch drawn at random would pad them all to its longest one, so bucketing
    makes a step several times cheaper for the same masked tokens.

    ``pairs``: a sequence is instead a pair ``[CLS] A [SEP] B [SEP]`` with segment
    ids (:func:`~minilm.models.bert.pack_pair`, cut to ``bert.config.max_len``),
    ``batch_size`` of them drawn afresh each step from the training
    :func:`pretraining_documents` by
    :func:`~minilm.models.bert.next_sentence_pairs` (B is A's next sentence half
    the time, a random one otherwise); ``bucket`` does not apply. The encoder needs
    ``BERTConfig(n_segments=2)``. ``nsp``: pairs, and the loss is the MLM loss plus
    the next-sentence loss (BERT's pretraining; the encoder needs ``nsp=True`` too).
    """
    device = bert.tok.weight.device
    gen = np.random.default_rng(seed)
    if pairs or nsp:
        return _pretrain_pairs(bert, task, steps, batch_size, lr, seed, progress, nsp, gen)
    seqs = task.encode(pretraining_text())
    batch_size = min(batch_size, len(seqs))
    lengths = np.array([len(s) for s in seqs])
    by_length = np.lexsort((gen.random(len(seqs)), lengths))  # sorted by length, ties shuffled

    def batch():
        if bucket:
            start = int(gen.integers(0, len(seqs) - batch_size + 1))
            idx = by_length[start : start + batch_size]
        else:
            idx = gen.integers(0, len(seqs), batch_size)
        ids, _ = pad_batch([seqs[i] for i in idx], device=device)
        return (ids,)

    return _pretrain_fit(bert, batch, lambda m, b: m.mlm_loss(b[0], rng=gen), steps, lr, seed,
                         progress)  # fmt: skip


def _pretrain_fit(bert, batch, loss_fn, steps, lr, seed, progress):
    opt = optim.AdamW(bert.parameters(), lr=lr, weight_decay=0.01)
    sched = optim.WarmupCosineLR(opt, min(100, steps - 1), steps, eta_min=lr / 10)
    return fit(bert, opt, batch, steps, loss_fn=loss_fn, scheduler=sched, clip_grad_norm=1.0,
               seed=seed, progress=progress)  # fmt: skip


def _document_ids(task: TextTask, split: str) -> list[list[list[int]]]:
    return [[task.tokenizer.encode(s) for s in doc] for doc in pretraining_documents(split)]


def _pair_batch(docs, n, gen, max_len, device):
    """``n`` packed pairs from ``docs`` (token-id documents): ids, segment ids (B, T),
    is_next (B,), and which document each second sentence came from."""
    from ..models.bert import next_sentence_pairs, pack_pair

    flat = [s for doc in docs for s in doc]
    first, second, is_next = next_sentence_pairs(docs, n, gen)
    packed = [pack_pair(flat[i], flat[j], max_len) for i, j in zip(first, second)]
    ids, _ = pad_batch([p[0] for p in packed], device=device)
    segments, _ = pad_batch([p[1] for p in packed], device=device)
    doc_of = np.repeat(np.arange(len(docs)), [len(d) for d in docs])
    same_doc = doc_of[first] == doc_of[second]
    return ids, segments, tensor(is_next, device=device), same_doc


def _pretrain_pairs(bert, task, steps, batch_size, lr, seed, progress, nsp, gen):
    c = bert.config
    if c.n_segments < 2 or (nsp and not c.nsp):
        need = "n_segments=2, nsp=True" if nsp else "n_segments=2"
        raise ValueError(f"pretrain_mlm: {'NSP' if nsp else 'pair'} pretraining needs an encoder "
                         f"built with BERTConfig({need}), got n_segments={c.n_segments}, "
                         f"nsp={c.nsp}")  # fmt: skip
    docs, device = _document_ids(task, "train"), bert.tok.weight.device

    def batch():
        return _pair_batch(docs, batch_size, gen, c.max_len, device)[:3]

    def loss_fn(m, b):
        ids, segments, is_next = b
        if not nsp:
            return m.mlm_loss(ids, rng=gen, segment_ids=segments)
        mlm, next_sentence = m.mlm_nsp_loss(ids, segments, is_next, rng=gen)
        return mlm + next_sentence

    return _pretrain_fit(bert, batch, loss_fn, steps, lr, seed, progress)


def evaluate_pairs(bert, task: TextTask, split: str = "val", n: int = 1000, seed: int = 0,
                   batch_size: int = 250) -> dict:  # fmt: skip
    """How a pair-pretrained encoder does on ``n`` pairs of ``split``'s
    :func:`pretraining_documents` (held out from pretraining), in eval mode.

    Returns ``mlm_loss`` (nats per masked token, one masking drawn from ``seed``)
    and, for an encoder with an NSP head, its accuracy on the unmasked pairs:
    ``nsp_accuracy`` over all of them and, apart, on the true pairs
    (``nsp_accuracy_next``), on random second sentences from the same source file
    (``nsp_accuracy_random_same``) and from another one (``nsp_accuracy_random_other``,
    which the review site alone gives away).
    """
    from ..models.bert import IGNORE, mask_tokens

    c, gen = bert.config, np.random.default_rng(seed)
    ids, segments, is_next, same_doc = _pair_batch(_document_ids(task, split), n, gen,
                                                   c.max_len, bert.tok.weight.device)  # fmt: skip
    was = bert.training
    bert.eval()
    total = count = 0.0
    right = []
    with no_grad():
        for i in range(0, n, batch_size):
            x, s = ids[i : i + batch_size], segments[i : i + batch_size]
            draw = int(gen.integers(2**31))
            _, targets = mask_tokens(x, c.vocab_size, c.mask_id, c.num_special, draw)
            picked = int((targets != IGNORE).sum())
            total += float(bert.mlm_loss(x, rng=draw, segment_ids=s).item()) * picked
            count += picked
            if c.nsp:
                pred = bert.nsp_logits(bert(x, segment_ids=s)).numpy().argmax(-1)
                right.append(pred == is_next.numpy()[i : i + batch_size])
    bert.train(was)
    out = {"mlm_loss": total / count}
    if c.nsp:
        right, y = np.concatenate(right), is_next.numpy()
        out["nsp_accuracy"] = float(right.mean())
        for name, rows in [("next", y == 1), ("random_same", (y == 0) & same_doc),
                           ("random_other", (y == 0) & ~same_doc)]:  # fmt: skip
            out[f"nsp_accuracy_{name}"] = float(right[rows].mean()) if rows.any() else float("nan")
    return out


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
    return _loss_of(model(x), y)


def _loss_of(logits, y):
    if y.dtype.kind == "f":  # multi-label: one sigmoid per label
        return F.binary_cross_entropy_with_logits(logits, y)
    return F.cross_entropy(logits, y)


def train_classifier(model, inputs, labels, steps: int, batch_size: int = 32, lr: float = 1e-3,
                     weight_decay: float = 0.01, seed: int = 0, progress: bool = True,
                     val=None, eval_every: int | None = None):  # fmt: skip
    """Train any ``model(x) -> logits`` on token-id lists (padded per batch) or a
    feature array; integer labels use cross-entropy, float (N, L) labels a
    sigmoid per label (binary cross-entropy).

    ``val=(inputs, labels)``: the loss on it is measured every ``eval_every``
    steps and at the end, and the model keeps the weights that scored lowest
    (model selection on validation data; the history's ``best_step`` says when).
    """
    device = next(iter(model.parameters())).device
    gen = np.random.default_rng(seed)
    opt = optim.AdamW(model.parameters(), lr=lr, weight_decay=weight_decay)
    sched = optim.WarmupCosineLR(opt, min(steps // 10, steps - 1), steps, eta_min=lr / 10)
    eval_fn, best = None, {}
    if val is not None:

        def eval_fn(m):
            loss = classifier_loss(m, *val)
            if loss < best.get("loss", float("inf")):
                best.update(loss=loss, state={k: v.data.copy() for k, v in m.state_dict().items()})
            return loss

    hist = fit(model, opt, _batches(inputs, labels, batch_size, gen, device), steps,
               loss_fn=_loss, scheduler=sched, clip_grad_norm=1.0, seed=seed,
               eval_fn=eval_fn, eval_every=eval_every, progress=progress)  # fmt: skip
    if best:
        model.load_state_dict(best["state"])
    return hist


def classifier_loss(model, inputs, labels) -> float:
    """Mean loss of ``model`` on a whole split (cross-entropy for integer labels,
    binary cross-entropy for float (N, L) ones), in eval mode."""
    return float(_loss_of(tensor(predict_logits(model, inputs)), tensor(labels)).item())


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


def pooled_features(encoder, inputs, pooling: str = "mean", batch_size: int = 256):
    """What a :class:`~minilm.models.bert.BERTClassifier` with ``pooling`` hands its
    head: (N, d) NumPy features of ``encoder`` in eval mode. A linear probe trains a
    ``nn.Linear`` on these with the encoder frozen (:func:`train_classifier` on an array).

    >>> from minilm.models.bert import BERT, BERTConfig
    >>> bert = BERT(BERTConfig(vocab_size=20, max_len=8, n_layer=1, n_head=2, d_model=16))
    >>> pooled_features(bert, [[1, 5, 6], [1, 7]]).shape
    (2, 16)
    """
    from ..models.bert import BERTClassifier
    from ..nn import Identity

    pool = BERTClassifier(encoder, 1, pooling)
    pool.head = Identity()  # the pooled vector itself, not a class score
    return predict_logits(pool, inputs, batch_size)


def mlm_eval_loss(bert, seqs, seed: int = 0, repeats: int = 4, batch_size: int = 256) -> float:
    """Mean MLM cross-entropy (nats per masked token) of ``bert`` on id lists ``seqs``
    (held-out sentences), in eval mode, over ``repeats`` fresh maskings drawn from ``seed``.

    >>> import math, minilm
    >>> from minilm.models.bert import BERT, BERTConfig
    >>> minilm.manual_seed(0)  # the initial weights: without a seed, whatever ran before
    >>> bert = BERT(BERTConfig(vocab_size=20, max_len=8, n_layer=1, n_head=2, d_model=16))
    >>> loss = mlm_eval_loss(bert, [[1, 5, 6, 7, 8, 9, 10]] * 8)
    >>> abs(loss - math.log(20)) < 0.3  # untrained: about ln 20 = 3.0
    True
    """
    from ..models.bert import IGNORE, mask_tokens

    c, gen = bert.config, np.random.default_rng(seed)
    was = bert.training
    bert.eval()
    total = count = 0.0
    with no_grad():
        for _ in range(repeats):
            for i in range(0, len(seqs), batch_size):
                ids, _ = pad_batch(seqs[i : i + batch_size], device=bert.tok.weight.device)
                draw = int(gen.integers(2**31))  # the same draws for the count and the loss
                _, targets = mask_tokens(ids, c.vocab_size, c.mask_id, c.num_special, draw)
                picked = int((targets != IGNORE).sum())
                if picked:
                    total += float(bert.mlm_loss(ids, rng=draw).item()) * picked
                    count += picked
    bert.train(was)
    return total / count


def bow_features(task: TextTask, split: str):
    """Bag of words: (N, V) word counts (``[CLS]`` and padding excluded), float32."""
    V = task.tokenizer.vocab_size
    X = np.zeros((len(task.ids[split]), V), dtype=np.float32)
    for i, seq in enumerate(task.ids[split]):
        np.add.at(X[i], seq[1:], 1.0)
    return X


def sigmoid(z):
    """``1 / (1 + exp(-z))`` on a NumPy array, without overflow for large ``|z|``.

    >>> sigmoid(np.array([-1000.0, 0.0, 1000.0])).tolist()
    [0.0, 0.5, 1.0]
    """
    return np.exp(-np.logaddexp(0.0, -np.asarray(z, dtype=np.float64)))


def tune_thresholds(probs, labels):
    """One decision threshold per label, each maximising that label's F1.

    ``probs`` (N, L) are scores (sigmoid outputs), ``labels`` (N, L) 0/1; a label
    is predicted where ``probs >= threshold``. The candidates for a label are
    its smallest score (everything predicted) and the midpoints between its
    consecutive distinct scores; the one with the highest F1 wins (the lowest
    threshold on ties). Tune on validation data, then apply to the test split.

    >>> probs = np.array([[0.125, 0.5], [0.5, 0.25], [0.25, 0.75], [0.75, 1.0]])
    >>> tune_thresholds(probs, np.array([[0, 0], [1, 0], [0, 1], [1, 1]])).tolist()
    [0.375, 0.625]
    """
    P, Y = np.asarray(probs, dtype=np.float64), np.asarray(labels)
    if P.ndim != 2 or P.shape != Y.shape or len(P) == 0:
        raise ValueError(f"tune_thresholds: need probs and labels of one shape (N, L) with N > 0, "
                         f"got {P.shape} and {Y.shape}")  # fmt: skip
    if not np.isin(Y, (0, 1)).all():
        raise ValueError("tune_thresholds: labels must be 0 or 1")
    out = np.zeros(P.shape[1])
    for j in range(P.shape[1]):
        s = np.unique(P[:, j])  # sorted, distinct
        candidates = np.concatenate([s[:1], (s[:-1] + s[1:]) / 2])
        scores = [f1_score(Y[:, j], (P[:, j] >= t).astype(Y.dtype)) for t in candidates]
        out[j] = candidates[int(np.argmax(scores))]
    return out


# --- the comparison: python -m minilm finetune -----------------------


@dataclass
class CompareConfig:
    """Sizes and steps for :func:`compare`; the defaults are the chapter README's run.

    Both transformers are the same :class:`~minilm.models.bert.BERT` (``d_model``,
    ``n_layer``, ``n_head``) with the same random init and the same fine-tuning
    (``finetune_*``); one is pretrained first (``pretrain_*``). The bag of words
    is a ``nn.Linear`` on word counts (``bow_*``). Every classifier keeps the
    weights with the lowest validation loss, measured every ``eval_every`` steps.

    ``pretrain_pairs``: pretrain on sentence pairs (with segment embeddings)
    instead of single sentences; ``nsp``: on pairs, with the next-sentence loss
    added (see :func:`pretrain_mlm`). Both are off by default.
    """

    d_model: int = 64
    n_layer: int = 2
    n_head: int = 4
    dropout: float = 0.1
    pretrain_steps: int = 3000
    pretrain_batch: int = 64
    pretrain_lr: float = 1e-3
    finetune_steps: int = 600
    finetune_batch: int = 32
    finetune_lr: float = 5e-4
    bow_steps: int = 600
    bow_batch: int = 64
    bow_lr: float = 1e-2
    eval_every: int = 50
    multilabel: bool = True
    seed: int = 0
    pretrain_pairs: bool = False
    nsp: bool = False


def _fresh_bert(task: TextTask, c: CompareConfig, state=None):
    from ..models.bert import BERT, BERTConfig

    manual_seed(c.seed)  # the same random init for the pretrained and the scratch encoder
    pairs = c.pretrain_pairs or c.nsp
    bert = BERT(BERTConfig(vocab_size=task.tokenizer.vocab_size, max_len=task.max_len,
                           n_layer=c.n_layer, n_head=c.n_head, d_model=c.d_model,
                           dropout=c.dropout, num_special=len(SPECIALS) + 1,
                           n_segments=2 if pairs else 0, nsp=c.nsp))  # fmt: skip
    if state is not None:
        bert.load_state_dict(state)
    return bert


def compare(c: CompareConfig, task: TextTask | None = None, progress: bool = True,
            keep: bool = False) -> dict:  # fmt: skip
    """Train and score the three sentiment classifiers (and, with ``c.multilabel``,
    the three multi-label ones) on ``task``'s fixed splits.

    Returns ``{"sentiment": [row, ...], "multilabel": [row, ...], "pretrain": {...}}``;
    a sentiment row has ``model, accuracy, f1, confusion, seconds`` (F1 of the
    positive class; ``confusion[i][j]``: true ``i`` predicted ``j``, 0 negative)
    and ``val_accuracy`` (the number to choose settings by),
    a multi-label row ``model, thresholds, f1`` (per label, :data:`LABELS` order),
    ``micro_f1, macro_f1, seconds``. Thresholds are tuned on the val split
    (:func:`tune_thresholds`); every number is measured on the test split.
    With ``keep``, ``"classifier"`` is the pretrained + fine-tuned sentiment
    classifier itself (the first sentiment row's), for :func:`save_classifier`.
    """
    from .. import nn
    from ..models.bert import BERTClassifier

    task = TextTask.load() if task is None else task
    bert, info = pretrain_encoder(c, task, progress)
    pretrain = {"seconds": info["seconds"], "steps": c.pretrain_steps,
                "first_loss": info["first_loss"], "last_loss": info["last_loss"],
                **info.get("pairs", {})}  # fmt: skip
    if c.pretrain_pairs or c.nsp:
        pretrain["objective"] = _objective(c)
    pretrained = {name: v.data.copy() for name, v in bert.state_dict().items()}
    V = task.tokenizer.vocab_size
    bow = {split: bow_features(task, split) for split in ("train", "val", "test")}
    tuned = (c.finetune_steps, c.finetune_batch, c.finetune_lr, 0.01)  # steps, batch, lr, decay
    contenders = [  # name, make(n_out), inputs per split, recipe
        ("BERT, pretrained + fine-tuned",
         lambda n: BERTClassifier(_fresh_bert(task, c, pretrained), n), task.ids, tuned),
        ("BERT, from scratch", lambda n: BERTClassifier(_fresh_bert(task, c), n), task.ids, tuned),
        ("bag of words + logreg", lambda n: nn.Linear(V, n), bow,
         (c.bow_steps, c.bow_batch, c.bow_lr, 0.0)),
    ]  # fmt: skip
    out = {"pretrain": pretrain, "sentiment": [], "multilabel": []}
    tasks = [("sentiment", task.sentiment, 2)]
    if c.multilabel:
        tasks.append(("multilabel", task.multilabel, len(LABELS)))
    for kind, labels, n_out in tasks:
        for name, make, X, recipe in contenders:
            manual_seed(c.seed)
            model = make(n_out)
            row = _fit_and_score(kind, model, X, labels, recipe, c, progress)
            out[kind].append({"model": name, **row})
            if keep and kind == "sentiment" and name == contenders[0][0]:
                out["classifier"] = model
    return out


def save_classifier(path, model, task: TextTask, metrics: dict | None = None,
                    step: int = 0) -> None:  # fmt: skip
    """Write a fine-tuned sentiment classifier (a
    :class:`~minilm.models.bert.BERTClassifier` on ``task``'s ids) to ``path`` as
    a self-describing model file (:func:`minilm.checkpoint.save_model`): the
    tokenizer, :data:`SENTIMENT_LABELS`, ``metrics``, and how a text becomes its
    input as in training (``[CLS]`` first, at most ``task.max_len`` ids), which
    :class:`minilm.predict.Classifier` reads back."""
    from ..checkpoint import save_model

    save_model(path, model, {"text": task.tokenizer}, metrics=metrics, step=step,
               labels=SENTIMENT_LABELS,
               text={"source": "sentiment", "start_id": task.tokenizer.vocab.stoi["[CLS]"],
                     "max_len": task.max_len})  # fmt: skip


def _fit_and_score(kind, model, X, labels, recipe, c: CompareConfig, progress) -> dict:
    """Train ``model`` on the train split (keeping the best weights on val) and score
    it on the test split: a row of :func:`compare`'s results, less its name."""
    steps, batch_size, lr, wd = recipe
    t1 = time.perf_counter()
    train_classifier(model, X["train"], labels["train"], steps, batch_size, lr, wd,
                     seed=c.seed, progress=progress, val=(X["val"], labels["val"]),
                     eval_every=c.eval_every)  # fmt: skip
    row = {"seconds": time.perf_counter() - t1}
    y = labels["test"]
    if kind == "sentiment":
        val_pred = predict_logits(model, X["val"]).argmax(-1)
        row["val_accuracy"] = accuracy(labels["val"], val_pred)
        pred = predict_logits(model, X["test"]).argmax(-1)
        row.update(accuracy=accuracy(y, pred), f1=f1_score(y, pred),
                   confusion=confusion_matrix(y, pred, labels=[0, 1]).tolist())  # fmt: skip
    else:
        th = tune_thresholds(sigmoid(predict_logits(model, X["val"])), labels["val"])
        pred = (sigmoid(predict_logits(model, X["test"])) >= th).astype(np.int64)
        y = y.astype(np.int64)
        row.update(thresholds=th.tolist(),
                   f1=[f1_score(y[:, j], pred[:, j]) for j in range(len(LABELS))],
                   micro_f1=precision_recall_f1(y, pred, "micro")[2],
                   macro_f1=precision_recall_f1(y, pred, "macro")[2])  # fmt: skip
    return row


def _objective(c: CompareConfig) -> str:
    pairs = c.pretrain_pairs or c.nsp
    return next(name for name, p, nsp in NSP_ARMS if (p, nsp) == (pairs, c.nsp))


def format_tables(results: dict) -> str:
    """The two tables of :func:`compare`'s results, as plain text."""
    p = results["pretrain"]
    held_out = "" if "mlm_loss" not in p else f"; held-out pairs: MLM loss {p['mlm_loss']:.2f}"
    if "nsp_accuracy" in p:
        held_out += f", NSP accuracy {p['nsp_accuracy']:.3f}"
    lines = [
        f"{p.get('objective', 'MLM')} pretraining: {p['steps']} steps, {p['seconds']:.0f} s, "
        f"loss {p['first_loss']:.2f} -> {p['last_loss']:.2f}{held_out}",
        "",
        "Sentiment (test split, 300 sentences; F1 of 'positive'; confusion rows = true "
        "[neg, pos], columns = predicted; val acc: the validation split, for choosing settings)",
        f"{'model':30} {'accuracy':>8} {'F1':>6}  {'confusion':20} {'train s':>7} {'val acc':>7}",
    ]
    for r in results["sentiment"]:
        cm = str(r["confusion"]).replace(" ", "")
        lines.append(
            f"{r['model']:30} {r['accuracy']:8.3f} {r['f1']:6.3f}  {cm:20} {r['seconds']:7.1f} "
            f"{r['val_accuracy']:7.3f}"
        )
    if results["multilabel"]:
        names = [label.split(" ")[0] for label in LABELS]
        lines += [
            "",
            "Multi-label (test split; per-label F1 at the threshold t tuned on val)",
            f"{'model':30} "
            + " ".join(f"{n + ' F1 (t)':>19}" for n in names)
            + f" {'micro F1':>8} {'macro F1':>8} {'train s':>7}",
        ]
        for r in results["multilabel"]:
            cells = " ".join(f"{f:12.3f} ({t:.2f})" for f, t in zip(r["f1"], r["thresholds"]))
            lines.append(
                f"{r['model']:30} {cells} {r['micro_f1']:8.3f} {r['macro_f1']:8.3f} "
                f"{r['seconds']:7.1f}"
            )
    return "\n".join(lines)


# --- a pretrained encoder on disk: python -m minilm finetune --save-encoder PATH ---

# The encoder chapter 08's lesson fine-tunes (made by the command in the chapter README).
PRETRAINED = resources.files("minilm.data") / "pretrained" / "ch08_mlm_encoder.safetensors"


def pretrain_encoder(c: CompareConfig, task: TextTask | None = None, progress: bool = True):
    """The encoder :func:`compare` pretrains for ``c`` (same init, same MLM steps), and
    a record of how: ``(bert, info)`` with ``info`` holding the config, the steps,
    the seconds and the MLM loss at the start and the end (means of 50 steps; with
    ``c.nsp``, of MLM + NSP). A pair-pretrained encoder's ``info["pairs"]`` has its
    :func:`evaluate_pairs` scores on held-out pairs (the val split's)."""
    task = TextTask.load() if task is None else task
    t0 = time.perf_counter()
    bert = _fresh_bert(task, c)
    hist = pretrain_mlm(bert, task, c.pretrain_steps, c.pretrain_batch, c.pretrain_lr,
                        seed=c.seed, progress=progress, pairs=c.pretrain_pairs,
                        nsp=c.nsp)  # fmt: skip
    k = max(1, min(50, len(hist.loss) // 10))
    info = {"compare_config": asdict(c), "seconds": time.perf_counter() - t0,
            "first_loss": float(np.mean(hist.loss[:k])),
            "last_loss": float(np.mean(hist.loss[-k:])),
            "loss_curve": [float(np.mean(hist.loss[i : i + k]))
                           for i in range(0, len(hist.loss), k)]}  # fmt: skip
    if c.pretrain_pairs or c.nsp:
        info["pairs"] = evaluate_pairs(bert, task, "val", seed=c.seed)
    return bert, info


def save_encoder(path, bert, task: TextTask, info: dict | None = None) -> None:
    """Write ``bert`` (a :class:`~minilm.models.bert.BERT`), its config, the vocabulary
    its ids refer to and ``info`` to ``path`` (a :func:`minilm.save` file: no code)."""
    save({"config": bert.config.to_dict(), "vocab": list(task.tokenizer.vocab.itos),
          "info": dict(info or {}), "state": bert.state_dict()}, path)  # fmt: skip


def load_encoder(path=None, task: TextTask | None = None):
    """``(bert, info)`` read from a file written by :func:`save_encoder` (default
    :data:`PRETRAINED`). Refused with :class:`minilm.io.CheckpointError` when its
    config is not a BERT config or its vocabulary is not ``task``'s (the ids would
    mean other words).

    >>> bert, info = load_encoder()  # the encoder chapter 08 fine-tunes
    >>> info["compare_config"]["pretrain_steps"], round(info["last_loss"], 2)
    (9000, 2.94)
    """
    from ..models.bert import BERT, BERTConfig

    path = PRETRAINED if path is None else path
    task = TextTask.load() if task is None else task
    obj = load(path)  # safetensors: no code runs
    known = {f.name for f in fields(BERTConfig)}
    config = obj.get("config") if isinstance(obj, dict) else None
    if (
        not isinstance(config, dict)
        or not set(config) <= known
        or not all(type(v) in (int, float, bool, type(None)) for v in config.values())
    ):
        raise CheckpointError(f"{str(path)!r}: no BERT config in it")
    if obj.get("vocab") != list(task.tokenizer.vocab.itos):
        raise CheckpointError(f"{str(path)!r}: its vocabulary is not this task's")
    state = obj.get("state")
    if not isinstance(state, dict):
        raise CheckpointError(f"{str(path)!r}: no weights in it")
    try:  # a small file must not describe a huge model: bound what building it allocates
        c = BERTConfig(**config)
        d, ff = int(c.d_model), int(c.d_ff or 4 * c.d_model)
        least = c.n_layer * (4 * d * d + 2 * d * ff) + (c.vocab_size + c.max_len) * d
        ok = c.vocab_size == len(task.tokenizer.vocab.itos) and min(d, ff, c.n_layer, c.n_head) > 0
    except (TypeError, ValueError) as e:
        raise CheckpointError(f"{str(path)!r}: a bad BERT config ({e})") from None
    stored = sum(int(getattr(v, "size", 0)) for v in state.values())
    if not ok or least > stored:
        raise CheckpointError(
            f"{str(path)!r}: its config ({config}) does not match the {stored} weights it holds"
        )
    bert = BERT(c)
    bert.load_state_dict(obj["state"])
    return bert, obj.get("info", {})


# --- does next-sentence prediction help? python -m minilm finetune --nsp-ablation ---

# name, pretrain_pairs, nsp: the three ways :func:`compare_nsp` pretrains
NSP_ARMS = (
    ("MLM, single sentences", False, False),
    ("MLM, sentence pairs", True, False),
    ("MLM + NSP, sentence pairs", True, True),
)


def compare_nsp(c: CompareConfig, seeds=(0, 1, 2), task: TextTask | None = None,
                progress: bool = True, arms=NSP_ARMS) -> dict:  # fmt: skip
    """Fine-tune encoders pretrained with and without next-sentence prediction.

    For each seed and each of ``arms`` (:data:`NSP_ARMS`): an encoder from the
    seed's initial weights (the parts the arms share start equal), pretrained for
    ``c.pretrain_steps`` steps of ``c.pretrain_batch`` sequences, then fine-tuned
    as :func:`compare` fine-tunes (``c.finetune_*``, the best weights on val, the
    classifier head from the same seed in every arm) on sentiment and, with
    ``c.multilabel``, the multi-label task, and scored on the test split. The
    sentence-pair arms see the same pairs and the same maskings; they differ only
    in the NSP loss (and head). The single-sentence arm is :func:`compare`'s
    pretraining: its text is :func:`pretraining_text`, five times as many sentences.

    Returns ``{"rows": [...], "config": asdict(c), "seeds": [...]}``, a row per
    (arm, seed): ``arm, seed, pretrain_seconds``, the held-out
    :func:`evaluate_pairs` scores of a pair arm, ``accuracy, f1`` (sentiment) and
    ``micro_f1, macro_f1`` (multi-label).
    """
    from ..models.bert import BERTClassifier

    task = TextTask.load() if task is None else task
    tasks = [("sentiment", task.sentiment, 2)]
    if c.multilabel:
        tasks.append(("multilabel", task.multilabel, len(LABELS)))
    rows = []
    for seed in seeds:
        for arm, pairs, nsp in arms:
            ca = replace(c, seed=seed, pretrain_pairs=pairs, nsp=nsp)
            bert, info = pretrain_encoder(ca, task, progress)
            state = {k: v.data.copy() for k, v in bert.state_dict().items()}
            row = {"arm": arm, "seed": seed, "pretrain_seconds": info["seconds"],
                   **info.get("pairs", {})}  # fmt: skip
            for kind, labels, n_out in tasks:
                encoder = _fresh_bert(task, ca, state)
                manual_seed(seed)  # the same head in every arm
                model = BERTClassifier(encoder, n_out)
                recipe = (c.finetune_steps, c.finetune_batch, c.finetune_lr, 0.01)
                scores = _fit_and_score(kind, model, task.ids, labels, recipe, ca, progress)
                keep = ("accuracy", "f1") if kind == "sentiment" else ("micro_f1", "macro_f1")
                row.update({k: scores[k] for k in keep})
            rows.append(row)
    return {"rows": rows, "config": asdict(c), "seeds": list(seeds)}


def format_nsp_table(results: dict) -> str:
    """:func:`compare_nsp`'s results: a line per arm (mean ± standard deviation over
    the seeds, ``ddof=1``), then a line per (arm, seed)."""
    rows = results["rows"]
    c = results["config"]
    cols = [("accuracy", "sent acc"), ("f1", "sent F1"), ("micro_f1", "micro F1"),
            ("macro_f1", "macro F1"), ("nsp_accuracy", "NSP acc"),
            ("mlm_loss", "MLM pairs")]  # fmt: skip
    cols = [(k, h) for k, h in cols if any(k in r for r in rows)]
    lines = [
        f"Pretraining {c['pretrain_steps']} steps x {c['pretrain_batch']} sequences, fine-tuning "
        f"{c['finetune_steps']} steps; seeds {results['seeds']}; test split (sentiment: "
        "300 sentences). NSP acc and MLM pairs: held-out pairs of the val split's sentences.",
        f"{'pretraining':27} " + " ".join(f"{h:>15}" for _, h in cols),
    ]
    for arm in dict.fromkeys(r["arm"] for r in rows):
        mine = [r for r in rows if r["arm"] == arm]
        cells = []
        for k, _ in cols:
            v = np.array([r[k] for r in mine if k in r], dtype=np.float64)
            sd = v.std(ddof=1) if len(v) > 1 else float("nan")
            cells.append(f"{v.mean():7.3f} ± {sd:5.3f}" if len(v) else f"{'-':>15}")
        lines.append(f"{arm:27} " + " ".join(cells))
    lines += ["", f"{'pretraining':27} {'seed':>4} " + " ".join(f"{h:>9}" for _, h in cols)
              + f" {'pretrain s':>10}"]  # fmt: skip
    for r in rows:
        cells = " ".join(f"{r[k]:9.3f}" if k in r else f"{'-':>9}" for k, _ in cols)
        lines.append(f"{r['arm']:27} {r['seed']:4d} {cells} {r['pretrain_seconds']:10.1f}")
    return "\n".join(lines)
