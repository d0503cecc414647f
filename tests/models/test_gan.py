"""GANs: the losses against their formulas, the gradient penalty against finite
differences (value and its gradient in the critic's weights), weight clipping,
feature matching, the toy distributions and the scores (mode coverage, energy
and sliced Wasserstein distances), and short runs that must learn."""

import math

import numpy
import pytest
from hypothesis import given
from hypothesis import strategies as st

import minilm
import minilm.nn as nn
from minilm.data.gan_toy import (
    energy_distance,
    gaussian_mixture_1d,
    mode_coverage,
    ring_of_gaussians,
    sliced_wasserstein,
)
from minilm.models.gan import (
    GAN,
    Discriminator,
    GANConfig,
    clip_weights_,
    critic_loss,
    discriminator_loss,
    feature_matching_loss,
    generator_loss,
    gradient_penalty,
    variant,
    wgan_generator_loss,
)
from minilm.recipes.gan import train_gan
from minilm.testing import arrays, floats

logits = arrays(st.integers(1, 6), elements=floats(-30, 30))


def _log_sigmoid(x):
    return -numpy.logaddexp(0.0, -x)


@given(real=logits, fake=logits)
def test_discriminator_loss_is_binary_cross_entropy(real, fake):
    want = -_log_sigmoid(real).mean() - _log_sigmoid(-fake).mean()  # log(1 - s(f)) = ls(-f)
    got = discriminator_loss(minilm.tensor(real), minilm.tensor(fake)).item()
    assert got == pytest.approx(want, rel=1e-5, abs=1e-5)


@given(fake=logits)
def test_generator_losses(fake):
    f = minilm.tensor(fake)
    assert generator_loss(f).item() == pytest.approx(-_log_sigmoid(fake).mean(), rel=1e-5, abs=1e-5)
    saturating = generator_loss(f, saturating=True).item()
    assert saturating == pytest.approx(_log_sigmoid(-fake).mean(), rel=1e-5, abs=1e-5)


def test_non_saturating_loss_keeps_its_gradient_when_the_discriminator_wins():
    # D rejects the fakes confidently (logit -10): the minimax loss has almost no
    # gradient, the non-saturating one about -1 per sample
    f = minilm.full((4,), -10.0, dtype="float64").requires_grad_()
    (g_sat,) = minilm.grad(generator_loss(f, saturating=True), [f])
    (g_ns,) = minilm.grad(generator_loss(f), [f])
    assert numpy.abs(g_sat.numpy()).max() < 1e-4
    assert numpy.allclose(g_ns.numpy(), -0.25, atol=1e-4)


def test_wgan_losses():
    r, f = minilm.tensor([3.0, 1.0]), minilm.tensor([0.5, -0.5])
    assert critic_loss(r, f).item() == pytest.approx(0.0 - 2.0)
    assert wgan_generator_loss(f).item() == pytest.approx(0.0)


def _small_critic(seed=0):
    minilm.manual_seed(seed)
    return Discriminator(GANConfig(data_dim=2, hidden=5, layers=2), dtype=numpy.float64)


def _input_grad_fd(critic, x, h=1e-6):
    """d critic(x)_i / d x_i by central differences, one row at a time (float64)."""
    g = numpy.zeros_like(x)
    for j in range(x.shape[1]):
        e = numpy.zeros_like(x)
        e[:, j] = h
        up = critic(minilm.tensor(x + e)).numpy()
        down = critic(minilm.tensor(x - e)).numpy()
        g[:, j] = (up - down) / (2 * h)
    return g


def _penalty_fd(critic, real, fake, eps, weight):
    x_hat = eps * real + (1 - eps) * fake
    norms = numpy.linalg.norm(_input_grad_fd(critic, x_hat), axis=1)
    return weight * ((norms - 1) ** 2).mean()


def test_gradient_penalty_equals_a_finite_difference_estimate():
    critic = _small_critic()
    rng = numpy.random.default_rng(0)
    real, fake = rng.normal(size=(6, 2)), rng.normal(size=(6, 2)) + 1
    eps = rng.random((6, 1))
    got = gradient_penalty(critic, minilm.tensor(real), minilm.tensor(fake), 10.0,
                           eps=minilm.tensor(eps)).item()  # fmt: skip
    assert got == pytest.approx(_penalty_fd(critic, real, fake, eps, 10.0), rel=1e-6)


def _tanh_critic(seed=0):
    minilm.manual_seed(seed)
    net = nn.Sequential(nn.Linear(2, 4, dtype=numpy.float64), nn.Tanh(),
                        nn.Linear(4, 1, dtype=numpy.float64))  # fmt: skip
    critic = lambda x: net(x).reshape(-1)
    critic.parameters = net.parameters
    return critic


