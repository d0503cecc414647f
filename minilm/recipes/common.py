"""Small pieces the recipes share."""

from __future__ import annotations


def val_loss_fn(evaluate, corpus, eval_every: int | None):
    """An ``eval_fn`` for :func:`minilm.train.fit` scoring the val split with
    ``evaluate(model, corpus, "val")``, or None when no evaluation is wanted."""
    if not eval_every:
        return None
    return lambda model: evaluate(model, corpus, "val")
