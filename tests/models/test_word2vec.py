"""word2vec: the noise table, subsampling and example builders do what the paper
says, the loss is the negative-sampling objective, and training puts words that
share contexts next to each other."""

import pytest

import minilm
from minilm.backend import np
from minilm.models.word2vec import (
    Word2Vec,
    Word2VecConfig,
    cbow_examples,
    keep_probability,
    negative_sampling_loss,
    sampling_table,
    skipgram_pairs,
    subsample,
)
from minilm.plot import plot_word_vectors
from minilm.recipes.word2vec import train_word2vec
from minilm.testing import gradcheck


def test_sampling_table_is_unigram_to_the_three_quarters():
    counts = np.array([1000, 100, 10, 1])
    p = sampling_table(counts)
    np.testing.assert_allclose(p, counts**0.75 / (counts**0.75).sum())
    unigram = counts / counts.sum()
    assert p[-1] > unigram[-1] and p[0] < unigram[0]  # flatter: rare words gain
    np.testing.assert_allclose(sampling_table(counts, power=1.0), unigram)


def test_subsampling_drops_frequent_words_at_the_stated_rate():
    counts = np.array([9000, 900, 100])
    keep = keep_probability(counts, t=1e-2)
    f = counts / counts.sum()
    np.testing.assert_allclose(keep, np.minimum(1, np.sqrt(1e-2 / f) + 1e-2 / f))
    assert keep[0] < keep[1] < keep[2] == 1.0
    ids = np.repeat(np.arange(3), counts)
    rng = np.random.default_rng(0)
    kept = np.bincount(subsample(ids, keep, rng), minlength=3) / counts
    np.testing.assert_allclose(kept, keep, atol=0.03)
    assert (keep_probability(counts, 0) == 1).all()


def test_skipgram_pairs_stay_in_the_window_and_favour_near_words():
    ids = np.arange(200)
    c, o = skipgram_pairs(ids, 4, np.random.default_rng(0))
    d = np.abs(c - o)
    assert d.min() >= 1 and d.max() <= 4
    counts = np.bincount(d)[1:]
    assert (np.diff(counts) < 0).all()  # a random window 1..4: nearer pairs are more common


def test_cbow_examples_are_the_surrounding_words():
    ctx, centre = cbow_examples(np.array([10, 11, 12, 13, 14]), 2)
    assert ctx.tolist()[2] == [10, 11, 13, 14] and centre.tolist()[2] == 12
    assert ctx.tolist()[0] == [-1, -1, 11, 12]


def test_negative_sampling_loss_formula_and_gradient():
    rng = np.random.default_rng(0)
    v, u, n = (
        rng.standard_normal((3, 4)),
        rng.standard_normal((3, 4)),
        rng.standard_normal((3, 2, 4)),
    )
    sp = lambda x: np.log1p(np.exp(x))
    want = (sp(-(u * v).sum(1)) + sp(np.einsum("bkd,bd->bk", n, v)).sum(1)).mean()
    args = [minilm.tensor(a, requires_grad=True) for a in (v, u, n)]
    assert negative_sampling_loss(*args).item() == pytest.approx(want, rel=1e-12)
    assert gradcheck(negative_sampling_loss, args)


def test_analogy_and_neighbours_by_cosine():
    m = Word2Vec(["a", "b", "c", "d", "e"], [1] * 5, dim=3)
    vecs = np.array([[1, 0, 0], [1, 1, 0], [0, 0, 1], [0, 1, 1], [-1, -1, -1]], dtype=np.float32)
    m.W_in.weight.data[...] = vecs / np.linalg.norm(vecs, axis=1, keepdims=True)
    assert m.analogy("a", "b", "c")[0][0] == "d"  # b - a + c = (0, 1, 1) = d
    assert m.most_similar("e", 4)[-1][0] in {"b", "d"}
    assert m.most_similar("a", 1)[0] == ("b", pytest.approx(1 / np.sqrt(2)))
    with pytest.raises(KeyError, match="min_count"):
        m.most_similar("zebra")


@pytest.mark.parametrize("mode", ["skipgram", "cbow"])
def test_words_sharing_contexts_become_neighbours(mode):
    rng = np.random.default_rng(0)
    animals, foods = ["cat", "dog", "cow"], ["bread", "rice", "soup"]
    lines = []
    for _ in range(600):
        lines.append(f"the {rng.choice(animals)} runs and sleeps")
        lines.append(f"we eat {rng.choice(foods)} with salt")
    cfg = Word2VecConfig(mode=mode, dim=16, window=2, min_count=1, subsample=0, steps=300,
                         batch_size=128, lr=1e-2)  # fmt: skip
    m = train_word2vec("\n".join(lines), cfg, progress=False)
    for group in (animals, foods):
        for w in group:
            top2 = {x for x, _ in m.most_similar(w, 2)}
            assert top2 == set(group) - {w}, (w, m.most_similar(w, 4))


def test_plot_projects_every_word():
    m = Word2Vec(["a", "b", "c"], [1, 1, 1], dim=4)
    ax = plot_word_vectors(m, ["a", "b", "c"])
    assert len(ax.collections[0].get_offsets()) == 3 and len(ax.texts) == 3
