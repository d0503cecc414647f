"""Data-parallel training (minilm.distributed, fit(world=...), mpiexec -n 2 ... train):
K processes train the model one process trains with accumulate=K; the ring
allreduce sums; gradient buckets cover every parameter once."""

import importlib.util
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import minilm
import minilm.nn as nn
from minilm.distributed import (
    GradientSync,
    World,
    environment_outside_mpi,
    launched_ranks,
    ring_allgather_step,
    ring_allreduce,
    ring_reduce_scatter_step,
    world,
)

TESTS = Path(__file__).resolve().parent
sys.path.insert(0, str(TESTS))
import distributed_worker  # noqa: E402

MPI = shutil.which("mpiexec") is not None and importlib.util.find_spec("mpi4py") is not None


def need_mpi():
    if not MPI:
        if os.environ.get("CI") == "true":
            pytest.fail("CI must run the MPI tests: pip install '.[parallel]' (mpi4py, mpich)")
        pytest.skip("mpiexec or mpi4py is missing (pip install 'minilm[parallel]')")


def mpiexec(n, *args, cwd=None, timeout=180):
    env = environment_outside_mpi()
    proc = subprocess.run(["mpiexec", "-n", str(n), sys.executable, *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=timeout)  # fmt: skip
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return proc.stdout


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 6), st.integers(1, 40), st.integers(0, 2**31))
def test_ring_allreduce_gives_every_rank_the_sum(k, n, seed):
    gen = np.random.default_rng(seed)
    arrays = [gen.standard_normal(n) for _ in range(k)]
    out = ring_allreduce(arrays)
    assert len(out) == k
    for o in out:
        np.testing.assert_allclose(o, np.sum(arrays, axis=0), rtol=1e-12, atol=1e-12)
    assert all(a is not o for a, o in zip(arrays, out))


def test_ring_steps_move_one_chunk_per_rank():
    k = 3
    bufs = [np.full(6, float(10**r)) for r in range(k)]  # rank r holds 10**r everywhere
    ring_reduce_scatter_step(bufs, 0)  # rank r sends chunk r to rank r+1
    assert bufs[1][0:2].tolist() == [11.0, 11.0]  # chunk 0: rank 0's added into rank 1's
    assert bufs[1][2:].tolist() == [10.0] * 4
    ring_reduce_scatter_step(bufs, 1)
    for r in range(k):  # rank r now holds the whole sum of chunk r+1
        c = (r + 1) % k
        assert bufs[r][2 * c : 2 * c + 2].tolist() == [111.0, 111.0]
    for s in range(k - 1):
        ring_allgather_step(bufs, s)
    assert all(b.tolist() == [111.0] * 6 for b in bufs)


def test_ring_allreduce_rejects_mismatched_ranks():
    with pytest.raises(ValueError, match="one shape"):
        ring_allreduce([np.zeros(3), np.zeros(4)])
    with pytest.raises(ValueError, match="one array per rank"):
        ring_allreduce([])


def test_a_plain_process_is_a_world_of_one():
    assert launched_ranks() == 1
    w = world()
    assert (w.rank, w.size, w.is_root) == (0, 1, True)
    assert w.sum([1.5, 2.0]) == [1.5, 2.0]


def test_gradient_buckets_cover_every_parameter_once_in_backward_order():
    model = nn.Sequential(nn.Linear(8, 64), nn.Tanh(), nn.Linear(64, 64), nn.Linear(64, 2))
    params = list(model.parameters())
    sync = GradientSync(params, World(), bucket_bytes=64 * 64 * 4)
    flat = [p for bucket in sync.buckets for p in bucket]
    assert [id(p) for p in flat] == [id(p) for p in reversed(params)]
    for bucket in sync.buckets:
        nbytes = sum(p.data.nbytes for p in bucket)
        assert nbytes <= 64 * 64 * 4 or len(bucket) == 1
    one = GradientSync(params, World(), bucket_bytes=1)
    assert len(one.buckets) == len(params)
    with pytest.raises(ValueError, match="bucket_bytes"):
        GradientSync(params, World(), bucket_bytes=0)