@pytest.mark.parametrize("make", [_small_critic, _tanh_critic], ids=["leaky-relu", "tanh"])
def test_gradient_penalty_weight_gradient_equals_finite_differences(make):
    # the penalty's gradient in the critic's weights goes through a gradient
    # (create_graph=True): compare it with finite differences of the penalty
    critic = make(1)
    rng = numpy.random.default_rng(1)
    real, fake = minilm.tensor(rng.normal(size=(5, 2))), minilm.tensor(rng.normal(size=(5, 2)))
    eps = minilm.tensor(rng.random((5, 1)))
    penalty = lambda: gradient_penalty(critic, real, fake, 1.0, eps=eps)
    params = list(critic.parameters())
    # with a piecewise-linear activation some biases do not reach the input gradient
    grads = minilm.grad(penalty(), params, allow_unused=True)
    h = 1e-6
    checked = 0
    for p, g in zip(params, grads):
        g = numpy.zeros(p.shape) if g is None else g.numpy()
        for idx in [tuple(int(i) for i in numpy.unravel_index(k, p.shape)) for k in range(p.size)]:
            old = p.data[idx]  # .data: change the value outside the graph
            p.data[idx] = old + h
            up = penalty().item()
            p.data[idx] = old - h
            down = penalty().item()
            p.data[idx] = old
            assert g[idx] == pytest.approx((up - down) / (2 * h), rel=1e-4, abs=1e-7)
            checked += abs(g[idx]) > 1e-3
    assert checked > 5  # the test compares real gradients, not zeros


def test_gradient_penalty_of_a_linear_critic():
    w = minilm.tensor([3.0, 4.0])
    critic = lambda x: (x * w).sum(axis=1)  # gradient w everywhere: norm 5
    p = gradient_penalty(critic, minilm.randn(7, 2), minilm.randn(7, 2), weight=2.0)
    assert p.item() == pytest.approx(2.0 * 16.0)


def test_gradient_penalty_makes_the_critic_1_lipschitz_between_the_samples():
    minilm.manual_seed(0)
    critic = Discriminator(GANConfig(data_dim=2, hidden=32))
    opt = minilm.optim.Adam(critic.parameters(), lr=1e-2)
    real, fake = minilm.randn(64, 2) + 2.0, minilm.randn(64, 2)
    for _ in range(150):
        loss = critic_loss(critic(real), critic(fake)) + gradient_penalty(critic, real, fake, 10.0)
        opt.zero_grad()
        loss.backward()
        opt.step()
    x = (0.5 * real + 0.5 * fake).detach().requires_grad_()
    (g,) = minilm.grad(critic(x).sum(), [x])
    norms = numpy.linalg.norm(g.numpy(), axis=1)
    assert abs(norms.mean() - 1.0) < 0.15


def test_clip_weights_bounds_every_parameter():
    d = Discriminator(GANConfig(hidden=8))
    clip_weights_(d, 0.01)
    assert all(numpy.abs(p.numpy()).max() <= 0.01 + 1e-9 for p in d.parameters())
    assert any(numpy.abs(p.numpy()).max() == pytest.approx(0.01) for p in d.parameters())


def test_feature_matching_loss():
    a = numpy.random.default_rng(0).normal(size=(10, 3))
    assert feature_matching_loss(minilm.tensor(a), minilm.tensor(a[::-1].copy())).item() == (
        pytest.approx(0.0, abs=1e-10)
    )
    b = a + numpy.array([1.0, 2.0, 0.0])
    assert feature_matching_loss(minilm.tensor(a), minilm.tensor(b)).item() == pytest.approx(5.0)


def test_configs_reject_bad_input():
    with pytest.raises(ValueError, match="loss must be one of"):
        GANConfig(loss="lsgan")
    with pytest.raises(ValueError, match="unknown GAN variant"):
        variant("dcgan")
    assert variant("wgan").loss == "wgan" and variant("fm", hidden=7).hidden == 7


# ---- toy data and scores ----------------------------------------------------------


