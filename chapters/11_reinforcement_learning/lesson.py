# ---
# jupyter:
#   jupytext:
#     formats: py:percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Chapter 11: Reinforcement learning for text
#
# A language model trained on text imitates it. To make a model *better* at
# something text does not show directly (write a real name, follow a pattern,
# please a reward model) we let it act and reward what it does. This chapter:
#
# 1. agent, environment, action, reward, policy: text environments where an agent
#    writes one character at a time;
# 2. REINFORCE, the policy-gradient method; baselines and how much they cut the
#    variance of the gradient; the entropy bonus;
# 3. RL fine-tuning of a pretrained character LM toward a reward model with a KL
#    penalty (RLHF in miniature), and what happens without the penalty.
#
# Small settings run in about a minute on a laptop CPU; the quoted numbers come
# from `python -m minilm.bench reinforce` and `python -m minilm.bench rlhf`.
# `MINILM_FULL=1` runs the notebook at the benchmarks' sizes.

# %%
import os

import matplotlib.pyplot as plt

import minilm
from minilm.course import repo_root, show
from minilm.data.lm_corpus import CharCorpus
from minilm.data.name_data import name_stats
from minilm.models.rnn_lm import RNNLM, RNNLMConfig
from minilm.recipes.rnn_lm import RNNTrainConfig, train_rnn_lm
from minilm.rl import (
    CharPolicy,
    NameEnv,
    PatternEnv,
    Reinforce,
    ReinforceConfig,
    gradient_variance,
    reinforce_loss,
)
from minilm.rl import env as text_env
from minilm.rl.reinforce import discounted_returns, plot_reward_curves
from minilm.rl.rlhf import (
    NameScorer,
    RLHFConfig,
    decode,
    kl_penalized_reward,
    plot_rlhf,
    rl_finetune,
    sample_names,
    train_scorer,
)

FULL = os.environ.get("MINILM_FULL") == "1"
minilm.manual_seed(0)


# %% [markdown]
# ## 1. Agents and text environments
#
# An **agent** observes a state $s_t$, picks an **action** $a_t$ from its
# **policy** $\pi_\theta(a \mid s)$, and the **environment** answers with a
# **reward** $r_t$ and the next state. Here the action is one character and the
# state is the text written so far. The interface is the classic one:

# %%
print(text_env.__doc__)

# %% [markdown]
# The two environments differ in how their reward is shaped. `NameEnv` says
# nothing until the end (sparse); `PatternEnv` scores every letter (dense).
# Invalid actions are errors that say what to do:

# %%
env = NameEnv()
obs = env.reset(seed=0)
for c in "ava.":
    print(env.step(c))
env = PatternEnv("cvcv")
env.reset()
print([env.step(c)[1] for c in "bake"])
try:
    env.reset()
    env.step("Z")
except ValueError as e:
    print("ValueError:", e)

# %% [markdown]
# ## 2. REINFORCE
#
# An episode is a trajectory $\tau = (s_0, a_0, r_0, s_1, a_1, r_1, \dots)$. The
# **return** from step $t$ is $G_t = \sum_{k\ge t} \gamma^{k-t} r_k$, with a
# discount $0 < \gamma \le 1$, and the objective is the expected return from the
# start, $J(\theta) = \mathbb E_{\tau\sim p_\theta}[G_0]
# = \mathbb E[\sum_t \gamma^t r_t]$. Every run in this chapter uses $\gamma = 1$
# (minilm's default; episodes are a few characters long), where $J$ is the expected
# total reward.

# %% [markdown]
# **Exercise 1** (`exercises/ex1_discounted_returns.py`): compute $G_t$ for a
# padded batch of episodes, backwards with $G_t = r_t + \gamma G_{t+1}$. Grade it with
#
# ```
# python -m minilm grade chapters/11_reinforcement_learning/exercises/ex1_discounted_returns.py
# ```

