"""Exporting a GPT for PyTorch: the file loads strictly into the PyTorch twin and
gives the same logits; its names, shapes and layouts are the expected ones (checked
without torch); the metadata describes the model; the write is atomic."""

import json
import os
import subprocess
import sys

import pytest
from safetensors import safe_open
from safetensors.numpy import load_file

import minilm
from minilm.backend import np
from minilm.export import export_gpt, save_safetensors, torch_state_dict
from minilm.models import GPT, GPTConfig

CONFIGS = {
    "tied": GPTConfig(vocab_size=13, block_size=8, n_layer=2, n_head=2, n_embd=16),
    "no-bias": GPTConfig(vocab_size=13, block_size=6, n_layer=1, n_head=3, n_embd=24, bias=False),
    "untied": GPTConfig(vocab_size=17, block_size=8, n_layer=2, n_head=2, n_embd=16,
                        tie_weights=False),
}  # fmt: skip


def _random_gpt(config, seed=0):
    """A GPT whose every weight is off its init (biases nonzero, LN gains not 1)."""
    minilm.manual_seed(seed)
    model = GPT(config).eval()
    gen = np.random.default_rng(seed)
    for p in model.parameters():
        p.data += gen.normal(0.0, 0.1, p.shape).astype(p.data.dtype)
    return model


def _expected_shapes(c: GPTConfig) -> dict:
    """Every PyTorch name and shape, written out independently of minilm.export."""
    C, V = c.n_embd, c.vocab_size
    shapes = {"wte.weight": (V, C), "wpe.weight": (c.block_size, C), "ln_f.weight": (C,)}
    for i in range(c.n_layer):
        block = {"ln_1": (C,), "qkv": (3 * C, C), "out": (C, C), "ln_2": (C,), "fc": (4 * C, C),
                 "proj": (C, 4 * C)}  # fmt: skip
        for name, shape in block.items():
            shapes[f"blocks.{i}.{name}.weight"] = shape
            if c.bias:
                shapes[f"blocks.{i}.{name}.bias"] = shape[:1]
    if c.bias:
        shapes["ln_f.bias"] = (C,)
    if not c.tie_weights:
        shapes["lm_head.weight"] = (V, C)
    return shapes


@pytest.mark.parametrize("name", list(CONFIGS))
def test_file_loads_strictly_into_the_torch_twin_and_gives_the_same_logits(name, tmp_path):
    torch = pytest.importorskip("torch")
    from safetensors.torch import load_file as torch_load_file

    from minilm.bench.torch_gpt import torch_gpt

    config = CONFIGS[name]
    model = _random_gpt(config)
    path = tmp_path / "gpt.safetensors"
    export_gpt(model, path)
    ref = torch_gpt(config).eval()
    ref.load_state_dict(torch_load_file(path), strict=True)
    ids = np.random.default_rng(1).integers(0, config.vocab_size, size=(2, config.block_size))
    with torch.no_grad():
        want = ref(torch.from_numpy(ids)).numpy()
    got = model(minilm.tensor(ids)).numpy()
    assert got.dtype == want.dtype == np.float32
    assert np.abs(got - want).max() < 1e-5


@pytest.mark.parametrize("name", list(CONFIGS))
def test_names_shapes_and_transposed_linear_weights(name, tmp_path):
    config = CONFIGS[name]
    model = _random_gpt(config)
    path = tmp_path / "gpt.safetensors"
    export_gpt(model, path)
    got = load_file(path)
    assert {k: v.shape for k, v in got.items()} == _expected_shapes(config)
    assert all(a.dtype == np.float32 for a in got.values())
    linears = {"qkv": "attn.qkv_proj", "out": "attn.out_proj", "fc": "ff.fc", "proj": "ff.proj"}
    for i, block in enumerate(model.blocks):
        for theirs, ours in linears.items():
            module = block
            for part in ours.split("."):
                module = getattr(module, part)
            w = module.weight.numpy()
            np.testing.assert_array_equal(got[f"blocks.{i}.{theirs}.weight"], w.T)
        np.testing.assert_array_equal(got[f"blocks.{i}.ln_1.weight"], block.ln_1.weight.numpy())
    np.testing.assert_array_equal(got["wpe.weight"], model.wpe.embedding.weight.numpy())
    np.testing.assert_array_equal(got["wte.weight"], model.wte.weight.numpy())
    if not config.tie_weights:
        np.testing.assert_array_equal(got["lm_head.weight"], model.lm_head.weight.numpy().T)


def test_torch_state_dict_copies_contiguous_host_arrays():
    model = _random_gpt(CONFIGS["tied"])
    sd = torch_state_dict(model)
    assert all(a.flags["C_CONTIGUOUS"] for a in sd.values())
    sd["wte.weight"][:] = 0.0  # a copy: the model keeps its weights
    assert np.abs(model.wte.weight.numpy()).sum() > 0


def test_metadata_describes_the_model_and_its_config_round_trips(tmp_path):
    config = CONFIGS["untied"]
    path = tmp_path / "gpt.safetensors"
    export_gpt(_random_gpt(config), path, metadata={"step": "200"})
    with safe_open(path, framework="np") as f:
        meta = f.metadata()
    assert meta["format"] == "pt" and meta["model"] == "minilm-gpt" and meta["step"] == "200"
    assert GPTConfig(**json.loads(meta["config"])) == config
    with pytest.raises(ValueError, match="config"):
        export_gpt(_random_gpt(config), path, metadata={"config": "{}"})


def test_a_non_string_metadata_value_is_refused_with_its_key(tmp_path):
    with pytest.raises(TypeError, match="'step'.*int"):
        save_safetensors({"a": np.zeros(2, np.float32)}, tmp_path / "x.safetensors", {"step": 3})
    assert os.listdir(tmp_path) == []


def test_write_is_atomic_and_replaces_an_existing_file(tmp_path):
    path = tmp_path / "w.safetensors"
    save_safetensors({"a": np.zeros(3, np.float32)}, path)
    save_safetensors({"b": np.ones((2, 2), np.float32)}, path)  # replaces the first file
    assert os.listdir(tmp_path) == ["w.safetensors"]
    got = load_file(path)
    assert list(got) == ["b"] and (got["b"] == 1).all()
    with pytest.raises(Exception):  # noqa: B017 - fails inside safetensors, mid-write
        save_safetensors({"c": "not an array"}, path)
    assert os.listdir(tmp_path) == ["w.safetensors"]  # no temporary file left behind
    assert list(load_file(path)) == ["b"]  # and the previous file is untouched


def test_export_never_imports_torch(tmp_path):
    code = (
        "import sys; from minilm.export import export_gpt; from minilm.models import GPT, "
        "GPTConfig; export_gpt(GPT(GPTConfig(n_layer=1, n_embd=16, n_head=2)), sys.argv[1]); "
        "assert 'torch' not in sys.modules, 'torch was imported'"
    )
    run = subprocess.run([sys.executable, "-c", code, str(tmp_path / "g.safetensors")],
                         capture_output=True, text=True)  # fmt: skip
    assert run.returncode == 0, run.stderr
