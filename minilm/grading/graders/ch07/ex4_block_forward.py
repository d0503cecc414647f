"""Graders for ex4_block_forward, against ``TransformerBlock`` with ``causal=True``."""

from hypothesis import strategies as st

from minilm.backend import np
from minilm.grading import assert_close, check, prop
from minilm.models.transformer import TransformerBlock
from minilm.tensor import as_tensor, no_grad
from minilm.testing import arrays, floats

REIMPLEMENTS = (
    "minilm.models.transformer.TransformerBlock.forward",
    "minilm.models.transformer.FeedForward.forward",
    "minilm.nn.attention.MultiHeadAttention.forward",
)


@st.composite
def problems(draw, scale=1.0, max_heads=3, max_T=5):
    """(x (B, T, d), params, H): random weights of size up to ``scale`` (layer-norm
    gains around 1 so that a badly written norm shows)."""
    B, T = draw(st.integers(1, 2)), draw(st.integers(1, max_T))
    H, hd = draw(st.integers(1, max_heads)), draw(st.integers(1, 3))
    d, d_ff = H * hd, draw(st.integers(1, 6))
    x = draw(arrays((B, T, d), elements=floats(-scale, scale)))
    params = {}
    for name, shape in _shapes(d, d_ff).items():
        if name.startswith("ln") and name.endswith("weight"):
            params[name] = draw(arrays(shape, elements=floats(0.5, 2.0)))
        else:
            params[name] = draw(arrays(shape, elements=floats(-scale, scale)))
    return x, params, H


def _shapes(d, d_ff):
    return {
        "ln_1.weight": (d,), "ln_1.bias": (d,),
        "attn.qkv_proj.weight": (d, 3 * d), "attn.qkv_proj.bias": (3 * d,),
        "attn.out_proj.weight": (d, d), "attn.out_proj.bias": (d,),
        "ln_2.weight": (d,), "ln_2.bias": (d,),
        "ff.fc.weight": (d, d_ff), "ff.fc.bias": (d_ff,),
        "ff.proj.weight": (d_ff, d), "ff.proj.bias": (d,),
    }  # fmt: skip


def reference(x, params, H):
    """minilm's block in float64, loaded with ``params``."""
    d, d_ff = x.shape[-1], params["ff.fc.weight"].shape[1]
    block = TransformerBlock(d, H, d_ff)
    for name, p in block.named_parameters():
        p.data = params[name].astype(np.float64)
    with no_grad():
        return block(as_tensor(x), causal=True).numpy()


def _student(student, x, params, H):
    return student.block_forward(x.copy(), {k: v.copy() for k, v in params.items()}, H)


@check(points=2)
@prop(problem=problems())
def matches_minilm(student, problem):
    """the output matches minilm's TransformerBlock (pre-norm, causal)"""
    x, params, H = problem
    got = _student(student, *problem)
    assert_close(got, reference(*problem), f"block output for x {x.shape}, H={H}", rtol=1e-6,
                 atol=1e-8)  # fmt: skip


@check(points=1)
@prop(problem=problems(scale=30.0))
def large_scores(student, problem):
    """still right with inputs and weights up to 30 (attention scores in the thousands)"""
    x, params, H = problem
    got = _student(student, *problem)
    assert np.isfinite(got).all(), "the output has inf or nan: subtract the row max before exp"
    assert_close(got, reference(*problem), "block output with large weights", rtol=1e-6,
                 atol=1e-6)  # fmt: skip


@check(points=1)
@prop(problem=problems(max_T=6), cut=st.integers(0, 5), data=st.data())
def causal(student, problem, cut, data):
    """changing the tokens after position t never changes the outputs at positions <= t"""
    x, params, H = problem
    T = x.shape[1]
    cut = min(cut, T - 1)
    later = data.draw(arrays((x.shape[0], T - cut - 1, x.shape[2])), label="new later tokens")
    y = x.copy()
    y[:, cut + 1 :] = later
    a, b = _student(student, x, params, H), _student(student, y, params, H)
    assert_close(b[:, : cut + 1], a[:, : cut + 1],
                 f"outputs at positions 0..{cut} after changing positions {cut + 1}..")  # fmt: skip


@check(points=1)
@prop(problem=problems(max_heads=1, max_T=1))
def one_head_one_token(student, problem):
    """one head and one position: attention returns the token's own value"""
    x, params, H = problem
    assert_close(_student(student, *problem), reference(*problem), "block output, T = 1, H = 1")
