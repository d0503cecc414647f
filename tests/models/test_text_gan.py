"""The text GAN: Gumbel-softmax (rows sum to 1, the Gumbel-max trick samples
softmax exactly, straight-through passes the soft gradient, low temperature
approaches one-hot), the temperature schedule, names as fixed-length ids, the
real/new statistics, and a short run."""

import numpy
import pytest
from hypothesis import given
from hypothesis import strategies as st

import minilm
import minilm.functional as F
from minilm.data.name_data import (
    ALPHABET,
    decode_names,
    encode_names,
    fixed_length_names,
    name_stats,
)
from minilm.models.text_gan import TextGAN, TextGANConfig, gumbel_softmax
from minilm.recipes.text_gan import train_text_gan
from minilm.testing import arrays, floats


@given(logits=arrays(st.tuples(st.integers(1, 4), st.integers(2, 6)), elements=floats(-20, 20)),
       tau=st.floats(0.05, 5.0), hard=st.booleans())  # fmt: skip
def test_gumbel_softmax_rows_sum_to_one(logits, tau, hard):
    y = gumbel_softmax(minilm.tensor(logits), tau, hard).numpy()
    assert numpy.allclose(y.sum(axis=-1), 1.0, atol=1e-5)
    assert (y >= -1e-6).all()
    if hard:
        assert set(numpy.unique(y)) <= {0.0, 1.0}


def test_gumbel_max_samples_the_softmax():
    logits = numpy.log(numpy.array([0.5, 0.3, 0.15, 0.05]))
    y = gumbel_softmax(minilm.tensor(numpy.tile(logits, (40000, 1))), hard=True).numpy()
    freq = y.mean(axis=0)
    se = numpy.sqrt(numpy.exp(logits) * (1 - numpy.exp(logits)) / 40000)
    assert (numpy.abs(freq - numpy.exp(logits)) < 4 * se).all()


def test_straight_through_has_the_soft_samples_gradient():
    logits = minilm.randn(5, 4, dtype="float64", requires_grad=True)
    w = minilm.randn(5, 4, dtype="float64")
    minilm.manual_seed(3)
    soft = gumbel_softmax(logits, 0.7)
    (g_soft,) = minilm.grad((soft * w).sum(), [logits])
    minilm.manual_seed(3)
    hard = gumbel_softmax(logits, 0.7, hard=True)
    (g_hard,) = minilm.grad((hard * w).sum(), [logits])
    assert numpy.allclose(g_hard.numpy(), g_soft.numpy())
    assert numpy.array_equal(hard.numpy().argmax(-1), soft.numpy().argmax(-1))


def test_low_temperature_approaches_one_hot():
    logits = minilm.randn(200, 5)
    minilm.manual_seed(1)
    cold = gumbel_softmax(logits, 0.01).numpy()
    minilm.manual_seed(1)
    hard = gumbel_softmax(logits, 0.01, hard=True).numpy()
    assert (numpy.abs(cold - hard).sum(-1) < 1e-2).mean() > 0.9  # all but near-ties
    assert numpy.abs(cold - hard).sum(-1).mean() < 0.05


def test_gumbel_softmax_rejects_bad_temperature():
    with pytest.raises(ValueError, match="tau must be > 0"):
        gumbel_softmax(minilm.zeros(2, 3), tau=0.0)


def test_temperature_schedule():
    c = TextGANConfig(tau_start=1.0, tau_end=0.25)
    taus = [c.tau(s, 100) for s in range(101)]
    assert taus[0] == 1.0 and taus[-1] == pytest.approx(0.25) and taus[50] == pytest.approx(0.5)
    assert all(a > b for a, b in zip(taus, taus[1:]))
    with pytest.raises(ValueError, match="tau_end"):
        TextGANConfig(tau_start=0.5, tau_end=1.0)


def test_names_round_trip_through_ids():
    names = ["ava", "emma", "x", "abcdefgh"]
    ids = encode_names(names, 8)
    assert ids.shape == (4, 8) and ids[0, 3:].tolist() == [0] * 5
    assert decode_names(ids) == names
    assert decode_names(numpy.array([[1, 0, 2, 3]])) == ["a"]  # read up to the first "."
    with pytest.raises(ValueError, match="more than max_len"):
        encode_names(["abcdefghi"], 8)
    with pytest.raises(ValueError, match="not in"):
        encode_names(["Ann"], 8)
    assert ALPHABET[0] == "." and len(ALPHABET) == 27
    assert all(0 < len(n) <= 6 for n in fixed_length_names("val", 6))


def test_name_stats_by_hand():
    s = name_stats(["ann", "bob", "zzq", "", "ann"], train={"ann"}, everything={"ann", "bob"})
    assert (s.n, s.real, s.new, s.real_new, s.unique, s.empty) == (5, 0.6, 0.6, 0.2, 0.8, 0.2)
    with pytest.raises(ValueError, match="no samples"):
        name_stats([])


def test_generator_and_discriminator_shapes():
    gan = TextGAN(TextGANConfig(max_len=5, hidden=8))
    assert gan.logits(3).shape == (3, 5, 27)
    assert gan.score(F.one_hot(minilm.tensor([[1, 2, 0, 0, 0]]), 27)).shape == (1,)


@pytest.mark.parametrize("loss", ["gan", "wgan-gp"])
def test_a_short_run_learns_the_shape_of_names(loss):
    # three-letter names only: the generator must learn to end after three letters
    minilm.manual_seed(0)
    names = [n for n in fixed_length_names("train", 4) if len(n) == 3]
    gan = TextGAN(TextGANConfig(max_len=4, hidden=32, batch_size=64, loss=loss, lr=3e-3,
                                n_critic=2))  # fmt: skip
    before = numpy.mean([len(n) == 3 for n in gan.generate(300)])
    h = train_text_gan(gan, names, steps=120, progress=False, eval_size=300)
    after = numpy.mean([len(n) == 3 for n in gan.generate(300)])
    assert after > max(0.6, before + 0.3)
    assert len(h.tau) == 120 and h.evals[-1][1].n == 300
