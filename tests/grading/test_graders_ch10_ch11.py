"""Chapters 10 and 11: every grader passes minilm's reference solution, gives the
untouched stub zero points, and catches every planted bug (the same form as
test_graders.py for chapter 03).

(exercise, what the bug is, text in the reference solution, replacement)
"""

from pathlib import Path

import pytest

from minilm.grading import checks_of, discover, load_student, run_checks

ROOT = Path(__file__).resolve().parents[2]
EXERCISES = {
    e.name: e
    for chapter in ("10_generative_models", "11_reinforcement_learning")
    for e in discover(ROOT / "chapters" / chapter)
}

BUGS = [
    ("ex1_gan_losses", "real and fake labels swapped",
     "F.softplus(-real_logits).mean() + F.softplus(fake_logits).mean()",
     "F.softplus(real_logits).mean() + F.softplus(-fake_logits).mean()"),
    ("ex1_gan_losses", "the saturating minimax generator loss",
     "return F.softplus(-fake_logits).mean()", "return -F.softplus(fake_logits).mean()"),
    ("ex1_gan_losses", "summed over the batch instead of averaged",
     "F.softplus(fake_logits).mean()\n", "F.softplus(fake_logits).sum()\n"),
    ("ex1_gan_losses", "log of a sigmoid: overflows for huge logits",
     "return F.softplus(-fake_logits).mean()",
     "return -(minilm.sigmoid(fake_logits)).log().mean()"),
    ("ex2_gradient_penalty", "gradient without create_graph: the penalty has no graph",
     "create_graph=True", "create_graph=False"),
    ("ex2_gradient_penalty", "one norm over the whole batch",
     "(g * g).sum(axis=1) + 1e-12", "(g * g).sum() + 1e-12"),
    ("ex2_gradient_penalty", "eps weights the fake samples",
     "eps * real + (1 - eps) * fake", "eps * fake + (1 - eps) * real"),
    ("ex2_gradient_penalty", "penalizes the squared norm, not the norm",
     "norm = minilm.sqrt((g * g).sum(axis=1) + 1e-12)", "norm = (g * g).sum(axis=1)"),
    ("ex3_vae_terms", "sigma = exp(logvar) instead of exp(logvar / 2)",
     "minilm.exp(0.5 * logvar) * eps", "minilm.exp(logvar) * eps"),
    ("ex3_vae_terms", "KL without the -1",
     "minilm.exp(logvar) - 1 - logvar", "minilm.exp(logvar) - logvar"),
    ("ex3_vae_terms", "KL averaged over the latent axis instead of summed",
     "- 1 - logvar).sum(axis=-1)", "- 1 - logvar).mean(axis=-1)"),
    ("ex3_vae_terms", "KL with the wrong sign of log sigma^2",
     "- 1 - logvar)", "- 1 + logvar)"),
    ("ex4_gumbel_softmax", "temperature ignored",
     "F.softmax((logits + g) / tau, axis=-1)", "F.softmax(logits + g, axis=-1)"),
    ("ex4_gumbel_softmax", "hard sample without the straight-through gradient",
     "return y_hard - y.detach() + y", "return y_hard"),
    ("ex4_gumbel_softmax", "argmax of the logits, not of the perturbed logits",
     "(logits + g).numpy().argmax(axis=-1)", "logits.numpy().argmax(axis=-1)"),
    ("ex4_gumbel_softmax", "softmax over the batch axis",
     "F.softmax((logits + g) / tau, axis=-1)", "F.softmax((logits + g) / tau, axis=0)"),
    ("ex1_discounted_returns", "returns accumulated forwards (the past, not the future)",
     "for t in reversed(range(rewards.shape[1])):", "for t in range(rewards.shape[1]):"),
    ("ex1_discounted_returns", "discount applied to the new reward instead of the future",
     "running = rewards[:, t] + gamma * running", "running = gamma * rewards[:, t] + running"),
    ("ex1_discounted_returns", "rewards after the episode's end counted",
     "    rewards = rewards * mask\n", ""),
    ("ex2_reinforce_loss", "wrong sign (gradient ascent on the loss)",
     "return -(log_probs * advantage)", "return (log_probs * advantage)"),
    ("ex2_reinforce_loss", "baseline added instead of subtracted",
     "(returns - baseline) * mask", "(returns + baseline) * mask"),
    ("ex2_reinforce_loss", "averaged over every step instead of over episodes",
     ".sum() / log_probs.shape[0]", ".mean()"),
    ("ex2_reinforce_loss", "mask ignored",
     "(returns - baseline) * mask", "(returns - baseline)"),
    ("ex3_kl_penalized_reward", "KL with the wrong sign",
     "(logp - ref_logp) * mask", "(ref_logp - logp) * mask"),
    ("ex3_kl_penalized_reward", "mask ignored",
     "((logp - ref_logp) * mask).sum(axis=1)", "(logp - ref_logp).sum(axis=1)"),
    ("ex3_kl_penalized_reward", "KL averaged over tokens instead of summed",
     "((logp - ref_logp) * mask).sum(axis=1)",
     "((logp - ref_logp) * mask).sum(axis=1) / mask.sum(axis=1)"),
    ("ex3_kl_penalized_reward", "beta scales the score too",
     "return scores - beta * kl", "return beta * (scores - kl)"),
    ("ex4_policy_entropy", "no max-subtraction: overflows on huge logits",
     "z = logits - logits.max(axis=-1, keepdims=True)", "z = logits"),
    ("ex4_policy_entropy", "log of a probability that underflowed to 0 (NaN)",
     "return -(np.exp(log_p) * log_p).sum(axis=-1)",
     "return -(np.exp(log_p) * np.log(np.exp(log_p))).sum(axis=-1)"),
    ("ex4_policy_entropy", "the sign of the entropy",
     "return -(np.exp(log_p) * log_p).sum(axis=-1)",
     "return (np.exp(log_p) * log_p).sum(axis=-1)"),
]  # fmt: skip