@pytest.mark.parametrize("precision", ["fp32", "fp16"])
def test_two_processes_train_what_one_does_with_accumulate_two(tmp_path, precision):
    """Dropout on, parameters deliberately different on rank 1 before the broadcast:
    the same masks, the same start, the same updates. Only rank 0 writes its checkpoint."""
    need_mpi()
    mpiexec(2, str(TESTS / "distributed_worker.py"), str(tmp_path), precision)
    got = np.load(tmp_path / "params.npz")
    assert int(got["size"]) == 2
    want = distributed_worker.train(2, None, precision)
    for name, value in want.items():
        np.testing.assert_allclose(got[name], value, rtol=0, atol=1e-5, err_msg=name)
    assert sorted(p.name for p in tmp_path.glob("ckpt-*")) == ["ckpt-0.ckpt"]
    other = distributed_worker.train(1, None, precision)  # and it is not one micro-batch a step
    assert any(np.abs(other[k] - want[k]).max() > 1e-4 for k in want)


def test_two_processes_resume_from_one_shared_checkpoint_exactly(tmp_path):
    need_mpi()
    mpiexec(2, str(TESTS / "distributed_worker.py"), str(tmp_path), "fp16", "resume")
    got = np.load(tmp_path / "params.npz")
    want = distributed_worker.train(2, None, "fp16")
    for name, value in want.items():
        np.testing.assert_allclose(got[name], value, rtol=0, atol=1e-5, err_msg=name)


def test_the_train_command_under_mpiexec_equals_accumulate(tmp_path):
    """The issue's contract, as a user types it."""
    need_mpi()
    common = ["-m", "minilm", "train", "--model", "gpt", "--corpus", "names", "--steps", "50",
              "--seed", "0", "--no-progress", "--samples", "0"]  # fmt: skip
    out = mpiexec(2, *common, "--save", "a.safetensors", cwd=tmp_path)
    assert "data parallel: 2 processes" in out and "allreduce" in out
    assert out.count("saved to") == 1  # rank 0 alone reports and saves
    subprocess.run([sys.executable, *common, "--accumulate", "2", "--save", "b.safetensors"],
                   cwd=tmp_path, check=True, capture_output=True)  # fmt: skip
    from safetensors.numpy import load_file

    a, b = load_file(tmp_path / "a.safetensors"), load_file(tmp_path / "b.safetensors")
    assert a.keys() == b.keys() and len(a) > 10
    for k in a:
        np.testing.assert_allclose(a[k], b[k], rtol=0, atol=1e-5, err_msg=k)


def test_train_refuses_what_cannot_run_in_parallel_or_in_low_precision(tmp_path, capsys):
    from minilm.cli import main

    assert main(["train", "--model", "ngram", "--corpus", "names", "--precision", "fp16",
                 "--save", str(tmp_path / "m.safetensors")]) == 2  # fmt: skip
    assert "--precision is for the neural models" in capsys.readouterr().err
    assert main(["train", "--model", "gpt", "--corpus", "names", "--loss-scale", "8",
                 "--save", str(tmp_path / "m.safetensors")]) == 2  # fmt: skip
    assert "--loss-scale is for --precision fp16" in capsys.readouterr().err
    minilm.manual_seed(0)


def test_an_error_on_one_process_ends_them_all(tmp_path):
    """Rank 1 raises; rank 0 waits in a barrier: without the abort it would wait forever."""
    need_mpi()
    script = tmp_path / "fail.py"
    lines = ["import minilm.distributed as d", "w = d.world()",
             "if w.rank == 1:", "    raise ValueError('rank 1 fails')", "w.barrier()"]  # fmt: skip
    script.write_text("\n".join(lines) + "\n")
    env = environment_outside_mpi()
    proc = subprocess.run(["mpiexec", "-n", "2", sys.executable, str(script)], env=env,
                          capture_output=True, text=True, timeout=60)  # fmt: skip
    assert proc.returncode != 0
    assert "rank 1 fails" in proc.stderr + proc.stdout


def test_ctrl_c_under_mpiexec_stops_every_process_after_the_same_step(tmp_path):
    """Each rank gets the SIGINT at another point of its step: they agree (in the
    step's allreduce) to stop after the same step, and none waits forever."""
    need_mpi()
    env = environment_outside_mpi()
    proc = subprocess.Popen(["mpiexec", "-n", "2", sys.executable,
                             str(TESTS / "distributed_worker.py"), str(tmp_path), "fp32",
                             "forever"], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)  # fmt: skip
    try:
        assert proc.stdout.readline().strip() == "started"
        time.sleep(3)  # some steps
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, err[-2000:]
    import minilm as m

    step = m.load(tmp_path / "shared.ckpt")["step"]
    assert step > 0 and (tmp_path / "params.npz").exists()