# %% [markdown]
# **The policy gradient, derived** (Williams, 1992). The probability of a
# trajectory is a product of the policy's choices and the environment's answers:
#
# $$ p_\theta(\tau) = \rho(s_0)\prod_t \pi_\theta(a_t\mid s_t)\,P(s_{t+1}, r_t\mid s_t, a_t). $$
#
# Write $R(\tau)$ for the return of a whole trajectory. Since
# $\nabla p_\theta = p_\theta\nabla\log p_\theta$ (the log-derivative trick),
#
# $$ \nabla_\theta J = \nabla_\theta \sum_\tau p_\theta(\tau) R(\tau)
#    = \mathbb E_\tau\big[R(\tau)\,\nabla_\theta\log p_\theta(\tau)\big], \qquad
#    \nabla_\theta\log p_\theta(\tau) = \sum_t \nabla_\theta\log\pi_\theta(a_t\mid s_t). $$
#
# The **dynamics drop out**: $\rho$ and $P$ do not depend on $\theta$, so their logs
# have no gradient, and we never need a model of the environment, only the
# log-probabilities of the actions the agent took. Next, **causality**: an action
# cannot change rewards that came before it. Given the history up to $s_t$,
# $\mathbb E_{a_t\sim\pi}[\nabla\log\pi(a_t\mid s_t)] = \nabla\sum_a\pi(a\mid s_t)
# = \nabla 1 = 0$, so every product of $\nabla\log\pi(a_t\mid s_t)$ with a reward
# $r_k$, $k < t$, has mean zero and can be dropped. With $R(\tau) = \sum_k\gamma^k r_k$,
# what is left of the rewards for step $t$ is $\sum_{k\ge t}\gamma^k r_k
# = \gamma^t G_t$, the **reward-to-go**:
#
# $$ \nabla_\theta J = \mathbb E\Big[\sum_t \gamma^t\,\nabla_\theta\log\pi_\theta(a_t\mid s_t)
#    \,\big(G_t - b(s_t)\big)\Big]. $$
#
# The same zero-mean argument shows that any **baseline** $b(s_t)$ that does not
# depend on the action leaves the expectation unchanged, while one close to the
# expected return makes the estimate far less noisy. With $\gamma = 1$ the factor
# $\gamma^t$ is 1. With $\gamma < 1$ most implementations, minilm's included,
# leave it out and weigh every step's advantage alike: a common choice that is no
# longer the exact gradient of $J$.

# %% [markdown]
# **Exercise 2** (`exercises/ex2_reinforce_loss.py`): write that estimate as a
# loss, a one-number Tensor whose gradient is minus the estimate (optimizers
# minimize), with the advantage held constant. Grade it with
#
# ```
# python -m minilm grade chapters/11_reinforcement_learning/exercises/ex2_reinforce_loss.py
# ```

# %% [markdown]
# A returns example by hand: rewards 1, 0, 2 with $\gamma = 0.5$ give
# $G_2 = 2$, $G_1 = 0 + 0.5 \cdot 2 = 1$, $G_0 = 1 + 0.5 \cdot 1 = 1.5$; the second
# episode ended after two steps (mask 0 after it).

# %%
rewards = [[1.0, 0.0, 2.0], [1.0, 1.0, 0.0]]
print(discounted_returns(rewards, [[1, 1, 1], [1, 1, 0]], gamma=0.5))

# %% [markdown]
# Check your answers (after grading): minilm's returns and loss.

# %%
show(discounted_returns)
show(reinforce_loss)

# %% [markdown]
# The policy is a small GRU (`minilm.nn.GRUCell`): it reads the character written
# last and outputs logits over the 27 actions. A value head on its hidden state
# learns $V(s_t) \approx \mathbb E[G_t]$ and serves as the learned baseline.
#
# ### How much does a baseline cut the variance?
#
# Fix one policy, draw many independent batches, and compute the REINFORCE
# gradient of each: the spread of those estimates is what SGD has to live with.

