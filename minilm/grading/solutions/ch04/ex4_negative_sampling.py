"""Reference solution: chapters/04_text_representation/exercises/ex4_negative_sampling.py."""

from minilm.backend import np


def _softplus(x):
    return np.maximum(x, 0) + np.log1p(np.exp(-np.abs(x)))  # no overflow for large |x|


def _sigmoid(x):
    return 0.5 * (1 + np.tanh(0.5 * x))


def negative_sampling(v, u_pos, u_neg):
    B = v.shape[0]
    s = (u_pos * v).sum(axis=-1)  # (B,)
    s_neg = np.einsum("bkd,bd->bk", u_neg, v)  # (B, K)
    loss = (_softplus(-s) + _softplus(s_neg).sum(axis=-1)).mean()
    ds = -_sigmoid(-s) / B  # d loss / d s
    ds_neg = _sigmoid(s_neg) / B  # d loss / d s_k
    dv = ds[:, None] * u_pos + np.einsum("bk,bkd->bd", ds_neg, u_neg)
    du_pos = ds[:, None] * v
    du_neg = ds_neg[:, :, None] * v[:, None, :]
    return float(loss), dv, du_pos, du_neg
