"""Checkpoints: ``minilm.save(obj, path)`` and ``minilm.load(path)``.

A checkpoint is one safetensors file: every array in ``obj`` is a named tensor
(named by where it sits, e.g. ``model/weight``), and the file's metadata holds
JSON describing the structure around them (dicts, lists, tuples, numbers,
strings, dataclasses). safetensors is the format this field trusts for weights
from strangers: no code runs on loading, nothing is compressed, and a header of
offsets bounds every tensor by the file's own size, so loading a file never
takes more memory than the file holds. Any tool that reads safetensors can open
it. Files written by earlier minilm versions (``.npz``) still load, with every
member checked to be uncompressed first.

Writes go to a temporary file in the same folder (named after the writing
process), then ``os.replace`` swaps it in: a crash mid-save leaves the previous
checkpoint as it was, and the next save to that folder removes temporaries whose
writer is gone.

>>> import os, tempfile, minilm, minilm.nn as nn
>>> model = nn.Linear(2, 3)
>>> path = os.path.join(tempfile.mkdtemp(), "ckpt.safetensors")
>>> minilm.save({"model": model.state_dict(), "step": 7}, path)
>>> ckpt = minilm.load(path)
>>> ckpt["step"], ckpt["model"]["weight"].shape
(7, (2, 3))
"""

from __future__ import annotations

import copy
import glob
import json
import os
import tempfile
import zipfile
import zlib
from dataclasses import asdict, is_dataclass

import safetensors
import safetensors.numpy

from . import backend
from .backend import np
from .tensor import Tensor, as_tensor

FORMAT = "minilm-checkpoint"
VERSION = 2  # 2: safetensors; 1: .npz (still read)
_META = "__minilm__"  # the metadata key (and, in a version-1 .npz, the member) with the tree
# the dtypes a safetensors file holds (object, string, complex, float128 arrays cannot)
STORABLE = {np.dtype(t) for t in ("bool", "int8", "int16", "int32", "int64", "uint8", "uint16",
                                  "uint32", "uint64", "float16", "float32", "float64")}  # fmt: skip


class CheckpointError(ValueError):
    """A file is not a readable minilm checkpoint (truncated, tampered, or not one at all)."""


# ---- encoding: Python structure <-> (JSON tree, arrays) ----


def _encode(obj, arrays: dict, path: str = ""):
    def put(a) -> str:
        a = backend.to_numpy(a)
        if a.dtype.byteorder == ">":  # stored little-endian, as safetensors writes it
            a = a.astype(a.dtype.newbyteorder("<"))
        if a.dtype not in STORABLE:
            where = path or "the object"
            raise TypeError(f"minilm.save: {where!r} is an array of dtype {a.dtype}; "
                            "checkpoints hold bool, integer and float arrays")  # fmt: skip
        key = base = path or "value"
        n = len(arrays)
        while key in arrays:  # two places can share a path ("a/b" and {"a": {"b": ...}})
            key, n = f"{base}#{n}", n + 1
        arrays[key] = np.ascontiguousarray(a.reshape(1) if a.ndim == 0 else a)
        return key

    def array_node(kind: str, a) -> dict:
        node = {kind: put(a)}
        if getattr(a, "ndim", 1) == 0:
            node["shape"] = []  # safetensors stores a 0-d array as (1,)
        return node

    def sub(key) -> str:
        return f"{path}/{key}" if path else str(key)

    if isinstance(obj, Tensor):
        return {**array_node("__tensor__", obj.data), "requires_grad": bool(obj.requires_grad)}
    if isinstance(obj, np.ndarray) or backend.device_of(obj) == "cuda":
        return array_node("__ndarray__", obj)
    if isinstance(obj, np.generic):  # a NumPy scalar keeps its exact dtype
        return array_node("__scalar__", np.asarray(obj))
    if obj is None or isinstance(obj, (bool, int, float, str)):
        return obj
    if is_dataclass(obj) and not isinstance(obj, type):
        return _encode(asdict(obj), arrays, path)
    if isinstance(obj, (list, tuple)):
        items = [_encode(x, arrays, sub(i)) for i, x in enumerate(obj)]
        return items if isinstance(obj, list) else {"__tuple__": items}
    if isinstance(obj, dict):
        if all(isinstance(k, str) and not k.startswith("__") for k in obj):
            return {k: _encode(v, arrays, sub(k)) for k, v in obj.items()}
        return {"__items__": [[_encode(k, arrays, sub(f"key{i}")), _encode(v, arrays, sub(i))]
                              for i, (k, v) in enumerate(obj.items())]}  # fmt: skip
    raise TypeError(
        f"minilm.save: cannot store {path or 'the object'!r}, a {type(obj).__name__}; "
        "checkpoints hold tensors, arrays, numbers, strings, None, and "
        "lists/tuples/dicts/dataclasses of them"
    )


