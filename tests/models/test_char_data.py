"""Character-LM data: the names corpus predicts what the n-gram models predict,
windows and padded batches line up with their sequences, and stream windows
continue each row exactly where the last window left it."""

import pytest

from minilm.backend import np
from minilm.data.lm_corpus import BOUNDARY, CharCorpus, StreamBatches, context_windows, padded_batch


@pytest.fixture(scope="module")
def names():
    return CharCorpus.load("names")


def test_names_are_bracketed_and_count_like_the_ngram_models(names):
    b = names.pad_id
    assert names.decode([b]) == BOUNDARY
    for split in ("train", "val", "test"):
        seqs = names.split(split)
        assert all(s[0] == b and s[-1] == b and b not in s[1:-1] for s in seqs)
        # every character and the end: what NgramModel scores (its </s>)
        assert names.num_predictions(split) == sum(len(w) + 1 for w in names.sentences(split))


def test_stream_split_and_sentences():
    c = CharCorpus.load("tinyshakespeare", max_chars=2000)
    (ids,) = c.split("val")
    assert len(ids) == 2000 and c.stream
    text = c.decode(ids)
    # one sentence per complete line: each line's end is an n-gram </s>
    assert "\n".join(c.sentences("val")) + "\n" == text[: text.rfind("\n") + 1]
    assert c.decode([c.pad_id]) == "\n"
    with pytest.raises(ValueError, match="unknown corpus"):
        CharCorpus.load("sentiment")


def test_context_windows_hold_the_previous_tokens():
    rng = np.random.default_rng(0)
    seqs = [rng.integers(1, 9, size=n) for n in (2, 5, 9)]
    X, Y = context_windows(seqs, 3, pad_id=0)
    assert len(X) == len(Y) == sum(len(s) - 1 for s in seqs)
    row = 0
    for s in seqs:
        for t in range(1, len(s)):
            want = [0] * max(0, 3 - t) + list(s[max(0, t - 3) : t])
            assert X[row].tolist() == want and Y[row] == s[t]
            row += 1


def test_padded_batch_ignores_exactly_the_padding():
    seqs = [np.array([0, 4, 5, 0]), np.array([0, 0]), np.array([0, 7, 0])]
    x, y = padded_batch(seqs)
    assert x.shape == y.shape == (3, 3)
    assert (y.data != -100).sum() == sum(len(s) - 1 for s in seqs)
    for i, s in enumerate(seqs):
        n = len(s) - 1
        assert x.data[i, :n].tolist() == s[:-1].tolist()
        assert y.data[i, :n].tolist() == s[1:].tolist()


def test_stream_windows_continue_each_row_and_wrap():
    ids = np.arange(101)
    sb = StreamBatches(ids, batch_size=4, bptt=7)
    x0, y0, fresh0 = sb.next()
    x1, y1, fresh1 = sb.next()
    assert fresh0 and not fresh1
    assert (x1.data[:, 0] == y0.data[:, -1]).all()  # row b picks up where it stopped
    assert (y0.data == x0.data + 1).all()
    seen = [fresh1]
    for _ in range(10):
        seen.append(sb.next()[2])
    assert any(seen)  # wrapped around to the start, flagged fresh
    covered = np.concatenate([y.data.reshape(-1) for _, y in StreamBatches(ids, 4, 7)])
    assert len(np.unique(covered)) == len(covered) == 100  # every target once