# %%
kw = dict(n_batches=30 if FULL else 10, batch_size=32 if FULL else 16,
          value_fit_steps=100 if FULL else 30)  # fmt: skip
variances = {}
for b in ["none", "mean", "value"]:
    minilm.manual_seed(0)
    variances[b] = gradient_variance(CharPolicy(), lambda: PatternEnv("cvcvcv"), b, **kw)
for b, v in variances.items():
    print(f"baseline {b:5s}: gradient variance {v:9.4g} ({v / variances['none']:.2f} of none)")

# %% [markdown] tags=["cites"]
# On this small run (10 batches of 16 episodes) the running mean leaves 0.25 of
# the variance without a baseline, and the value head, fit for only 30 steps,
# 0.36. The benchmark, with more batches and a better-fit value head:

# %% [markdown]
# `python -m minilm.bench reinforce` (30 batches of 32 episodes):
#
# | environment | no baseline | running mean | value head |
# | --- | --- | --- | --- |
# | `PatternEnv("cvcvcv")` (dense) | 2.267 | 0.508 (0.22x) | 0.661 (0.29x) |
# | `NameEnv()` (sparse) | 0.00175 | 0.00186 (1.06x) | 0.00276 (1.57x) |
#
# On the dense task a baseline removes about three quarters of the variance.
# On the sparse task a random policy almost never earns a reward, so there is
# almost nothing for a baseline to subtract: it does not help, and a value head
# fit to returns that are nearly all zero only adds its own noise.
#
# ### Reward curves
#
# The same policy trained with each baseline, from the same seed, on the dense
# pattern task (6 is the best return). The entropy bonus (0.01 times the mean
# per-step entropy $H(\pi(\cdot\mid s_t)) = -\sum_a \pi_a\log\pi_a$, added to the
# objective) is on in all three runs: it rewards keeping some doubt, so the
# policy does not become deterministic before it has found what pays.

# %% [markdown]
# **Exercise 4** (`exercises/ex4_policy_entropy.py`): the entropy of a softmax
# policy from its logits, finite for logits of size 1000. Grade it with
#
# ```
# python -m minilm grade chapters/11_reinforcement_learning/exercises/ex4_policy_entropy.py
# ```

# %%
steps = 150 if FULL else 40
hists = {}
for b in ["none", "mean", "value"]:
    minilm.manual_seed(0)
    agent = Reinforce(CharPolicy(), ReinforceConfig(baseline=b, lr=3e-3, batch_size=32))
    hists[b] = agent.train(lambda: PatternEnv("cvcvcv"), steps, progress=False, sample_every=steps)
    print(f"{b:5s}: return {hists[b].reward[0]:.2f} -> {hists[b].reward[-1]:.2f};",
          " ".join(hists[b].samples[-1][1]))  # fmt: skip
plot_reward_curves(hists, title="REINFORCE on PatternEnv('cvcvcv')")
plt.show()

# %% [markdown] tags=["cites"]
# Forty updates are only the start: every run begins at a return of 2.62 (a
# freshly initialized policy), and the running-mean
# baseline has moved furthest (to 3.50), while the value head, which must first
# learn to predict returns, is still near the start (2.78). The benchmark's
# longer runs show where they end.

# %% [markdown]
# With `python -m minilm.bench reinforce` (150 updates of 32 episodes, mean
# return of the last 10 updates, the best being 6):
#
# | baseline | return at the start | return at the end | samples |
# | --- | --- | --- | --- |
# | none | 2.62 | 3.89 | *oooooo mooooo fooooo rooooo* |
# | running mean | 2.62 | 5.92 | *rosoxo rododo dodofo rojoho* |
# | value head | 2.62 | 5.91 | *peveve medege fehehe sejehe* |
#
# Without a baseline every return is positive, so every action taken is pushed
# up, good or bad; the noisier gradient slows learning, and here the policy
# settled on writing "o" almost everywhere: right in the vowel slots, wrong in
# most consonant slots.
#
# The sparse `NameEnv` is much harder from scratch: a random policy writes a real
# name about once in a few hundred episodes, so almost every batch has no signal.
# That is one reason RL on language starts from a *pretrained* model.

