"""The ``trace`` benchmark: seeded 30-step loss traces, saved as JSON and compared
within a relative tolerance; the fast layer on and off give the same traces."""

import json
import os

import pytest

import minilm
from minilm.bench import available
from minilm.bench import trace as bench

RUNS = "gpt,lstm,rnn"  # attention, layer norm, GELU, softmax; fused LSTM gates; SGD


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    """``--fast both --json``: the exit status and the file written."""
    path = tmp_path_factory.mktemp("trace") / "traces.json"
    status = bench.main(["--runs", RUNS, "--fast", "both", "--json", str(path)])
    return status, path


def test_trace_is_a_benchmark():
    assert "trace" in available()


def test_fast_layer_on_and_off_agree(saved):
    """A real property of the engine: the fast layer changes no training result
    by more than 1e-6 relative (``--fast both`` exits 1 otherwise)."""
    status, path = saved
    doc = bench.load(path)
    assert status == 0, doc["_meta"]["fast_on_vs_off_max_rel"]
    assert set(doc["_fast_off"]) == set(RUNS.split(","))
    diffs = bench.compare(bench.traces_of(doc), doc["_fast_off"])
    assert all(d[0] <= 1e-6 for d in diffs.values()), diffs


def test_json_round_trip(saved, tmp_path):
    _, path = saved
    doc = bench.load(path)
    traces = bench.traces_of(doc)
    assert list(traces) == RUNS.split(",")
    for losses in traces.values():
        assert len(losses) == bench.STEPS and all(isinstance(v, float) for v in losses)
        assert all(0 < v < 10 for v in losses)  # cross-entropies of a 65-character vocabulary
    meta = doc["_meta"]
    assert meta["dtype"] == "float32" and meta["steps"] == bench.STEPS
    assert meta["minilm_file"] == os.path.abspath(minilm.__file__)
    assert all(v == ["float32"] for v in meta["loss_dtypes"].values())
    again = tmp_path / "again.json"
    bench.save(again, traces, meta, {"_fast_off": doc["_fast_off"]})
    assert bench.load(again) == doc


def _write(path, doc, run, step, factor):
    doc = json.loads(json.dumps(doc))
    doc[run][step] *= factor
    path.write_text(json.dumps(doc))
    return str(path)


def test_compare_passes_identical_and_fails_past_rtol(saved, tmp_path, capsys):
    _, path = saved
    doc = bench.load(path)
    assert bench.main(["--runs", "rnn", "--compare", str(path)]) == 0  # rerun: the same trace
    near = _write(tmp_path / "near.json", doc, "rnn", 17, 1 + 1e-7)
    assert bench.main(["--runs", "rnn", "--compare", near]) == 0
    far = _write(tmp_path / "far.json", doc, "rnn", 17, 1 + 1e-5)
    capsys.readouterr()
    assert bench.main(["--runs", "rnn", "--compare", far]) == 1
    out = capsys.readouterr().out
    assert "FAIL (rnn)" in out and "@18" in out  # the step of the largest difference
    assert bench.main(["--runs", "rnn", "--compare", far, "--rtol", "1e-4"]) == 0


def test_compare_logic():
    cur = {"a": [1.0, 2.0, 3.0], "b": [1.0], "c": [1.0, 2.0]}
    ref = {"a": [1.0, 2.0, 3.0 * (1 + 2e-6)], "c": [1.0]}
    diffs = bench.compare(cur, ref)
    assert diffs["a"][1] == 3 and diffs["a"][0] == pytest.approx(2e-6, rel=1e-3)
    assert diffs["b"] is None  # not saved: reported, not a failure
    assert diffs["c"] == (float("inf"), 0)  # another length
    assert bench.failures(diffs, 1e-6) == ["a", "c"]
    assert bench.failures(diffs, 1e-5) == ["c"]
    nan = float("nan")
    assert bench.rel_diff(nan, nan) == 0 and bench.rel_diff(nan, 1.0) == float("inf")
    assert bench.failures(bench.compare({"a": [nan]}, {"a": [1.0]}), 1.0) == ["a"]


def test_float64_traces_are_float64(tmp_path):
    path = tmp_path / "f64.json"
    assert bench.main(["--runs", "rnn", "--dtype", "float64", "--json", str(path)]) == 0
    meta = bench.load(path)["_meta"]
    assert meta["dtype"] == "float64" and meta["loss_dtypes"] == {"rnn": ["float64"]}


def test_options(capsys):
    assert bench.main(["--list"]) == 0
    out = capsys.readouterr().out
    assert all(f"{name}: " in out for name in bench.RUNS)
    with pytest.raises(SystemExit):
        bench.main(["--runs", "nope"])
