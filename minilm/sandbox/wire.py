"""The values that cross between the grader and a student's process: data only.

A message is a JSON tree plus the raw bytes of the arrays it names. Nothing in
it can run code when read (no pickle): arrays are numeric or bool, with their
dtype, shape and bytes checked against limits before a byte is allocated.

What may cross: ``None``, ``bool``, ``int``, ``float``, ``str``, NumPy arrays
and scalars of numeric or bool dtype, minilm Tensors (their values, and
whether they require grad), and lists, tuples and dicts of these.

>>> import numpy as np
>>> value = {"w": np.arange(3.0), "t": (1, "a", None)}
>>> back = decode(*split(encode(value)))
>>> back["w"].tolist(), back["t"]
([0.0, 1.0, 2.0], (1, 'a', None))
>>> encode(len)  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
minilm.sandbox.wire.WireError: a builtin_function_or_method is not data: ...
"""

from __future__ import annotations

import json
import socket
import struct
import time

import numpy as np

__all__ = ["WireError", "encode", "decode", "split", "send", "recv", "MAX_BYTES"]

MAX_BYTES = 256 * 2**20  # one message, header and arrays together
MAX_HEADER = 4 * 2**20  # its JSON part: a tree of at most MAX_NODES values fits easily
MAX_DEPTH = 32
MAX_NODES = 200_000
_KINDS = "biufc"  # bool, signed and unsigned ints, floats, complex: no objects, no records
_FRAME = struct.Struct("<QQ")  # header length, payload length


class WireError(ValueError):
    """A value that is not data, or a message that breaks the format or its limits."""


def _is_tensor(value) -> bool:
    from ..autograd import TensorBase

    return isinstance(value, TensorBase)


def encode(value) -> bytes:
    """``value`` as one message (see the module docstring for what may cross)."""
    arrays: list[np.ndarray] = []
    nodes = 0

    def array(a) -> int:
        a = np.asarray(a)
        a = a if a.flags.c_contiguous else a.copy(order="C")  # (ascontiguousarray makes 0-d 1-d)
        if a.dtype.kind not in _KINDS or a.dtype.fields is not None:
            raise WireError(f"an array of dtype {a.dtype} is not data: use numbers or bools")
        arrays.append(a)
        return len(arrays) - 1

    def walk(v, depth):
        nonlocal nodes
        nodes += 1
        if depth > MAX_DEPTH or nodes > MAX_NODES:
            raise WireError(f"nested deeper than {MAX_DEPTH} or more than {MAX_NODES} values")
        if isinstance(v, np.generic):  # before float: np.float64 is a float
            return {"$scalar": array(np.asarray(v))}
        if v is None or isinstance(v, (bool, str)):
            return v
        if isinstance(v, int):
            return v if -(2**63) <= v < 2**63 else {"$int": str(v)}
        if isinstance(v, float):
            return v if v == v and abs(v) != float("inf") else {"$float": repr(float(v))}
        if isinstance(v, np.ndarray):
            return {"$array": array(v)}
        if _is_tensor(v):
            from .. import backend

            return {"$tensor": array(backend.to_numpy(v.data)), "grad": bool(v.requires_grad)}
        if type(v).__module__.startswith("cupy"):
            from .. import backend

            return {"$array": array(backend.to_numpy(v))}
        if isinstance(v, list):
            return [walk(x, depth + 1) for x in v]
        if isinstance(v, tuple):
            return {"$tuple": [walk(x, depth + 1) for x in v]}
        if isinstance(v, dict):
            return {"$dict": [[walk(k, depth + 1), walk(x, depth + 1)] for k, x in v.items()]}
        raise WireError(
            f"a {type(v).__name__} is not data: return arrays, numbers, strings, or lists, "
            "tuples and dicts of them"
        )

    tree = walk(value, 0)
    header = json.dumps(
        {"v": tree, "a": [[a.dtype.str, list(a.shape)] for a in arrays]}, allow_nan=False
    ).encode()
    payload = b"".join(a.tobytes() for a in arrays)
    if len(header) + len(payload) > MAX_BYTES:
        raise WireError(
            f"the value is {len(header) + len(payload)} bytes; the limit is {MAX_BYTES}"
        )
    return _FRAME.pack(len(header), len(payload)) + header + payload


def split(message: bytes) -> tuple[bytes, bytes]:
    """(header, payload) of one message as :func:`encode` wrote it."""
    if len(message) < _FRAME.size:
        raise WireError("a message shorter than its frame")
    n_header, n_payload = _FRAME.unpack_from(message)
    if _FRAME.size + n_header + n_payload != len(message):
        raise WireError("a message whose lengths do not match its frame")
    return message[_FRAME.size : _FRAME.size + n_header], message[_FRAME.size + n_header :]


