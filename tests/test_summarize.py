"""Summarization (minilm.summarize): lead-k; TextRank's similarity by hand, its pick
on a document with one hub sentence, document order and ties; PageRank against a
hand-solved 3-node star and NumPy's eigenvector of the Google matrix; the GPT's
TLDR-only loss against a NumPy cross-entropy; the abstractive recipes and the
command line on a few records."""

import json
import math

import numpy as np
import pytest

import minilm
from minilm.data.lm_corpus import padded_batch
from minilm.models.gpt import GPT, GPTConfig
from minilm.summarize import (
    CONFIGS,
    SummarizationData,
    lead_k,
    main,
    overlap_similarity,
    pagerank,
    similarity_matrix,
    summarize_decoder_only,
    summarize_seq2seq,
    textrank,
    tldr_only_loss,
    train_decoder_only,
    train_seq2seq,
)

# s2 shares one content word with each of the others; they share none with each other
HUB = [
    "Apples grow on trees.",
    "Bananas are yellow.",
    "Apples, bananas and cherries are fruit.",
    "Cherries taste sweet.",
]


def test_lead_k():
    doc = ["First one.", "Second one.", "Third one."]
    assert lead_k(doc) == ["First one."]
    assert lead_k(doc, 2) == ["First one.", "Second one."]
    assert lead_k(doc, 5) == doc
    with pytest.raises(ValueError, match="k must be >= 1"):
        lead_k(doc, 0)


def test_overlap_similarity_by_hand():
    # 2 shared distinct words over log 3 + log 4 ("x" twice counts once)
    a, b = ["x", "y", "x"], ["x", "y", "z", "w"]
    assert overlap_similarity(a, b) == pytest.approx(2 / (math.log(3) + math.log(4)))
    assert overlap_similarity(["x"], ["x"]) == pytest.approx(1 / math.log(2))  # floored
    assert overlap_similarity([], ["x"]) == 0.0
    W = similarity_matrix(HUB)
    assert W[0, 1] == W[0, 3] == W[1, 3] == 0.0 and np.all(np.diag(W) == 0)
    # "bananas yellow" against "apples bananas cherries fruit": 1 / (log 2 + log 4)
    assert W[1, 2] == W[2, 1] == pytest.approx(1 / (math.log(2) + math.log(4)))


def test_textrank_picks_the_hub_in_document_order():
    assert textrank(HUB) == [HUB[2]]
    # a leaf's whole score comes from the hub, in proportion to its edge; s1's is the
    # heaviest (its sentence is the shortest), so it is second: output in document order
    assert textrank(HUB, k=2) == [HUB[1], HUB[2]]
    assert textrank(HUB, k=2) == textrank(HUB, k=2)
    assert textrank(HUB, k=10) == HUB


def test_textrank_ties_go_to_the_earlier_sentence():
    unrelated = ["Zebras run.", "Quantum fields.", "Tea cools."]  # no shared words
    assert textrank(unrelated, k=2) == unrelated[:2]
    # s0 and s2 are mirror images about the hub s1: equal scores, s0 wins
    mirror = ["Red apples.", "Red apples and green pears.", "Green pears."]
    scores = pagerank(similarity_matrix(mirror))
    assert scores[0] == pytest.approx(scores[2])
    assert textrank(mirror, k=2) == mirror[:2]


def test_pagerank_star_by_hand():
    # centre 0, leaves 1 and 2: s1 = (1-d)/3 + d s0/2, s0 = 1 - 2 s1 gives
    # s1 = ((1-d)/3 + d/2) / (1+d)
    d = 0.85
    s = pagerank(np.array([[0, 1, 1], [1, 0, 0], [1, 0, 0]]), d)
    leaf = ((1 - d) / 3 + d / 2) / (1 + d)
    np.testing.assert_allclose(s, [1 - 2 * leaf, leaf, leaf], rtol=1e-9)
    assert s.sum() == pytest.approx(1.0)


