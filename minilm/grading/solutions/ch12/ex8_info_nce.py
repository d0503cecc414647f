"""Reference solution: chapters/12_deployment_and_safety/exercises/ex8_info_nce.py."""

import numpy as np


def _softmax(z, axis):
    e = np.exp(z - z.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def _logits(image_emb, text_emb, logit_scale):
    return np.exp(logit_scale) * np.asarray(image_emb) @ np.asarray(text_emb).T


def info_nce(image_emb, text_emb, logit_scale):
    L = _logits(image_emb, text_emb, logit_scale)
    diag = np.diag(L)
    rows = L.max(axis=1) + np.log(np.exp(L - L.max(axis=1, keepdims=True)).sum(axis=1))
    cols = L.max(axis=0) + np.log(np.exp(L - L.max(axis=0, keepdims=True)).sum(axis=0))
    return float(((rows - diag).mean() + (cols - diag).mean()) / 2)


def info_nce_grad(image_emb, text_emb, logit_scale):
    L = _logits(image_emb, text_emb, logit_scale)
    B = L.shape[0]
    eye = np.eye(B)
    G = ((_softmax(L, axis=1) - eye) + (_softmax(L, axis=0) - eye)) / (2 * B)
    s = np.exp(logit_scale)
    return s * G @ np.asarray(text_emb), s * G.T @ np.asarray(image_emb)
