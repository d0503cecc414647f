"""Checkpoints: round trips, atomic writes, corrupted files, exact resumption."""

import os
import zipfile
from dataclasses import dataclass

import pytest
from hypothesis import given
from hypothesis import strategies as st

import minilm
import minilm.functional as F
import minilm.io as mio
import minilm.nn as nn
import minilm.optim as optim
from minilm import backend
from minilm.backend import np


@dataclass
class Config:
    d_model: int = 8
    dropout: float = 0.1
    name: str = "tiny"


def test_round_trip_of_nested_structures(tmp_path):
    obj = {
        "weights": minilm.randn(2, 3),
        "grad": minilm.ones(2, requires_grad=True),
        "array": np.arange(5, dtype=np.int16),
        "scalar": np.float32(1.5),
        "ints": {0: "zero", 1: [1, 2.5, None, True]},
        "pair": (1, "a"),
        "config": Config(),
        "big": 2**100,
        "inf": float("inf"),
    }
    path = tmp_path / "ckpt.bin"
    minilm.save(obj, path)
    assert os.listdir(tmp_path) == ["ckpt.bin"]  # the exact name, no temp files left
    back = minilm.load(path)
    np.testing.assert_array_equal(back["weights"].numpy(), obj["weights"].numpy())
    assert back["weights"].dtype == np.float32 and not back["weights"].requires_grad
    assert back["grad"].requires_grad
    assert back["array"].dtype == np.int16 and back["array"].tolist() == [0, 1, 2, 3, 4]
    assert type(back["scalar"]) is np.float32 and back["scalar"] == 1.5
    assert back["ints"] == {0: "zero", 1: [1, 2.5, None, True]}
    assert back["pair"] == (1, "a")
    assert back["config"] == {"d_model": 8, "dropout": 0.1, "name": "tiny"}
    assert back["big"] == 2**100 and back["inf"] == float("inf")


def test_load_onto_a_device(tmp_path, device):
    minilm.save({"w": minilm.ones(3)}, tmp_path / "c.npz")
    assert minilm.load(tmp_path / "c.npz", device=device)["w"].device == device


def test_unsupported_objects_are_refused(tmp_path):
    with pytest.raises(TypeError, match="cannot store 'f', a function"):
        minilm.save({"f": lambda: 0}, tmp_path / "c.npz")
    assert not os.listdir(tmp_path)


