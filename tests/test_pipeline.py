"""minilm.pipeline: the GPipe schedule (pure functions), the stage split (in one
process), and GPipe training steps across two processes (``mpiexec -n 2`` running
tests/pipeline_worker.py), which must match one process's gradient accumulation.

The two-process test skips when mpiexec or mpi4py is missing, except under CI=true,
where it fails: CI must run it."""

import importlib.util
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pipeline_worker as W
import pytest
from hypothesis import given
from hypothesis import strategies as st

import minilm
import minilm.functional as F
import minilm.nn as nn
from minilm.backend import np
from minilm.distributed import World
from minilm.models.gpt import GPT, GPTConfig
from minilm.pipeline import (
    PipelineStage,
    bubble_fraction,
    gpipe_schedule,
    pipeline_step,
    split_microbatches,
    stage_layers,
)

ROOT = Path(__file__).resolve().parents[1]

# ---- the schedule ----


def ticks_of(schedule) -> dict:
    """(stage, kind, micro) -> the tick it runs at; fails on any step listed twice."""
    when = {}
    for t, tick in enumerate(schedule):
        for step in tick:
            assert step not in when, f"{step} runs twice: ticks {when[step]} and {t}"
            when[step] = t
    return when


counts = st.integers(1, 6)


@given(counts, st.integers(1, 8))
def test_every_stage_runs_one_forward_and_one_backward_per_micro_batch(S, M):
    when = ticks_of(gpipe_schedule(S, M))
    expected = {(s, kind, m) for s in range(S) for kind in "FB" for m in range(M)}
    assert set(when) == expected


@given(counts, st.integers(1, 8))
def test_the_schedule_respects_the_dependencies(S, M):
    schedule = gpipe_schedule(S, M)
    when = ticks_of(schedule)
    for s in range(S):
        for m in range(M):
            assert when[s, "F", m] == s + m  # GPipe: no tick wasted in the forward phase
            if s > 0:
                assert when[s, "F", m] > when[s - 1, "F", m]  # needs the previous activation
            if s < S - 1:
                assert when[s, "B", m] > when[s + 1, "B", m]  # needs the next stage's gradient
            assert when[s, "B", m] > when[s, "F", m]
    assert max(when[s, "F", m] for s in range(S) for m in range(M)) < min(
        when[s, "B", m] for s in range(S) for m in range(M)
    ), "GPipe runs all the forwards before any backward"
    for t, tick in enumerate(schedule):
        stages = [s for s, _, _ in tick]
        assert len(stages) == len(set(stages)), f"tick {t}: a stage does two things at once"


@given(counts, st.integers(1, 8))
def test_the_bubble_fraction_is_the_share_of_idle_ticks(S, M):
    schedule = gpipe_schedule(S, M)
    assert len(schedule) == 2 * (S + M - 1)
    for s in range(S):
        idle = sum(all(stage != s for stage, _, _ in tick) for tick in schedule)
        assert idle / len(schedule) == pytest.approx(bubble_fraction(S, M))


def test_the_bubble_shrinks_as_micro_batches_grow():
    fractions = [bubble_fraction(4, m) for m in (1, 2, 4, 8, 32)]
    assert fractions == sorted(fractions, reverse=True) and fractions[0] == 0.75
    assert bubble_fraction(1, 5) == 0.0  # one stage never waits


@pytest.mark.parametrize("fn", [gpipe_schedule, bubble_fraction])
@pytest.mark.parametrize("bad", [(0, 2), (2, 0), (-1, 3), (2.0, 2), (True, 2), ("2", 2)])
def test_the_schedule_rejects_bad_counts(fn, bad):
    with pytest.raises(ValueError, match="must be an integer >= 1"):
        fn(*bad)


