"""``python -m minilm.bench serve`` runs end to end on tiny settings and its table
holds what its rows say."""

import json

import pytest

pytest.importorskip("uvicorn", reason="the serving benchmark needs the [serve] extra")


def test_serve_bench_runs_and_reports_both_modes(tmp_path, capsys):
    from minilm.bench import serve

    assert serve.main(["--clients", "1,2", "--requests", "3", "--new-tokens", "3",
                       "--out", str(tmp_path)]) == 0  # fmt: skip
    rows = json.loads((tmp_path / "serve.json").read_text())
    assert {(r["mode"], r["clients"]) for r in rows} == {(m, c) for m in serve.MODES
                                                         for c in (1, 2)}  # fmt: skip
    for r in rows:
        assert r["requests"] == 3 and r["tokens"] == 9  # greedy, no stop: 3 tokens each
        assert r["tokens_per_s"] == pytest.approx(r["tokens"] / r["seconds"])
        assert 0 < r["p50_s"] <= r["p99_s"]
    table = (tmp_path / "serve.md").read_text()
    cells = [line.strip("|").split("|") for line in table.splitlines()[2:]]
    by = {(c[0].strip(), int(c[1])): c[-1].strip() for c in cells}
    for clients in (1, 2):  # one at a time against itself; batched against it (it may tie)
        assert by[("one at a time (max-batch 1)", clients)] == "1.00x"
        tps = {r["mode"]: r["tokens_per_s"] for r in rows if r["clients"] == clients}
        ratio = float(by[("batched (max-batch 16)", clients)].rstrip("x"))
        want = tps["batched (max-batch 16)"] / tps["one at a time (max-batch 1)"]
        assert ratio == pytest.approx(want, abs=0.006), tps
    assert (tmp_path / "serve.png").stat().st_size > 10_000
    assert "tokens/s" in capsys.readouterr().out