def test_toy_distributions_have_their_modes_and_widths():
    ring = ring_of_gaussians(k=8, radius=2.0, std=0.05)
    x = ring.sample(8000, rng=0)
    assert numpy.allclose(numpy.linalg.norm(ring.means, axis=1), 2.0)
    d = numpy.linalg.norm(x[:, None] - ring.means[None], axis=-1)
    k = d.argmin(1)
    assert numpy.bincount(k).min() > 800  # equally likely: 1000 each
    resid = x - ring.means[k]
    assert resid.std() == pytest.approx(0.05, rel=0.05)
    m = gaussian_mixture_1d(means=(-1, 1), std=0.1, weights=(0.25, 0.75)).sample(8000, rng=0)
    assert (m > 0).mean() == pytest.approx(0.75, abs=0.02)
    assert numpy.array_equal(ring.sample(5, rng=3), ring.sample(5, rng=3))
    with pytest.raises(ValueError, match="summing to 1"):
        gaussian_mixture_1d(weights=(0.5, 0.6, 0.1))


def test_mode_coverage_rule():
    ring = ring_of_gaussians()
    x = ring.sample(2000, rng=0)
    assert mode_coverage(x, ring).covered == 8
    assert mode_coverage(x, ring).quality > 0.98
    # keep three modes only: three covered
    k = numpy.linalg.norm(x[:, None] - ring.means[None], axis=-1).argmin(1)
    assert mode_coverage(x[k < 3], ring).covered == 3
    # a mode with less than a quarter of its fair share (1/8) is not covered
    few = numpy.concatenate([x[k == 0][:200], x[k == 1][:6]])  # the bar: 206 / 8 / 4 = 6.4
    assert mode_coverage(few, ring).covered == 1
    assert mode_coverage(numpy.concatenate([few, x[k == 1][6:8]]), ring).covered == 2
    # samples between the modes are not hits
    between = numpy.zeros((100, 2))
    c = mode_coverage(between, ring)
    assert c.covered == 0 and c.quality == 0.0


def test_energy_distance():
    rng = numpy.random.default_rng(0)
    # two point masses at distance d: 2d
    assert energy_distance(numpy.zeros((5, 2)), numpy.full((7, 2), [3.0, 4.0])) == pytest.approx(10)
    a, b = rng.normal(size=(400, 2)), rng.normal(size=(400, 2))
    assert abs(energy_distance(a, b)) < 0.03
    assert energy_distance(a, b) == pytest.approx(energy_distance(b, a))
    assert 0 < energy_distance(a, b + 0.5) < energy_distance(a, b + 1.0)


def test_sliced_wasserstein():
    x = numpy.random.default_rng(0).normal(size=(300, 1))
    assert sliced_wasserstein(x, x + 2.5) == pytest.approx(2.5)
    y = numpy.random.default_rng(1).normal(size=(300, 2))
    assert sliced_wasserstein(y, y) == pytest.approx(0.0, abs=1e-12)
    # a shift by v: each projection u moves by u.v, so the average is E|u.v|, 2/pi |v| in 2-D
    assert sliced_wasserstein(y, y + [3.0, 0.0], n_projections=2000) == pytest.approx(
        3.0 * 2 / math.pi, rel=0.05
    )


# ---- training ----------------------------------------------------------------------


@pytest.mark.parametrize("loss", ["gan", "wgan-gp", "fm"])
def test_a_short_run_moves_the_generator_onto_the_data(loss):
    minilm.manual_seed(0)
    data = gaussian_mixture_1d(means=(3.0,), std=0.3)
    gan = GAN(variant(loss, data_dim=1, noise_dim=2, hidden=16, layers=1, batch_size=64,
                      lr_g=1e-2, lr_d=1e-2, n_critic=2))  # fmt: skip
    before = energy_distance(gan.sample(500), data.sample(500, rng=1))
    hist = train_gan(gan, data.sample, steps=150, progress=False)
    x = hist.snapshots[-1][1]
    assert energy_distance(x, data.sample(500, rng=1)) < before / 5
    assert abs(x.mean() - 3.0) < 0.5


def test_wgan_keeps_the_critic_clipped_during_training():
    minilm.manual_seed(0)
    gan = GAN(variant("wgan", hidden=8, batch_size=16, clip=0.02))
    train_gan(gan, ring_of_gaussians().sample, steps=3, progress=False)
    assert max(numpy.abs(p.numpy()).max() for p in gan.D.parameters()) <= 0.02 + 1e-7


def test_generator_and_discriminator_shapes():
    gan = GAN(GANConfig(data_dim=3, noise_dim=4, hidden=8))
    z = gan.noise(5)
    assert z.shape == (5, 4) and gan.G(z).shape == (5, 3)
    x = minilm.randn(5, 3)
    assert gan.D(x).shape == (5,) and gan.D.features(x).shape == (5, 8)
    assert isinstance(gan.D.body, nn.Sequential)
