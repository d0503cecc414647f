"""Every functional op against PyTorch on random inputs: forward values and
input gradients. Skipped when PyTorch is not installed (minilm never imports it)."""

import pytest

import minilm
import minilm.functional as F
from minilm.backend import np

torch = pytest.importorskip("torch")
TF = torch.nn.functional
rng = np.random.default_rng(0)


def randn(*shape):
    return rng.standard_normal(shape)


def compare(ours, theirs, arrays, int_args=(), rtol=1e-6, atol=1e-8):
    """Run both on the same float64 arrays; compare the output and d(sum(out*v))/dx."""
    mt = [minilm.tensor(a, requires_grad=True) for a in arrays]
    tt = [torch.tensor(a, requires_grad=True) for a in arrays]
    out_m = ours(*mt, *int_args)
    out_t = theirs(*tt, *[torch.tensor(a) for a in int_args])
    np.testing.assert_allclose(out_m.numpy(), out_t.detach().numpy(), rtol=rtol, atol=atol)
    v = randn(*out_m.shape)
    (out_m * minilm.tensor(v)).sum().backward()
    (out_t * torch.tensor(v)).sum().backward()
    for a, b in zip(mt, tt):
        np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol=rtol, atol=atol)


def test_softmax_family():
    x = randn(4, 6) * 5
    compare(lambda a: F.softmax(a, axis=0), lambda a: TF.softmax(a, dim=0), [x])
    compare(F.log_softmax, lambda a: TF.log_softmax(a, dim=-1), [x])


@pytest.mark.parametrize("smoothing", [0.0, 0.2])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_cross_entropy(smoothing, reduction):
    x, t = randn(8, 5), rng.integers(0, 5, 8)
    t[2] = -100
    ours = lambda a, t: F.cross_entropy(a, t, label_smoothing=smoothing, reduction=reduction)
    theirs = lambda a, t: TF.cross_entropy(a, t, label_smoothing=smoothing, reduction=reduction)
    compare(ours, theirs, [x], int_args=(t,))


def test_cross_entropy_sequence_layout():
    """minilm: classes last (B, T, C); PyTorch: classes second (B, C, T)."""
    x, t = randn(2, 3, 5), rng.integers(0, 5, (2, 3))
    compare(F.cross_entropy, lambda a, t: TF.cross_entropy(a.transpose(1, 2), t), [x], (t,))


def test_nll_mse_bce():
    x, t = randn(6, 4), rng.integers(0, 4, 6)
    compare(F.nll_loss, TF.nll_loss, [x], int_args=(t,))
    compare(F.mse_loss, TF.mse_loss, [randn(3, 4), randn(3, 4)])
    y = rng.random((3, 4))
    compare(
        F.binary_cross_entropy_with_logits,
        TF.binary_cross_entropy_with_logits,
        [randn(3, 4) * 4, y],
    )
    compare(
        lambda a, b: F.binary_cross_entropy_with_logits(a, b, pos_weight=3.0),
        lambda a, b: TF.binary_cross_entropy_with_logits(a, b, pos_weight=torch.tensor(3.0)),
        [randn(3, 4), y],
    )


def test_activations():
    x = randn(5, 7) * 3
    compare(F.gelu, TF.gelu, [x])
    compare(lambda a: F.gelu(a, "tanh"), lambda a: TF.gelu(a, approximate="tanh"), [x])
    compare(lambda a: F.leaky_relu(a, 0.2), lambda a: TF.leaky_relu(a, 0.2), [x])
    compare(F.relu, TF.relu, [x])
    compare(F.sigmoid, torch.sigmoid, [x])
    compare(F.softplus, TF.softplus, [x])


def test_layer_norm():
    x, w, b = randn(3, 4, 8), randn(8), randn(8)
    compare(F.layer_norm, lambda a, w, b: TF.layer_norm(a, (8,), w, b), [x, w, b], rtol=1e-5)


def test_embedding_and_linear():
    idx = rng.integers(0, 10, (3, 4))
    idx[0, :2] = 7  # repeats accumulate
    compare(lambda w, i: F.embedding(i, w), lambda w, i: TF.embedding(i, w), [randn(10, 5)], (idx,))
    x, w, b = randn(4, 3), randn(3, 6), randn(6)
    # minilm's weight is (in, out); PyTorch's is (out, in)
    compare(F.linear, lambda x, w, b: TF.linear(x, w.T, b), [x, w, b])


@pytest.mark.parametrize("stride,padding", [(1, 0), (2, 1), (3, 2)])
def test_conv1d(stride, padding):
    compare(
        lambda x, w, b: F.conv1d(x, w, b, stride=stride, padding=padding),
        lambda x, w, b: TF.conv1d(x, w, b, stride=stride, padding=padding),
        [randn(2, 3, 11), randn(4, 3, 3), randn(4)],
    )


@pytest.mark.parametrize(
    "stride,padding,x_shape,k",
    [
        (1, 0, (2, 3, 7, 7), (3, 3)),
        (2, 1, (2, 3, 9, 6), (3, 3)),
        ((2, 1), (0, 2), (1, 2, 8, 5), (2, 3)),  # non-square everything
        (3, (1, 0), (2, 1, 10, 7), (4, 1)),
    ],
)
def test_conv2d(stride, padding, x_shape, k):
    C = x_shape[1]
    compare(
        lambda x, w, b: F.conv2d(x, w, b, stride=stride, padding=padding),
        lambda x, w, b: TF.conv2d(x, w, b, stride=stride, padding=padding),
        [randn(*x_shape), randn(4, C, *k), randn(4)],
    )
    compare(  # no bias
        lambda x, w: F.conv2d(x, w, stride=stride, padding=padding),
        lambda x, w: TF.conv2d(x, w, stride=stride, padding=padding),
        [randn(*x_shape), randn(3, C, *k)],
    )


def test_dropout_identity_in_eval_matches():
    x = randn(4, 4)
    compare(lambda a: F.dropout(a, 0.3, training=False), lambda a: TF.dropout(a, 0.3, False), [x])


@pytest.mark.parametrize("causal", [False, True])
def test_attention(causal):
    q, k, v = randn(2, 3, 5, 4), randn(2, 3, 5, 4), randn(2, 3, 5, 6)
    mask = rng.random((5, 5)) > 0.3
    mask[:, 0] = True
    compare(
        lambda q, k, v: F.scaled_dot_product_attention(q, k, v, causal=causal),
        lambda q, k, v: TF.scaled_dot_product_attention(q, k, v, is_causal=causal),
        [q, k, v],
    )
    compare(
        lambda q, k, v: F.scaled_dot_product_attention(q, k, v, mask=mask),
        lambda q, k, v: TF.scaled_dot_product_attention(q, k, v, attn_mask=torch.tensor(mask)),
        [q, k, v],
    )


def test_reductions_and_logsumexp():
    x = randn(3, 4, 5)
    compare(lambda a: minilm.logsumexp(a, axis=(0, 2)), lambda a: torch.logsumexp(a, (0, 2)), [x])
    compare(lambda a: a.var(axis=1), lambda a: a.var(dim=1, unbiased=False), [x])
    compare(lambda a: a.max(axis=-1), lambda a: a.amax(dim=-1), [x])
    compare(
        lambda a: minilm.pad(a, ((0, 0), (1, 2), (0, 1))), lambda a: TF.pad(a, (0, 1, 1, 2)), [x]
    )
