"""Exercise 8 (5 points): CLIP's loss, the symmetric InfoNCE, and its gradient.

A batch holds B images and their B captions, embedded as the rows of
``image_emb`` and ``text_emb`` (B, d); row i of each is a matching pair. With
the scale ``s = exp(logit_scale)`` (a learned inverse temperature), the logits

    L = s * image_emb @ text_emb.T        (B, B): row i is image i against every caption

make two classification problems: each image must pick its own caption out of
the batch (the cross-entropy of row i of L with target i) and each caption its
own image (column j, target j). The loss is the mean of the two mean
cross-entropies. Compute log-sum-exp stably (subtract the maximum): with unit
embeddings and s = 100 the logits reach 100, and exp(100) overflows float32.

Write ``info_nce(image_emb, text_emb, logit_scale)`` -> the loss (a float), and
``info_nce_grad(image_emb, text_emb, logit_scale)`` -> ``(d_image, d_text)``, the
gradients of the loss with respect to the two embeddings. Hint: with P the row
softmax of L and Q the column softmax, dloss/dL = ((P - I) + (Q - I)) / (2B).

Checked against ``minilm.models.multimodal.info_nce`` and the engine's
gradients of it: the loss (2 points), logits up to 100 (1 point), the gradients
(2 points).

    python -m minilm grade chapters/12_deployment_and_safety/exercises/ex8_info_nce.py
"""

import numpy as np  # noqa: F401 - for your solution


def info_nce(image_emb, text_emb, logit_scale):
    """The symmetric InfoNCE loss of a batch of matching pairs (a float)."""
    ### BEGIN YOUR SOLUTION
    raise NotImplementedError("write info_nce")
    ### END YOUR SOLUTION


def info_nce_grad(image_emb, text_emb, logit_scale):
    """(d loss / d image_emb, d loss / d text_emb), each (B, d)."""
    ### BEGIN YOUR SOLUTION
    raise NotImplementedError("write info_nce_grad")
    ### END YOUR SOLUTION
