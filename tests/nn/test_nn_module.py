"""Module, Parameter and the containers: discovery, modes, devices, state dicts, repr."""

import os
import tempfile

import pytest
from hypothesis import given
from hypothesis import strategies as st

import minilm
import minilm.nn as nn
from minilm.backend import np


class Block(nn.Module):
    def __init__(self, n):
        super().__init__()
        self.fc = nn.Linear(n, n)
        self.norm = nn.LayerNorm(n)
        self.drop = nn.Dropout(0.5)
        self.register_buffer("mask", minilm.ones(n))

    def forward(self, x):
        return self.drop(self.norm(self.fc(x))) * self.mask


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.embed = nn.Embedding(10, 4)
        self.blocks = nn.ModuleList([Block(4), Block(4)])
        self.head = nn.Linear(4, 10, bias=False)

    def forward(self, idx):
        x = self.embed(idx)
        for b in self.blocks:
            x = b(x)
        return self.head(x)


def test_named_parameters_are_dotted_and_in_assignment_order():
    names = [n for n, _ in Net().named_parameters()]
    assert names == [
        "embed.weight",
        "blocks.0.fc.weight",
        "blocks.0.fc.bias",
        "blocks.0.norm.weight",
        "blocks.0.norm.bias",
        "blocks.1.fc.weight",
        "blocks.1.fc.bias",
        "blocks.1.norm.weight",
        "blocks.1.norm.bias",
        "head.weight",
    ]
    assert all(isinstance(p, nn.Parameter) for p in Net().parameters())


def test_children_modules_and_buffers():
    net = Net()
    assert [type(c).__name__ for c in net.children()] == ["Embedding", "ModuleList", "Linear"]
    assert len(list(net.modules())) == 1 + 1 + 1 + 2 * 4 + 1
    assert [n for n, _ in net.named_buffers()] == ["blocks.0.mask", "blocks.1.mask"]
    assert "blocks.0.mask" in net.state_dict()
    assert all(id(b) != id(p) for _, b in net.named_buffers() for p in net.parameters())


def test_num_parameters_and_repr_tree():
    net = Net()
    expected = 10 * 4 + 2 * (4 * 4 + 4 + 4 + 4) + 4 * 10
    assert net.num_parameters() == expected
    text = repr(net)
    assert text.startswith("Net(\n  (embed): Embedding(10, 4)\n  (blocks): ModuleList(\n")
    assert "    (0): Block(\n      (fc): Linear(in_features=4, out_features=4, bias=True)" in text
    assert text.endswith(f"  # {expected:,} parameters")


def test_tied_weights_counted_once_but_saved_under_each_name():
    net = Net()
    net.head.weight = nn.Parameter(minilm.randn(4, 10))
    net.embed.weight = net.head.weight  # shapes differ in use, but identity is what matters
    ids = [id(p) for p in net.parameters()]
    assert len(ids) == len(set(ids))
    sd = net.state_dict()
    assert "embed.weight" in sd and "head.weight" in sd


def test_train_eval_propagate_and_dropout_follows():
    net = Net()
    assert all(m.training for m in net.modules())
    net.eval()
    assert not any(m.training for m in net.modules())
    idx = minilm.tensor([[1, 2, 3]])
    np.testing.assert_array_equal(net(idx).numpy(), net(idx).numpy())  # no dropout
    net.train()
    assert all(m.training for m in net.modules())


def test_zero_grad_clears_every_gradient():
    net = Net()
    net(minilm.tensor([[1, 2]])).sum().backward()
    assert all(p.grad is not None for p in net.parameters())
    net.zero_grad()
    assert all(p.grad is None for p in net.parameters())


def test_to_moves_in_place_keeping_parameter_identity(device):
    net = Net()
    before = [id(p) for p in net.parameters()]
    out_cpu = net.eval()(minilm.tensor([[1, 2]])).numpy()
    assert net.to(device) is net
    assert [id(p) for p in net.parameters()] == before
    assert all(p.device == device for p in net.parameters())
    assert all(b.device == device for _, b in net.named_buffers())
    out = net(minilm.tensor([[1, 2]], device=device))
    assert out.device == device
    np.testing.assert_allclose(out.numpy(), out_cpu, rtol=1e-5, atol=1e-6)
    net.to("cpu")
    assert all(p.device == "cpu" for p in net.parameters())


@given(sizes=st.lists(st.integers(1, 6), min_size=2, max_size=4), bias=st.booleans())
def test_state_dict_round_trip(sizes, bias):
    def make():
        layers = []
        for a, b in zip(sizes[:-1], sizes[1:]):
            layers += [nn.Linear(a, b, bias=bias), nn.LayerNorm(b), nn.ReLU()]
        return nn.Sequential(*layers)

    src, dst = make(), make()
    with tempfile.TemporaryDirectory() as folder:  # through a checkpoint file, too
        minilm.save(src.state_dict(), os.path.join(folder, "sd.npz"))
        result = dst.load_state_dict(minilm.load(os.path.join(folder, "sd.npz")))
    assert result.missing_keys == [] and result.unexpected_keys == []
    for (n1, p1), (n2, p2) in zip(src.named_parameters(), dst.named_parameters()):
        assert n1 == n2
        np.testing.assert_array_equal(p1.numpy(), p2.numpy())
    x = minilm.randn(3, sizes[0])
    np.testing.assert_array_equal(src(x).numpy(), dst(x).numpy())


