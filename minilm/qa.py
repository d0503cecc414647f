"""Extractive question answering (SQuAD v1.1): point at the answer in the paragraph.

The answer to a SQuAD question is a span of its paragraph (the *context*), so a
model does not write it, it points at it: a score for "the answer starts here" and
one for "it ends here" at every context token (Devlin et al. 2019, section 4.2).

- Tokens keep their place (:func:`tokenize_with_offsets`): a token is a word or
  a punctuation mark (:data:`minilm.text.WORD_PATTERN`) with its character offsets
  in the original text, so a token span maps back to the exact substring of the
  context. Ids are looked up lowercased; offsets point at the text as written.
- Features (:func:`make_features`): ``[CLS] question [SEP] window [SEP]``, where a
  window is ``capacity`` context tokens (what is left of ``max_len`` after the
  question and the three specials) and the windows' starts are ``stride`` tokens
  apart (:func:`window_starts`), so a long context is read in overlapping pieces.
  Segment ids: 0 for ``[CLS]``, the question and its ``[SEP]``, 1 for the window and
  the last ``[SEP]``. A window that holds the whole gold answer has its first and
  last token's positions as targets; one that does not points both at ``[CLS]``
  (position 0), as BERT does.
- :class:`SpanQA`: a :class:`~minilm.models.bert.BERT` encoder and a ``Linear(d, 2)``
  head, start and end logits (B, T); :func:`span_loss` is the mean of the two
  cross-entropies.
- :func:`best_span`: the highest ``start + end`` score with ``start <= end <= start
  + max_answer_len - 1`` over context positions; :func:`predict` keeps the best
  span over a question's windows and cuts it out of the context.
- :func:`pretrain_mlm` (masked-LM pretraining on the training features themselves:
  the train questions and contexts, nothing from the test split; and, by default,
  other bundled English, the SciTLDR training abstracts: :func:`abstract_sequences`)
  and :func:`finetune`.
- Baselines with no learning but a setting chosen on the train questions:
  :func:`first_tokens` (the context's first ``k`` tokens), :func:`overlap_window`
  (the ``w``-token window holding the most question words) and :func:`overlap_span`
  (the short span whose neighbourhood holds the most question words, SQuAD's
  sliding-window baseline in spirit).
- :func:`compare` and ``python -m minilm.qa [--quick] [--out DIR]``: SQuAD's exact
  match and F1 (:func:`minilm.metrics.squad_scores`) on the 500 test questions.
"""

from __future__ import annotations

import argparse
import json
import re
import time
from collections import Counter
from dataclasses import asdict, dataclass, replace
from pathlib import Path

from . import functional as F
from . import optim
from .backend import np
from .data.batching import pad_batch
from .data.tasks import load_qa, load_summarization
from .metrics import exact_match, squad_scores, token_f1
from .models.bert import BERT, IGNORE, BERTConfig, mask_tokens
from .nn import Linear, Module
from .tensor import Tensor, as_tensor, manual_seed, no_grad, tensor
from .text import WORD_PATTERN, Vocab
from .train import fit

__all__ = ["SPECIALS", "STOPWORDS", "tokenize_with_offsets", "answer_token_span",
           "window_starts", "Feature", "QAData", "make_features", "SpanQA", "span_loss",
           "best_span", "predict", "mlm_loss", "abstract_sequences", "pretrain_mlm", "finetune",
           "first_tokens", "overlap_window", "overlap_span", "QAConfig", "QUICK", "compare",
           "format_table", "main"]  # fmt: skip

SPECIALS = ("[PAD]", "[CLS]", "[SEP]", "[MASK]", "[UNK]")  # ids 0..4
PAD, CLS, SEP, UNK = 0, 1, 2, 4

# Words that say little about where the answer is: articles, pronouns, auxiliaries,
# common prepositions and conjunctions, and the question words themselves. The
# overlap baselines count the *other* words of the question (lowercased, punctuation
# left out) found in the context.
STOPWORDS = frozenset("""
a an the of in on at to for from by with about as into over after before between during
under and or but not no nor so than then that this these those there here it its they
them their he him his she her we us our you your i me my is are was were be been being
am do does did done have has had having can could will would shall should may might must
what which who whom whose when where why how whom whatever some any all each many much
more most other such own same also only very just one s
""".split())  # fmt: skip