def test_interrupted_save_leaves_the_previous_checkpoint(tmp_path, monkeypatch):
    path = tmp_path / "ckpt.npz"
    minilm.save({"step": 1, "w": minilm.ones(4)}, path)
    good = path.read_bytes()

    def crash(f, data):
        f.write(data[: len(data) // 2])
        raise KeyboardInterrupt

    monkeypatch.setattr(mio, "_write_bytes", crash)
    with pytest.raises(KeyboardInterrupt):
        minilm.save({"step": 2, "w": minilm.zeros(4)}, path)
    assert path.read_bytes() == good
    assert os.listdir(tmp_path) == ["ckpt.npz"]
    assert minilm.load(path)["step"] == 1


@pytest.fixture
def saved(tmp_path):
    path = tmp_path / "ckpt.npz"
    minilm.save({"model": nn.Linear(4, 3).state_dict(), "step": 5}, path)
    return path


@pytest.mark.parametrize("keep", [0, 10, 100, 0.5, -22, -1])
def test_truncated_file_gives_a_clear_error(saved, keep):
    data = saved.read_bytes()
    n = int(len(data) * keep) if isinstance(keep, float) else keep
    saved.write_bytes(data[:n])
    with pytest.raises(mio.CheckpointError, match=f"{saved.name}.*not a valid minilm checkpoint"):
        minilm.load(saved)


@given(where=st.floats(0, 1, exclude_max=True), flip=st.integers(1, 255))
def test_any_flipped_byte_loads_the_same_or_raises_checkpoint_error(tmp_path_factory, where, flip):
    path = tmp_path_factory.mktemp("flip") / "c.npz"
    original = {"w": minilm.tensor(np.arange(12, dtype=np.float32).reshape(3, 4)), "step": 3}
    minilm.save(original, path)
    data = bytearray(path.read_bytes())
    data[int(where * len(data))] ^= flip
    path.write_bytes(bytes(data))
    try:
        back = minilm.load(path)
    except mio.CheckpointError as e:
        assert "c.npz" in str(e)
    else:
        assert back["step"] == 3
        np.testing.assert_array_equal(back["w"].numpy(), original["w"].numpy())


def test_foreign_files_give_a_clear_error(tmp_path):
    plain = tmp_path / "plain.npz"
    np.savez(plain, x=np.ones(3))
    with pytest.raises(mio.CheckpointError, match="plain.npz"):
        minilm.load(plain)
    pickled = tmp_path / "pickled.npz"
    meta = b'{"format": "minilm-checkpoint", "version": 1, "tree": {"__ndarray__": "a0"}}'
    np.savez(pickled, a0=np.array([{"evil": 1}], dtype=object),
             __minilm__=np.frombuffer(meta, np.uint8))  # fmt: skip
    with pytest.raises(mio.CheckpointError, match="pickled.npz"):
        minilm.load(pickled)
    text = tmp_path / "notes.txt"
    text.write_text("hello")
    with pytest.raises(mio.CheckpointError, match="notes.txt"):
        minilm.load(text)
    with zipfile.ZipFile(tmp_path / "future.npz", "w") as z:
        z.writestr("__minilm__.npy", b"")
    with pytest.raises(mio.CheckpointError, match="future.npz"):
        minilm.load(tmp_path / "future.npz")
    with pytest.raises(FileNotFoundError, match="no checkpoint"):
        minilm.load(tmp_path / "missing.npz")


# ---- exact resumption ----


class TinyLM(nn.Module):
    def __init__(self, vocab=11, d=8):
        super().__init__()
        self.embed = nn.Embedding(vocab, d)
        self.mlp = nn.Sequential(nn.Linear(d, 16), nn.GELU(), nn.Dropout(0.2), nn.Linear(16, vocab))

    def forward(self, idx):
        return self.mlp(self.embed(idx))


def make_run():
    model = TinyLM()
    opt = optim.AdamW(model.parameters(), lr=3e-3, weight_decay=0.1)
    sched = optim.WarmupCosineLR(opt, warmup_steps=3, total_steps=20)
    return model, opt, sched


def train(model, opt, sched, steps):
    for _ in range(steps):
        idx = minilm.tensor(backend.rng("cpu").integers(0, 11, (4, 6)))  # data from the RNG
        loss = F.cross_entropy(model(idx[:, :-1]), idx[:, 1:])
        opt.zero_grad()
        loss.backward()
        optim.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        sched.step()


def test_resume_is_bitwise_exact(tmp_path):
    N = 5
    minilm.manual_seed(0)
    straight = make_run()
    train(*straight, 2 * N)

    minilm.manual_seed(0)
    first = make_run()
    train(*first, N)
    model, opt, sched = first
    mio.save_checkpoint(tmp_path / "c.npz", model=model, optimizer=opt, scheduler=sched, step=N,
                        config=Config())  # fmt: skip
    minilm.manual_seed(123)  # disturb everything a fresh process would not share
    fresh = make_run()
    ckpt = mio.load_checkpoint(tmp_path / "c.npz", model=fresh[0], optimizer=fresh[1],
                               scheduler=fresh[2])  # fmt: skip
    assert ckpt["step"] == N and ckpt["config"]["d_model"] == 8
    train(*fresh, N)

    for (name, p), q in zip(straight[0].named_parameters(), fresh[0].parameters()):
        assert np.array_equal(p.numpy(), q.numpy()), name
    assert fresh[2].get_last_lr() == straight[2].get_last_lr()


def test_load_checkpoint_complains_about_missing_parts(tmp_path):
    model, opt, _ = make_run()
    mio.save_checkpoint(tmp_path / "c.npz", model=model)
    with pytest.raises(mio.CheckpointError, match="holds no optimizer state"):
        mio.load_checkpoint(tmp_path / "c.npz", model=model, optimizer=opt)


def test_a_compressed_member_is_refused_before_it_is_unpacked(tmp_path):
    """A zip bomb: 800 MB of zeros compress to under a megabyte; loading must not
    unpack them (minilm.save never compresses)."""
    import numpy

    path = tmp_path / "bomb.npz"
    members = version_1_members({"x": numpy.zeros(3)})
    members["big"] = numpy.zeros(200_000_000 // 8)  # 200 MB unpacked, a few hundred KB packed
    numpy.savez_compressed(path, **members)
    assert path.stat().st_size < 2_000_000
    with pytest.raises(mio.CheckpointError, match="compressed"):
        minilm.load(path)


def test_saved_files_get_the_usual_permissions(tmp_path):
    import os

    umask = os.umask(0o022)
    try:
        minilm.save({"x": 1}, tmp_path / "a.npz")
    finally:
        os.umask(umask)
    assert (tmp_path / "a.npz").stat().st_mode & 0o777 == 0o644


def version_1_members(obj: dict) -> dict:
    """The members of a checkpoint as minilm 0.1 wrote it (.npz): arrays a0, a1, ...
    and the JSON tree in __minilm__, written here by hand."""
    import json

    import numpy

    members, tree = {}, {}
    for name, value in obj.items():
        key = f"a{len(members)}"
        members[key] = numpy.asarray(value)
        tree[name] = {"__ndarray__": key}
    meta = json.dumps({"format": "minilm-checkpoint", "version": 1, "tree": tree})
    members["__minilm__"] = numpy.frombuffer(meta.encode(), dtype=numpy.uint8)
    return members


def test_checkpoints_of_the_previous_format_still_load(tmp_path):
    import numpy

    path = tmp_path / "old.npz"
    numpy.savez(path, **version_1_members({"w": numpy.arange(6.0).reshape(2, 3)}))
    assert minilm.load(path)["w"].tolist() == [[0, 1, 2], [3, 4, 5]]


def test_a_checkpoint_is_a_safetensors_file_with_named_tensors(tmp_path):
    from safetensors import safe_open

    path = tmp_path / "c.safetensors"
    minilm.save({"model": nn.Linear(2, 3).state_dict(), "step": 4}, path)
    with safe_open(path, framework="numpy") as f:
        assert sorted(f.keys()) == ["model/bias", "model/weight"]
        assert f.get_tensor("model/weight").shape == (2, 3)
        assert "__minilm__" in f.metadata()


def test_save_refuses_what_load_could_not_read(tmp_path):
    import numpy

    for bad in (numpy.array([object()], dtype=object), numpy.array(["a", "b"]),
                numpy.array([1 + 2j])):  # fmt: skip
        with pytest.raises(TypeError, match=r"'opt/x' is an array of dtype"):
            minilm.save({"opt": {"x": bad}}, tmp_path / "c.safetensors")
    assert not os.listdir(tmp_path)


def test_zero_d_arrays_and_scalars_keep_their_shape(tmp_path):
    import numpy

    obj = {"t": minilm.tensor(2.5), "a": numpy.array(3, dtype=numpy.int64), "s": numpy.float16(1)}
    minilm.save(obj, tmp_path / "c.safetensors")
    back = minilm.load(tmp_path / "c.safetensors")
    assert back["t"].shape == () and back["t"].item() == 2.5
    assert back["a"].shape == () and back["a"].dtype == numpy.int64
    assert type(back["s"]) is numpy.float16


def test_a_folder_an_unreadable_file_and_a_bad_device_say_so(tmp_path, saved, monkeypatch):
    with pytest.raises(IsADirectoryError, match="is a folder"):
        minilm.load(tmp_path)
    with pytest.raises(ValueError, match="unknown device 'gpu'"):
        minilm.load(saved, device="gpu")
    real_open = open

    def no_read(path, *args, **kwargs):
        if os.fspath(path) == os.fspath(saved):
            raise PermissionError(13, "Permission denied", os.fspath(path))
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr("builtins.open", no_read)
    with pytest.raises(PermissionError):
        minilm.load(saved)


def test_temporaries_of_a_dead_writer_are_removed_and_a_live_ones_kept(tmp_path):
    import subprocess
    import sys

    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True).stdout.strip()  # fmt: skip
    live = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        stale = tmp_path / f".tmp-minilm-{dead}-abc.safetensors"
        busy = tmp_path / f".tmp-minilm-{live.pid}-xyz.safetensors"
        other = tmp_path / ".tmp-someone-else"
        for f in (stale, busy, other):
            f.write_bytes(b"half")
        minilm.save({"x": 1}, tmp_path / "c.safetensors")
        assert not stale.exists() and busy.exists() and other.exists()
    finally:
        live.kill()


def test_load_checkpoint_is_all_or_nothing(tmp_path):
    model = nn.Linear(3, 2)
    opt = minilm.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    model(minilm.randn(4, 3)).sum().backward()
    opt.step()
    mio.save_checkpoint(tmp_path / "c.safetensors", model=model, optimizer=opt, step=1)
    ckpt = minilm.load(tmp_path / "c.safetensors")
    ckpt["optimizer"]["state"] = {99: ckpt["optimizer"]["state"][0]}  # a parameter it lacks
    minilm.save(ckpt, tmp_path / "bad.safetensors")

    fresh = nn.Linear(3, 2)
    fresh_opt = minilm.optim.SGD(fresh.parameters(), lr=0.1, momentum=0.9)
    before = fresh.weight.numpy().copy()
    with pytest.raises(mio.CheckpointError, match="optimizer state does not fit.*parameter 99"):
        mio.load_checkpoint(tmp_path / "bad.safetensors", model=fresh, optimizer=fresh_opt)
    np.testing.assert_array_equal(fresh.weight.numpy(), before)  # the model was put back
    assert fresh_opt.state == {}


def test_optimizer_and_scheduler_state_is_checked_on_load():
    model = nn.Linear(2, 2)
    opt = minilm.optim.Adam(model.parameters(), lr=1e-3)
    good = opt.state_dict()
    bad = {**good, "param_groups": [{**good["param_groups"][0], "lr": "fast"}]}
    with pytest.raises(ValueError, match="learning rate must be a number"):
        opt.load_state_dict(bad)
    assert opt.param_groups[0]["lr"] == 1e-3
    sched = minilm.optim.StepLR(opt, step_size=2)
    with pytest.raises(ValueError, match="unknown entries \\['optimizer'\\]"):
        sched.load_state_dict({**sched.state_dict(), "optimizer": None})
    with pytest.raises(ValueError, match="last_epoch = 'x'"):
        sched.load_state_dict({**sched.state_dict(), "last_epoch": "x"})


def test_a_model_without_parameters_loads(tmp_path):
    mio.save_checkpoint(tmp_path / "c.safetensors", model=nn.ReLU(), step=3)
    assert mio.load_checkpoint(tmp_path / "c.safetensors", model=nn.ReLU())["step"] == 3


def test_two_places_with_one_path_keep_their_own_arrays(tmp_path):
    import numpy

    obj = {"a/b#2": numpy.array([1.0]), "a": {"b": numpy.array([2.0])}, "a/b": numpy.array([3.0])}
    minilm.save(obj, tmp_path / "c.safetensors")
    back = minilm.load(tmp_path / "c.safetensors")
    assert back["a/b#2"].tolist() == [1.0] and back["a"]["b"].tolist() == [2.0]
    assert back["a/b"].tolist() == [3.0]


def test_big_endian_arrays_round_trip_and_unstorable_dtypes_are_named(tmp_path):
    import numpy

    minilm.save({"x": numpy.array([1.0, 2.0], ">f8")}, tmp_path / "c.safetensors")
    assert minilm.load(tmp_path / "c.safetensors")["x"].tolist() == [1.0, 2.0]
    with pytest.raises(TypeError, match="'y' is an array of dtype float128"):
        minilm.save({"y": numpy.zeros(2, numpy.longdouble)}, tmp_path / "d.safetensors")


def test_a_fifo_is_refused_without_blocking(tmp_path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    with pytest.raises(OSError, match="not a regular file"):
        minilm.load(fifo)


def test_impossible_options_are_refused_when_loaded():
    model = nn.Linear(2, 2)
    opt = minilm.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    good = opt.state_dict()
    for bad in ({"lr": float("nan")}, {"lr": float("inf")}, {"momentum": True}):
        with pytest.raises(ValueError):
            opt.load_state_dict({**good, "param_groups": [{**good["param_groups"][0], **bad}]})
    sched = minilm.optim.StepLR(opt, step_size=2)
    with pytest.raises(ValueError, match="last_epoch = 2.5 must be a whole number"):
        sched.load_state_dict({**sched.state_dict(), "last_epoch": 2.5})
