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
# # Chapter 10: Generative models
#
# A language model is a generative model: it assigns probabilities to text and
# samples new text. This chapter looks at two other ways to learn to generate,
# each with a different idea of what "learning a distribution" means:
#
# 1. **GANs**: a generator and a discriminator play a game; on toy data we watch
#    the generated distribution move, see it collapse onto a few modes, and
#    measure what each stabilizing trick (WGAN with weight clipping, WGAN-GP,
#    feature matching) changes;
# 2. **a GAN over text**, where sampling a character is not differentiable and
#    the Gumbel-softmax relaxation lets gradients through anyway;
# 3. **autoencoders and VAEs**: learn a code for each name, and a prior over codes
#    from which new names can be decoded; the evidence lower bound derived.
#
# The notebook runs on small settings in a minute or two on a laptop CPU. The
# tables come from the benchmarks named beside them (`python -m minilm.bench gan`,
# `text_gan`, `vae`); `MINILM_FULL=1` runs the notebook at the benchmarks' sizes
# (tens of minutes on a CPU).

# %%
import os

import matplotlib.pyplot as plt

import minilm
from minilm.backend import np
from minilm.course import repo_root, show
from minilm.data import gan_toy
from minilm.data.gan_toy import (
    energy_distance,
    gaussian_mixture_1d,
    mode_coverage,
    ring_of_gaussians,
)
from minilm.data.name_data import fixed_length_names
from minilm.models.gan import GAN, discriminator_loss, generator_loss, gradient_penalty, variant
from minilm.models.text_gan import TextGAN, TextGANConfig, gumbel_softmax
from minilm.models.vae import NameVAE, VAEConfig, gaussian_kl, reparameterize
from minilm.plot import plot_gan_losses, plot_gan_snapshots
from minilm.recipes.gan import train_gan
from minilm.recipes.text_gan import train_text_gan
from minilm.recipes.vae import train_vae

FULL = os.environ.get("MINILM_FULL") == "1"
minilm.manual_seed(0)


# %% [markdown]
# ## 1. The GAN game
#
# A generator $G$ maps noise $z \sim \mathcal N(0, I)$ to a sample $G(z)$; a
# discriminator $D$ maps a sample to a logit, $\sigma(D(x))$ being its belief
# that $x$ is real. Goodfellow et al. (2014) set up the minimax game
#
# $$ \min_G \max_D \; \mathbb E_{x\sim p_\text{data}}[\log \sigma(D(x))]
#    + \mathbb E_{z}[\log(1 - \sigma(D(G(z))))]. $$
#
# **The best discriminator.** Fix $G$ and look at one point $x$. Its share of
# the objective is $p_\text{data}(x)\log s + p_G(x)\log(1 - s)$ with
# $s = \sigma(D(x))$, and setting the derivative in $s$ to zero,
# $p_\text{data}/s - p_G/(1-s) = 0$, gives
#
# $$ \sigma(D^*(x)) = \frac{p_\text{data}(x)}{p_\text{data}(x) + p_G(x)}, \qquad
#    D^*(x) = \log\frac{p_\text{data}(x)}{p_G(x)}. $$
#
# The best logit is the log density ratio: where the data is twice as dense as
# the fakes, $D^* = \log 2$. Putting $D^*$ back in, the objective becomes
# $2\,\mathrm{JS}(p_\text{data}\,\|\,p_G) - \log 4$, so against a perfect
# discriminator the generator minimizes the Jensen-Shannon divergence. In
# practice both are small networks trained by alternating gradient steps. $D$
# minimizes the binary cross-entropy (real labelled 1, fake 0), which, written
# with logits, is two softplus terms that stay finite for any logit.

# %% [markdown]
# **Exercise 1** (`exercises/ex1_gan_losses.py`): write the discriminator loss
# and the non-saturating generator loss from logits, finite for logits of size
# 200. Grade it with
#
# ```
# python -m minilm grade chapters/10_generative_models/exercises/ex1_gan_losses.py
# ```

