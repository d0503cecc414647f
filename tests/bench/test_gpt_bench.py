"""The GPT benchmark compares like with like: the PyTorch model it times has the
same architecture and weights (same logits, same loss and gradients), each side
runs alone in a fresh process with a clean environment, alternated, and the
command prints its table, the FLOPs and the BLAS each side ran."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import minilm
import minilm.functional as F
from minilm.backend import np
from minilm.bench import gpt as bench
from minilm.models import GPT, GPTConfig
from minilm.recipes.gpt import SETUPS, GPTSetup

TINY = GPTConfig(vocab_size=65, block_size=16, n_layer=2, n_head=2, n_embd=32)


def test_torch_model_gives_the_same_loss_and_gradients():
    torch = pytest.importorskip("torch")
    minilm.manual_seed(0)
    model = GPT(TINY)
    step, ref = bench.torch_step_fn(model, "cpu")
    x, y = bench.batches(TINY, 4, 1)[0]
    loss = F.cross_entropy(model(minilm.tensor(x)), minilm.tensor(y))
    loss.backward()
    logits = ref(torch.from_numpy(x))
    ref_loss = torch.nn.functional.cross_entropy(
        logits.reshape(-1, 65), torch.from_numpy(y).reshape(-1)
    )
    ref_loss.backward()
    assert abs(loss.item() - ref_loss.item()) < 1e-5
    pairs = [(model.wte.weight, ref.wte.weight, False),
             (model.blocks[1].attn.qkv_proj.weight, ref.blocks[1].qkv.weight, True),
             (model.blocks[0].ff.proj.bias, ref.blocks[0].proj.bias, False)]  # fmt: skip
    for ours, theirs, transposed in pairs:
        g = theirs.grad.numpy()
        np.testing.assert_allclose(ours.grad.numpy(), g.T if transposed else g, rtol=1e-3,
                                   atol=1e-6)  # fmt: skip


def test_batches_are_fixed_tinyshakespeare_windows():
    a = bench.batches(TINY, 3, 2, seed=1)
    b = bench.batches(TINY, 3, 2, seed=1)
    assert all((p[0] == q[0]).all() for p, q in zip(a, b))
    x, y = a[0]
    assert x.shape == (3, 16) and (x[:, 1:] == y[:, :-1]).all() and x.max() < 65


def test_configs_are_the_ones_the_issue_names():
    s, g = SETUPS["small"], SETUPS["standard"]
    assert (s.model.n_layer, s.model.n_head, s.model.n_embd, s.model.block_size, s.batch_size) \
        == (4, 4, 128, 64, 32)  # fmt: skip
    assert (g.model.n_layer, g.model.n_head, g.model.n_embd, g.model.block_size, g.batch_size) \
        == (6, 6, 384, 256, 64)  # fmt: skip


def test_main_prints_ms_per_step_tokens_and_the_ratio(capsys, monkeypatch):
    monkeypatch.setitem(SETUPS, "small", GPTSetup(TINY, 4, "cpu"))
    assert bench.main(["--steps", "2", "--warmup", "1", "--repeats", "1"]) == 0
    out = capsys.readouterr().out
    assert "ms/step" in out and "tokens/s" in out and "minilm" in out and "GFLOP/s" in out
    assert "(here and in every worker)" in out and "WARNING" not in out
    assert f"{TINY.num_parameters():,} parameters" in out and "model FLOPs per step" in out
    try:
        import torch  # noqa: F401
    except ImportError:
        assert "no ratio" in out
    else:
        assert "ratio minilm / pytorch eager" in out and "no ratio" not in out


def _rows(lines):
    """The first word of each table row: the lines after the column header, up to
    the first that is not a row (the ratios or the note that there is none)."""
    start = next(i for i, line in enumerate(lines) if "ms/step" in line and "tokens/s" in line)
    rows = []
    for line in lines[start + 1 :]:
        if line.startswith(("ratio", "(", "model")):
            break
        rows.append(line.split()[0])
    return rows


def test_torch_math_times_pytorch_with_unfused_attention_too(capsys, monkeypatch):
    pytest.importorskip("torch")
    monkeypatch.setitem(SETUPS, "small", GPTSetup(TINY, 4, "cpu"))
    assert bench.main(["--steps", "2", "--warmup", "1", "--torch-math", "--repeats", "1"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert _rows(lines) == ["minilm", "pytorch", "pt-math"]
    assert any(line.startswith("ratio minilm / pytorch eager with unfused (MATH) attention = ")
               for line in lines)  # fmt: skip


def test_no_torch_times_minilm_alone_in_each_run(capsys, monkeypatch):
    monkeypatch.setitem(SETUPS, "small", GPTSetup(TINY, 4, "cpu"))
    assert bench.main(["--steps", "1", "--warmup", "0", "--repeats", "2", "--no-torch"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert _rows(lines) == ["minilm"] and any("no ratio" in line for line in lines)
    row = next(line for line in lines if line.startswith("minilm"))
    assert len(row.split()) == 4 + 2  # ms/step, tokens/s, GFLOP/s and the two runs


def test_profile_runs_the_minilm_steps_in_process(capsys, monkeypatch):
    monkeypatch.setitem(SETUPS, "small", GPTSetup(TINY, 4, "cpu"))
    assert bench.main(["--profile", "--steps", "1", "--warmup", "0"]) == 0
    out = capsys.readouterr().out
    assert "minilm:" in out and "ms/step" in out and "tottime" in out


def test_unfused_torch_step_computes_the_same_loss():
    torch = pytest.importorskip("torch")
    minilm.manual_seed(0)
    model = GPT(TINY)
    fused, _ = bench.torch_step_fn(model, "cpu")
    unfused, _ = bench.torch_step_fn(model, "cpu", math_attention=True)
    x, y = bench.batches(TINY, 4, 1)[0]
    assert abs(fused(x, y).item() - unfused(x, y).item()) < 1e-5
    assert isinstance(fused(x, y), torch.Tensor)


@pytest.mark.skipif(minilm.cuda.is_available(), reason="checks the message without a GPU")
def test_gpu_check_script_stops_with_a_message_without_a_gpu(tmp_path):
    """``bash .ci/gpu`` (the one-call GPU check the README names) says so and
    fails when CuPy sees no GPU, instead of reporting CPU numbers as GPU ones."""
    script = Path(__file__).resolve().parents[2] / ".ci" / "gpu"
    if not script.exists():
        pytest.skip("not a checkout (no .ci/)")
    env = {"PATH": "/usr/bin:/bin", "OUT": str(tmp_path), "PYTHON": sys.executable}
    run = subprocess.run(["bash", str(script)], env=env, capture_output=True, text=True)
    assert run.returncode == 1
    assert "no CUDA GPU visible to CuPy" in run.stderr


# ---- the runner: alternated workers, medians of run medians, the environment ----


def _fake_worker(side, times, loss=4.0):
    out = {"side": side, "times_s": times, "median_s": float(np.median(times)),
           "losses": [loss], "blas": "threadpoolctl not installed", "load_1min": 0.5}  # fmt: skip
    if side != "minilm":
        out["torch"] = {"version": "9.9", "blas": "mkl", "mkl": None,
                        "parallel_backend": "OpenMP", "threads": 2}  # fmt: skip
    return out


def test_runs_alternate_the_sides_with_one_environment(monkeypatch):
    monkeypatch.setenv("OPENBLAS_CORETYPE", "Haswell")
    calls = []

    def launch(side, spec, env):
        calls.append((side, env))
        return {"side": side, "n": len(calls)}

    spec = {"threads": 3}
    runs = bench.run_workers(spec, ["minilm", "torch", "torch-math"], 2, launch)
    assert [side for side, _ in calls] == ["minilm", "torch", "torch-math"] * 2
    assert [r["n"] for r in runs["minilm"]] == [1, 4] and [r["n"] for r in runs["torch"]] == [2, 5]
    for _, env in calls:
        assert "OPENBLAS_CORETYPE" not in env and env["OMP_NUM_THREADS"] == "3"
    assert bench.alternation(["minilm"], 2) == ["minilm", "minilm"]


def test_each_side_is_the_median_of_its_runs_medians(monkeypatch, capsys):
    monkeypatch.setitem(SETUPS, "small", GPTSetup(TINY, 4, "cpu"))
    monkeypatch.setattr(bench.importlib.util, "find_spec", lambda name: object())  # "torch"
    # three runs per side, three steps each: run medians 0.2, 0.4, 0.3 and 0.1, 0.5, 0.25
    fake = {"minilm": [[0.2, 9.0, 0.1], [0.4, 0.4, 0.5], [0.3, 0.3, 0.3]],
            "torch": [[0.1, 0.1, 0.1], [0.5, 0.6, 0.4], [0.25, 7.0, 0.2]]}  # fmt: skip
    order = []

    def launch(side, spec, env):
        order.append(side)
        assert spec["model"] == TINY.to_dict() and spec["batch_size"] == 4
        assert spec["threads"] == 2 and spec["steps"] == 3 and spec["warmup"] == 1
        return _fake_worker(side, fake[side][order.count(side) - 1])

    r = bench.run("small", steps=3, warmup=1, repeats=3, threads=2, launch=launch)
    assert order == ["minilm", "torch"] * 3 and r["order"] == order
    ours, theirs = r["sides"]["minilm"], r["sides"]["torch"]
    assert ours["runs_ms"] == pytest.approx([200, 400, 300])
    assert theirs["runs_ms"] == pytest.approx([100, 500, 250])
    assert ours["ms"] == pytest.approx(300) and theirs["ms"] == pytest.approx(250)
    assert r["ratio"] == pytest.approx(300 / 250)
    tokens = 4 * TINY.block_size
    assert ours["tok_s"] == pytest.approx(tokens / 0.3)
    assert theirs["flop_s"] == pytest.approx(bench.flops_per_step(TINY, 4)["total"] / 0.25)
    text = bench.format_result(r)
    assert "ratio minilm / pytorch eager = 1.20" in text
    assert "200.0 400.0 300.0" in text and "100.0 500.0 250.0" in text
    assert "threadpoolctl not installed" in text and "0.01 GFLOP" in text  # 11,022,336 FLOPs
    assert "WARNING: the workers imported minilm from" not in text  # the fakes name no file
    progress = capsys.readouterr().err.splitlines()
    assert (
        progress[0] == "bench gpt: run 1/6, minilm: 200.0 ms/step (median of 3; each 200 9000 100)"
    )
    assert progress[5].startswith("bench gpt: run 6/6, pytorch: 250.0 ms/step")


def test_in_process_interleaving_the_gpus_way_reports_one_run_per_side(monkeypatch):
    """The GPU's path, run on the CPU: both sides in this process, step by step."""
    pytest.importorskip("torch")
    monkeypatch.setitem(SETUPS, "small", GPTSetup(TINY, 4, "cpu"))
    r = bench.run("small", steps=2, warmup=1, processes=False)
    assert r["mode"] == "in-process" and r["order"] == ["minilm", "torch"]
    assert all(len(s["runs_ms"]) == 1 and len(s["workers"][0]["times_s"]) == 2
               for s in r["sides"].values())  # fmt: skip
    text = bench.format_result(r)
    assert "interleaved step by step" in text and "ratio minilm / pytorch eager = " in text


