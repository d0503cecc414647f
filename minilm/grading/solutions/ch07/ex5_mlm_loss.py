"""Reference solution: chapters/07_transformers/exercises/ex5_mlm_loss.py."""

from minilm.backend import np


def mlm_loss(logits, targets, ignore_index=-100):
    V = logits.shape[-1]
    z = logits.reshape(-1, V)
    t = targets.reshape(-1)
    keep = t != ignore_index
    if not keep.any():
        return 0.0
    z, t = z[keep], t[keep]
    z = z - z.max(axis=-1, keepdims=True)
    log_p = z - np.log(np.exp(z).sum(axis=-1, keepdims=True))  # (N, V)
    return float(-log_p[np.arange(len(t)), t].mean())
