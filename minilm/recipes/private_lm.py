"""The names model trained with and without differential privacy, and attacked.

:func:`membership_split` takes the first ``n_names`` training names as the
*members* (the data a model is trained on) and as many validation names as the
*non-members*; every (3 previous characters, next character) window of a name is
one example. :func:`train_names_model` trains :class:`~minilm.models.MLPLM` on
the members three ways: ``"dp"`` with DP-SGD at a target epsilon, ``"plain"`` with
the same optimizer, batch size and steps but no clipping or noise (epsilon =
infinity), and ``"overfit"``: a wider model trained far longer, the model an
attacker hopes for; and ``"control"``: the plain recipe trained on *other*
training names, never the members, so its attack AUC measures only how the
member names differ from the validation names (the floor an attack on a real
model is compared with). :func:`privacy_table` trains each and measures the
validation loss and the loss-threshold membership attack
(:func:`minilm.privacy.attack.membership_auc`).

Every run is seeded (``seed``), the DP noise too, so that the course's numbers
repeat; a real private run leaves ``DPSGD.seed`` None (secret noise).

The unit of privacy is one window, as in DP-SGD's guarantee; a name of L letters
is L + 1 windows, so the guarantee for a whole name is weaker (group privacy:
roughly (L + 1) epsilon). The attack is reported both per window and per name
(the mean loss over the name's windows).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from .. import functional as F
from .. import optim
from ..backend import np
from ..data.lm_corpus import CharCorpus, context_windows
from ..models.mlp_lm import MLPLM, MLPLMConfig
from ..privacy import DPSGD
from ..privacy.attack import membership_auc
from ..tensor import no_grad, tensor
from ..train import fit

__all__ = ["Membership", "membership_split", "train_names_model", "window_losses",
           "privacy_table"]  # fmt: skip


@dataclass
class Membership:
    corpus: CharCorpus
    X: np.ndarray  # member windows (N, context)
    Y: np.ndarray
    owner: np.ndarray  # which member name each window comes from
    X_out: np.ndarray  # non-member windows
    Y_out: np.ndarray
    owner_out: np.ndarray
    context: int


def _windows(seqs, context, pad_id):
    X, Y = context_windows(seqs, context, pad_id)
    owner = np.repeat(np.arange(len(seqs)), [len(s) - 1 for s in seqs])
    return X, Y, owner


def membership_split(n_names: int = 1000, context: int = 3) -> Membership:
    """Members: the first ``n_names`` names of the train split; non-members: the
    first ``n_names`` of the val split (never trained on)."""
    corpus = CharCorpus.load("names")
    train, val = corpus.split("train"), corpus.split("val")
    most = min(len(train) // 2, len(val))  # the control model trains on the next n_names
    if not 0 < n_names <= most:
        raise ValueError(f"membership_split: n_names must be in 1..{most}, got {n_names}")
    X, Y, owner = _windows(train[:n_names], context, corpus.pad_id)
    Xo, Yo, oo = _windows(val[:n_names], context, corpus.pad_id)
    return Membership(corpus, X, Y, owner, Xo, Yo, oo, context)


def _losses(model, batch):
    ctx, targets = batch
    return F.cross_entropy(model(ctx), targets, reduction="none")


def window_losses(model, X, Y, batch_size: int = 8192) -> np.ndarray:
    """The model's loss (nats) on each window, in eval mode without gradients."""
    was, out = model.training, []
    model.eval()
    with no_grad():
        for i in range(0, len(X), batch_size):
            out.append(_losses(model, (tensor(X[i : i + batch_size]),
                                       tensor(Y[i : i + batch_size]))).numpy())  # fmt: skip
    model.train(was)
    return np.concatenate(out)


def train_names_model(data: Membership, kind: str = "dp", epsilon: float = 4.0, *,
                      steps: int = 600, batch_size: int = 128, lr: float = 0.05,
                      max_grad_norm: float = 1.0, delta: float = 1e-5, hidden: int = 128,
                      seed: int = 0, progress: bool = True):  # fmt: skip
    """Train an MLPLM on the member windows; returns (model, History).

    ``kind``: "dp" (DP-SGD to ``epsilon`` at ``delta``, Poisson batches of expected
    size ``batch_size``), "plain" (the same without clipping and noise),
    "overfit" (hidden 512, Adam, 5x the steps) or "control" (plain, on as many
    training names that are not members). SGD with momentum 0.9 otherwise.
    """
    kinds = ("dp", "plain", "overfit", "control")
    if kind not in kinds:
        raise ValueError(f"train_names_model: kind must be one of {kinds}, got {kind!r}")
    V = data.corpus.vocab_size
    X, Y = data.X, data.Y
    if kind == "control":
        members = int(data.owner.max()) + 1
        others = data.corpus.split("train")[members : 2 * members]
        X, Y = context_windows(others, data.context, data.corpus.pad_id)
    n = len(X)
    rng = np.random.default_rng(seed)
    from ..tensor import manual_seed

    manual_seed(seed)
    width = 512 if kind == "overfit" else hidden
    model = MLPLM(MLPLMConfig(vocab_size=V, context=data.context, embed_dim=16, hidden=width))
    if kind == "overfit":
        opt = optim.Adam(model.parameters(), lr=3e-3)
        steps = steps * 5
    else:
        opt = optim.SGD(model.parameters(), lr=lr, momentum=0.9)

    def batch():
        i = rng.integers(0, n, batch_size)
        return tensor(X[i]), tensor(Y[i])

    if kind == "dp":
        dp = DPSGD(data=(data.X, data.Y), per_example_loss=_losses, target_epsilon=epsilon,
                   max_grad_norm=max_grad_norm, sample_rate=batch_size / n, delta=delta,
                   seed=seed)  # fmt: skip
        hist = fit(model, opt, None, steps, privacy=dp, progress=progress, seed=seed)
    else:
        hist = fit(model, opt, batch, steps, progress=progress, seed=seed)
    return model, hist


def privacy_table(data: Membership, epsilons=(1.0, 4.0, 8.0), *, steps: int = 600,
                  seed: int = 0, progress: bool = True, **kwargs) -> list[dict]:  # fmt: skip
    """One row per model: DP at each epsilon, plain (epsilon inf), overfit and control, with
    the loss (nats per character) on the non-member (validation) and member windows,
    and the membership attack's AUC per window and per name."""
    runs = [("dp", e) for e in epsilons] + [(k, math.inf) for k in ("plain", "overfit", "control")]
    rows = []
    for kind, eps in runs:
        model, hist = train_names_model(data, kind, eps, steps=steps, seed=seed,
                                        progress=progress, **kwargs)  # fmt: skip
        inside = window_losses(model, data.X, data.Y)
        outside = window_losses(model, data.X_out, data.Y_out)
        per_name = lambda losses, owner: np.bincount(owner, losses) / np.bincount(owner)
        rows.append({
            "model": kind, "epsilon": hist.epsilon if kind == "dp" else math.inf,
            "sigma": hist.noise_multiplier, "member_loss": float(inside.mean()),
            "val_loss": float(outside.mean()),
            "auc_window": membership_auc(inside, outside, seed=seed),
            "auc_name": membership_auc(per_name(inside, data.owner),
                                       per_name(outside, data.owner_out), seed=seed),
        })  # fmt: skip
    return rows
