"""Planted bugs in chapter 08's reference solutions (format: see planted_bugs.py)."""

BUGS = [
    ("ex1_mlm_masking", "special tokens can be picked",
     "picked = (ids >= num_special) & (u_pick < mask_prob)", "picked = u_pick < mask_prob"),
    ("ex1_mlm_masking", "every picked token becomes [MASK] (no 10/10)",
     "inputs[picked & (u_action < 0.8)] = mask_id", "inputs[picked] = mask_id"),
    ("ex1_mlm_masking", "random replacement applied to unpicked tokens too",
     "swap = picked & (u_action >= 0.8) & (u_action < 0.9)",
     "swap = (u_action >= 0.8) & (u_action < 0.9)"),
    ("ex1_mlm_masking", "targets at every position, not only the picked",
     "targets = np.where(picked, ids, -100)", "targets = ids.copy()"),
    ("ex1_mlm_masking", "ids modified in place",
     "inputs = ids.copy()", "inputs = ids"),
]  # fmt: skip