def tokenize_with_offsets(text: str) -> list[tuple[str, int, int]]:
    """The tokens of ``text`` (:data:`~minilm.text.WORD_PATTERN`: words, with inner
    apostrophes, and single punctuation marks) as ``(token, start, end)`` with
    ``text[start:end] == token``; between two tokens there is only whitespace.

    >>> tokenize_with_offsets("Who's there? 3.5 km")
    [("Who's", 0, 5), ('there', 6, 11), ('?', 11, 12), ('3', 13, 14), ('.', 14, 15), ('5', 15, 16), ('km', 17, 19)]
    """  # noqa: E501
    return [(m.group(), m.start(), m.end()) for m in re.finditer(WORD_PATTERN, text)]


def answer_token_span(offsets, answer_start: int, answer_text: str) -> tuple[int, int]:
    """The tokens ``(first, last)`` (inclusive) that a character span overlaps:
    the first token ending after ``answer_start`` and the last one starting before
    its end. When the answer starts or ends inside a token ("1990" of "1990s") the
    span is a little longer than the answer; :func:`make_features` counts those.

    >>> offsets = [(s, e) for _, s, e in tokenize_with_offsets("born in the 1990s, he")]
    >>> answer_token_span(offsets, 8, "the 1990")
    (2, 3)
    """
    end = answer_start + len(answer_text)
    first = next((i for i, (_, e) in enumerate(offsets) if e > answer_start), None)
    last = next((i for i in range(len(offsets) - 1, -1, -1) if offsets[i][0] < end), None)
    if first is None or last is None or first > last:
        raise ValueError(f"answer_token_span: no token of the context overlaps characters "
                         f"[{answer_start}, {end}) ({answer_text!r})")  # fmt: skip
    return first, last


def window_starts(n_tokens: int, capacity: int, stride: int) -> list[int]:
    """Where the windows over ``n_tokens`` context tokens start: 0, ``stride``,
    ``2 * stride``, ... until a window of ``capacity`` tokens reaches the end (the
    last one may be shorter). Consecutive windows share ``capacity - stride`` tokens,
    so every token is in a window and an answer shorter than the overlap is whole
    in at least one.

    >>> window_starts(10, capacity=4, stride=3)  # windows [0, 4) [3, 7) [6, 10)
    [0, 3, 6]
    >>> window_starts(3, capacity=4, stride=3)
    [0]
    """
    if not 0 < stride <= capacity:
        raise ValueError(f"window_starts: need 0 < stride <= capacity, got stride={stride}, "
                         f"capacity={capacity}")  # fmt: skip
    starts = [0]
    while starts[-1] + capacity < n_tokens:
        starts.append(starts[-1] + stride)
    return starts


@dataclass
class Feature:
    """One window of one question: ``ids`` and ``segments`` (T,), ``context_start``
    the feature position of the window's first token, ``token_start`` that token's
    index in the context, ``n_context`` the window's length; ``start``/``end`` the
    gold positions in the feature (0, ``[CLS]``, when the answer is not all in the
    window). Context token ``token_start + p - context_start`` sits at position ``p``."""

    example: int
    ids: list
    segments: list
    context_start: int
    token_start: int
    n_context: int
    start: int = 0
    end: int = 0

    def context_mask(self):
        """(T,) bool, True at the window's context positions."""
        m = np.zeros(len(self.ids), dtype=bool)
        m[self.context_start : self.context_start + self.n_context] = True
        return m


@dataclass
class QAData:
    """One split, tokenized: the records of :func:`~minilm.data.tasks.load_qa`, each
    context's token offsets and the question's features. ``mismatches`` counts the
    gold answers (``answers[0]``) whose token span's text is not the answer after
    :func:`~minilm.metrics.normalize_answer` (an answer cut inside a token)."""

    examples: list
    offsets: list  # per example: [(start, end), ...] of its context's tokens
    features: list
    mismatches: int = 0


def build_vocab(min_count: int = 2) -> Vocab:
    """Lowercased words of the *train* contexts and questions seen ``min_count`` times."""
    counts = Counter()
    train = load_qa("train")
    for text in dict.fromkeys([r["context"] for r in train] + [r["question"] for r in train]):
        counts.update(t.lower() for t, _, _ in tokenize_with_offsets(text))
    return Vocab.from_counts(counts, min_count, specials=SPECIALS[:4], unk=SPECIALS[4])