# %% [markdown]
# The generator uses the **non-saturating** loss $-\log \sigma(D(G(z)))$ instead
# of the minimax $\log(1-\sigma(D(G(z))))$. Both push $D(G(z))$ up, but early in
# training $D$ rejects the fakes easily, and there the minimax loss is flat:

# %%
f = minilm.tensor([-8.0, -4.0, 0.0, 4.0], requires_grad=True)
(g_minimax,) = minilm.grad(generator_loss(f, saturating=True), [f])
(g_nonsat,) = minilm.grad(generator_loss(f), [f])
print("fake logits              ", f.tolist())
print("d/df minimax loss        ", [round(v, 4) for v in g_minimax.tolist()])
print("d/df non-saturating loss ", [round(v, 4) for v in g_nonsat.tolist()])

# %% [markdown]
# Check your answer (after grading): minilm's two losses.

# %%
show(discriminator_loss)
show(generator_loss)

# %% [markdown]
# ### A 1-D mixture
#
# Three equally likely Gaussians at -4, 0 and 4. A GAN with one hidden layer of
# 64 units in each network, trained for a few hundred steps; the histograms show
# the generated distribution as training goes on.

# %%
mix = gaussian_mixture_1d()
gan1d = GAN(variant("gan", data_dim=1, noise_dim=4, hidden=64, layers=2, batch_size=128))
hist1d = train_gan(gan1d, mix.sample, steps=1500 if FULL else 400, snapshot_every=100,
                   progress=False)  # fmt: skip
fig = plot_gan_snapshots(hist1d, mix, title="plain GAN on a 1-D mixture", max_panels=4)
plt.show()
print(mode_coverage(hist1d.snapshots[-1][1], mix))

# %% [markdown]
# ## 2. Mode collapse, measured
#
# The harder test is a ring of eight Gaussians (radius 2, standard deviation
# 0.05). A generator that finds one or two modes and stays there still fools a
# discriminator that only looks at one batch at a time: that is **mode
# collapse**. We measure it with a stated rule (from `minilm.data.gan_toy`):

# %%
print(gan_toy.__doc__.split("\n\n")[1])
print(gan_toy.__doc__.split("\n\n")[2])

# %% [markdown]
# and with the **energy distance** $2\mathbb E\|X-Y\| - \mathbb E\|X-X'\| - \mathbb E\|Y-Y'\|$
# between generated and real samples, which is zero exactly when the two
# distributions are equal (a sample of real data scores about 0):

# %%
ring = ring_of_gaussians()
real = ring.sample(1000, rng=123)
print("real vs real:", round(energy_distance(ring.sample(1000, rng=1), real), 4),
      mode_coverage(ring.sample(1000, rng=1), ring))  # fmt: skip

# %% [markdown]
# A plain GAN on the ring: small networks (64 hidden units), two discriminator
# steps per generator step, 800 generator steps. The ring
# is easiest to read by angle: each sample's angle around the centre, in a
# histogram beside the real data's, where the eight modes are eight spikes at
# multiples of 45 degrees.

# %%
minilm.manual_seed(0)
collapse_steps = 2000 if FULL else 800
plain = GAN(variant("gan", **({} if FULL else dict(hidden=64, batch_size=128, n_critic=2))))
collapsed = train_gan(plain, ring.sample, collapse_steps, snapshot_every=collapse_steps,
                      progress=False).snapshots[-1][1]  # fmt: skip


def angles(points):
    """Degrees around the ring's centre, in [-22.5, 337.5): each mode mid-bin."""
    return (np.degrees(np.arctan2(points[:, 1], points[:, 0])) + 22.5) % 360 - 22.5


fig, axes = plt.subplots(1, 2, figsize=(11, 3), sharey=True)
bins = np.arange(-22.5, 337.6, 5)
for ax, (title, pts) in zip(axes, [("real data", real), (f"plain GAN, step {collapse_steps}",
                                                          collapsed)]):  # fmt: skip
    ax.hist(angles(pts), bins=bins)
    ax.set_xticks(range(0, 360, 45))
    ax.set_xlabel("angle (degrees)")
    ax.set_title(title)
