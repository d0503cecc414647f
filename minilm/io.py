"""Checkpoints: ``minilm.save(obj, path)`` and ``minilm.load(path)``.

A checkpoint is one ``.npz`` file: every array in it is an ``.npz`` member, and
one more member, ``__minilm__``, holds JSON describing the structure around them
(dicts, lists, numbers, strings, where each array goes). Loading uses
``allow_pickle=False``, so a checkpoint from a stranger cannot run code. Writes go
to a temporary file in the same folder, then ``os.replace`` swaps it in: a crash
mid-save leaves the previous checkpoint as it was.

>>> import os, tempfile, minilm, minilm.nn as nn
>>> model = nn.Linear(2, 3)
>>> path = os.path.join(tempfile.mkdtemp(), "ckpt.npz")
>>> minilm.save({"model": model.state_dict(), "step": 7}, path)
>>> ckpt = minilm.load(path)
>>> ckpt["step"], ckpt["model"]["weight"].shape
(7, (2, 3))
"""

from __future__ import annotations

import json
import os
import tempfile
import zipfile
from dataclasses import asdict, is_dataclass

from . import backend
from .backend import np
from .tensor import Tensor

FORMAT = "minilm-checkpoint"
VERSION = 1
_META = "__minilm__"


class CheckpointError(ValueError):
    """A file is not a readable minilm checkpoint (truncated, tampered, or not one at all)."""


# ---- encoding: Python structure <-> (JSON tree, arrays) ----


def _encode(obj, arrays: dict):
    def put(a) -> str:
        key = f"a{len(arrays)}"
        arrays[key] = backend.to_numpy(a)
        return key

    if isinstance(obj, Tensor):
        return {"__tensor__": put(obj.data), "requires_grad": bool(obj.requires_grad)}
    if isinstance(obj, np.ndarray) or backend.device_of(obj) == "cuda":
        return {"__ndarray__": put(obj)}
    if isinstance(obj, np.generic):  # a NumPy scalar keeps its exact dtype
        return {"__scalar__": put(np.asarray(obj))}
    if obj is None or isinstance(obj, (bool, int, float, str)):
        return obj
    if is_dataclass(obj) and not isinstance(obj, type):
        return _encode(asdict(obj), arrays)
    if isinstance(obj, (list, tuple)):
        items = [_encode(x, arrays) for x in obj]
        return items if isinstance(obj, list) else {"__tuple__": items}
    if isinstance(obj, dict):
        if all(isinstance(k, str) and not k.startswith("__") for k in obj):
            return {k: _encode(v, arrays) for k, v in obj.items()}
        return {"__items__": [[_encode(k, arrays), _encode(v, arrays)] for k, v in obj.items()]}
    raise TypeError(
        f"minilm.save: cannot store a {type(obj).__name__}; checkpoints hold tensors, arrays, "
        "numbers, strings, None, and lists/tuples/dicts/dataclasses of them"
    )


def _decode(node, arrays, device):
    if isinstance(node, list):
        return [_decode(x, arrays, device) for x in node]
    if not isinstance(node, dict):
        return node
    if "__tensor__" in node:
        t = Tensor._wrap(backend.to_device(arrays[node["__tensor__"]], device))
        return t.requires_grad_(True) if node["requires_grad"] else t
    if "__ndarray__" in node:
        return arrays[node["__ndarray__"]]
    if "__scalar__" in node:
        return arrays[node["__scalar__"]][()]
    if "__tuple__" in node:
        return tuple(_decode(x, arrays, device) for x in node["__tuple__"])
    if "__items__" in node:
        return {_hashable(_decode(k, arrays, device)): _decode(v, arrays, device)
                for k, v in node["__items__"]}  # fmt: skip
    return {k: _decode(v, arrays, device) for k, v in node.items()}


def _hashable(key):
    return tuple(key) if isinstance(key, list) else key


# ---- files ----


def _write_npz(f, arrays: dict) -> None:
    np.savez(f, **arrays)