def make_features(examples, vocab: Vocab, max_len: int = 128, stride: int = 64,
                  max_question_len: int = 24) -> QAData:  # fmt: skip
    """Cut every question's context into windows and pack ``[CLS] q [SEP] w [SEP]``.

    The question keeps its first ``max_question_len`` tokens; a window gets the
    ``capacity = max_len - len(q) - 3`` positions left, windows start ``stride``
    tokens apart (:func:`window_starts`; a ``stride`` above the capacity is cut to it).
    Targets come from ``answers[0]`` (:func:`answer_token_span`).

    >>> v = Vocab("who sang ? the band did".split(), SPECIALS[:4], SPECIALS[4])
    >>> ex = {"context": "The band did.", "question": "Who sang?",
    ...       "answers": [{"text": "The band", "answer_start": 0}]}
    >>> f = make_features([ex], v, max_len=16).features[0]
    >>> f.ids, f.segments, (f.start, f.end)
    ([1, 5, 6, 7, 2, 8, 9, 10, 4, 2], [0, 0, 0, 0, 0, 1, 1, 1, 1, 1], (5, 6))
    """
    cache, data = {}, QAData(list(examples), [], [])
    for k, ex in enumerate(data.examples):
        if ex["context"] not in cache:
            toks = tokenize_with_offsets(ex["context"])
            cache[ex["context"]] = ([(s, e) for _, s, e in toks],
                                    vocab.encode(t.lower() for t, _, _ in toks))  # fmt: skip
        offsets, ctx_ids = cache[ex["context"]]
        data.offsets.append(offsets)
        q = vocab.encode(t.lower() for t, _, _ in tokenize_with_offsets(ex["question"]))
        q = q[:max_question_len]
        capacity = max_len - len(q) - 3
        if capacity < 1:
            raise ValueError(f"make_features: max_len={max_len} leaves no room for the context "
                             f"after a {len(q)}-token question; raise max_len")  # fmt: skip
        gold = None
        if ex.get("answers"):
            a = ex["answers"][0]
            gold = answer_token_span(offsets, a["answer_start"], a["text"])
            text = ex["context"][offsets[gold[0]][0] : offsets[gold[1]][1]]
            data.mismatches += not exact_match(text, a["text"])
        for t0 in window_starts(len(ctx_ids), capacity, min(stride, capacity)):
            window = ctx_ids[t0 : t0 + capacity]
            segments = [0] * (len(q) + 2) + [1] * (len(window) + 1)
            f = Feature(k, [CLS, *q, SEP, *window, SEP], segments, len(q) + 2, t0, len(window))
            if gold is not None and t0 <= gold[0] and gold[1] < t0 + len(window):
                f.start, f.end = gold[0] - t0 + f.context_start, gold[1] - t0 + f.context_start
            data.features.append(f)
    return data


class SpanQA(Module):
    """A BERT encoder and a span head: ``Linear(d_model, 2)`` on every position gives
    a start and an end logit; padding positions get -1e4 (they never win a softmax).

    ``model(ids, segment_ids=None)`` -> ``(start_logits, end_logits)``, each (B, T).

    >>> import minilm
    >>> bert = BERT(BERTConfig(vocab_size=20, max_len=8, n_layer=1, n_head=2, d_model=16))
    >>> start, end = SpanQA(bert)(minilm.tensor([[1, 5, 2, 6, 7, 2, 0]]))
    >>> start.shape, end.shape
    ((1, 7), (1, 7))
    """

    def __init__(self, encoder: BERT):
        super().__init__()
        self.encoder = encoder
        self.head = Linear(encoder.config.d_model, 2)

    def forward(self, ids, segment_ids=None):
        mask = self.encoder.padding_mask(ids)  # (B, T) True on real tokens
        h = self.encoder(ids, mask, segment_ids)  # (B, T, d)
        logits = self.head(h)  # (B, T, 2)
        xp = self.head.weight.xp
        pad = as_tensor(xp.where(mask.data, 0.0, -1e4).astype(logits.dtype))  # (B, T)
        return logits[..., 0] + pad, logits[..., 1] + pad


def span_loss(start_logits: Tensor, end_logits: Tensor, starts, ends) -> Tensor:
    """The mean of the start and end cross-entropies (B, T) logits vs (B,) positions."""
    return (F.cross_entropy(start_logits, starts) + F.cross_entropy(end_logits, ends)) / 2


