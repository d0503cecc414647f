"""minilm.search: the halving rule by hand and by its properties, the spaces, the
budget each search spends (counted by hand), parallel runs equal to serial ones,
failed and interrupted trials."""

import math
import multiprocessing
import os
import sys
import time

import pytest
from hypothesis import given
from hypothesis import strategies as st

from minilm import search
from minilm.search import (
    LogUniform,
    Uniform,
    equal_budget,
    grid,
    grid_search,
    halving_rungs,
    random_configs,
    random_search,
    successive_halving,
    successive_halving_round,
)

NAN = float("nan")

# ---------------------------------------------------------------- the halving rule


def test_round_keeps_the_lowest_third_in_increasing_order():
    configs = list("abcdefghi")
    scores = [5.0, 1.0, 7.0, 0.5, 9.0, 3.0, 8.0, 2.0, 6.0]
    assert successive_halving_round(configs, scores, eta=3) == ["d", "b", "h"]


def test_round_breaks_ties_by_original_order():
    configs = [{"i": i} for i in range(6)]
    kept = successive_halving_round(configs, [1.0, 0.0, 1.0, 0.0, 1.0, 0.0], eta=2)
    assert kept == [{"i": 1}, {"i": 3}, {"i": 5}]
    assert kept[0] is configs[1]  # the configurations themselves, not copies


def test_round_ranks_nan_after_everything_even_infinity():
    assert successive_halving_round(["a", "b", "c", "d"], [NAN, 2.0, NAN, 1.0], eta=2) == ["d", "b"]
    assert successive_halving_round(["a", "b"], [NAN, math.inf], eta=2) == ["b"]
    assert successive_halving_round(["a", "b", "c"], [NAN, NAN, NAN], eta=3) == ["a"]


def test_round_keeps_one_when_fewer_than_eta():
    assert successive_halving_round(["a", "b"], [2.0, 1.0], eta=3) == ["b"]
    assert successive_halving_round(["a"], [1.0], eta=2) == ["a"]


@pytest.mark.parametrize(
    "configs, scores, eta, words",
    [
        (["a", "b"], [1.0], 3, "2 configs but 1 scores"),
        ([], [], 3, "no configurations"),
        (["a", "b"], [1.0, 2.0], 1, "eta"),
        (["a", "b"], [1.0, 2.0], 2.5, "eta"),
        (["a", "b"], [1.0, 2.0], True, "eta"),
    ],
)
def test_round_rejects_bad_arguments(configs, scores, eta, words):
    with pytest.raises(ValueError, match=words):
        successive_halving_round(configs, scores, eta)


scores_lists = st.lists(
    st.one_of(
        st.sampled_from([0.0, 1.0, 2.0, NAN]),  # ties and NaNs come often
        st.floats(allow_nan=True, allow_infinity=True),
    ),
    min_size=1,
    max_size=40,
)


def _rank_key(score):
    return (1, 0.0) if math.isnan(score) else (0, score)