def _decode(node, arrays, device):
    if isinstance(node, list):
        return [_decode(x, arrays, device) for x in node]
    if not isinstance(node, dict):
        return node
    shaped = lambda key: arrays[key].reshape(node["shape"]) if "shape" in node else arrays[key]
    if "__tensor__" in node:
        t = as_tensor(backend.to_device(shaped(node["__tensor__"]), device))
        return t.requires_grad_(True) if node["requires_grad"] else t
    if "__ndarray__" in node:
        return shaped(node["__ndarray__"])
    if "__scalar__" in node:
        return arrays[node["__scalar__"]].reshape(())[()]
    if "__tuple__" in node:
        return tuple(_decode(x, arrays, device) for x in node["__tuple__"])
    if "__items__" in node:
        return {_hashable(_decode(k, arrays, device)): _decode(v, arrays, device)
                for k, v in node["__items__"]}  # fmt: skip
    return {k: _decode(v, arrays, device) for k, v in node.items()}


def _hashable(key):
    return tuple(key) if isinstance(key, list) else key


# ---- files ----


def save(obj, path) -> None:
    """Write ``obj`` (nested dicts/lists of tensors, arrays, numbers, strings) to ``path``
    as a safetensors file, atomically. The exact file name is kept. Anything that
    :func:`load` could not read back (an object array, an unknown type) is refused
    here with a ``TypeError`` naming where it sits, before anything is written."""
    arrays: dict = {}
    tree = _encode(obj, arrays)
    crc = {k: zlib.crc32(a.tobytes()) for k, a in arrays.items()}  # safetensors has no checksum
    meta = json.dumps({"format": FORMAT, "version": VERSION, "tree": tree, "crc32": crc})
    data = safetensors.numpy.save(arrays, metadata={_META: meta})
    atomic_write(path, lambda f: _write_bytes(f, data), suffix=".safetensors")


def _write_bytes(f, data: bytes) -> None:
    f.write(data)


TMP_PREFIX = ".tmp-minilm-"


def atomic_write(path, write, suffix: str = "") -> None:
    """Call ``write(f)`` on a temporary file in ``path``'s folder (created if needed),
    flush it to disk, then ``os.replace`` it onto ``path``: a crash or Ctrl-C midway
    leaves any previous file at ``path`` as it was. The temporary is named after this
    process (``.tmp-minilm-PID-...``), and temporaries left in the folder by a writer
    that is gone (killed mid-save) are removed; a live writer's never are."""
    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    remove_stale_temporaries(folder)
    fd, tmp = tempfile.mkstemp(prefix=f"{TMP_PREFIX}{os.getpid()}-", suffix=suffix, dir=folder)
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


def remove_stale_temporaries(folder) -> list[str]:
    """Remove the temporaries of minilm's naming in ``folder`` whose writing process no
    longer exists; return their paths."""
    removed = []
    for tmp in glob.glob(os.path.join(glob.escape(os.fspath(folder)), TMP_PREFIX + "*")):
        pid = os.path.basename(tmp)[len(TMP_PREFIX) :].split("-", 1)[0]
        if pid.isdigit() and not _alive(int(pid)):
            try:
                os.remove(tmp)
                removed.append(tmp)
            except OSError:
                pass
    return removed


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's live process
        return True
    return True