def test_load_state_dict_copies_rather_than_aliases():
    src, dst = nn.Linear(2, 2), nn.Linear(2, 2)
    dst.load_state_dict(src.state_dict())
    src.weight.data[...] = 7.0
    assert not (dst.weight.numpy() == 7.0).any()


def test_wrong_state_dict_lists_missing_unexpected_and_wrongly_shaped_keys():
    model = nn.Sequential(nn.Linear(3, 4), nn.Linear(4, 2))
    sd = dict(model.state_dict())
    del sd["1.bias"]
    sd["extra.weight"] = minilm.zeros(1)
    sd["0.weight"] = minilm.zeros(4, 3)  # the PyTorch (out, in) layout
    with pytest.raises(nn.StateDictError) as e:
        model.load_state_dict(sd)
    msg = str(e.value)
    assert "missing keys: 1.bias" in msg
    assert "unexpected keys: extra.weight" in msg
    assert "wrongly-shaped keys: 0.weight: expected (3, 4), got (4, 3)" in msg


def test_non_strict_load_reports_but_shape_errors_still_raise():
    model = nn.Linear(3, 4)
    result = model.load_state_dict(
        {"weight": minilm.ones(3, 4), "junk": minilm.ones(1)}, strict=False
    )
    assert result.missing_keys == ["bias"] and result.unexpected_keys == ["junk"]
    assert (model.weight.numpy() == 1).all()
    with pytest.raises(nn.StateDictError, match="wrongly-shaped"):
        model.load_state_dict({"weight": minilm.ones(2, 2)}, strict=False)


def test_load_state_dict_accepts_numpy_arrays_and_keeps_dtype():
    model = nn.Linear(2, 2)
    model.load_state_dict({"weight": np.eye(2), "bias": np.zeros(2)})
    assert model.weight.dtype == np.float32
    np.testing.assert_array_equal(model.weight.numpy(), np.eye(2))


def test_sequential_indexing_slicing_and_named_dict():
    seq = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1))
    assert len(seq) == 3 and isinstance(seq[1], nn.ReLU) and isinstance(seq[-1], nn.Linear)
    assert len(seq[:2]) == 2
    assert seq(minilm.ones(5, 2)).shape == (5, 1)
    named = nn.Sequential({"enc": nn.Linear(2, 3), "act": nn.Tanh()})
    assert [n for n, _ in named.named_children()] == ["enc", "act"]
    with pytest.raises(TypeError, match="not a Module"):
        nn.Sequential(nn.Linear(2, 2), lambda x: x)


def test_module_list_and_dict():
    ml = nn.ModuleList([nn.Linear(1, 1)])
    ml.append(nn.Linear(1, 2))
    ml[0] = nn.Linear(1, 3)
    assert len(ml) == 2 and ml[0].out_features == 3 and ml[-1].out_features == 2
    assert [m.out_features for m in ml] == [3, 2]
    with pytest.raises(IndexError):
        ml[2]
    md = nn.ModuleDict({"a": nn.Linear(1, 1)})
    md["b"] = nn.ReLU()
    assert "b" in md and md.keys() == ["a", "b"] and len(list(md.parameters())) == 2
    for bad in ("keys", "_x", "training"):
        with pytest.raises(KeyError, match="clashes"):
            md[bad] = nn.ReLU()
    with pytest.raises(KeyError, match="no module"):
        md["zzz"]


def test_parameter_rejects_integers_and_subclass_without_super_init_works():
    with pytest.raises(TypeError, match="floating-point"):
        nn.Parameter(minilm.tensor([1, 2]))

    class NoInit(nn.Module):
        def __init__(self):
            self.w = nn.Parameter(minilm.zeros(2))

    m = NoInit()
    assert m.training and [n for n, _ in m.named_parameters()] == ["w"]
    assert "Parameter containing" in repr(m.w)


def test_apply_and_requires_grad():
    net = nn.Sequential(nn.Linear(2, 2), nn.Linear(2, 2))
    seen = []
    net.apply(lambda m: seen.append(type(m).__name__))
    assert seen == ["Linear", "Linear", "Sequential"]
    net.requires_grad_(False)
    assert net.num_parameters(trainable_only=True) == 0


def test_deepcopy_gives_an_independent_model():
    import copy

    net = nn.Sequential(nn.Linear(2, 3), nn.ReLU())
    twin = copy.deepcopy(net)
    assert isinstance(twin[0].weight, nn.Parameter) and twin[0].weight.requires_grad
    twin[0].weight.data[...] = 0.0
    assert not (net[0].weight.numpy() == 0).all()
