"""Export a minilm GPT for PyTorch: one safetensors file with the weights under the
names and layouts of the PyTorch twin (:mod:`minilm.bench.torch_gpt`).

The only real difference between the two is the Linear layout: minilm stores a
Linear weight (in, out) and computes ``x @ W + b``, which reads like the maths;
PyTorch stores it (out, in) and computes ``x @ W.T + b``. So every Linear weight is
transposed, every other tensor is copied as is, and some modules are renamed.

The file is self-describing: its metadata holds the GPT config as JSON, so a
reader can build the model before loading the weights. This module never
imports torch; in PyTorch, ``safetensors.torch.load_file(path)`` gives a state
dict for ``load_state_dict(..., strict=True)``.

>>> import json, os, tempfile
>>> from safetensors import safe_open
>>> from minilm.models import GPT, GPTConfig
>>> model = GPT(GPTConfig(vocab_size=10, block_size=8, n_layer=1, n_head=2, n_embd=16))
>>> path = os.path.join(tempfile.mkdtemp(), "gpt.safetensors")
>>> export_gpt(model, path)
>>> with safe_open(path, framework="np") as f:
...     f.get_tensor("blocks.0.qkv.weight").shape, json.loads(f.metadata()["config"])["n_embd"]
((48, 16), 16)
"""

from __future__ import annotations

import json
import re

import safetensors.numpy

from .backend import np
from .io import atomic_write

__all__ = ["torch_state_dict", "save_safetensors", "export_gpt"]

FORMAT = "minilm-gpt"  # metadata["model"]: what the file holds
VERSION = "1"

# minilm module -> the PyTorch twin's module, and whether it is a Linear (its weight is
# transposed: (in, out) -> (out, in)). "{i}" is a block's index; each module's weight
# and bias (when it has one) keep their names. Shapes as PyTorch stores them.
_MODULES = {
    "wte": ("wte", False),  # (V, C)
    "wpe.embedding": ("wpe", False),  # (block_size, C)
    "blocks.{i}.ln_1": ("blocks.{i}.ln_1", False),  # (C,)
    "blocks.{i}.attn.qkv_proj": ("blocks.{i}.qkv", True),  # (3C, C): q, k, v rows
    "blocks.{i}.attn.out_proj": ("blocks.{i}.out", True),  # (C, C)
    "blocks.{i}.ln_2": ("blocks.{i}.ln_2", False),  # (C,)
    "blocks.{i}.ff.fc": ("blocks.{i}.fc", True),  # (4C, C)
    "blocks.{i}.ff.proj": ("blocks.{i}.proj", True),  # (C, 4C)
    "ln_f": ("ln_f", False),  # (C,)
    "lm_head": ("lm_head", True),  # (V, C); only when tie_weights=False
}


def _torch_name(name: str) -> tuple[str, bool]:
    """A minilm parameter's PyTorch name, and whether it is transposed."""
    module, attr = name.rsplit(".", 1)
    block = re.match(r"blocks\.(\d+)\.", module)
    key = module if block is None else "blocks.{i}." + module[block.end() :]
    if key not in _MODULES:
        raise ValueError(
            f"torch_state_dict: no PyTorch name for {name!r}; it maps minilm GPT weights only"
        )
    theirs, linear = _MODULES[key]
    i = None if block is None else block.group(1)
    return f"{theirs.format(i=i)}.{attr}", linear and attr == "weight"


def torch_state_dict(model) -> dict[str, np.ndarray]:
    """A GPT's weights as NumPy arrays (host copies, C-contiguous) under the PyTorch
    twin's names, with every Linear weight transposed to (out, in).

    >>> from minilm.models import GPT, GPTConfig
    >>> sd = torch_state_dict(GPT(GPTConfig(block_size=8, n_layer=1, n_head=2, n_embd=16)))
    >>> sd["blocks.0.fc.weight"].shape, sd["wpe.weight"].shape
    ((64, 16), (8, 16))
    """
    out = {}
    for name, t in model.state_dict().items():
        theirs, transpose = _torch_name(name)
        a = t.numpy()
        out[theirs] = np.array(a.T if transpose else a, order="C")  # a copy, never a view
    return out


def save_safetensors(tensors: dict[str, np.ndarray], path, metadata: dict[str, str] | None = None):
    """Write NumPy ``tensors`` (and string ``metadata``) to a safetensors file at
    ``path``, atomically: a temporary file in the same folder, then ``os.replace``,
    so a crash mid-write leaves any previous file as it was."""
    for key, value in (metadata or {}).items():
        if not isinstance(key, str) or not isinstance(value, str):
            raise TypeError(
                f"save_safetensors: metadata holds strings only, got {key!r}: "
                f"{type(value).__name__}; json.dumps the value first"
            )
    data = safetensors.numpy.save(tensors, metadata=metadata)  # the file's bytes
    atomic_write(path, lambda f: f.write(data), suffix=".safetensors")


def export_gpt(model, path, metadata: dict[str, str] | None = None) -> None:
    """Save a minilm GPT as a safetensors file that loads into the PyTorch twin
    (or any model with its names) with ``load_state_dict(..., strict=True)``.

    The metadata holds ``format="pt"`` (the safetensors convention for PyTorch
    layouts), ``model="minilm-gpt"``, ``version`` and ``config`` (the
    :class:`~minilm.models.GPTConfig` as JSON), plus the string pairs in ``metadata``.
    """
    meta = {"format": "pt", "model": FORMAT, "version": VERSION,
            "config": json.dumps(model.config.to_dict())}  # fmt: skip
    taken = sorted(set(meta) & set(metadata or {}))
    if taken:
        raise ValueError(f"export_gpt: metadata keys {taken} are the exporter's own")
    save_safetensors(torch_state_dict(model), path, {**meta, **(metadata or {})})