@given(scores=scores_lists, eta=st.integers(2, 7))
def test_round_properties(scores, eta):
    n = len(scores)
    kept = successive_halving_round(list(range(n)), scores, eta)
    assert len(kept) == max(1, n // eta)
    assert len(set(kept)) == len(kept)
    # the kept are the lowest: none left out ranks strictly before one kept, and
    # between equal ranks the earlier index is the one kept
    left_out = set(range(n)) - set(kept)
    for i in kept:
        for j in left_out:
            assert _rank_key(scores[i]) <= _rank_key(scores[j])
            if _rank_key(scores[i]) == _rank_key(scores[j]):
                assert i < j
    # in increasing order of score, NaN last, equal scores in their original order
    keys = [(_rank_key(scores[i]), i) for i in kept]
    assert keys == sorted(keys)


# ---------------------------------------------------------------- spaces


def test_grid_is_the_cartesian_product_in_nested_loop_order():
    space = {"lr": [0.1, 0.01, 0.001], "width": [8, 16], "dropout": [0.0, 0.5]}
    expected = []
    for lr in space["lr"]:
        for width in space["width"]:
            for dropout in space["dropout"]:
                expected.append({"lr": lr, "width": width, "dropout": dropout})
    configs = grid(space)
    assert len(configs) == 3 * 2 * 2
    assert configs == expected
    assert all(list(c) == ["lr", "width", "dropout"] for c in configs)


def test_grid_rejects_distributions_and_empty_lists():
    with pytest.raises(ValueError, match="space\\['lr'\\].*grid needs lists"):
        grid({"lr": LogUniform(1e-4, 1e-2)})
    with pytest.raises(ValueError, match="space\\['w'\\]"):
        grid({"w": []})


SPACE = {"lr": LogUniform(1e-4, 1.0), "dropout": Uniform(0.1, 0.3), "width": [8, 16, 32]}


def test_random_configs_are_deterministic_per_seed_and_within_bounds():
    a, b = random_configs(SPACE, 50, seed=3), random_configs(SPACE, 50, seed=3)
    assert a == b
    assert a != random_configs(SPACE, 50, seed=4)
    for c in a:
        assert 1e-4 <= c["lr"] <= 1.0 and 0.1 <= c["dropout"] <= 0.3
        assert c["width"] in (8, 16, 32)
    assert {c["width"] for c in a} == {8, 16, 32}


def test_log_uniform_is_uniform_in_log_space():
    lrs = [c["lr"] for c in random_configs({"lr": LogUniform(1e-4, 1.0)}, 4000, seed=0)]
    # each factor of ten holds a quarter; a uniform draw would put 99% in the top decade
    for lo in (1e-4, 1e-3, 1e-2, 1e-1):
        share = sum(lo <= x < 10 * lo for x in lrs) / len(lrs)
        assert abs(share - 0.25) < 0.03, (lo, share)
    drops = [c["d"] for c in random_configs({"d": Uniform(0.0, 1.0)}, 4000, seed=0)]
    assert abs(sum(d < 0.5 for d in drops) / 4000 - 0.5) < 0.03


def test_distributions_reject_bad_bounds():
    with pytest.raises(ValueError, match="0 < lo < hi"):
        LogUniform(0.0, 1.0)
    with pytest.raises(ValueError, match="lo < hi"):
        Uniform(1.0, 1.0)


# ---------------------------------------------------------------- the searches

# A stand-in for training: the loss falls with the steps, and its minimum over the
# configuration is at x = 0.3, width = 16 (whatever the steps).


def synthetic(config, steps, seed):
    return (config["x"] - 0.3) ** 2 + abs(config["width"] - 16) / 100 + 1.0 / steps


def flaky(config, steps, seed):
    if config["width"] == 32:
        raise RuntimeError(f"width {config['width']} is cursed")
    return synthetic(config, steps, seed)


def crashing(config, steps, seed):
    """Kills its own process (as the out-of-memory killer or a segfault would)."""
    if config["width"] == 32:
        os._exit(3)
    return synthetic(config, steps, seed)


def exiting(config, steps, seed):
    if config["width"] == 32:
        sys.exit("width 32 asked to stop")
    return synthetic(config, steps, seed)


def interrupted(config, steps, seed):
    if config["width"] == 8:
        raise KeyboardInterrupt
    time.sleep(60)
    return 0.0


SYNTH = {"x": Uniform(0.0, 1.0), "width": [8, 16, 32]}


def _no_seconds(result):
    """The trials without their timings, NaN made comparable."""
    return [(t["config"], t["steps"], None if math.isnan(t["score"]) else t["score"],
             t["error"], t["rung"]) for t in result.trials]  # fmt: skip


def test_successive_halving_spends_the_budget_counted_by_hand_and_finds_the_best():
    result = successive_halving(synthetic, SYNTH, n=9, min_steps=10, eta=3, seed=1, workers=1)
    # rungs: 9 configurations x 10 steps, 3 x 30, 1 x 90
    assert result.total_steps == 9 * 10 + 3 * 30 + 1 * 90 == 270
    assert sorted(t["steps"] for t in result.trials) == [10] * 9 + [30] * 3 + [90]
    assert halving_rungs(9, 10, 3) == [(9, 10), (3, 30), (1, 90)]
    # the loss is the config's part plus 1/steps, so every rung ranks by the config's
    # part: the last one standing is the best of the nine drawn
    drawn = random_configs(SYNTH, 9, seed=1)
    target = min(drawn, key=lambda c: synthetic(c, 1, 0))
    assert result.best["config"] == target and result.best["steps"] == 90
    assert result.best["score"] == pytest.approx(synthetic(target, 90, 0))
    # each rung's configurations are the lowest third of the rung before
    for rung in (1, 2):
        before = [t for t in result.trials if t["rung"] == rung - 1]
        ranked = sorted(before, key=lambda t: t["score"])
        assert [t["config"] for t in result.trials if t["rung"] == rung] == [
            t["config"] for t in ranked[: len(before) // 3]
        ]


def test_successive_halving_with_n_not_a_power_of_eta():
    result = successive_halving(synthetic, SYNTH, n=10, min_steps=5, eta=3, workers=1)
    # 10 x 5, then 10 // 3 = 3 x 15, then 1 x 45
    assert result.total_steps == 50 + 45 + 45
    assert [t["rung"] for t in result.trials] == [0] * 10 + [1] * 3 + [2]


def test_successive_halving_on_a_grid_like_space_finds_the_optimum():
    space = {"x": [0.0, 0.3, 0.6, 0.9], "width": [8, 16, 32]}
    result = successive_halving(synthetic, space, n=27, min_steps=2, eta=3, seed=0, workers=1)
    assert result.best["config"] == {"x": 0.3, "width": 16}


def test_grid_and_random_search_spend_trials_times_steps():
    g = grid_search(synthetic, {"x": [0.0, 0.3, 0.5], "width": [8, 16]}, 7, workers=1)
    assert g.total_steps == 6 * 7 and len(g.trials) == 6
    assert g.best["config"] == {"x": 0.3, "width": 16}
    r = random_search(synthetic, SYNTH, n=5, steps_per_trial=11, seed=2, workers=1)
    assert r.total_steps == 55
    assert [t["config"] for t in r.trials] == random_configs(SYNTH, 5, seed=2)


def test_equal_budget_sizes_every_strategy_to_the_budget():
    plan = equal_budget(1000, grid_size=10, n=9, eta=3)
    assert plan["grid"] == {"steps_per_trial": 100, "spent": 1000}
    assert plan["random"] == {"n": 10, "steps_per_trial": 100, "spent": 1000}
    # 9 x s + 3 x 3s + 1 x 9s = 27 s <= 1000: s = 37, 999 steps
    assert plan["halving"] == {"n": 9, "min_steps": 37, "eta": 3, "spent": 999}
    results = search.compare(synthetic, {"x": [0.0, 0.3], "width": [8, 16, 32, 64, 128]},
                             SYNTH, 1000, n=9, eta=3, workers=1)  # fmt: skip
    assert [r.total_steps for r in results] == [1000, 1000, 999]
    with pytest.raises(ValueError, match="too small"):
        equal_budget(20, grid_size=10, n=9, eta=3)


def test_parallel_gives_the_same_results_as_serial():
    serial = successive_halving(flaky, SYNTH, n=6, min_steps=3, eta=2, seed=5, workers=1)
    parallel = successive_halving(flaky, SYNTH, n=6, min_steps=3, eta=2, seed=5, workers=2)
    assert _no_seconds(parallel) == _no_seconds(serial)
    assert parallel.best == {**serial.best, "seconds": parallel.best["seconds"]}


def test_a_failed_trial_is_recorded_and_the_search_goes_on():
    lines = []
    result = random_search(flaky, SYNTH, n=12, steps_per_trial=4, seed=0, workers=1,
                           log=lines.append)  # fmt: skip
    failed = [t for t in result.trials if t["config"]["width"] == 32]
    assert failed and result.failed == failed
    assert all(t["error"] == "RuntimeError: width 32 is cursed" for t in failed)
    assert all(math.isnan(t["score"]) for t in failed)
    assert all(t["error"] is None for t in result.trials if t not in failed)
    assert len(lines) == 12 and sum("FAILED" in line for line in lines) == len(failed)
    # successive halving never promotes a failed configuration
    sh = successive_halving(flaky, SYNTH, n=9, min_steps=1, eta=3, seed=0, workers=1)
    assert all(t["error"] is None for t in sh.trials if t["rung"] > 0)


def test_a_trial_that_kills_its_worker_fails_alone():
    # the crash breaks the pool and every trial in it; only the one to blame may fail
    space = {"x": [0.0, 0.3, 0.6], "width": [8, 32, 16]}
    lines = []
    result = grid_search(crashing, space, 3, workers=2, log=lines.append)
    expected = grid_search(flaky, space, 3, workers=1)
    for trial, same in zip(result.trials, expected.trials, strict=True):
        assert trial["config"] == same["config"]
        if trial["config"]["width"] == 32:
            assert math.isnan(trial["score"]) and "worker process died" in trial["error"]
        else:
            assert trial["error"] is None and trial["score"] == same["score"]
    assert len(lines) == 9 and sum("FAILED" in line for line in lines) == 3
    # successive halving goes on to its later rungs in a fresh pool
    serial = successive_halving(flaky, SYNTH, n=6, min_steps=3, eta=2, seed=5, workers=1)
    parallel = successive_halving(crashing, SYNTH, n=6, min_steps=3, eta=2, seed=5, workers=2)
    assert [(c, s, sc, r) for c, s, sc, _, r in _no_seconds(parallel)] == [
        (c, s, sc, r) for c, s, sc, _, r in _no_seconds(serial)
    ]


@pytest.mark.parametrize("workers", [1, 2])
def test_sys_exit_in_a_trial_is_that_trials_failure(workers):
    result = grid_search(exiting, {"x": [0.3], "width": [32, 16]}, 2, workers=workers)
    assert result.trials[0]["error"] == "SystemExit: width 32 asked to stop"
    assert result.best["config"] == {"x": 0.3, "width": 16}


def test_an_interrupted_trial_stops_the_search_and_its_workers():
    before = {p.pid for p in multiprocessing.active_children()}
    space = {"width": [8, 16]}
    t0 = time.perf_counter()
    with pytest.raises(KeyboardInterrupt):
        grid_search(interrupted, space, 1, workers=2)
    assert time.perf_counter() - t0 < 30  # the other worker's minute of sleep was cut short
    assert {p.pid for p in multiprocessing.active_children()} <= before


def test_a_lambda_cannot_go_to_worker_processes():
    with pytest.raises(ValueError, match="workers=1"):
        grid_search(lambda c, s, seed: 0.0, {"x": [1]}, 1, workers=2)
    assert grid_search(lambda c, s, seed: 0.0, {"x": [1]}, 1, workers=1).best["score"] == 0.0


# ---------------------------------------------------------------- the real target


def test_gpt_trial_trains_the_names_gpt():
    loss = search.gpt_trial({"lr": 3e-3, "n_embd": 32, "dropout": 0.1}, 3, seed=0)
    assert 2.5 < loss < 4.0  # barely trained: near ln(27 characters) = 3.3 nats
    with pytest.raises(ValueError, match="unknown config keys \\['layers'\\]"):
        search.gpt_trial({"layers": 3}, 1, seed=0)


def test_table_plot_and_command_line(tmp_path, capsys):
    g = grid_search(flaky, {"x": [0.0, 0.3], "width": [16, 32]}, 5, workers=1)
    table = search.format_table([g], "loss")
    assert "| grid | 4 (2) | 0.2000 | x=0.3, width=16 | 5 | 20 |" in table
    path = tmp_path / "search.png"
    search.plot_search([g], path, "loss")
    assert path.read_bytes()[:4] == b"\x89PNG"
    argv = ["--budget", "36", "--n", "3", "--strategies", "halving", "--workers", "1",
            "--plot", str(tmp_path / "cli.png")]  # fmt: skip
    assert search.main(argv) == 0
    out = capsys.readouterr().out
    assert "[halving rung 1 4/4]" in out and "| halving | 4 (0) |" in out
    assert (tmp_path / "cli.png").exists()
    with pytest.raises(SystemExit) as exc:
        search.main(["--budget", "10"])
    assert exc.value.code == 2 and "too small" in capsys.readouterr().err