def test_the_worker_environment_drops_the_openblas_overrides():
    environ = {"OPENBLAS_CORETYPE": "Haswell", "OPENBLAS_L2_SIZE": "1048576",
               "OMP_NUM_THREADS": "7", "PYTHONPATH": "/elsewhere", "HOME": "/root"}  # fmt: skip
    env = bench.worker_env(2, environ)
    assert "OPENBLAS_CORETYPE" not in env and "OPENBLAS_L2_SIZE" not in env
    assert all(
        env[v] == "2" for v in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")
    )
    root = str(Path(minilm.__file__).resolve().parents[1])
    assert env["PYTHONPATH"] == root + os.pathsep + "/elsewhere" and env["HOME"] == "/root"
    assert "OPENBLAS_CORETYPE" in environ  # the caller's mapping is left alone
    assert bench.worker_env(1, {})["PYTHONPATH"] == root


def _spec(model, batch, steps, warmup, threads=1):
    return {"config": "test", "model": model.to_dict(), "batch_size": batch, "steps": steps,
            "warmup": warmup, "seed": 0, "threads": threads, "device": "cpu"}  # fmt: skip


def test_a_worker_prints_its_times_as_json_in_a_clean_environment():
    """A real worker, one step of the small config: JSON on stdout, this minilm,
    the OpenBLAS override gone and the thread count it was given."""
    small = GPTConfig(**{**SETUPS["small"].model.to_dict(), "vocab_size": 65})
    spec = _spec(small, SETUPS["small"].batch_size, 1, 0)
    env = bench.worker_env(1, {**os.environ, "OPENBLAS_CORETYPE": "Haswell"})
    run = subprocess.run(bench.worker_command("minilm", spec), env=env, capture_output=True,
                         text=True, timeout=60)  # fmt: skip
    assert run.returncode == 0, run.stderr
    out = json.loads(run.stdout.strip().splitlines()[-1])
    assert out["side"] == "minilm" and len(out["times_s"]) == 1 and out["median_s"] > 0
    assert out["minilm_file"] == minilm.__file__ and out["pid"] != os.getpid()
    assert out["env"]["OPENBLAS_CORETYPE"] is None and out["env"]["OPENBLAS_NUM_THREADS"] == "1"
    assert 3.5 < out["losses"][0] < 4.8  # about ln 65 at initialization
    if isinstance(out["blas"], str):
        assert out["blas"] == "threadpoolctl not installed"
    else:
        blas = [p for p in out["blas"] if p["user_api"] == "blas"]
        assert blas and all(p["num_threads"] == 1 for p in blas)


