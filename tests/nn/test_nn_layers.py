"""Layers and loss modules: forward maths, layouts, modes, devices, and torch agreement."""

import math

import pytest

import minilm
import minilm.functional as F
import minilm.nn as nn
from minilm.backend import np


def test_linear_is_x_at_w_plus_b_with_in_out_layout(device):
    layer = nn.Linear(3, 2).to(device)
    assert layer.weight.shape == (3, 2) and layer.bias.shape == (2,)
    x = minilm.randn(5, 3, device=device)
    expected = x.numpy() @ layer.weight.numpy() + layer.bias.numpy()
    np.testing.assert_allclose(layer(x).numpy(), expected, rtol=1e-5, atol=1e-6)
    bound = 1 / math.sqrt(3)
    assert abs(layer.weight.numpy()).max() <= bound and abs(layer.bias.numpy()).max() <= bound
    assert nn.Linear(3, 2, bias=False).bias is None


def test_linear_gradients_flow_to_both_parameters():
    layer = nn.Linear(4, 3)
    layer(minilm.randn(2, 4)).sum().backward()
    assert layer.weight.grad.shape == (4, 3) and layer.bias.grad.tolist() == [2.0, 2.0, 2.0]


def test_linear_matches_torch_with_transposed_weight():
    torch = pytest.importorskip("torch")
    layer = nn.Linear(4, 3)
    ref = torch.nn.Linear(4, 3)
    with torch.no_grad():
        ref.weight.copy_(torch.tensor(layer.weight.numpy().T))
        ref.bias.copy_(torch.tensor(layer.bias.numpy()))
    x = minilm.randn(6, 4)
    np.testing.assert_allclose(
        layer(x).numpy(), ref(torch.tensor(x.numpy())).detach().numpy(), rtol=1e-5, atol=1e-6
    )


def test_embedding_looks_up_rows(device):
    emb = nn.Embedding(5, 3).to(device)
    idx = minilm.tensor([[0, 4], [2, 2]], device=device)
    out = emb(idx)
    assert out.shape == (2, 2, 3)
    np.testing.assert_array_equal(out.numpy()[1, 0], emb.weight.numpy()[2])
    with pytest.raises(IndexError, match="out of range"):
        emb(minilm.tensor([5], device=device))


def test_layer_norm_normalizes_and_matches_torch():
    ln = nn.LayerNorm(6)
    x = minilm.randn(4, 6) * 3 + 1
    y = ln(x).numpy()
    np.testing.assert_allclose(y.mean(-1), 0, atol=1e-5)
    np.testing.assert_allclose(y.var(-1), 1, atol=1e-3)
    torch = pytest.importorskip("torch")
    ref = torch.nn.functional.layer_norm(torch.tensor(x.numpy()), (6,))
    np.testing.assert_allclose(y, ref.numpy(), rtol=1e-4, atol=1e-5)


def test_layer_norm_over_two_axes_and_shape_error():
    ln = nn.LayerNorm((2, 3), elementwise_affine=False)
    assert ln.weight is None and list(ln.parameters()) == []
    y = ln(minilm.randn(4, 2, 3)).numpy()
    np.testing.assert_allclose(y.reshape(4, -1).mean(-1), 0, atol=1e-5)
    with pytest.raises(ValueError, match="does not end in"):
        nn.LayerNorm(5)(minilm.randn(2, 4))


def test_dropout_zeroes_and_rescales_in_training_only():
    drop = nn.Dropout(0.25)
    x = minilm.ones(1000)
    y = drop(x).numpy()
    assert set(np.unique(y)) <= {0.0, np.float32(1 / 0.75)}
    assert 0.15 < (y == 0).mean() < 0.35
    drop.eval()
    assert drop(x) is x
    with pytest.raises(ValueError, match=r"\[0, 1\)"):
        nn.Dropout(1.0)


def test_conv1d_shapes_and_torch_agreement():
    conv = nn.Conv1d(2, 4, kernel_size=3, stride=2, padding=1)
    assert conv.weight.shape == (4, 2, 3)
    x = minilm.randn(3, 2, 9)
    y = conv(x)
    assert y.shape == (3, 4, 5)
    torch = pytest.importorskip("torch")
    ref = torch.nn.functional.conv1d(
        torch.tensor(x.numpy()),
        torch.tensor(conv.weight.numpy()),
        torch.tensor(conv.bias.numpy()),
        stride=2,
        padding=1,
    )
    np.testing.assert_allclose(y.numpy(), ref.numpy(), rtol=1e-5, atol=1e-5)


