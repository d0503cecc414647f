"""Reference solution: chapters/08_pretraining_finetuning/exercises/ex1_mlm_masking.py."""

from minilm.backend import np


def mask_rule(ids, u_pick, u_action, random_ids, mask_id, num_special, mask_prob=0.15):
    picked = (ids >= num_special) & (u_pick < mask_prob)
    inputs = ids.copy()
    inputs[picked & (u_action < 0.8)] = mask_id
    swap = picked & (u_action >= 0.8) & (u_action < 0.9)
    inputs[swap] = random_ids[swap]
    targets = np.where(picked, ids, -100)
    return inputs, targets