# %% [markdown]
# ## 3. RL fine-tuning with a reward model and a KL penalty
#
# RLHF in three models:
#
# - a **pretrained LM**, here a GRU character model trained briefly on names
#   (`minilm.models.rnn_lm`); a frozen copy is the **reference** $\pi_\text{ref}$;
# - a **reward model** $r(y)$: a GRU classifier trained here to tell real names
#   from look-alikes (bigram samples and names with a letter or two changed);
#   its logit is the reward;
# - the **policy** $\pi$, a copy of the LM that RL moves.
#
# Each step samples names from $\pi$ and scores each with the KL-penalized reward
#
# $$ R(y) = r(y) - \beta \sum_t \big[\log \pi(y_t\mid y_{<t})
#    - \log\pi_\text{ref}(y_t\mid y_{<t})\big], $$
#
# whose expectation is $\mathbb E[r] - \beta\,\mathrm{KL}(\pi\,\|\,\pi_\text{ref})$, then takes a
# REINFORCE step with the batch mean of $R$ as the baseline.

# %% [markdown]
# **Exercise 3** (`exercises/ex3_kl_penalized_reward.py`): the KL-penalized
# reward of a batch of samples. Grade it with
#
# ```
# python -m minilm grade chapters/11_reinforcement_learning/exercises/ex3_kl_penalized_reward.py
# ```

# %% [markdown]
# Check your answer (after grading):

# %%
show(kl_penalized_reward)

# %%
minilm.manual_seed(0)
lm = RNNLM(RNNLMConfig(vocab_size=27, cell="gru", embed_dim=16, hidden_size=64))
train_rnn_lm(lm, CharCorpus.load("names"), RNNTrainConfig(steps=1500 if FULL else 300),
             progress=False)  # fmt: skip
scorer = NameScorer()
acc = train_scorer(scorer, steps=600 if FULL else 150, progress=False)
print(f"reward model accuracy on held-out names vs look-alikes: {acc:.1%}")
ids, mask = sample_names(lm, 500)
before = decode(ids, mask)
print(f"pretrained LM: score {scorer.score(before).mean():.2f}; {name_stats(before)}")
print(" ".join(before[:12]))

# %%
rl_steps = 300 if FULL else 60
runs, policies = {}, {}
for beta in [0.1, 0.0]:
    minilm.manual_seed(0)
    policy, hist = rl_finetune(lm, scorer, rl_steps, RLHFConfig(beta=beta), progress=False)
    policies[beta], runs[f"beta = {beta}"] = policy, hist
plot_rlhf(runs)
plt.show()
for beta, policy in policies.items():
    ids, mask = sample_names(policy, 500)
    after = decode(ids, mask)
    print(f"beta = {beta}: score {scorer.score(after).mean():.2f}; {name_stats(after)}")
    print("   ", " ".join(after[:12]))

# %% [markdown]
# `python -m minilm.bench rlhf` (LM pretrained 1500 steps, 300 RL steps; the
# curves below are its `--plot`):

# %%
fig, ax = plt.subplots(figsize=(13, 3.5))
figures = repo_root() / "chapters" / "11_reinforcement_learning" / "figures"
ax.imshow(plt.imread(figures / "rlhf.png"))
ax.axis("off")
plt.show()

