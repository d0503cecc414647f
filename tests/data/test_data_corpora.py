"""Bundled corpora, their splits, and the batching helpers."""

import hashlib

import numpy as np
import pytest

from minilm.data import (
    available_corpora,
    classification_batches,
    lm_batch,
    lm_batches,
    load_names,
    load_sentiment,
    load_split,
    load_text,
    load_translation,
    pad_batch,
)  # fmt: skip

# sha256 of the shipped bytes (the first four as in the shared data README)
SHA256 = {
    "tinyshakespeare": "86c4e6aa9db7c042ec79f339dcb96d42b0075e16b8fc2e86bf0ca57e2dc565ed",
    "names": "0a30b5557f192f32ab962680889aac5f6fda0f4cecf40a6d0b5694f58ea8cc4d",
    "eng-fra": "5d062e64dc4eac2d62439b4aba9c246040a7f119e027d150961aada632a4ff73",
}


@pytest.mark.parametrize("name", list(SHA256))
def test_shipped_bytes_are_the_documented_ones(name):
    assert hashlib.sha256(load_text(name).encode("utf-8")).hexdigest() == SHA256[name]


def test_unknown_corpus_lists_the_available_ones():
    with pytest.raises(FileNotFoundError, match="neither a file nor.*tinyshakespeare.*eng-fra"):
        load_text("wikipedia")
    with pytest.raises(KeyError, match="amazon"):
        load_text("sentiment", source="twitter")
    with pytest.raises(ValueError, match="split"):
        load_split("names", "dev")


def test_records():
    assert len(load_names()) == 32033 and all(n.isalpha() and n.islower() for n in load_names())
    rows = load_sentiment()
    assert len(rows) == 3000 and {label for _, label in rows} == {0, 1}
    assert sum(label for _, label in load_sentiment("imdb")) == 500
    assert not any(s.endswith(" ") or "\t" in s for s, _ in rows)
    pairs = load_translation()
    assert len(pairs) == 21839 and all(len(en) <= 18 for en, _ in pairs)


@pytest.mark.parametrize("name", available_corpora())
def test_splits_are_deterministic_disjoint_and_complete(name):
    parts = [load_split(name, s) for s in ("train", "val", "test")]
    assert parts == [load_split(name, s) for s in ("train", "val", "test")]
    if name == "tinyshakespeare":
        assert "".join(parts) == load_text(name)
        assert all(p.endswith("\n") for p in parts)
        assert len(parts[0]) / len(load_text(name)) == pytest.approx(0.9, abs=1e-3)
        return
    total = {"names": 32033, "sentiment": 3000, "eng-fra": 21839}[name]
    assert sum(map(len, parts)) == total
    assert len(parts[0]) / total == pytest.approx(0.8, abs=0.02)
    if name == "eng-fra":  # an English sentence never appears in two splits
        english = [{en for en, _ in p} for p in parts]
        assert not (english[0] & english[1] or english[0] & english[2] or english[1] & english[2])


def test_lm_batch_windows_are_shifted_by_one(device):
    ids = np.arange(50) * 3
    x, y = lm_batch(ids, batch_size=8, block_size=5, rng=1, device=device)
    assert x.shape == y.shape == (8, 5) and x.device == device
    x, y = x.numpy(), y.numpy()
    assert (y[:, :-1] == x[:, 1:]).all() and (x % 3 == 0).all()
    assert (lm_batch(ids, 8, 5, rng=1)[0].numpy() == x).all()  # a seed gives the same batch
    with pytest.raises(ValueError, match="too short"):
        lm_batch(ids[:5], batch_size=1, block_size=5)


def test_lm_batches_cover_the_stream_in_order():
    batches = list(lm_batches(np.arange(21), batch_size=3, block_size=4))
    xs = np.concatenate([x.data for x, _ in batches])
    ys = np.concatenate([y.data for _, y in batches])
    assert xs.ravel().tolist() == list(range(20)) and ys.ravel().tolist() == list(range(1, 21))


def test_pad_batch_and_classification_batches():
    ids, mask = pad_batch([[1], [2, 3, 4], []], pad_id=9)
    assert ids.data.tolist() == [[1, 9, 9], [2, 3, 4], [9, 9, 9]]
    assert mask.data.sum(axis=1).tolist() == [1, 3, 0]
    seqs = [[i] * (i % 3 + 1) for i in range(10)]
    seen = []
    for ids, mask, y in classification_batches(seqs, list(range(10)), 4, rng=0):
        assert ids.shape[0] == mask.shape[0] == y.shape[0] <= 4
        seen += y.data.tolist()
    assert sorted(seen) == list(range(10))
    X = np.arange(20).reshape(10, 2)
    (xb, yb), *_ = classification_batches(X, np.arange(10), 3, shuffle=False)
    assert xb.data.tolist() == [[0, 1], [2, 3], [4, 5]] and yb.data.tolist() == [0, 1, 2]