def best_span(start_logits, end_logits, max_answer_len: int, allowed=None):
    """The span ``(start, end, score)`` with the highest ``score = start_logits[start]
    + end_logits[end]`` among ``start <= end <= start + max_answer_len - 1`` with both
    ends at ``allowed`` positions (a (T,) bool mask, default all: the context of a
    feature, :meth:`Feature.context_mask`).

    A span of length ``k + 1`` starting at ``i`` scores ``s[i] + e[i + k]``: for each
    of the ``max_answer_len`` lengths that is one shifted vector sum, so the search
    costs O(T * max_answer_len), not O(T^2). On a tie the shorter span wins, then
    the earlier one.

    >>> best_span([0.0, 3.0, 1.0, 0.0], [0.0, 0.0, 1.0, 5.0], max_answer_len=2)
    (2, 3, 6.0)
    >>> best_span([0.0, 3.0, 1.0, 0.0], [0.0, 0.0, 1.0, 5.0], max_answer_len=3)
    (1, 3, 8.0)
    """
    s, e = np.asarray(start_logits, dtype=np.float64), np.asarray(end_logits, dtype=np.float64)
    T = len(s)
    ok = np.ones(T, dtype=bool) if allowed is None else np.asarray(allowed, dtype=bool)
    if s.shape != (T,) or e.shape != (T,) or ok.shape != (T,):
        raise ValueError(f"best_span: start_logits, end_logits and allowed must be (T,) vectors "
                         f"of one length, got {s.shape}, {e.shape}, {ok.shape}")  # fmt: skip
    if max_answer_len < 1 or not ok.any():
        raise ValueError(f"best_span: need max_answer_len >= 1 and an allowed position, got "
                         f"max_answer_len={max_answer_len}, {int(ok.sum())} allowed")  # fmt: skip
    best = (-np.inf, -1, -1)
    for k in range(min(max_answer_len, T)):  # k = end - start
        scores = np.where(ok[: T - k] & ok[k:], s[: T - k] + e[k:], -np.inf)  # (T - k,) by start
        i = int(np.argmax(scores))
        if scores[i] > best[0]:
            best = (float(scores[i]), i, i + k)
    if best[1] < 0:
        raise ValueError("best_span: no allowed span (all logits -inf?)")
    return best[1], best[2], best[0]


def _logits(model: SpanQA, features, batch_size: int = 64):
    """(start, end) NumPy logits per feature, in eval mode without gradients."""
    was = model.training
    model.eval()
    device = model.head.weight.device
    out = []
    with no_grad():
        for i in range(0, len(features), batch_size):
            chunk = features[i : i + batch_size]
            ids, _ = pad_batch([f.ids for f in chunk], device=device)
            seg, _ = pad_batch([f.segments for f in chunk], device=device)
            s, e = model(ids, seg)
            s, e = s.numpy(), e.numpy()
            out += [(s[j, : len(f.ids)], e[j, : len(f.ids)]) for j, f in enumerate(chunk)]
    model.train(was)
    return out


def predict(model: SpanQA, data: QAData, max_answer_len: int = 15) -> list[str]:
    """The answer to each of ``data.examples``: :func:`best_span` over the context
    positions of each of its windows, the best-scoring window's span, cut out of the
    context by its tokens' character offsets."""
    best = {}
    for f, (s, e) in zip(data.features, _logits(model, data.features)):
        i, j, score = best_span(s, e, max_answer_len, f.context_mask())
        if f.example not in best or score > best[f.example][2]:
            first, last = i - f.context_start + f.token_start, j - f.context_start + f.token_start
            best[f.example] = (first, last, score)
    answers = []
    for k, ex in enumerate(data.examples):
        first, last, _ = best[k]
        answers.append(ex["context"][data.offsets[k][first][0] : data.offsets[k][last][1]])
    return answers


def _feature_batches(features, batch_size, gen, device, targets: bool):
    def batch():
        idx = gen.integers(0, len(features), batch_size)
        chunk = [features[i] for i in idx]
        ids, _ = pad_batch([f.ids for f in chunk], device=device)
        seg, _ = pad_batch([f.segments for f in chunk], device=device)
        if not targets:
            return ids, seg
        return (ids, seg, tensor(np.array([f.start for f in chunk]), device=device),
                tensor(np.array([f.end for f in chunk]), device=device))  # fmt: skip

    return batch