# %% [markdown]
#
# | | reward-model score | KL to the reference (nats/name) | real names | distinct |
# | --- | --- | --- | --- | --- |
# | pretrained LM | 0.58 | 0 | 13.5% | 99.6% |
# | RL, $\beta = 0.1$ | 2.29 | 5.68 | 9.9% | 62.5% |
# | RL, $\beta = 0$ | 2.45 | 13.53 | 0.1% | 2.3% |
#
# (Score and KL: the mean of the last 20 steps' batches; real and distinct
# shares: 1000 samples after training. The reward model tells held-out names
# from look-alikes 74.2% of the time.) Samples after RL with the penalty:
# *radira danaiah raydina janiiah maddina nadiah radyna radiah*; without it:
# *rarina rarina rarina rarina rarina rarina ranina rarina*. Without the KL
# term the policy found one string the reward model scores highly and writes
# almost nothing else: the score went up and everything the score was meant to
# stand for (a variety of real names) went down. That is reward hacking. The
# penalty slows the drift and keeps variety, but 300 steps at $\beta = 0.1$
# still move the policy far (5.7 nats): a larger $\beta$ holds it closer.
#
# ## Summary
#
# - An agent's policy picks actions, an environment answers with rewards; the
#   objective is the expected return $J = \mathbb E[G_0]$.
# - REINFORCE follows from the log-derivative trick on the trajectory
#   probability: the dynamics drop out, causality leaves the reward-to-go $G_t$,
#   and a baseline that ignores the action changes the variance, not the mean.
# - Baselines cut the gradient's variance where rewards vary (the dense pattern
#   task) and do not help where a random policy almost never earns one (the
#   sparse names task): there a pretrained policy is the way in.
# - RL fine-tuning toward a learned reward model needs the KL penalty: without it
#   the policy finds strings the proxy overrates and loses everything the score
#   was meant to stand for (reward hacking).
#
# ## Exercises
#
# Each exercise is a file in `chapters/11_reinforcement_learning/exercises/`:
# fill in the code between `### BEGIN YOUR SOLUTION` and
# `### END YOUR SOLUTION`, then grade one file or the whole folder:
#
# ```
# python -m minilm grade chapters/11_reinforcement_learning/exercises/ex1_discounted_returns.py
# python -m minilm grade chapters/11_reinforcement_learning/exercises/ex2_reinforce_loss.py
# python -m minilm grade chapters/11_reinforcement_learning/exercises/ex3_kl_penalized_reward.py
# python -m minilm grade chapters/11_reinforcement_learning/exercises/ex4_policy_entropy.py
# python -m minilm grade chapters/11_reinforcement_learning/exercises
# ```
#
# | exercise | task | points |
# | --- | --- | --- |
# | `ex1_discounted_returns.py` | returns $G_t$ for padded batches of episodes | 4 |
# | `ex2_reinforce_loss.py` | the REINFORCE loss with a baseline | 4 |
# | `ex3_kl_penalized_reward.py` | the KL-penalized reward of RL fine-tuning | 4 |
# | `ex4_policy_entropy.py` | the entropy of a softmax policy, stable for huge logits | 3 |
#
# Questions to think about:
#
# 1. Without a baseline every return on the pattern task is positive, so every
#    sampled action is pushed up. Why does the policy still improve on average,
#    and why is it slower than with a baseline?
# 2. The derivation dropped the rewards before step $t$ because their products
#    with $\nabla\log\pi(a_t\mid s_t)$ have mean zero. Keeping them is still
#    unbiased; what does it cost?
# 3. A learned value baseline made the variance *larger* on the sparse names
#    task. Why can a baseline that is a poor estimate of the return hurt?
# 4. In RL fine-tuning, what does $\beta \to \infty$ give, and what does
#    $\beta = 0$ give? Why is the reward model only trustworthy near the
#    reference model's samples?
#
# ## Further reading
#
# - Williams (1992), *Simple statistical gradient-following algorithms for
#   connectionist reinforcement learning*: REINFORCE and baselines.
# - Sutton and Barto (2018), *Reinforcement Learning: An Introduction*, 2nd
#   edition, chapter 13 (policy-gradient methods).
# - Ziegler, Stiennon, Wu, Brown, Radford, Amodei, Christiano and Irving (2019),
#   *Fine-tuning language models from human preferences*: a reward model and a
#   KL penalty to the pretrained model.
# - Ouyang et al. (2022), *Training language models to follow instructions with
#   human feedback* (InstructGPT): RLHF at scale.
