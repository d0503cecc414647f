"""Extractive QA (minilm.qa): offsets, windows, gold spans, best_span, training, baselines."""

import itertools
import re

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import minilm
from minilm import qa
from minilm.data.tasks import load_qa, load_summarization
from minilm.metrics import normalize_answer
from minilm.models.bert import BERT, BERTConfig
from minilm.qa import (
    SPECIALS,
    SpanQA,
    best_span,
    build_vocab,
    finetune,
    first_tokens,
    make_features,
    overlap_span,
    overlap_window,
    predict,
    tokenize_with_offsets,
    window_starts,
)
from minilm.text import Vocab, split_words

# --- tokens keep their offsets -----------------------------------------------------------


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=60)
       | st.text(alphabet="ab1 .,'’\t\n-é", max_size=40))  # fmt: skip
def test_offsets_map_back_exactly(text):
    toks = tokenize_with_offsets(text)
    assert [t for t, _, _ in toks] == split_words(text)
    ends = [0]
    for token, s, e in toks:
        assert text[s:e] == token
        assert s >= ends[-1]
        assert text[ends[-1] : s].strip() == ""  # only whitespace between tokens
        ends.append(e)
    assert text[ends[-1] :].strip() == ""


# --- windows -----------------------------------------------------------------------------


@settings(max_examples=300, deadline=None)
@given(st.integers(0, 200), st.integers(1, 40), st.data())
def test_windows_cover_the_context_with_the_stride(n, capacity, data):
    stride = data.draw(st.integers(1, capacity))
    starts = window_starts(n, capacity, stride)
    assert starts[0] == 0 and all(b - a == stride for a, b in zip(starts, starts[1:]))
    assert starts[-1] + capacity >= n  # the last window reaches the end
    assert len(starts) == 1 or starts[-2] + capacity < n  # and no window is spare
    covered = set().union(*(range(s, min(s + capacity, n)) for s in starts))
    assert covered == set(range(n))
    overlap = capacity - stride  # any span of overlap + 1 tokens is whole in some window
    for i in range(max(0, n - overlap)):
        assert any(s <= i and i + overlap < s + capacity for s in starts)


def test_window_errors_name_the_problem():
    with pytest.raises(ValueError, match="stride <= capacity"):
        window_starts(10, capacity=4, stride=5)


@pytest.fixture(scope="module")
def train():
    return load_qa("train")


@pytest.fixture(scope="module")
def vocab():
    return build_vocab()


@pytest.fixture(scope="module")
def train_features(train, vocab):
    return make_features(train, vocab, max_len=64, stride=24)


def test_features_pack_question_and_windows(train, vocab, train_features):
    data = train_features
    by_example = {}
    for f in data.features:
        by_example.setdefault(f.example, []).append(f)
    for k in (0, 1, 500, 2999):
        ex, feats = train[k], by_example[k]
        q = vocab.encode(w.lower() for w in split_words(ex["question"]))[:24]
        ctx = vocab.encode(w.lower() for w in split_words(ex["context"]))
        rebuilt = {}
        for f in feats:
            assert f.ids == [1, *q, 2, *ctx[f.token_start : f.token_start + f.n_context], 2]
            assert f.segments == [0] * (len(q) + 2) + [1] * (f.n_context + 1)
            assert len(f.ids) <= 64
            rebuilt.update(enumerate(f.ids[f.context_start : -1], f.token_start))
        assert [rebuilt[i] for i in range(len(ctx))] == ctx  # the windows cover the context


# --- gold spans --------------------------------------------------------------------------


def test_gold_spans_are_recoverable_from_the_features(train, vocab, train_features):
    """Every window that holds the whole answer points at it; one that does not points at
    [CLS]; the pointed-at text is the answer after normalization, but for answers cut
    inside a token (a rate measured here and reported)."""
    data, mismatched, positives = train_features, set(), set()
    for f in data.features:
        ex, offsets = train[f.example], data.offsets[f.example]
        a = ex["answers"][0]
        lo, hi = a["answer_start"], a["answer_start"] + len(a["text"])
        # the oracle: tokens whose characters meet the answer's, by a scan of all of them
        inside = [i for i, (s, e) in enumerate(offsets) if s < hi and e > lo]
        in_window = f.token_start <= inside[0] and inside[-1] < f.token_start + f.n_context
        if not in_window:
            assert (f.start, f.end) == (0, 0)
            continue
        positives.add(f.example)
        first = f.start - f.context_start + f.token_start
        last = f.end - f.context_start + f.token_start
        assert (first, last) == (inside[0], inside[-1])
        text = ex["context"][offsets[first][0] : offsets[last][1]]
        assert f.ids[f.start : f.end + 1] == vocab.encode(w.lower() for w in split_words(text))
        if normalize_answer(text) != normalize_answer(a["text"]):
            mismatched.add(f.example)
    assert positives == set(range(len(train)))  # every answer is whole in some window
    assert len(mismatched) == data.mismatches
    assert len(mismatched) / len(train) < 0.02, len(mismatched)  # 41 of 3,002 (1.4%)


# --- best_span ---------------------------------------------------------------------------


def brute_force(s, e, max_len, allowed):
    pairs = [(i, j) for i, j in itertools.product(range(len(s)), repeat=2)
             if allowed[i] and allowed[j] and i <= j <= i + max_len - 1]  # fmt: skip
    # the highest score; on a tie the shorter span, then the earlier
    i, j = max(pairs, key=lambda p: (s[p[0]] + e[p[1]], -(p[1] - p[0]), -p[0]))
    return i, j, s[i] + e[j]