def load(path, device: str = "cpu"):
    """Read a checkpoint written by :func:`save` (or an earlier minilm's ``.npz``);
    tensors are placed on ``device``.

    A missing file, a folder or an unreadable file raises the ``OSError`` that says
    so; a truncated, tampered or foreign file raises :class:`CheckpointError` naming it.
    """
    device = backend.check_device(device)
    path = os.fspath(path)
    if not os.path.exists(path):
        raise FileNotFoundError(f"minilm.load: no checkpoint at {path!r}")
    if os.path.isdir(path):
        raise IsADirectoryError(f"minilm.load: {path!r} is a folder, not a checkpoint file")
    if not os.path.isfile(path):  # a FIFO or a device would block or never end
        raise OSError(f"minilm.load: {path!r} is not a regular file")
    with open(path, "rb") as f:  # PermissionError here says what is wrong
        magic = f.read(4)
    try:
        if magic == b"PK\x03\x04":  # a zip: a version-1 .npz checkpoint
            meta, arrays = _read_npz(path)
        else:
            meta, arrays = _read_safetensors(path)
        if not isinstance(meta, dict) or meta.get("format") != FORMAT:
            raise CheckpointError("it has no minilm metadata")
        if meta.get("version") not in (1, VERSION):
            raise CheckpointError(f"format version {meta.get('version')} is not {VERSION}")
        return _decode(meta["tree"], arrays, device)
    except CheckpointError as e:
        raise CheckpointError(f"{path!r} is not a valid minilm checkpoint: {e}") from None
    except Exception as e:  # safetensors, zipfile and NumPy raise many types on damage
        raise CheckpointError(
            f"{path!r} is not a valid minilm checkpoint (truncated or corrupted?): "
            f"{type(e).__name__}: {e}"
        ) from e


def _read_safetensors(path):
    with safetensors.safe_open(path, framework="numpy") as f:
        meta = f.metadata() or {}
        if _META not in meta:
            raise CheckpointError("it is a safetensors file without minilm metadata")
        arrays = {k: f.get_tensor(k) for k in f.keys()}  # each bounded by the file's size
    meta = json.loads(meta[_META])
    crc = meta.get("crc32") if isinstance(meta, dict) else None
    if not isinstance(crc, dict) or set(crc) != set(arrays):
        raise CheckpointError("its checksums do not list its tensors")
    for k, a in arrays.items():
        if zlib.crc32(a.tobytes()) != crc[k]:
            raise CheckpointError(f"tensor {k!r} fails its checksum (a damaged file)")
    return meta, arrays


def _read_npz(path):
    _check_uncompressed(path)
    with np.load(path, allow_pickle=False) as npz:
        arrays = {k: npz[k] for k in npz.files}  # reading checks each member's CRC
    return json.loads(bytes(arrays.pop(_META)).decode("utf-8")), arrays


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
    the RNG state; returns the whole checkpoint dict (``step``, ``config``, ...).

    All or nothing: if any part does not fit its object (a model with other
    shapes, an optimizer state for other parameters, a bad RNG state), every
    object is left as it was and the error names the part."""
    params = list(model.parameters()) if model is not None else []
    device = params[0].device if params else "cpu"
    ckpt = load(path, device=device)
    parts = [(n, o) for n, o in (("model", model), ("optimizer", optimizer),
                                 ("scheduler", scheduler)) if o is not None]  # fmt: skip
    for name, _ in parts:
        if not isinstance(ckpt, dict) or name not in ckpt:
            raise CheckpointError(f"{os.fspath(path)!r} holds no {name} state")
    before = [(obj, _snapshot(obj)) for _, obj in parts]
    rng_before = backend.get_rng_state()
    try:
        for name, obj in parts:
            try:
                obj.load_state_dict(ckpt[name])
            except Exception as e:
                raise CheckpointError(f"{os.fspath(path)!r}: its {name} state does not fit: "
                                      f"{e}") from None  # fmt: skip
        if restore_rng and ckpt.get("rng") is not None:
            try:
                backend.set_rng_state(ckpt["rng"])
            except Exception as e:
                raise CheckpointError(
                    f"{os.fspath(path)!r}: its RNG state is invalid: {e}"
                ) from None
    except BaseException:
        for obj, state in before:  # put every object back as it was
            obj.load_state_dict(state)
        backend.set_rng_state(rng_before)
        raise
    return ckpt


def _snapshot(obj):
    """A copy of ``obj.state_dict()`` that later writes into ``obj`` cannot change."""
    state = obj.state_dict()
    if hasattr(obj, "named_parameters"):  # a module's state dict shares its arrays
        return {k: as_tensor(backend.xp_for(v.device).array(v.data, copy=True))
                for k, v in state.items()}  # fmt: skip
    return copy.deepcopy(state)