def test_conv2d_shapes_parameters_and_functional_agreement(device):
    conv = nn.Conv2d(3, 16, 3, stride=2, padding=1).to(device)
    assert [(k, v.shape) for k, v in conv.named_parameters()] == [
        ("weight", (16, 3, 3, 3)),
        ("bias", (16,)),
    ]
    assert (conv.kernel_size, conv.stride, conv.padding) == ((3, 3), (2, 2), (1, 1))
    assert repr(conv).startswith("Conv2d(3, 16, kernel_size=(3, 3), stride=(2, 2), padding=(1, 1))")
    bound = 1 / math.sqrt(3 * 3 * 3)
    assert abs(conv.weight.numpy()).max() <= bound and abs(conv.bias.numpy()).max() <= bound
    assert conv.weight.numpy().std() > bound / 4  # filled in, not left at zero
    x = minilm.randn(2, 3, 9, 6, device=device, requires_grad=True)
    y = conv(x)
    assert y.shape == (2, 16, 5, 3) and y.dtype == np.float32
    want = F.conv2d(x, conv.weight, conv.bias, stride=2, padding=1)
    np.testing.assert_allclose(y.numpy(), want.numpy(), rtol=1e-6, atol=1e-6)
    y.sum().backward()
    assert x.grad.shape == x.shape and conv.weight.grad.shape == (16, 3, 3, 3)
    np.testing.assert_allclose(conv.bias.grad.numpy(), np.full(16, 2 * 5 * 3), rtol=1e-6)

    rect = nn.Conv2d(2, 4, (3, 1), stride=(1, 2), padding=(0, 1), bias=False).to(device)
    assert rect.bias is None and rect.weight.shape == (4, 2, 3, 1)
    assert [k for k, _ in rect.named_parameters()] == ["weight"]
    x = minilm.randn(1, 2, 5, 4, device=device)
    np.testing.assert_allclose(
        rect(x).numpy(), F.conv2d(x, rect.weight, stride=(1, 2), padding=(0, 1)).numpy(), rtol=1e-6
    )
    assert rect(x).shape == (1, 4, 3, 3)
    with pytest.raises(ValueError, match=r"Conv2d: kernel_size must be an int >= 1"):
        nn.Conv2d(2, 4, 0)
    with pytest.raises(ValueError, match=r"Conv2d: stride must be an int >= 1"):
        nn.Conv2d(2, 4, 3, stride=(1, 2, 3))


def test_conv2d_matches_torch_layer():
    torch = pytest.importorskip("torch")
    conv = nn.Conv2d(3, 16, 3, stride=2, padding=1)
    ref = torch.nn.Conv2d(3, 16, 3, stride=2, padding=1)
    with torch.no_grad():  # the same attribute names and layouts: copy straight across
        for name, p in conv.named_parameters():
            getattr(ref, name).copy_(torch.tensor(p.numpy()))
    x = minilm.randn(2, 3, 11, 8)
    np.testing.assert_allclose(
        conv(x).numpy(), ref(torch.tensor(x.numpy())).detach().numpy(), rtol=1e-5, atol=1e-5
    )


@pytest.mark.parametrize(
    "module, fn",
    [
        (nn.ReLU(), lambda x: np.maximum(x, 0)),
        (nn.Tanh(), np.tanh),
        (nn.Sigmoid(), lambda x: 1 / (1 + np.exp(-x))),
        (nn.LeakyReLU(0.1), lambda x: np.where(x > 0, x, 0.1 * x)),
        (nn.GELU(), lambda x: F.gelu(minilm.tensor(x)).numpy()),
        (nn.GELU("tanh"), lambda x: F.gelu(minilm.tensor(x), "tanh").numpy()),
        (nn.Identity(), lambda x: x),
    ],
)
def test_activations(module, fn, device):
    x = minilm.randn(4, 5)
    out = module(x.to(device))
    assert out.device == device
    np.testing.assert_allclose(out.numpy(), fn(x.numpy()), rtol=1e-5, atol=1e-6)


def test_loss_modules_equal_their_functions():
    logits, targets = minilm.randn(4, 3), minilm.tensor([0, 2, 1, -100])
    ce = nn.CrossEntropyLoss(ignore_index=-100, label_smoothing=0.1)
    assert ce(logits, targets).item() == F.cross_entropy(logits, targets, -100, 0.1).item()
    a, b = minilm.randn(5), minilm.randn(5)
    assert nn.MSELoss()(a, b).item() == F.mse_loss(a, b).item()
    assert nn.MSELoss(reduction="none")(a, b).shape == (5,)
    y = minilm.tensor([0.0, 1.0, 1.0, 0.0, 1.0])
    assert nn.BCEWithLogitsLoss()(a, y).item() == F.binary_cross_entropy_with_logits(a, y).item()


def test_bce_with_logits_matches_torch():
    torch = pytest.importorskip("torch")
    x, y = minilm.randn(6) * 5, minilm.tensor([0.0, 1, 1, 0, 0.5, 1])
    ours = nn.BCEWithLogitsLoss()(x, y).item()
    ref = torch.nn.BCEWithLogitsLoss()(torch.tensor(x.numpy()), torch.tensor(y.numpy())).item()
    assert ours == pytest.approx(ref, rel=1e-5)


def test_layer_reprs():
    assert repr(nn.Linear(2, 3)).startswith("Linear(in_features=2, out_features=3, bias=True)")
    assert repr(nn.Dropout(0.1)).startswith("Dropout(p=0.1)")
    assert repr(nn.GELU("tanh")).startswith("GELU(approximate='tanh')")
    assert repr(nn.CrossEntropyLoss()).startswith("CrossEntropyLoss(reduction='mean')")
