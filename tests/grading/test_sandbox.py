"""The sandbox's parts: the data-only message format, and a student's process
answering calls (refusals, in-place changes, limits, time)."""

import contextlib
import json
import struct

import numpy as np
import pytest

from minilm.grading.child import Child, ChildGone, Limits, Refusal, StudentError
from minilm.sandbox import wire


def _roundtrip(value):
    return wire.decode(*wire.split(wire.encode(value)))


def test_data_crosses_with_its_types():
    value = {
        (1, "a"): [np.arange(6.0).reshape(2, 3), np.float32(1.5), np.int64(7), True, None],
        "big": 2**80,
        "odd": [float("nan"), float("inf"), -0.0],
        "empty": np.zeros((0, 3), dtype=np.int8),
        "scalar": np.array(2.5),
        "strided": np.arange(10.0)[::3],
    }
    back = _roundtrip(value)
    a, f32, i64, flag, none = back[(1, "a")]
    assert a.tolist() == [[0, 1, 2], [3, 4, 5]] and a.flags.writeable
    assert f32.dtype == np.float32 and i64.dtype == np.int64 and flag is True and none is None
    assert back["big"] == 2**80 and np.isnan(back["odd"][0]) and back["odd"][1] == float("inf")
    assert back["empty"].shape == (0, 3) and back["empty"].dtype == np.int8
    assert back["scalar"].shape == () and back["strided"].tolist() == [0.0, 3.0, 6.0, 9.0]


def test_a_tensor_crosses_as_its_values_and_grad_flag():
    import minilm

    back = _roundtrip(minilm.tensor([1.0, 2.0], requires_grad=True))
    assert isinstance(back, minilm.Tensor) and back.requires_grad and back.tolist() == [1.0, 2.0]


@pytest.mark.parametrize(
    "value, message",
    [
        (np.array([object()]), "dtype object"),
        (len, "not data"),
        ([[[[[]]]]] * 1, None),
        (np.zeros(2, dtype=[("a", "f8")]), "is not data"),
    ],
)
def test_only_data_may_cross(value, message):
    if message is None:  # nesting within the limit is fine
        assert _roundtrip(value) == value
        return
    with pytest.raises(wire.WireError, match=message):
        wire.encode(value)


def _message(header: dict, payload: bytes = b"") -> bytes:
    h = json.dumps(header).encode()
    return struct.pack("<QQ", len(h), len(payload)) + h + payload


@pytest.mark.parametrize(
    "message, match",
    [
        (_message({"v": {"$array": 0}, "a": [["<f8", [2**40]]]}), "longer than the message"),
        (_message({"v": {"$array": 0}, "a": [["|O", [1]]]}, b"x" * 8), "not allowed"),
        (_message({"v": {"$array": 3}, "a": []}), "not in the message"),
        (_message({"v": 1, "a": []}, b"extra"), "left over"),
        (_message({"v": {"$eval": "1"}, "a": []}), "malformed"),
        (b"\x01\x00", "shorter than its frame"),
        (struct.pack("<QQ", 5, 0) + b"{", "do not match"),
    ],
    ids=[
        "huge shape",
        "object dtype",
        "bad reference",
        "trailing bytes",
        "unknown tag",
        "short frame",
        "bad lengths",
    ],  # fmt: skip
)
def test_malformed_messages_are_refused_before_allocating(message, match):
    with pytest.raises(wire.WireError, match=match):
        wire.decode(*wire.split(message))


@contextlib.contextmanager
def _child(tmp_path, source: str, reimplements=(), **limits):
    """A running student's process for ``source``, ended and removed afterwards."""
    path = tmp_path / "ex1_task.py"
    path.write_text(source)
    child = Child(path, "ex1_task", reimplements, Limits(**{"timeout": 30.0, **limits}))
    try:
        yield child
    finally:
        child.cleanup()


def _call(child, name, *args):
    return child.request({"call": name, "args": list(args), "kwargs": {}})


def test_a_call_returns_data_and_an_error_names_the_line(tmp_path):
    with _child(
        tmp_path, "def f(x):\n    return x * 2\n\ndef g(x):\n    raise ValueError('no')\n"
    ) as child:
        assert _call(child, "f", np.arange(3.0)).tolist() == [0.0, 2.0, 4.0]
        with pytest.raises(StudentError, match=r"ValueError: no \(at ex1_task.py line 5\)"):
            _call(child, "g", 1)
        with pytest.raises(StudentError, match="defines no 'h'"):
            _call(child, "h")


def test_an_input_changed_in_place_fails_the_call(tmp_path):
    with _child(tmp_path, "def f(x):\n    x += 1\n    return x\n") as child:
        with pytest.raises(StudentError, match="changed its input argument 1 in place") as e:
            _call(child, "f", np.zeros(3))
        assert e.value.kind == "InputModified"


def test_a_result_that_is_not_data_fails_the_call(tmp_path):
    with _child(tmp_path, "def f():\n    return print\n") as child:
        with pytest.raises(StudentError, match="not data"):
            _call(child, "f")


def test_a_reimplemented_function_is_refused_from_student_code_and_threads(tmp_path):
    source = (
        "import threading\nfrom minilm.generate import filter_top_p\n"
        "def direct(x):\n    return filter_top_p(x, 0.5)\n"
        "def threaded(x):\n    out = []\n"
        "    t = threading.Thread(target=lambda: out.append(filter_top_p(x, 0.5)))\n"
        "    t.start(); t.join()\n    return out[0] if out else 0.0\n"
    )
    for name in ("direct", "threaded"):
        with _child(tmp_path, source, ["minilm.generate.filter_top_p"]) as child:
            with pytest.raises(Refusal, match="minilm.generate.filter_top_p"):
                _call(child, name, np.zeros(4))


def test_the_graders_cannot_be_imported(tmp_path):
    with pytest.raises(Refusal, match="minilm.grading"):
        with _child(tmp_path, "import minilm.grading\n"):
            pass


def test_memory_and_time_are_limited(tmp_path):
    source = "import numpy as np\ndef f():\n    return np.ones(2**33).sum()\n"
    source += "def g():\n    while True:\n        pass\n"
    with _child(tmp_path, source, memory_mb=1024, timeout=5.0) as child:
        with pytest.raises(StudentError, match="MemoryError"):
            _call(child, "f")
        with pytest.raises(ChildGone, match="time limit") as e:
            _call(child, "g")
        assert e.value.status == "timeout"


def test_a_process_that_dies_is_reported_with_its_exit(tmp_path):
    with _child(tmp_path, "import os\ndef f():\n    os._exit(3)\n") as child:
        with pytest.raises(ChildGone, match="exit code 3") as e:
            _call(child, "f")
        assert e.value.status == "crashed"