axes[0].set_ylabel("samples per 5 degrees")
fig.tight_layout()
plt.show()
cov = mode_coverage(collapsed, ring)
print(f"hits per mode (0, 45, ..., 315 degrees): {cov.counts}; "
      f"modes {cov.covered}/8, in 3 sd {cov.quality:.1%}, "
      f"energy distance {energy_distance(collapsed, real):.4f}")  # fmt: skip

# %% [markdown] tags=["cites"]
# That is mode collapse. The generator has put its spikes on four of the eight
# modes, every other one (45, 135, 225 and 315 degrees), and smeared the rest of
# its mass thinly around the ring: well under half of its samples (the `in 3 sd`
# share above) land within three standard deviations of a centre, and the four
# modes in between get few hits.
# A discriminator that sees one batch at a time cannot tell that whole modes are
# missing, only that the samples it sees look a little too much alike. (With
# `MINILM_FULL=1` this cell trains the benchmark's larger GAN for 2000 steps, which
# fails differently: see the blurred arc in section 3.)

# %% [markdown]
# ## 3. Stabilizing tricks
#
# - **WGAN** (Arjovsky et al., 2017): replace the classifier by a *critic* with
#   unbounded scores and play $\max_D \mathbb E[D(x)] - \mathbb E[D(G(z))]$. If $D$
#   is 1-Lipschitz this is the Wasserstein-1 distance, which gives useful
#   gradients even when the two distributions do not overlap. The original paper
#   keeps $D$ Lipschitz by **clipping** every weight into $[-c, c]$: crude, and it
#   makes the critic too simple or too slow to train.
# - **WGAN-GP** (Gulrajani et al., 2017): instead, penalize the critic's input
#   gradient norm for straying from 1 on points between real and fake samples,
#   $\lambda\, \mathbb E[(\|\nabla_{\hat x} D(\hat x)\| - 1)^2]$. The penalty
#   contains a gradient, so training it needs the gradient *of* a gradient: the
#   engine's `create_graph=True`.
# - **Feature matching** (Salimans et al., 2016): the generator matches the mean
#   of the discriminator's last hidden features on real and fake batches instead
#   of fooling its output.

# %% [markdown]
# **Exercise 2** (`exercises/ex2_gradient_penalty.py`): write the WGAN-GP
# penalty so that it stays a differentiable function of the critic's weights
# (`create_graph=True`). Grade it with
#
# ```
# python -m minilm grade chapters/10_generative_models/exercises/ex2_gradient_penalty.py
# ```

# %% [markdown]
# Check your answer (after grading): minilm's version.

# %%
show(gradient_penalty)

# %% [markdown]
# All four variants on the same data, from the same seed. On the small settings
# here the runs are far too short to converge (300 steps, two critic steps per
# generator step instead of five): they show the start of training. The table
# and the figures after them are from the full benchmark.