def decode(header: bytes, payload: bytes, tensor=None):
    """The value of one message. ``tensor(array, requires_grad)`` makes what was
    a Tensor (default: a minilm Tensor). Anything wrong with the message raises
    :class:`WireError`, never another exception."""
    if len(header) > MAX_HEADER:
        raise WireError(f"a header of {len(header)} bytes; the limit is {MAX_HEADER}")
    try:
        return _decode(header, payload, tensor)
    except WireError:
        raise
    except (ValueError, TypeError, KeyError, IndexError, AttributeError, RecursionError,
            OverflowError, MemoryError) as e:  # fmt: skip
        raise WireError(f"a malformed message ({type(e).__name__})") from None


def _decode(header: bytes, payload: bytes, tensor):
    try:
        meta = json.loads(header)
        specs = meta["a"]
        tree = meta["v"]
    except (ValueError, KeyError, TypeError) as e:
        raise WireError(f"a malformed header ({type(e).__name__})") from None
    if not isinstance(specs, list):
        raise WireError("a malformed header (arrays)")
    arrays, offset = [], 0
    for spec in specs:
        try:
            dtype, shape = np.dtype(spec[0]), tuple(int(d) for d in spec[1])
        except (TypeError, ValueError, IndexError):
            raise WireError(f"a malformed array description {str(spec)[:80]}") from None
        if dtype.kind not in _KINDS or dtype.fields is not None or any(d < 0 for d in shape):
            raise WireError(f"an array of dtype {dtype} and shape {shape} is not allowed")
        n = dtype.itemsize * int(np.prod(shape, dtype=object))
        if offset + n > len(payload):
            raise WireError("an array longer than the message")
        arrays.append(np.frombuffer(payload, dtype, int(np.prod(shape)), offset).reshape(shape))
        offset += n
    if offset != len(payload):
        raise WireError("bytes left over after the arrays")
    if tensor is None:
        from ..tensor import tensor

    def take(i):
        if not isinstance(i, int) or not 0 <= i < len(arrays):
            raise WireError("a reference to an array that is not in the message")
        return arrays[i].copy()  # writable, and not a view of the whole message

    nodes = 0

    def walk(v, depth):
        nonlocal nodes
        nodes += 1
        if depth > MAX_DEPTH or nodes > MAX_NODES:
            raise WireError(f"nested deeper than {MAX_DEPTH} or more than {MAX_NODES} values")
        if v is None or isinstance(v, (bool, int, float, str)):
            return v
        if isinstance(v, list):
            return [walk(x, depth + 1) for x in v]
        if not isinstance(v, dict) or len(v) not in (1, 2):
            raise WireError("a malformed value")
        if "$array" in v:
            return take(v["$array"])
        if "$scalar" in v:
            return take(v["$scalar"])[()]
        if "$tensor" in v:
            return tensor(take(v["$tensor"]), requires_grad=bool(v.get("grad")))
        if "$tuple" in v and isinstance(v["$tuple"], list):
            return tuple(walk(x, depth + 1) for x in v["$tuple"])
        if "$dict" in v and isinstance(v["$dict"], list):
            out = {}
            for pair in v["$dict"]:
                if not isinstance(pair, list) or len(pair) != 2:
                    raise WireError("a malformed dict")
                key = walk(pair[0], depth + 1)
                try:
                    out[key] = walk(pair[1], depth + 1)
                except TypeError:
                    raise WireError("a dict key that cannot be a key") from None
            return out
        if "$int" in v and isinstance(v["$int"], str) and len(v["$int"]) < 4000:
            return int(v["$int"])
        if "$float" in v and v["$float"] in ("nan", "inf", "-inf"):
            return float(v["$float"])
        raise WireError("a malformed value")

    return walk(tree, 0)


def send(sock: socket.socket, message: bytes) -> None:
    sock.sendall(message)


def _read(sock: socket.socket, n: int, deadline: float | None) -> bytes:
    chunks, left = [], n
    while left:
        if deadline is not None:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError
            sock.settimeout(remaining)
        try:
            chunk = sock.recv(min(left, 1 << 20))
        except TimeoutError:
            raise TimeoutError from None
        if not chunk:
            raise EOFError
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def recv(sock: socket.socket, deadline: float | None = None) -> tuple[bytes, bytes]:
    """(header, payload) of the next message on ``sock``. Raises ``EOFError`` when
    the other end closed, ``TimeoutError`` past ``deadline`` (time.monotonic()),
    :class:`WireError` for lengths over the limit."""
    n_header, n_payload = _FRAME.unpack(_read(sock, _FRAME.size, deadline))
    if n_header > MAX_HEADER:
        raise WireError(f"a header of {n_header} bytes; the limit is {MAX_HEADER}")
    if n_header + n_payload > MAX_BYTES:
        raise WireError(f"a message of {n_header + n_payload} bytes; the limit is {MAX_BYTES}")
    return _read(sock, n_header, deadline), _read(sock, n_payload, deadline)
