"""Graders for ex8_info_nce, against ``minilm.models.multimodal.info_nce`` and the
engine's gradients of it."""

from hypothesis import strategies as st

import minilm
from minilm.backend import np
from minilm.grading import assert_close, check, prop
from minilm.models.multimodal import info_nce
from minilm.tensor import tensor

REIMPLEMENTS = ("minilm.models.multimodal.info_nce",)

_seeds = st.integers(0, 2**32 - 1)


def _batch(seed, unit=False):
    rng = np.random.default_rng(seed)
    B, d = int(rng.integers(1, 7)), int(rng.integers(1, 6))
    img, txt = rng.normal(0, 1, (B, d)), rng.normal(0, 1, (B, d))
    txt = txt + rng.uniform(0, 2) * img  # pairs more or less alike
    if unit:
        img = img / np.linalg.norm(img, axis=1, keepdims=True)
        txt = txt / np.linalg.norm(txt, axis=1, keepdims=True)
    return img, txt


def _reference(img, txt, scale):
    leaves = [tensor(img.copy(), requires_grad=True), tensor(txt.copy(), requires_grad=True)]
    loss = info_nce(*leaves, logit_scale=scale)
    return loss.item(), *(g.numpy() for g in minilm.grad(loss, leaves))


@check(points=2)
@prop(seed=_seeds, scale=st.floats(-2.0, 2.0))
def loss(student, seed, scale):
    """the mean of the image-to-text and text-to-image cross-entropies"""
    img, txt = _batch(seed)
    got = student.info_nce(img.copy(), txt.copy(), scale)
    assert_close(got, _reference(img, txt, scale)[0], f"info_nce with B = {len(img)}")


@check(points=1)
@prop(seed=_seeds)
def large_logits(student, seed):
    """unit embeddings at scale 100 (logits up to 100): finite and right"""
    img, txt = _batch(seed, unit=True)
    scale = float(np.log(100.0))
    got = student.info_nce(img.copy(), txt.copy(), scale)
    assert np.isfinite(got), f"info_nce at scale 100 is {got}: compute log-sum-exp stably"
    assert_close(got, _reference(img, txt, scale)[0], "info_nce at scale 100")


@check(points=2)
@prop(seed=_seeds, scale=st.floats(-2.0, 2.0))
def gradients(student, seed, scale):
    """d_image and d_text equal the engine's gradients of the loss"""
    img, txt = _batch(seed)
    got = student.info_nce_grad(img.copy(), txt.copy(), scale)
    assert isinstance(got, (tuple, list)) and len(got) == 2, (
        f"info_nce_grad must return (d_image, d_text), got {type(got).__name__}"
    )
    _, d_img, d_txt = _reference(img, txt, scale)
    assert_close(np.asarray(got[0], dtype=np.float64), d_img, "d_image", atol=1e-9)
    assert_close(np.asarray(got[1], dtype=np.float64), d_txt, "d_text", atol=1e-9)