@settings(max_examples=200, deadline=None)
@given(st.integers(1, 12), st.integers(1, 14), st.data())
def test_best_span_is_the_brute_force_argmax(T, max_len, data):
    values = st.integers(-3, 3) | st.floats(-10, 10)  # small integers make ties
    s = data.draw(st.lists(values, min_size=T, max_size=T))
    e = data.draw(st.lists(values, min_size=T, max_size=T))
    allowed = data.draw(st.lists(st.booleans(), min_size=T, max_size=T).filter(any))
    i, j, score = best_span(s, e, max_len, np.array(allowed))
    bi, bj, bscore = brute_force(np.array(s, float), np.array(e, float), max_len, allowed)
    assert (i, j) == (bi, bj)
    assert score == pytest.approx(bscore)


def test_best_span_refuses_bad_input():
    with pytest.raises(ValueError, match="allowed position"):
        best_span([1.0, 2.0], [1.0, 2.0], 3, [False, False])
    with pytest.raises(ValueError, match="one length"):
        best_span([1.0, 2.0], [1.0], 3)


# --- the model ---------------------------------------------------------------------------


def tiny_bert(vocab_size, max_len=64):
    minilm.manual_seed(0)
    return BERT(BERTConfig(vocab_size=vocab_size, max_len=max_len, n_layer=1, n_head=2,
                           d_model=16, dropout=0.0, num_special=5, n_segments=2))  # fmt: skip


def test_span_model_trains_and_its_loss_falls(train, vocab):
    data = make_features(train[:6], vocab, max_len=48, stride=16)
    model = SpanQA(tiny_bert(len(vocab), 48))
    hist = finetune(model, data.features, steps=40, batch_size=16, lr=1e-2, progress=False)
    assert np.mean(hist.loss[-5:]) < 0.6 * np.mean(hist.loss[:5]), hist.loss


class PointAt(SpanQA):
    """A stand-in model whose start and end logits are 5 where the token is ``word``."""

    def __init__(self, encoder, word_id):
        super().__init__(encoder)
        self.word_id = word_id

    def forward(self, ids, segment_ids=None):
        hit = (ids.numpy() == self.word_id).astype(np.float32) * 5.0
        return minilm.tensor(hit), minilm.tensor(hit)


def test_predict_takes_the_best_window_and_cuts_the_context():
    words = [f"w{i}" for i in range(40)]
    context = " ".join(words[:30]) + ", the  Zebra-crossing. " + " ".join(words[30:])
    vocab = Vocab([*words, "zebra", "where", "-", ",", "."], SPECIALS[:4], SPECIALS[4])
    ex = {"context": context, "question": "where", "answers": []}
    data = make_features([ex], vocab, max_len=16, stride=6)
    assert len(data.features) > 3
    model = PointAt(tiny_bert(len(vocab), 16), vocab.stoi["zebra"])
    assert predict(model, data, max_answer_len=3) == ["Zebra"]  # the text as written


# --- baselines ---------------------------------------------------------------------------


def test_baselines_on_a_hand_made_example():
    ex = {"context": "The tower was built in 1889 by Gustave Eiffel. It stands in Paris.",
          "question": "Who built the tower in 1889?"}  # fmt: skip
    # question words less stopwords: built, tower, 1889 (who, the, in are stopwords)
    assert first_tokens(ex, 3) == "The tower was"
    # windows of 3: "tower was built" and "built in 1889" hold 2 of them; the first wins
    assert overlap_window(ex, w=3) == "tower was built"
    # candidates may not touch a question word or a stopword; "Gustave" has built and
    # 1889 within 3 tokens before it, "Gustave Eiffel" the same: the longer wins
    assert overlap_span(ex, w=3, max_len=2) == "Gustave Eiffel"
    assert overlap_span(ex, w=3, max_len=1) == "Gustave"


def test_question_words_skip_stopwords_and_punctuation():
    from minilm.qa import _question_words

    assert _question_words("What is the name of the 2nd tower, and who built it?") == [
        "name", "2nd", "tower", "built"]  # fmt: skip
    assert all(re.match(r"\w", w) for w in _question_words("?!, what"))


def test_gathered_mlm_loss_equals_berts_own():
    from minilm.qa import mlm_loss

    bert = tiny_bert(40, 16)
    ids = minilm.tensor([[1, 7, 8, 2, 9, 10, 11, 2], [1, 12, 2, 13, 14, 2, 0, 0]])
    seg = minilm.tensor([[0, 0, 0, 0, 1, 1, 1, 1], [0, 0, 0, 1, 1, 1, 0, 0]])
    ours = mlm_loss(bert, ids, seg, rng=3, mask_prob=0.4)
    theirs = bert.mlm_loss(ids, rng=3, mask_prob=0.4, segment_ids=seg)
    assert ours.item() == pytest.approx(theirs.item(), rel=1e-5)
    ours.backward()
    assert np.abs(bert.tok.weight.grad.numpy()).sum() > 0


def test_abstract_sequences_cover_each_abstract_in_order():
    vocab = qa.build_vocab()
    seqs = qa.abstract_sequences(vocab, max_len=40)
    records = load_summarization("train")
    first = " ".join(records[0]["source"])
    want = vocab.encode(t.lower() for t, _, _ in qa.tokenize_with_offsets(first))
    n = -(-len(want) // 38)  # the first abstract's chunks: ceil(len / (40 - 2))
    body = [i for f in seqs[:n] for i in f.ids[1:-1]]
    assert body == want
    assert all(f.ids[0] == qa.CLS and f.ids[-1] == qa.SEP and len(f.ids) <= 40 for f in seqs)
    assert all(set(f.segments) == {0} and f.start == f.end == 0 for f in seqs)
    with pytest.raises(ValueError, match="max_len"):
        qa.abstract_sequences(vocab, max_len=2)
