"""The GPT benchmark compares like with like: the PyTorch model it times has the
same architecture and weights (same logits, same loss and gradients), and the
command prints its table."""

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
    assert bench.main(["--steps", "2", "--warmup", "1"]) == 0
    out = capsys.readouterr().out
    assert "ms/step" in out and "tokens/s" in out and "minilm" in out
    try:
        import torch  # noqa: F401
    except ImportError:
        assert "no ratio" in out
    else:
        assert "ratio minilm / pytorch eager" in out and "no ratio" not in out


def test_torch_math_times_pytorch_with_unfused_attention_too(capsys, monkeypatch):
    pytest.importorskip("torch")
    monkeypatch.setitem(SETUPS, "small", GPTSetup(TINY, 4, "cpu"))
    assert bench.main(["--steps", "2", "--warmup", "1", "--torch-math"]) == 0
    lines = capsys.readouterr().out.splitlines()
    names = [line.split()[0] for line in lines[2:5]]
    assert names == ["minilm", "pytorch", "pt-math"]
    assert lines[-1].startswith("ratio minilm / pytorch eager with unfused (MATH) attention = ")


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
