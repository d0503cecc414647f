"""REINFORCE: the estimator is unbiased on a bandit whose gradient is known in
closed form (with and without a baseline), returns and the loss against their
formulas, rollouts' bookkeeping, the variance reduction of a baseline, and a
short run that learns."""

import numpy
import pytest

import minilm
import minilm.functional as F
from minilm.rl.env import NameEnv, PatternEnv
from minilm.rl.reinforce import (
    CharPolicy,
    Reinforce,
    ReinforceConfig,
    discounted_returns,
    gradient_variance,
    reinforce_loss,
    rollout,
)

REWARDS = numpy.array([1.0, 0.2, -0.5, 2.0])
THETA = numpy.array([0.3, -0.2, 0.5, -0.4])


def _bandit_estimates(baseline, n_estimates=4000, batch=8, seed=0):
    """n_estimates independent REINFORCE estimates of grad J, each from ``batch`` pulls
    of a softmax bandit with reward ``REWARDS[a] + N(0, 0.5^2)``."""
    rng = numpy.random.default_rng(seed)
    p = numpy.exp(THETA) / numpy.exp(THETA).sum()
    theta = minilm.tensor(numpy.tile(THETA, (n_estimates, batch, 1)), requires_grad=True)
    a = numpy.stack([rng.choice(4, size=batch, p=p) for _ in range(n_estimates)])
    r = REWARDS[a] + 0.5 * rng.standard_normal(a.shape)
    logp = F.log_softmax(theta, axis=-1)  # (N, batch, 4)
    picked = logp[numpy.arange(n_estimates)[:, None], numpy.arange(batch)[None], a]  # (N, batch)
    b = None if baseline is None else numpy.full(r.shape, baseline)
    # reinforce_loss averages over its first axis: put the batch there and the N
    # independent estimates on the second, so minus the gradient at theta[i] is estimate i
    loss = reinforce_loss(picked.T, r.T, None if b is None else b.T)
    (g,) = minilm.grad(loss, [theta])
    est = -g.numpy().sum(axis=1)  # (N, 4)
    return est, p


@pytest.mark.parametrize("baseline", [None, 0.7, 5.0])
def test_policy_gradient_is_unbiased_on_a_bandit(baseline):
    est, p = _bandit_estimates(baseline)
    exact = p * (REWARDS - p @ REWARDS)  # d/dtheta sum_a softmax(theta)_a r_a
    se = est.std(axis=0, ddof=1) / numpy.sqrt(len(est))
    assert (numpy.abs(est.mean(axis=0) - exact) < 4 * se).all()
    assert (se < 0.05).all()  # the test has the power to see a real bias


def test_a_good_baseline_lowers_the_bandits_variance():
    var = lambda b: _bandit_estimates(b)[0].var(axis=0).sum()
    p = numpy.exp(THETA) / numpy.exp(THETA).sum()
    assert var(p @ REWARDS) < 0.8 * var(None)  # the reward noise (sd 0.5) stays
    assert var(5.0) > var(p @ REWARDS)  # a bad baseline is unbiased but noisier


def test_a_biased_estimator_fails_the_bandit_test():
    # guard against a test that cannot fail: a baseline that depends on the action is biased
    rng = numpy.random.default_rng(0)
    est, p = _bandit_estimates(None)
    exact = p * (REWARDS - p @ REWARDS)
    biased = est - 0.3 * numpy.abs(rng.standard_normal(est.shape))
    se = biased.std(axis=0, ddof=1) / numpy.sqrt(len(biased))
    assert not (numpy.abs(biased.mean(axis=0) - exact) < 4 * se).all()


def test_discounted_returns_by_brute_force():
    rng = numpy.random.default_rng(0)
    r = rng.normal(size=(3, 5))
    mask = numpy.array([[1, 1, 1, 1, 1], [1, 1, 0, 0, 0], [1, 0, 0, 0, 0]], dtype=float)
    G = discounted_returns(r, mask, gamma=0.9)
    for b in range(3):
        n = int(mask[b].sum())
        for t in range(5):
            want = sum(0.9 ** (k - t) * r[b, k] for k in range(t, n)) if t < n else 0.0
            assert G[b, t] == pytest.approx(want)


def test_reinforce_loss_and_its_gradient():
    lp = minilm.tensor([[-1.0, -0.5], [-2.0, -0.1]], dtype="float64", requires_grad=True)
    G, b, m = numpy.array([[2.0, 1.0], [0.5, 3.0]]), numpy.array([[1.0, 1.0], [1.0, 1.0]]), \
        numpy.array([[1.0, 1.0], [1.0, 0.0]])  # fmt: skip
    loss = reinforce_loss(lp, G, b, m)
    want = -((lp.numpy() * (G - b) * m).sum()) / 2
    assert loss.item() == pytest.approx(want)
    (g,) = minilm.grad(loss, [lp])
    assert numpy.allclose(g.numpy(), -(G - b) * m / 2)


def test_rollout_bookkeeping():
    minilm.manual_seed(0)
    pol = CharPolicy(hidden=8)
    envs = [NameEnv(max_len=5) for _ in range(16)]
    ro = rollout(pol, envs, seed=0)
    B, T = ro.mask.shape
    assert B == 16 and T <= 5 and ro.log_probs.shape == (B, T)
    for i, env in enumerate(envs):
        n = int(ro.mask[i].sum())
        ended_by_dot = n > len(env.text)
        assert n == len(env.text) + ended_by_dot and env.done
        assert (ro.mask[i, :n] == 1).all() and (ro.mask[i, n:] == 0).all()
    assert numpy.array_equal(ro.episode_returns, [float(t in envs[0].names) for t in ro.texts])
    # log-probabilities are those of the policy, and entropies are in [0, log 27]
    assert (ro.log_probs.numpy() <= 0).all()
    assert (ro.entropies.numpy() <= numpy.log(27) + 1e-5).all()


def test_rollouts_are_reproducible():
    pol = CharPolicy(hidden=8)
    minilm.manual_seed(3)
    a = rollout(pol, [PatternEnv("cvc", slip=0.3) for _ in range(4)], seed=1)
    minilm.manual_seed(3)
    b = rollout(pol, [PatternEnv("cvc", slip=0.3) for _ in range(4)], seed=1)
    assert a.texts == b.texts and numpy.array_equal(a.rewards, b.rewards)


def test_baselines_reduce_gradient_variance():
    minilm.manual_seed(0)
    pol = CharPolicy(hidden=16)
    make = lambda: PatternEnv("cvcv")
    kw = dict(n_batches=12, batch_size=16)
    none = gradient_variance(pol, make, "none", **kw)
    mean = gradient_variance(pol, make, "mean", **kw)
    assert mean < 0.5 * none


def test_reinforce_learns_a_dense_pattern():
    minilm.manual_seed(0)
    agent = Reinforce(CharPolicy(hidden=32), ReinforceConfig(baseline="mean", lr=1e-2,
                                                             batch_size=32))  # fmt: skip
    hist = agent.train(lambda: PatternEnv("cv"), steps=40, progress=False)
    assert numpy.mean(hist.reward[:3]) < 1.2  # random letters: 21/27 + 5/27 on average
    assert numpy.mean(hist.reward[-5:]) > 1.7
    assert hist.entropy[-1] < hist.entropy[0]


def test_config_rejects_unknown_baseline():
    with pytest.raises(ValueError, match="baseline must be"):
        ReinforceConfig(baseline="critic")
