"""Exercise 1 (4 points): BERT's masking rule for masked language modelling.

Given token ids (B, T) and the random draws (so the rule can be checked),
``u_pick`` and ``u_action`` (uniform in [0, 1), shaped like ``ids``) and
``random_ids`` (replacement tokens, shaped like ``ids``):

- a token is *picked* when it is a real token (``id >= num_special``: never
  padding, [CLS] or other specials) and ``u_pick < mask_prob``;
- a picked token becomes ``mask_id`` when ``u_action < 0.8``, becomes
  ``random_ids`` when ``0.8 <= u_action < 0.9``, and stays as it is otherwise;
- the targets are the original ids at picked positions and -100 elsewhere
  (the value ``F.cross_entropy(..., ignore_index=-100)`` skips).

Return ``(inputs, targets)``, integer arrays shaped like ``ids``; leave ``ids`` as it was.

Checked against ``minilm.models.bert.mask_rule``: targets (1 point), inputs
(2), special tokens untouched (1).

    python -m minilm grade chapters/08_pretraining_finetuning/exercises/ex1_mlm_masking.py
"""

from minilm.backend import np  # noqa: F401 - NumPy, for your solution


def mask_rule(ids, u_pick, u_action, random_ids, mask_id, num_special, mask_prob=0.15):
    """(inputs, targets) of BERT's 80/10/10 masking rule."""
    ### BEGIN YOUR SOLUTION
    raise NotImplementedError("write mask_rule")
    ### END YOUR SOLUTION
