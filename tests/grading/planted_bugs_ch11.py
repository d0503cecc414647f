"""Planted bugs in chapter 11's reference solutions (format: see planted_bugs.py)."""

BUGS = [
    (
        "ex1_discounted_returns",
        "returns accumulated forwards (the past, not the future)",
        "for t in reversed(range(rewards.shape[1])):",
        "for t in range(rewards.shape[1]):",
    ),
    (
        "ex1_discounted_returns",
        "discount applied to the new reward instead of the future",
        "running = rewards[:, t] + gamma * running",
        "running = gamma * rewards[:, t] + running",
    ),
    (
        "ex1_discounted_returns",
        "rewards after the episode's end counted",
        "    rewards = rewards * mask\n",
        "",
    ),
    (
        "ex2_reinforce_loss",
        "wrong sign (gradient ascent on the loss)",
        "return -(log_probs * advantage)",
        "return (log_probs * advantage)",
    ),
    (
        "ex2_reinforce_loss",
        "baseline added instead of subtracted",
        "(returns - baseline) * mask",
        "(returns + baseline) * mask",
    ),
    (
        "ex2_reinforce_loss",
        "averaged over every step instead of over episodes",
        ".sum() / log_probs.shape[0]",
        ".mean()",
    ),
    ("ex2_reinforce_loss", "mask ignored", "(returns - baseline) * mask", "(returns - baseline)"),
    (
        "ex3_kl_penalized_reward",
        "KL with the wrong sign",
        "(logp - ref_logp) * mask",
        "(ref_logp - logp) * mask",
    ),
    (
        "ex3_kl_penalized_reward",
        "mask ignored",
        "((logp - ref_logp) * mask).sum(axis=1)",
        "(logp - ref_logp).sum(axis=1)",
    ),
    (
        "ex3_kl_penalized_reward",
        "KL averaged over tokens instead of summed",
        "((logp - ref_logp) * mask).sum(axis=1)",
        "((logp - ref_logp) * mask).sum(axis=1) / mask.sum(axis=1)",
    ),
    (
        "ex3_kl_penalized_reward",
        "beta scales the score too",
        "return scores - beta * kl",
        "return beta * (scores - kl)",
    ),
    (
        "ex4_policy_entropy",
        "no max-subtraction: overflows on huge logits",
        "z = logits - logits.max(axis=-1, keepdims=True)",
        "z = logits",
    ),
    (
        "ex4_policy_entropy",
        "log of a probability that underflowed to 0 (NaN)",
        "return -(np.exp(log_p) * log_p).sum(axis=-1)",
        "return -(np.exp(log_p) * np.log(np.exp(log_p))).sum(axis=-1)",
    ),
    (
        "ex4_policy_entropy",
        "the sign of the entropy",
        "return -(np.exp(log_p) * log_p).sum(axis=-1)",
        "return (np.exp(log_p) * log_p).sum(axis=-1)",
    ),
]