def test_every_exercise_has_planted_bugs():
    assert set(EXERCISES) == {name for name, *_ in BUGS}
    assert len(EXERCISES) == 8


@pytest.mark.parametrize("name", sorted(EXERCISES))
def test_reference_solution_passes(name):
    ex = EXERCISES[name]
    student = load_student(ex.solution_path, f"solution_{ex.chapter}_{name}")
    failed = [r for r in run_checks(checks_of(ex.grader()), student) if not r.passed]
    assert not failed, "\n".join(f"{r.name}: {r.message}\n{r.counterexample}" for r in failed)


@pytest.mark.parametrize("name", sorted(EXERCISES))
def test_untouched_stub_scores_zero(name):
    ex = EXERCISES[name]
    student = load_student(ex.path, f"stub_{ex.chapter}_{name}")
    results = run_checks(checks_of(ex.grader()), student)
    assert results and all(not r.passed for r in results)
    assert all("NotImplementedError" in r.message for r in results)


@pytest.mark.parametrize(
    "name, bug, old, new", BUGS, ids=[f"{name}: {bug}" for name, bug, *_ in BUGS]
)
def test_planted_bug_is_caught(tmp_path, name, bug, old, new):
    ex = EXERCISES[name]
    source = ex.solution_path.read_text()
    assert source.count(old) == 1, f"the bug's target text must occur once in {ex.solution_path}"
    path = tmp_path / f"{name}.py"
    path.write_text(source.replace(old, new))
    student = load_student(path, f"bug_{ex.chapter}_{name}")
    for c in checks_of(ex.grader()):  # stop at the first check that catches it
        if not run_checks([c], student)[0].passed:
            return
    pytest.fail(f"no check of {name} catches the planted bug: {bug}")