# %%
steps = 2000 if FULL else 300
small = {} if FULL else dict(hidden=64, batch_size=128, n_critic=2)
runs = {}
for name in ["gan", "wgan", "wgan-gp", "fm"]:
    minilm.manual_seed(0)
    model = GAN(variant(name, **small))
    runs[name] = train_gan(model, ring.sample, steps, snapshot_every=steps // 4, progress=False)
    x = runs[name].snapshots[-1][1]
    cov = mode_coverage(x, ring)
    print(f"{name:8s} modes {cov.covered}/8, in 3 sd {cov.quality:.1%}, "
          f"energy distance {energy_distance(x, real):.4f}")  # fmt: skip

# %%
for name, h in runs.items():
    plot_gan_snapshots(h, ring, title=name, max_panels=5)
    plt.show()
fig, axes = plt.subplots(1, 4, figsize=(16, 3))
for ax, (name, h) in zip(axes, runs.items()):
    plot_gan_losses(h, ax=ax, title=name)
plt.show()

# %% [markdown]
# With `python -m minilm.bench gan` (2000 generator steps, 128 hidden units, five
# critic steps per generator step for the WGANs, seed 0; 1000 samples against
# 1000 fresh real ones):
#
# | variant | modes covered | samples within 3 sd | energy distance |
# | --- | --- | --- | --- |
# | plain GAN | 2/8 | 52.1% | 0.114 |
# | WGAN, weight clipping | 0/8 | 4.6% | 0.067 |
# | WGAN-GP | **8/8** | 64.9% | **0.005** |
# | feature matching | 2/8 | 24.1% | 0.021 |
#
# The plain GAN at this size does not spike on a few modes as the small one
# above did: from step 800 on its samples form a blurred arc that leaves out the
# top of the ring, and it stays at 2/8 to the end, with no hopping from mode to
# mode: the arc is too spread out for most modes to collect their hits. Feature
# matching spreads its samples around the whole ring (a low energy distance) but
# blurs them, so few land within three standard deviations of a centre. Weight
# clipping keeps the critic so weak that after 2000 steps the generator has
# learned the ring's rough shape but no mode. Only WGAN-GP finds all eight.
# One seed and one budget: rerun the benchmark with `--seed` to see the spread.
# The benchmark's snapshots (`python -m minilm.bench gan --plot figures/gan.png`),
# 1000 samples every 400 steps, each panel titled with the modes it covers:

# %%
figures = repo_root() / "chapters" / "10_generative_models" / "figures"
for name in ["gan", "wgan", "wgan-gp", "fm"]:
    fig, ax = plt.subplots(figsize=(13, 2.8))
    ax.imshow(plt.imread(figures / f"gan_{name}.png"))
    ax.axis("off")
    plt.show()

# %% [markdown]
# ## 4. A GAN over text
#
# For text the generator must output characters, and picking a character
# (argmax, or sampling) has no gradient. The **Gumbel-max trick** says that
# $\arg\max_i (\ell_i + g_i)$ with independent Gumbel noise $g_i = -\log(-\log U_i)$
# is an exact sample from $\text{softmax}(\ell)$; the **Gumbel-softmax** replaces
# the argmax by $\text{softmax}((\ell + g)/\tau)$, a smooth vector that tends to
# the one-hot sample as the temperature $\tau \to 0$. The **straight-through**
# version uses the one-hot sample in the forward pass and the soft sample's
# gradient in the backward pass, so the discriminator only ever sees one-hot
# characters, as it does for real names.

# %% [markdown]
# **Exercise 4** (`exercises/ex4_gumbel_softmax.py`): the soft sample and its
# straight-through version, with the Gumbel noise passed in. Grade it with
#
# ```
# python -m minilm grade chapters/10_generative_models/exercises/ex4_gumbel_softmax.py
# ```

# %% [markdown]
# minilm's version, which draws its own noise, at four temperatures:

# %%
logits = minilm.tensor([[2.0, 1.0, 0.0, -1.0]])
for tau in [5.0, 1.0, 0.3, 0.05]:
    minilm.manual_seed(1)
    print(f"tau {tau:4}: {[round(v, 3) for v in gumbel_softmax(logits, tau).tolist()[0]]}")

# %% [markdown]
# Check your answer (after grading):

# %%
show(gumbel_softmax)

# %% [markdown]
# The text GAN's generator maps noise to logits for all eight character
# positions at once; the discriminator (a critic, trained with WGAN-GP) reads a
# one-hot name. The temperature is annealed from 1 to 0.3 over training.
# Two numbers judge it: the share of samples that are **real names** (in
# names.txt) and the share that are **new** (not in the training split).

# %%
minilm.manual_seed(0)
text_config = TextGANConfig() if FULL else TextGANConfig(hidden=128, batch_size=64)
train_names = fixed_length_names("train", text_config.max_len)
text_gan = TextGAN(text_config)
text_hist = train_text_gan(text_gan, train_names, steps=1500 if FULL else 250,
                           eval_every=50, progress=False)  # fmt: skip
for step, stats in text_hist.evals[-3:]:
    print(f"step {step}: {stats}")
print(" ".join(text_gan.generate(20)))

# %% [markdown]
# `python -m minilm.bench text_gan` (1500 steps, straight-through, WGAN-GP) gives
# the numbers below. A character bigram model, which needs no adversary at all,
# is the yardstick: the GAN learns what names look like (their length, letter
# frequencies and endings) but trails simple counting.
#
# | 2000 samples | real names | new (not in train) | real and new | distinct |
# | --- | --- | --- | --- | --- |
# | text GAN | 5.6% | 95.3% | 0.9% | 99.3% |
# | character bigram | 11.8% | 90.5% | 2.2% | 76.2% |
#
# GAN samples: *ramty maren acerae ienlkn shlla liana pale tlm aney rraber*.
# The share of real names was still rising (1.5% at step 150, 5.9% at 1500).

# %% [markdown]
# ## 5. Autoencoders and the VAE
#
# An **autoencoder** squeezes each input through a small code and learns to
# rebuild it. Its codes can sit anywhere, so a random code decodes to nonsense.
# A **variational autoencoder** (Kingma and Welling, 2014) makes the code a
# distribution $q(z|x) = \mathcal N(\mu(x), \text{diag}\,\sigma^2(x))$ and
# decodes with $p(x|z)$, under a prior $p(z) = \mathcal N(0, I)$.
#
# **The evidence lower bound (ELBO).** We want to maximize $\log p(x) = \log
# \int p(x|z)p(z)\,dz$, which no one can compute. But for any $q(z|x)$, since
# $p(x) = p(x, z)/p(z|x)$ for every $z$,
#
# $$ \log p(x) = \mathbb E_{q(z|x)}\Big[\log \frac{p(x, z)}{p(z|x)}\Big]
#    = \underbrace{\mathbb E_{q(z|x)}\Big[\log\frac{p(x, z)}{q(z|x)}\Big]}_{\text{ELBO}}
#    + \underbrace{\mathbb E_{q(z|x)}\Big[\log\frac{q(z|x)}{p(z|x)}\Big]}_{
#      \mathrm{KL}(q(z|x)\,\|\,p(z|x))}
#    \;\ge\; \text{ELBO}, $$
#
# because a KL divergence is never negative (chapter 2). The gap is exactly how
# far $q$ is from the true posterior, so raising the ELBO in the encoder pulls $q$
# toward $p(z|x)$, and raising it in the decoder raises $\log p(x)$. Writing
# $p(x, z) = p(x|z)p(z)$ splits the ELBO into the two terms we train:
#
# $$ \text{ELBO} = \mathbb E_{q(z|x)}[\log p(x|z)] - \mathrm{KL}(q(z|x)\,\|\,p(z)). $$
#
# The first term is a reconstruction loss (here a cross-entropy per character
# position); the second pulls every code toward the prior, so that codes drawn
# from $\mathcal N(0, I)$ decode to plausible names. For one coordinate, with
# $q = \mathcal N(\mu, \sigma^2)$ and $p = \mathcal N(0, 1)$, $\log q(z) - \log p(z)
# = -\log\sigma - (z-\mu)^2/2\sigma^2 + z^2/2$, and its mean under $q$ is
# $\tfrac12(\mu^2 + \sigma^2 - 1 - \log\sigma^2)$: the KL has a closed form,
# summed over the code's coordinates. The other piece is the
# **reparameterization** $z = \mu + \sigma \epsilon$ with
# $\epsilon \sim \mathcal N(0, I)$, which moves the randomness into $\epsilon$, so
# $z$ is a differentiable function of $\mu$ and $\sigma$.

# %% [markdown]
# **Exercise 3** (`exercises/ex3_vae_terms.py`): the reparameterized sample and
# the Gaussian KL. Grade it with
#
# ```
# python -m minilm grade chapters/10_generative_models/exercises/ex3_vae_terms.py
# ```

# %% [markdown]
# Check your answer (after grading): minilm's two pieces.

# %%
show(reparameterize)
show(gaussian_kl)

# %% [markdown]
# The model: an MLP encoder from the one-hot name (eight positions) to $\mu$ and
# $\log\sigma^2$, an MLP decoder from $z$ to eight rows of character logits. The
# KL weight is warmed up from 0, which keeps the decoder from learning to ignore
# the code early on. The loss is $-$ELBO, in nats per name.

# %%
minilm.manual_seed(0)
vae_config = VAEConfig() if FULL else VAEConfig(kl_warmup=400)
vae = NameVAE(vae_config)
val_names = fixed_length_names("val", vae_config.max_len)
vae_hist = train_vae(vae, train_names, steps=4000 if FULL else 800,
                     val_names=val_names if FULL else val_names[:1000], progress=False)  # fmt: skip
e = vae_hist.evals[-1][1]
print(f"validation: reconstruction {e['recon']:.2f} nats/name, KL {e['kl']:.2f}, "
      f"-ELBO {e['neg_elbo']:.2f}, exact reconstructions {e['exact']:.1%}")  # fmt: skip
print("prior samples:", e["samples"])
print(" ".join(vae.sample(16)))

# %%
fig, ax = plt.subplots(figsize=(6, 3.5))
ax.plot(vae_hist.step, vae_hist.recon, label="reconstruction")
ax.plot(vae_hist.step, vae_hist.kl, label="KL")
ax.set_xlabel("step")
ax.set_ylabel("nats per name")
ax.legend()
ax.grid(alpha=0.3)
plt.show()

# %% [markdown]
# An interpolation walks the straight line between two names' codes (their
# posterior means) and decodes seven points along it, the two ends included.
# Before reading the path, look at its ends: what does each name decode to?

# %%
for a, b in [("emma", "oliver"), ("sophia", "liam")]:
    print(f"{a} -> {b}:", " ".join(vae.interpolate(a, b, steps=7)))
    print(f"    {a} decodes to {vae.reconstruct([a])[0]!r}, {b} to {vae.reconstruct([b])[0]!r}")
print(f"validation names decoded exactly from their posterior mean: {e['exact']:.1%}")

# %% [markdown] tags=["cites"]
# The path is not a path *between the two names*: its ends decode to other
# names than the ones put in, because the code keeps too little to spell a name
# back (0.1% of validation names come back exactly after this short run). What
# the interpolation shows is how the decoder's output changes along a line in
# code space: gradually, one or two letters at a time, through name-like strings.

# %% [markdown]
# `python -m minilm.bench vae` (4000 steps, a 16-dimensional code):
#
# | validation names (3022) | value |
# | --- | --- |
# | reconstruction, one posterior sample | 10.83 nats/name |
# | KL(q(z\|x) \|\| N(0, I)) | 4.84 nats/name |
# | -ELBO (a bound on -log p(name)) | 15.67 nats/name |
# | decoded exactly from the posterior mean | 4.7% |
# | prior samples that are real names, greedy decoding | 33.5% (4.5% unseen; 92.9% distinct) |
# | prior samples that are real names, sampled decoding | 10.4% (99.7% distinct) |
#
# Samples: *rai kenarie aiya lili elliea alria jasin marrellh kaylen ahrian*;
# emma -> oliver: *ella elra alii aler alire alile alilen*; sophia -> liam:
# *sashia sashia sishi siahi siana kian kian*. Even after 4000 steps the ends
# decode to other names ("ella" for emma, "alilen" for oliver, "sashia" for
# sophia, "kian" for liam): only 4.7% of validation names come back exactly.
# With $\beta = 1$ the code keeps only about 5 nats per name: enough for the
# outline of a name (length, first letters, sound), not for its exact spelling,
# which is why exact reconstructions are rare while samples look like names. A smaller $\beta$
# trades sample quality for reconstruction (`--beta 0.3`).
#
# ## Summary
#
# - A GAN trains a generator against a discriminator. For a fixed generator the
#   best discriminator's logit is the log density ratio $\log(p_\text{data}/p_G)$,
#   and against it the generator minimizes a Jensen-Shannon divergence; the
#   non-saturating generator loss keeps its gradient when the discriminator wins.
# - Mode collapse is measurable: modes covered by a stated rule, the share of
#   samples near a mode, an energy distance, and, on a ring, a histogram of angles.
# - The Wasserstein critic needs a Lipschitz constraint: weight clipping enforces
#   it crudely, the gradient penalty (a gradient of a gradient) softly, and only
#   WGAN-GP covered all eight modes in the benchmark.
# - Sampling a character has no gradient; the Gumbel-softmax relaxes it and the
#   straight-through estimator feeds the discriminator one-hot characters anyway.
# - A VAE maximizes the ELBO, $\log p(x) - \mathrm{KL}(q(z|x)\,\|\,p(z|x))$:
#   reconstruction minus the KL to the prior, trained through the
#   reparameterization. Its samples look like names; its codes keep too little to
#   spell a given name back.
#
# ## Exercises
#
# Each exercise is a file in `chapters/10_generative_models/exercises/`: fill in
# the code between `### BEGIN YOUR SOLUTION` and `### END YOUR SOLUTION`, then
# grade one file or the whole folder:
#
# ```
# python -m minilm grade chapters/10_generative_models/exercises/ex1_gan_losses.py
# python -m minilm grade chapters/10_generative_models/exercises/ex2_gradient_penalty.py
# python -m minilm grade chapters/10_generative_models/exercises/ex3_vae_terms.py
# python -m minilm grade chapters/10_generative_models/exercises/ex4_gumbel_softmax.py
# python -m minilm grade chapters/10_generative_models/exercises
# ```
#
# | exercise | task | points |
# | --- | --- | --- |
# | `ex1_gan_losses.py` | the discriminator and non-saturating generator losses, stable | 5 |
# | `ex2_gradient_penalty.py` | the WGAN-GP penalty, differentiable in the critic's weights | 5 |
# | `ex3_vae_terms.py` | reparameterization and the Gaussian KL | 4 |
# | `ex4_gumbel_softmax.py` | the Gumbel-softmax sample and its straight-through version | 5 |
#
# Questions to think about:
#
# 1. The optimal discriminator's logit is $\log(p_\text{data}/p_G)$. What does it
#    become where $p_G = 0$ but $p_\text{data} > 0$, and why does that make the
#    Jensen-Shannon divergence a poor guide when the two distributions do not
#    overlap (the case WGAN was designed for)?
# 2. Why can a generator that covers only half the modes still fool a
#    discriminator that judges one batch at a time? What would a discriminator
#    have to see to notice (Salimans et al. propose minibatch discrimination)?
# 3. The ELBO's gap is $\mathrm{KL}(q(z|x)\,\|\,p(z|x))$. If the decoder is
#    powerful enough to model names without looking at $z$, what is the best
#    $q$, and what happens to the KL term? (This is posterior collapse, and the
#    reason for the KL warm-up.)
# 4. The straight-through estimator's gradient is not the gradient of anything
#    the forward pass computed. What does it assume, and when would you expect
#    it to mislead the generator?
#
# ## Further reading
#
# - Goodfellow, Pouget-Abadie, Mirza, Xu, Warde-Farley, Ozair, Courville and
#   Bengio (2014), *Generative adversarial nets*: the game, the optimal
#   discriminator and the Jensen-Shannon result.
# - Arjovsky, Chintala and Bottou (2017), *Wasserstein GAN*: the critic and
#   weight clipping.
# - Gulrajani, Ahmed, Arjovsky, Dumoulin and Courville (2017), *Improved
#   training of Wasserstein GANs*: the gradient penalty.
# - Salimans, Goodfellow, Zaremba, Cheung, Radford and Chen (2016), *Improved
#   techniques for training GANs*: feature matching and minibatch discrimination.
# - Jang, Gu and Poole (2017), *Categorical reparameterization with
#   Gumbel-softmax*, and Maddison, Mnih and Teh (2017), *The concrete
#   distribution*.
# - Kingma and Welling (2014), *Auto-encoding variational Bayes*: the ELBO and
#   the reparameterization trick.
