"""Planted bugs in chapter 06's reference solutions (format: see planted_bugs.py)."""

BUGS = [
    ("ex1_masked_attention", "no 1/sqrt(d) scaling",
     "/ np.sqrt(d)", ""),
    ("ex1_masked_attention", "mask ignored",
     "scores = np.where(mask, scores, -np.inf)", "pass"),
    ("ex1_masked_attention", "softmax over the queries instead of the keys",
     "weights = e / e.sum(axis=-1, keepdims=True)", "weights = e / e.sum(axis=-2, keepdims=True)"),
    ("ex1_masked_attention", "mask meaning inverted (True = blocked)",
     "np.where(mask, scores, -np.inf)", "np.where(~np.asarray(mask), scores, -np.inf)"),
    ("ex1_masked_attention", "no max-subtraction: overflows on huge scores",
     "scores = scores - scores.max(axis=-1, keepdims=True)", "pass"),
    ("ex2_additive_attention", "bias of the key projection forgotten",
     "keys @ W_k + b_k", "keys @ W_k"),
    ("ex2_additive_attention", "padding mask ignored",
     "scores = np.where(mask, scores, -np.inf)", "pass"),
    ("ex2_additive_attention", "relu instead of tanh",
     "hidden = np.tanh(", "hidden = np.maximum(0, "),
]  # fmt: skip