def test_the_torch_worker_starts_from_the_same_weights_and_batches():
    pytest.importorskip("torch")
    spec = _spec(TINY, 4, 1, 0)
    ours = bench.spawn("minilm", spec, bench.worker_env(1))
    theirs = bench.spawn("torch", spec, bench.worker_env(1))
    assert abs(ours["losses"][0] - theirs["losses"][0]) < 1e-5
    assert theirs["torch"]["threads"] == 1 and theirs["minilm_file"] == minilm.__file__


def test_a_failed_worker_raises_with_its_message():
    with pytest.raises(RuntimeError, match="bogus worker failed"):
        bench.spawn("bogus", _spec(TINY, 4, 1, 0), bench.worker_env(1))


# ---- the FLOPs ----


def test_flops_match_a_hand_count_of_the_matmuls():
    """TINY: B 4, T 16, C 32, 2 layers, 2 heads of 16, V 65. Forward: per layer
    (64, 32) @ (32, 96), (64, 32) @ (32, 32), (64, 32) @ (32, 128), (64, 128) @ (128, 32)
    and per (batch, head) pair, 8 of them, (16, 16) @ (16, 16) twice; then the head
    (64, 32) @ (32, 65). A (m, k) @ (k, n) product is 2 m k n; backward twice forward."""
    mm = lambda m, k, n: 2 * m * k * n
    layer = mm(64, 32, 96) + mm(64, 32, 32) + mm(64, 32, 128) + mm(64, 128, 32)
    attention = 8 * (mm(16, 16, 16) + mm(16, 16, 16))
    forward = 2 * (layer + attention) + mm(64, 32, 65)
    f = bench.flops_per_step(TINY, 4)
    assert f["total"] == 3 * forward == 11_022_336
    assert f["attention"] == 3 * 2 * attention and f["head"] == 3 * mm(64, 32, 65)


def test_flops_match_torchs_flop_counter_on_the_twin():
    """PyTorch's FlopCounterMode over a forward and backward of the twin, its
    attention pinned to the unfused algorithm (so it is made of counted bmm's)."""
    torch = pytest.importorskip("torch")
    from torch.nn.attention import SDPBackend, sdpa_kernel
    from torch.utils.flop_counter import FlopCounterMode

    from minilm.bench.torch_gpt import torch_gpt

    ref, counter = torch_gpt(TINY), FlopCounterMode(display=False)
    with counter, sdpa_kernel(SDPBackend.MATH):
        ref(torch.randint(0, 65, (4, 16))).sum().backward()
    assert counter.get_total_flops() == bench.flops_per_step(TINY, 4)["total"]