def test_split_microbatches():
    x, y = minilm.arange(12).reshape(6, 2), minilm.arange(6)
    parts = split_microbatches(x, y, 3)
    assert [(a.shape, b.tolist()) for a, b in parts] == [((2, 2), [0, 1]), ((2, 2), [2, 3]),
                                                         ((2, 2), [4, 5])]  # fmt: skip
    assert np.array_equal(np.concatenate([a.numpy() for a, _ in parts]), x.numpy())
    with pytest.raises(ValueError, match="multiple of n_micro"):
        split_microbatches(x, y, 4)
    with pytest.raises(ValueError, match="same length"):
        split_microbatches(x, y[:5], 1)
    with pytest.raises(ValueError, match="n_micro"):
        split_microbatches(x, y, 0)


# ---- the stages, in one process ----


def tiny(tied=True, n_layer=2) -> GPT:
    minilm.manual_seed(0)
    return GPT(GPTConfig(vocab_size=11, block_size=8, n_layer=n_layer, n_head=2, n_embd=16,
                         tie_weights=tied))  # fmt: skip


def test_stage_layers_split_the_blocks_evenly():
    model = tiny(n_layer=5)
    assert stage_layers(model, 1) == [range(0, 5)]
    assert stage_layers(model, 3) == [range(0, 2), range(2, 4), range(4, 5)]
    assert stage_layers(model, 5) == [range(i, i + 1) for i in range(5)]
    with pytest.raises(ValueError, match="at most 5 stages"):
        stage_layers(model, 6)


@pytest.mark.parametrize("tied", [True, False], ids=["tied", "untied"])
@pytest.mark.parametrize("n_stages", [1, 2, 3])
def test_the_stages_own_every_parameter_once(tied, n_stages):
    model = tiny(tied, n_layer=3)
    stages = [PipelineStage(model, s, n_stages) for s in range(n_stages)]
    names = [name for stage in stages for name, _ in stage.named_parameters()]
    shared = ["wte.weight"] if tied and n_stages > 1 else []  # held by the first and last
    assert sorted(names) == sorted([n for n, _ in model.named_parameters()] + shared)
    assert [s.shares_embedding for s in stages] == [
        bool(shared) and s in (0, n_stages - 1) for s in range(n_stages)
    ]


@pytest.mark.parametrize("tied", [True, False], ids=["tied", "untied"])
def test_the_stages_chained_are_the_model(tied):
    """Rank 1's view simulated in one process: its input is a fresh leaf, and the
    gradient that reaches that leaf is what flows back into stage 0."""
    model = tiny(tied)
    x, y = W.batch(0)
    F.cross_entropy(model(x), y).backward()
    expected = {name: p.grad.numpy() for name, p in model.named_parameters()}
    model.zero_grad()

    first, last = PipelineStage(model, 0, 2), PipelineStage(model, 1, 2)
    h = first(x)  # (B, T, C): what rank 0 sends
    received = minilm.tensor(h.numpy(), requires_grad=True)
    logits = last(received)
    np.testing.assert_array_equal(logits.numpy(), model(x).numpy())
    F.cross_entropy(logits, y).backward()
    h.backward(received.grad)  # what rank 1 sends back
    for name, p in model.named_parameters():
        np.testing.assert_allclose(p.grad.numpy(), expected[name], atol=1e-7, err_msg=name)


@pytest.mark.parametrize("n_micro", [1, 2, 4])
def test_a_world_of_one_is_gradient_accumulation(n_micro):
    model, reference = tiny(), tiny()
    x, y = W.batch(1)
    loss = pipeline_step(model, x, y, World(), n_micro)
    assert loss == pytest.approx(W.accumulate(reference, x, y, n_micro), abs=1e-6)
    for (name, p), q in zip(model.named_parameters(), reference.parameters()):
        np.testing.assert_allclose(p.grad.numpy(), q.grad.numpy(), atol=1e-6, err_msg=name)