def save(obj, path) -> None:
    """Write ``obj`` (nested dicts/lists of tensors, arrays, numbers, strings) to ``path``,
    atomically. The exact file name is kept (no ``.npz`` is appended)."""
    arrays: dict = {}
    tree = _encode(obj, arrays)
    meta = json.dumps({"format": FORMAT, "version": VERSION, "tree": tree})
    arrays[_META] = np.frombuffer(meta.encode("utf-8"), dtype=np.uint8)
    atomic_write(path, lambda f: _write_npz(f, arrays), suffix=".npz")


def atomic_write(path, write, suffix: str = "") -> None:
    """Call ``write(f)`` on a temporary file in ``path``'s folder (created if needed),
    flush it to disk, then ``os.replace`` it onto ``path``: a crash or Ctrl-C midway
    leaves any previous file at ``path`` as it was, and no temporary file behind."""
    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=suffix, dir=folder)
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o666 & ~umask)  # as open() would make it, not mkstemp's owner-only 0600
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:  # including KeyboardInterrupt: never leave a half-written file
        if os.path.exists(tmp):
            os.remove(tmp)
        raise


def load(path, device: str = "cpu"):
    """Read a checkpoint written by :func:`save`; tensors are placed on ``device``.

    A truncated, tampered or foreign file raises :class:`CheckpointError` naming it.
    """
    path = os.fspath(path)
    if not os.path.exists(path):
        raise FileNotFoundError(f"minilm.load: no checkpoint at {path!r}")
    try:
        _check_uncompressed(path)
        with np.load(path, allow_pickle=False) as npz:
            arrays = {k: npz[k] for k in npz.files}  # reading checks each member's CRC
        meta = json.loads(bytes(arrays.pop(_META)).decode("utf-8"))
        if not isinstance(meta, dict) or meta.get("format") != FORMAT:
            raise CheckpointError("it has no minilm metadata")
        if meta.get("version") != VERSION:
            raise CheckpointError(f"format version {meta.get('version')} is not {VERSION}")
        return _decode(meta["tree"], arrays, device)
    except CheckpointError as e:
        raise CheckpointError(f"{path!r} is not a valid minilm checkpoint: {e}") from None
    except Exception as e:  # zipfile and NumPy raise a dozen types on damaged input
        raise CheckpointError(
            f"{path!r} is not a valid minilm checkpoint (truncated or corrupted?): "
            f"{type(e).__name__}: {e}"
        ) from e


def _check_uncompressed(path) -> None:
    """Refuse a file with compressed members before reading any: :func:`save` never
    compresses, and a compressed member can unpack to far more memory than the file's
    size (a "zip bomb"). Stored members take what the file takes, no more."""
    with zipfile.ZipFile(path) as z:
        for info in z.infolist():
            if info.compress_type != zipfile.ZIP_STORED or info.file_size != info.compress_size:
                raise CheckpointError(f"member {info.filename!r} is compressed (minilm never "
                                      "writes compressed checkpoints)")  # fmt: skip


# ---- whole training state ----


def save_checkpoint(path, *, model=None, optimizer=None, scheduler=None, step=0, config=None,
                    **extra) -> None:  # fmt: skip
    """Save everything needed to resume training exactly, in one file: model,
    optimizer and scheduler state, the step, a config (dict or dataclass), the RNG
    state, and any ``extra`` values (e.g. ``history=...``)."""
    ckpt = {"step": step, "config": config, "rng": backend.get_rng_state(), **extra}
    for name, obj in (("model", model), ("optimizer", optimizer), ("scheduler", scheduler)):
        if obj is not None:
            ckpt[name] = obj.state_dict()
    save(ckpt, path)


def load_checkpoint(path, *, model=None, optimizer=None, scheduler=None, restore_rng=True):
    """Load a :func:`save_checkpoint` file into the given objects (in place) and restore
    the RNG state; returns the whole checkpoint dict (``step``, ``config``, ...)."""
    device = next(model.parameters()).device if model is not None else "cpu"
    ckpt = load(path, device=device)
    for name, obj in (("model", model), ("optimizer", optimizer), ("scheduler", scheduler)):
        if obj is not None:
            if name not in ckpt:
                raise CheckpointError(f"{os.fspath(path)!r} holds no {name} state")
            obj.load_state_dict(ckpt[name])
    if restore_rng and ckpt.get("rng") is not None:
        backend.set_rng_state(ckpt["rng"])
    return ckpt
