"""The VAE: the Gaussian KL (non-negative, zero only at the prior, equal to a
Monte Carlo estimate and to torch's), the reparameterization (right mean and
variance, gradients through mu and sigma), the loss terms, interpolation, and a
short run that must learn to reconstruct."""

import numpy
import pytest
from hypothesis import given
from hypothesis import strategies as st

import minilm
import minilm.functional as F
from minilm.data.name_data import encode_names
from minilm.models.vae import NameVAE, VAEConfig, gaussian_kl, reparameterize
from minilm.recipes.vae import evaluate_vae, train_vae
from minilm.testing import arrays, floats

shapes = st.tuples(st.integers(1, 4), st.integers(1, 5))


@given(data=st.data(), shape=shapes)
def test_kl_is_non_negative_and_zero_only_at_the_prior(data, shape):
    mu = data.draw(arrays(shape, elements=floats(-3, 3)))
    logvar = data.draw(arrays(shape, elements=floats(-3, 3)))
    kl = gaussian_kl(minilm.tensor(mu), minilm.tensor(logvar)).numpy()
    assert kl.shape == shape[:1]
    assert (kl >= -1e-12).all()
    far = (numpy.abs(mu) > 1e-3).any(-1) | (numpy.abs(logvar) > 1e-3).any(-1)
    assert (kl[far] > 0).all()
    assert gaussian_kl(minilm.zeros(*shape), minilm.zeros(*shape)).numpy().max() == 0.0


def test_kl_equals_a_monte_carlo_estimate():
    mu, logvar = numpy.array([0.7, -1.2]), numpy.array([0.5, -0.8])
    sd = numpy.exp(0.5 * logvar)
    z = mu + sd * numpy.random.default_rng(0).standard_normal((200000, 2))
    log_q = (-0.5 * ((z - mu) / sd) ** 2 - numpy.log(sd)).sum(-1)
    log_p = (-0.5 * z**2).sum(-1)
    mc = (log_q - log_p).mean()
    exact = gaussian_kl(minilm.tensor(mu), minilm.tensor(logvar)).item()
    assert exact == pytest.approx(mc, abs=0.02)


def test_kl_matches_torch():
    torch = pytest.importorskip("torch")
    mu, logvar = numpy.random.default_rng(0).normal(size=(2, 3, 4))
    q = torch.distributions.Normal(torch.tensor(mu), torch.tensor(numpy.exp(0.5 * logvar)))
    p = torch.distributions.Normal(torch.zeros(3, 4), torch.ones(3, 4))
    want = torch.distributions.kl_divergence(q, p).sum(-1).numpy()
    got = gaussian_kl(minilm.tensor(mu), minilm.tensor(logvar)).numpy()
    assert numpy.allclose(got, want)


def test_reparameterized_samples_have_the_right_mean_and_variance():
    n = 50000
    mu = minilm.tensor(numpy.tile([[2.0, -1.0]], (n, 1)))
    logvar = minilm.tensor(numpy.tile([[numpy.log(0.25), numpy.log(4.0)]], (n, 1)))
    z = reparameterize(mu, logvar).numpy()
    se_mean = numpy.sqrt(numpy.array([0.25, 4.0]) / n)
    assert (numpy.abs(z.mean(0) - [2.0, -1.0]) < 4 * se_mean).all()
    assert z.var(0) == pytest.approx([0.25, 4.0], rel=0.03)


def test_reparameterization_gradients_flow_through_mu_and_sigma():
    mu = minilm.randn(6, dtype="float64", requires_grad=True)
    logvar = minilm.randn(6, dtype="float64", requires_grad=True)
    minilm.manual_seed(5)
    z = reparameterize(mu, logvar)
    eps = (z.numpy() - mu.numpy()) / numpy.exp(0.5 * logvar.numpy())
    dmu, dlogvar = minilm.grad(z.sum(), [mu, logvar])
    assert numpy.allclose(dmu.numpy(), 1.0)
    assert numpy.allclose(dlogvar.numpy(), 0.5 * numpy.exp(0.5 * logvar.numpy()) * eps)


def test_loss_terms():
    minilm.manual_seed(0)
    vae = NameVAE(VAEConfig(max_len=5, latent_dim=3, hidden=8))
    ids = encode_names(["ava", "bo"], 5)
    minilm.manual_seed(1)
    total, recon, kl = vae.loss(ids, kl_weight=0.5)
    mu, logvar = vae.encode(ids)
    minilm.manual_seed(1)
    logits = vae.decode(reparameterize(mu, logvar))
    want_recon = F.cross_entropy(logits, minilm.tensor(ids), reduction="sum").item() / 2
    assert recon.item() == pytest.approx(want_recon, rel=1e-5)
    assert kl.item() == pytest.approx(gaussian_kl(mu, logvar).numpy().mean(), rel=1e-5)
    assert total.item() == pytest.approx(recon.item() + 0.5 * kl.item(), rel=1e-5)
    assert VAEConfig(kl_warmup=10, beta=2.0).kl_weight(5) == 1.0


def test_a_short_run_learns_to_reconstruct_and_interpolates():
    minilm.manual_seed(0)
    names = ["emma", "olivia", "ava", "isabella", "sophia", "mia", "amelia", "harper", "evelyn",
             "abigail", "emily", "ella", "liam", "noah", "oliver", "elijah"]  # fmt: skip
    # beta = 0.5: a lighter KL weight lets the code tell 16 names apart within a few seconds
    vae = NameVAE(VAEConfig(max_len=8, latent_dim=4, hidden=64, batch_size=16, kl_warmup=100,
                            lr=3e-3, beta=0.5))  # fmt: skip
    before = evaluate_vae(vae, names, n_samples=50)
    h = train_vae(vae, names, steps=500, val_names=names, progress=False)
    after = h.evals[-1][1]
    assert before["exact"] == 0.0 and after["exact"] >= 0.75
    assert after["recon"] < before["recon"] / 4
    assert after["kl"] > 0.5  # the code carries information about the name
    path = vae.interpolate("emma", "oliver", steps=6)
    assert len(path) == 6
    ends = vae.reconstruct(["emma", "oliver"])
    assert [path[0], path[-1]] == ends