def _fit(model, batch, loss_fn, steps, lr, seed, progress):
    opt = optim.AdamW(model.parameters(), lr=lr, weight_decay=0.01)
    sched = optim.WarmupCosineLR(opt, max(1, min(steps // 10, 100)), steps, eta_min=lr / 10)
    return fit(model, opt, batch, steps, loss_fn=loss_fn, scheduler=sched, clip_grad_norm=1.0,
               seed=seed, progress=progress)  # fmt: skip


def mlm_loss(bert: BERT, ids, segment_ids=None, rng=None, mask_prob: float = 0.15) -> Tensor:
    """BERT's masked-LM loss (:func:`~minilm.models.bert.mask_tokens`, then the
    cross-entropy of the picked tokens), with the vocabulary projection computed at
    the picked positions only: the value of :meth:`BERT.mlm_loss
    <minilm.models.bert.BERT.mlm_loss>` for the same draws, at about half the cost of
    a step here (the (B, T, V) logits of every position are most of the work when
    only 15% of them count; BERT's own code gathers them the same way).

    >>> bert = BERT(BERTConfig(vocab_size=30, max_len=8, n_layer=1, n_head=2, d_model=16,
    ...                        dropout=0.0))
    >>> ids = tensor([[1, 5, 6, 7, 8, 9, 2]])
    >>> a, b = mlm_loss(bert, ids, rng=0, mask_prob=0.5), bert.mlm_loss(ids, rng=0, mask_prob=0.5)
    >>> bool(abs(a.item() - b.item()) < 1e-5)
    True
    """
    c = bert.config
    inputs, targets = mask_tokens(ids, c.vocab_size, c.mask_id, c.num_special, rng, mask_prob)
    rows, cols = np.nonzero(targets != IGNORE)  # the picked positions, (N,) each
    if len(rows) == 0:
        return (bert.mlm_bias * 0.0).sum()  # nothing picked: a zero that keeps the graph
    device = bert.tok.weight.device
    hidden = bert(tensor(inputs, device=device), bert.padding_mask(ids), segment_ids)  # (B, T, d)
    logits = bert.mlm_logits(hidden[rows, cols])  # (N, V)
    return F.cross_entropy(logits, tensor(targets[rows, cols], device=device))


def abstract_sequences(vocab: Vocab, max_len: int = 128) -> list:
    """Other bundled English for MLM pretraining: the SciTLDR *training* abstracts
    (:func:`~minilm.data.tasks.load_summarization`), tokenized as the contexts are
    (:func:`tokenize_with_offsets`, lowercased, the QA vocabulary) and cut into
    ``[CLS] chunk [SEP]`` pieces of at most ``max_len`` tokens, one segment; as
    :class:`Feature` objects without answers, so :func:`pretrain_mlm` takes them.

    >>> v = Vocab("we propose a model".split(), SPECIALS[:4], SPECIALS[4])
    >>> seqs = abstract_sequences(v, max_len=16)
    >>> seqs[0].ids[0] == CLS and all(len(f.ids) <= 16 and f.ids[-1] == SEP for f in seqs)
    True
    """
    if max_len < 3:
        raise ValueError(f"abstract_sequences: max_len must be >= 3, got {max_len}")
    out, width = [], max_len - 2
    for record in load_summarization("train"):
        text = " ".join(record["source"])
        ids = vocab.encode(t.lower() for t, _, _ in tokenize_with_offsets(text))
        for i in range(0, len(ids), width):
            chunk = ids[i : i + width]
            out.append(Feature(-1, [CLS, *chunk, SEP], [0] * (len(chunk) + 2), 1, i, len(chunk)))
    return out


def pretrain_mlm(bert: BERT, features, steps: int, batch_size: int = 32, lr: float = 1e-3,
                 seed: int = 0, progress: bool = True):  # fmt: skip
    """Masked-LM pretraining (:func:`mlm_loss`) of ``bert`` on the packed sequences
    of ``features`` (each distinct one once), with their segment ids: the encoder
    learns the words of the contexts and questions, and the ``[CLS] q [SEP] w [SEP]``
    layout it will be fine-tuned on."""
    seen, unique = set(), []
    for f in features:
        if tuple(f.ids) not in seen:
            seen.add(tuple(f.ids))
            unique.append(f)
    gen = np.random.default_rng(seed)
    batch = _feature_batches(unique, batch_size, gen, bert.tok.weight.device, targets=False)
    return _fit(bert, batch, lambda m, b: mlm_loss(m, b[0], b[1], gen), steps, lr, seed,
                progress)  # fmt: skip


def finetune(model: SpanQA, features, steps: int, batch_size: int = 32, lr: float = 5e-4,
             seed: int = 0, progress: bool = True):  # fmt: skip
    """Train ``model`` on random batches of ``features`` with :func:`span_loss`
    (every window, those without the answer pointing at ``[CLS]``)."""
    gen = np.random.default_rng(seed)
    batch = _feature_batches(features, batch_size, gen, model.head.weight.device, targets=True)
    return _fit(model, batch, lambda m, b: span_loss(*m(b[0], b[1]), b[2], b[3]), steps, lr,
                seed, progress)  # fmt: skip


# --- baselines -------------------------------------------------------------------------


def _question_words(question: str) -> list[str]:
    words = [t.lower() for t, _, _ in tokenize_with_offsets(question)]
    return list(dict.fromkeys(w for w in words if w not in STOPWORDS and re.match(r"\w", w)))


def _span_text(ex, offsets, first, last) -> str:
    return ex["context"][offsets[first][0] : offsets[last][1]]


def first_tokens(ex, k: int = 3) -> str:
    """The context's first ``k`` tokens (a baseline that reads no question)."""
    offsets = [(s, e) for _, s, e in tokenize_with_offsets(ex["context"])]
    return _span_text(ex, offsets, 0, min(k, len(offsets)) - 1)


def _presence(ex):
    """Context offsets and a (n + 1, Q) prefix count of each question word."""
    toks = tokenize_with_offsets(ex["context"])
    qwords = _question_words(ex["question"])
    col = {w: j for j, w in enumerate(qwords)}
    hits = np.zeros((len(toks), max(1, len(qwords))), dtype=np.int64)
    for i, (t, _, _) in enumerate(toks):
        if t.lower() in col:
            hits[i, col[t.lower()]] = 1
    prefix = np.concatenate([np.zeros((1, hits.shape[1]), np.int64), np.cumsum(hits, 0)])
    return toks, prefix


def overlap_window(ex, w: int = 10) -> str:
    """The ``w``-token window of the context (starts 0, 1, 2, ...) holding the most
    distinct question words (the question's lowercased words, less :data:`STOPWORDS`
    and punctuation); the earliest such window on a tie.

    >>> ex = {"context": "Rain fell. Paris is the capital of France. Snow fell.",
    ...       "question": "What is the capital of France?"}
    >>> overlap_window(ex, w=4)
    'the capital of France'
    """
    toks, prefix = _presence(ex)
    n = len(toks)
    w = min(w, n)
    counts = ((prefix[w:] - prefix[: n - w + 1]) > 0).sum(-1)  # (n - w + 1,) by window start
    i = int(np.argmax(counts))
    return ex["context"][toks[i][1] : toks[i + w - 1][2]]


def overlap_span(ex, w: int = 10, max_len: int = 3) -> str:
    """A span of 1 to ``max_len`` context tokens next to the question's words.

    A candidate is a span of the context whose first and last tokens are words
    that are neither :data:`STOPWORDS` nor question words, and that holds no
    question word. Its score is the number of distinct question words (as in
    :func:`overlap_window`) among the ``w`` tokens before it and the ``w`` after it.
    The best score wins; on a tie the longer span, then the earlier one. (Rajpurkar
    et al. 2016 scored constituents by a sliding window of question words; here the
    candidates are short token spans.)

    >>> ex = {"context": "Snow fell in 1850. Paris is the capital of France.",
    ...       "question": "What is the capital of France?"}
    >>> overlap_span(ex, w=5, max_len=2)  # "Paris" has both words in its window
    'Paris'
    """
    toks, prefix = _presence(ex)
    n = len(toks)
    words = [t.lower() for t, _, _ in toks]
    qset = set(_question_words(ex["question"]))
    edge = np.array([re.match(r"\w", t) is not None and t not in STOPWORDS and t not in qset
                     for t in words] + [False])  # fmt: skip
    inside = np.array([t in qset for t in words] + [False])
    best = (-1, 0, 0, 0)  # score, length, -start, start
    for k in range(min(max_len, n)):  # spans [i, i + k]
        i = np.arange(n - k)
        left = prefix[i] - prefix[np.maximum(i - w, 0)]  # (n - k, Q) counts in [i - w, i)
        right = prefix[np.minimum(i + k + 1 + w, n)] - prefix[i + k + 1]  # in (i + k, i + k + w]
        score = ((left + right) > 0).sum(-1)
        blocked = np.array([inside[a : a + k + 1].any() for a in i])
        score = np.where(edge[i] & edge[i + k] & ~blocked, score, -1)
        a = int(np.argmax(score))
        if (score[a], k) > best[:2]:
            best = (int(score[a]), k, -a, a)
    if best[0] < 0:
        return first_tokens(ex, 1)
    _, k, _, a = best
    return ex["context"][toks[a][1] : toks[a + k][2]]


def _tune(examples, answer, grid):
    """The setting of ``grid`` with the best train F1, and that F1."""
    golds = [[a["text"] for a in ex["answers"]] for ex in examples]
    scored = []
    for kw in grid:
        preds = [answer(ex, **kw) for ex in examples]
        scored.append((np.mean([token_f1(p, g) for p, g in zip(preds, golds)]), kw))
    f1, kw = max(scored, key=lambda t: t[0])
    return kw, float(f1)


# --- the measurement ---------------------------------------------------------------------


@dataclass
class QAConfig:
    """Sizes and steps for :func:`compare` (the defaults: the full run)."""

    max_len: int = 128  # positions of a feature: [CLS] question [SEP] window [SEP]
    stride: int = 64  # how far apart the windows of a context start
    max_question_len: int = 24
    max_answer_len: int = 15  # the longest span best_span considers, in tokens
    min_count: int = 2  # vocabulary: train words seen this often
    d_model: int = 64
    n_layer: int = 2
    n_head: int = 4
    dropout: float = 0.1
    pretrain_steps: int = 300
    pretrain_batch: int = 32
    pretrain_lr: float = 1e-3
    finetune_steps: int = 300
    finetune_batch: int = 32
    finetune_lr: float = 1e-3
    from_scratch: bool = True  # also fine-tune a BERT that skipped pretraining
    pretrain_abstracts: bool = True  # MLM on the SciTLDR train abstracts too
    tune_examples: int = 1000  # about this many train questions choose the baselines' settings
    seed: int = 0


QUICK = QAConfig(max_len=64, stride=32, d_model=32, n_layer=1, n_head=2, pretrain_steps=40,
                 finetune_steps=60, from_scratch=False, tune_examples=200)  # fmt: skip


def _fresh_bert(vocab_size: int, c: QAConfig) -> BERT:
    manual_seed(c.seed)
    return BERT(BERTConfig(vocab_size=vocab_size, max_len=c.max_len, n_layer=c.n_layer,
                           n_head=c.n_head, d_model=c.d_model, dropout=c.dropout,
                           num_special=len(SPECIALS), n_segments=2))  # fmt: skip


def compare(c: QAConfig, progress: bool = True) -> dict:
    """Every row's SQuAD exact match and F1 (percent) on the test questions.

    Returns ``{"rows": [{"model", "exact_match", "f1", "seconds", ...}], "config",
    "data": {...}, "examples": [...]}``: the baselines (settings chosen on the first
    ``c.tune_examples`` train questions), the MLM-pretrained + fine-tuned BERT and,
    with ``c.from_scratch``, the same BERT fine-tuned from its random init.
    """
    t0 = time.perf_counter()
    train, test = load_qa("train"), load_qa("test")
    vocab = build_vocab(c.min_count)
    tr = make_features(train, vocab, c.max_len, c.stride, c.max_question_len)
    te = make_features(test, vocab, c.max_len, c.stride, c.max_question_len)
    golds = [[a["text"] for a in ex["answers"]] for ex in test]
    data = {"vocab_size": len(vocab), "train_features": len(tr.features),
            "test_features": len(te.features),
            "train_features_with_answer": sum(f.start > 0 for f in tr.features),
            "train_answer_mismatches": tr.mismatches, "train_questions": len(train),
            "test_questions": len(test),
            "test_unk_rate": _unk_rate(te), "seconds": time.perf_counter() - t0}  # fmt: skip
    rows, predictions = [], {}

    def row(name, preds, seconds, **extra):
        s = squad_scores(preds, golds)
        rows.append({"model": name, "exact_match": 100 * s["exact_match"], "f1": 100 * s["f1"],
                     "seconds": seconds, **extra})  # fmt: skip
        predictions[name] = preds

    tune = train[:: max(1, len(train) // c.tune_examples)]  # spread over the articles
    for name, answer, grid in [
        ("first k tokens", first_tokens, [{"k": k} for k in (1, 2, 3, 5)]),
        ("overlap window", overlap_window, [{"w": w} for w in (3, 5, 10)]),
        ("overlap span", overlap_span,
         [{"w": w, "max_len": m} for w in (3, 5, 10) for m in (1, 2, 3)]),
    ]:  # fmt: skip
        t1 = time.perf_counter()
        kw, tune_f1 = _tune(tune, answer, grid)
        row(name, [answer(ex, **kw) for ex in test], time.perf_counter() - t1, setting=kw,
            train_f1=100 * tune_f1)  # fmt: skip

    t1 = time.perf_counter()
    bert = _fresh_bert(len(vocab), c)
    extra = abstract_sequences(vocab, c.max_len) if c.pretrain_abstracts else []
    data["pretrain_sequences"] = {"qa_windows": len(tr.features), "abstract_chunks": len(extra)}
    hist = pretrain_mlm(bert, tr.features + extra, c.pretrain_steps, c.pretrain_batch,
                        c.pretrain_lr, c.seed, progress)  # fmt: skip
    k = max(1, min(20, len(hist.loss) // 5))
    pretrain = {"seconds": time.perf_counter() - t1, "first_loss": float(np.mean(hist.loss[:k])),
                "last_loss": float(np.mean(hist.loss[-k:]))}  # fmt: skip
    arms = [("BERT, MLM-pretrained + fine-tuned", bert)]
    if c.from_scratch:
        arms.append(("BERT, fine-tuned from scratch", _fresh_bert(len(vocab), c)))
    for name, encoder in arms:
        t1 = time.perf_counter()
        manual_seed(c.seed + 1)  # the same head in both arms
        model = SpanQA(encoder)
        hist = finetune(model, tr.features, c.finetune_steps, c.finetune_batch, c.finetune_lr,
                        c.seed, progress)  # fmt: skip
        k = max(1, min(20, len(hist.loss) // 5))
        row(name, predict(model, te, c.max_answer_len), time.perf_counter() - t1,
            first_loss=float(np.mean(hist.loss[:k])),
            last_loss=float(np.mean(hist.loss[-k:])))  # fmt: skip
    picks = range(0, len(test), max(1, len(test) // 5))[:5]
    examples = [{"question": test[i]["question"], "gold": golds[i][0],
                 **{r["model"]: predictions[r["model"]][i] for r in rows}}
                for i in picks]  # fmt: skip
    return {"rows": rows, "pretrain": pretrain, "data": data, "config": asdict(c),
            "examples": examples, "seconds": time.perf_counter() - t0}  # fmt: skip


def _unk_rate(data: QAData) -> float:
    ids = [i for f in data.features for i in f.ids[f.context_start : f.context_start + f.n_context]]
    return float(np.mean(np.array(ids) == UNK))


def format_table(results: dict) -> str:
    """:func:`compare`'s results as plain text: the table, then a few examples."""
    d, p, c = results["data"], results["pretrain"], results["config"]
    lines = [
        f"SQuAD v1.1 subset, {d['test_questions']} test questions "
        f"(EM and F1 in percent, the official normalization; best over the gold answers)",
        f"features: max_len {c['max_len']}, stride {c['stride']}; {d['train_features']} train "
        f"windows ({d['train_features_with_answer']} hold the answer), {d['test_features']} test; "
        f"vocab {d['vocab_size']}, test context [UNK] rate {100 * d['test_unk_rate']:.1f}%",
        f"MLM pretraining: {c['pretrain_steps']} steps, {p['seconds']:.0f} s, loss "
        f"{p['first_loss']:.2f} -> {p['last_loss']:.2f}",
        "",
        f"{'model':36} {'EM':>6} {'F1':>6} {'seconds':>8}  setting (chosen on train)",
    ]
    for r in results["rows"]:
        setting = r.get("setting", "")
        if "last_loss" in r:
            setting = f"span loss {r['first_loss']:.2f} -> {r['last_loss']:.2f}"
        lines.append(f"{r['model']:36} {r['exact_match']:6.1f} {r['f1']:6.1f} "
                     f"{r['seconds']:8.1f}  {setting}")  # fmt: skip
    for e in results["examples"]:
        lines += ["", f"Q: {e['question']}", f"   gold: {e['gold']!r}"]
        lines += [f"   {r['model']}: {e[r['model']]!r}" for r in results["rows"]]
    return "\n".join(lines)


def main(argv=None) -> int:
    """``python -m minilm.qa [--quick] [--out DIR] [--seed N] [--pretrain-steps N]
    [--finetune-steps N]``."""
    ap = argparse.ArgumentParser(prog="python -m minilm.qa", description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="a much smaller run (about a minute)")
    ap.add_argument("--out", type=Path, help="write results.json and table.txt here")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--pretrain-steps", type=int, help="MLM steps (default: the config's)")
    ap.add_argument("--finetune-steps", type=int, help="span steps (default: the config's)")
    ap.add_argument("--no-progress", action="store_true")
    args = ap.parse_args(argv)
    c = replace(QUICK if args.quick else QAConfig(), seed=args.seed)
    for name in ("pretrain_steps", "finetune_steps"):
        if getattr(args, name) is not None:
            c = replace(c, **{name: getattr(args, name)})
    results = compare(c, progress=not args.no_progress)
    table = format_table(results)
    print(table)
    if args.out is not None:
        args.out.mkdir(parents=True, exist_ok=True)
        (args.out / "results.json").write_text(json.dumps(results, indent=1))
        (args.out / "table.txt").write_text(table + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