def test_pipeline_step_names_what_is_wrong_before_any_message():
    model = tiny()
    x, y = W.batch(0)  # (4, 8)
    with pytest.raises(ValueError, match=r"3 stages.*at most 2 processes"):
        pipeline_step(model, x, y, World(rank=0, size=3), n_micro=2)
    with pytest.raises(ValueError, match="multiple of n_micro"):
        pipeline_step(model, x, y, World(rank=1, size=2), n_micro=3)
    with pytest.raises(ValueError, match="block_size"):
        long = minilm.tensor(np.zeros((4, 9), dtype=np.int64))
        pipeline_step(model, long, long, World(rank=0, size=2), n_micro=2)
    with pytest.raises(ValueError, match=r"\(B, T\) token ids"):
        pipeline_step(model, x[0], y[0], World(rank=0, size=2), n_micro=1)
    with pytest.raises(ValueError, match="no communicator"):
        pipeline_step(model, x, y, World(rank=0, size=2), n_micro=2)
    with pytest.raises(TypeError, match="GPT"):
        pipeline_step(nn.Linear(2, 2), x, y, World(), n_micro=1)


# ---- two processes ----


def mpi_missing() -> str | None:
    if importlib.util.find_spec("mpi4py") is None:
        return "mpi4py is not installed (pip install 'minilm[parallel]')"
    if mpiexec() is None:
        return "mpiexec is not on PATH (pip install 'minilm[parallel]' brings MPICH's)"
    return None


def mpiexec() -> str | None:
    beside_python = Path(sys.executable).parent / "mpiexec"  # the venv's, if not activated
    return shutil.which("mpiexec") or (str(beside_python) if beside_python.exists() else None)


@pytest.fixture(scope="module")
def ranks(tmp_path_factory) -> list[dict]:
    """What each of the two ranks of tests/pipeline_worker.py found."""
    missing = mpi_missing()
    if missing:
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI=true, so the two-process pipeline test must run: {missing}")
        pytest.skip(missing)
    out = tmp_path_factory.mktemp("pipeline")
    cmd = [mpiexec(), "-n", "2", sys.executable, W.__file__, str(out)]
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, f"{' '.join(cmd)} failed:\n{proc.stdout}\n{proc.stderr}"
    return [json.loads((out / f"rank{r}.json").read_text()) for r in range(2)]


CASES = pytest.mark.parametrize("case", list(W.CASES))


@CASES
def test_two_ranks_own_the_whole_model(ranks, case):
    owned = [set(r[case]["owned"]) for r in ranks]
    all_names = {name for name, _ in tiny(W.CASES[case]).named_parameters()}
    assert owned[0] | owned[1] == all_names
    assert owned[0] & owned[1] == ({"wte.weight"} if W.CASES[case] else set())


@CASES
@pytest.mark.parametrize("steps", list(W.GRAD_CASES))
def test_two_ranks_match_one_process(ranks, case, steps):
    for rank, result in enumerate(ranks):
        step = result[case]["steps"][steps]
        pipelined, accumulated = step["loss"]
        assert abs(pipelined - accumulated) <= 1e-6, f"rank {rank}: loss {step['loss']}"
        worst = max(step["grad"], key=step["grad"].get)
        assert step["grad"][worst] <= 1e-5, f"rank {rank}: {worst}'s gradient is off"
        assert min(step["grad_scale"].values()) > 0, f"rank {rank}: a gradient is all zero"


@CASES
def test_adamw_steps_keep_the_two_models_equal(ranks, case):
    for rank, result in enumerate(ranks):
        for pipelined, accumulated in result[case]["train_loss"]:
            assert abs(pipelined - accumulated) <= 1e-5, f"rank {rank}: losses drift"
        worst = max(result[case]["param"], key=result[case]["param"].get)
        assert result[case]["param"][worst] <= 1e-5, f"rank {rank}: {worst} drifted"
    if W.CASES[case]:  # both copies of the tied embedding took the same steps
        assert ranks[0][case]["wte"] == ranks[1][case]["wte"]