def google_eigenvector(W, d):
    """The stationary distribution as NumPy's eigenvector of the Google matrix."""
    n = len(W)
    out = W.sum(1, keepdims=True)
    P = np.where(out > 0, W / np.where(out > 0, out, 1), 1 / n)
    G = d * P + (1 - d) / n
    vals, vecs = np.linalg.eig(G.T)
    v = np.real(vecs[:, np.argmax(np.real(vals))])
    return v / v.sum()


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_pagerank_matches_the_eigenvector(seed):
    rng = np.random.default_rng(seed)
    W = rng.random((6, 6)) * (rng.random((6, 6)) < 0.6)  # directed, some edges missing
    np.fill_diagonal(W, 0)
    W[3] = 0  # a node without out-edges: its walker jumps uniformly
    for d in (0.85, 0.5):
        s = pagerank(W, d)
        assert s.sum() == pytest.approx(1.0, abs=1e-12)
        np.testing.assert_allclose(s, google_eigenvector(W, d), atol=1e-9)


def test_pagerank_errors():
    with pytest.raises(ValueError, match="square"):
        pagerank(np.zeros((2, 3)))
    with pytest.raises(ValueError, match=">= 0"):
        pagerank([[0, -1], [1, 0]])
    with pytest.raises(RuntimeError, match="no convergence"):
        pagerank(np.array([[0, 1, 1], [1, 0, 0], [1, 0, 0]]), max_iter=2)
    assert pagerank(np.zeros((0, 0))).shape == (0,)


@pytest.fixture(scope="module")
def data():
    d = SummarizationData.load(CONFIGS["quick"], limit=6)
    d.records["test"] = d.records["test"][:2]
    return d


def test_sources_are_truncated_to_max_src(data):
    c = data.config
    for r in data.records["train"]:
        src = data.source(r)
        assert len(data.tok.tokenize(src)) == min(
            c.max_src, len(data.tok.tokenize(" ".join(r["source"])))
        )
        assert data.tok.tokenize(src) == data.tok.tokenize(" ".join(r["source"]))[: c.max_src]
        assert len(data.tok.tokenize(data.target(r))) <= c.max_tgt


def test_tldr_only_loss_matches_numpy():
    minilm.manual_seed(0)
    model = GPT(GPTConfig(vocab_size=7, block_size=8, n_layer=1, n_head=2, n_embd=8))
    sep = 6
    seqs = [np.array([1, 2, 3, sep, 4, 5, 2]), np.array([3, 1, sep, 5, 2])]
    x, y = padded_batch(seqs)
    loss = tldr_only_loss(sep)(model, (x, y)).item()
    logits = model(x).numpy().astype(np.float64)
    z = logits - logits.max(-1, keepdims=True)
    logp = z - np.log(np.exp(z).sum(-1, keepdims=True))
    # targets after <sep>: row 0 predicts 4, 5, 2 from positions 3..5; row 1 5, 2 from 2..3
    picks = [logp[0, 3, 4], logp[0, 4, 5], logp[0, 5, 2], logp[1, 2, 5], logp[1, 3, 2]]
    assert loss == pytest.approx(-np.mean(picks), rel=1e-5)


def test_abstractive_recipes_train_and_return_strings(data):
    for train, summarize in ((train_seq2seq, summarize_seq2seq),
                             (train_decoder_only, summarize_decoder_only)):  # fmt: skip
        model, history = train(data)
        assert len(history.loss) == data.config.steps and all(np.isfinite(history.loss))
        for beam in (None, 2):
            out = summarize(model, data, "test", beam_size=beam)
            assert len(out) == 2 and all(isinstance(s, str) for s in out)
            assert all(len(s.split()) <= data.config.max_tgt + 1 for s in out)


def test_cli_quick(tmp_path, capsys):
    result = main(["--quick", "--limit", "6", "--test-limit", "2", "--beam-limit", "1",
                   "--out", str(tmp_path)])  # fmt: skip
    printed = capsys.readouterr().out
    systems = [r["system"] for r in result["rows"]]
    assert systems == ["lead-1", "textrank", "encoder-decoder", "gpt"]
    assert "| lead-1 |" in printed and "R-2 F1" in printed
    saved = json.loads((tmp_path / "summarize.json").read_text())
    assert [r["system"] for r in saved["rows"]] == systems
    assert saved["n_test"] == 2 and saved["n_beam"] == 1 and len(saved["examples"]) == 2
    lead = saved["rows"][0]["rouge1"]
    assert 0 <= lead["f1"] <= 1 and lead["f1"] > 0  # lead-1 overlaps the TLDR somewhat


def test_cli_refuses_bad_numbers():
    for args in (["--steps", "0"], ["--beam-limit", "0"]):
        with pytest.raises(SystemExit):
            main(["--quick", *args])
