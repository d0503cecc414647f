"""Text environments: the documented rewards, episode ends, clear errors for
invalid actions, and determinism under a seed (with slips, the only randomness)."""

import pytest

from minilm.rl.env import ACTIONS, NameEnv, PatternEnv, TextEnv


def _episode(env, actions, seed):
    out = [env.reset(seed=seed)]
    for a in actions:
        out.append(env.step(a))
        if out[-1][2]:
            break
    return out


@pytest.mark.parametrize("make", [lambda: NameEnv(slip=0.4), lambda: PatternEnv("cvcvcv", 0.4)])
def test_environments_are_deterministic_under_a_seed(make):
    actions = list("abcdefghij") + ["."]
    runs = [_episode(make(), actions, seed=7) for _ in range(2)]
    assert runs[0] == runs[1]
    env = make()
    assert _episode(env, actions, seed=7) == _episode(env, actions, seed=7)  # reset reseeds
    others = {str(_episode(make(), actions, seed=s)) for s in range(8)}
    assert len(others) > 1  # the seed matters: slips differ
    slipped = [info["slipped"] for _, _, _, info in runs[0][1:]]
    assert any(slipped) and not all(slipped)


def test_without_slip_the_agent_writes_what_it_chooses():
    env = NameEnv()
    env.reset()
    assert [env.step(c)[0] for c in "emma"] == ["e", "em", "emm", "emma"]


def test_name_env_rewards_a_real_name_at_the_end_only():
    env = NameEnv(names={"ava", "bo"}, max_len=4)
    steps = _episode(env, "ava.", seed=0)[1:]
    assert [r for _, r, _, _ in steps] == [0.0, 0.0, 0.0, 1.0]
    assert [d for _, _, d, _ in steps] == [False, False, False, True]
    assert _episode(env, "av.", seed=0)[-1][1:3] == (0.0, True)
    # cut off after max_len letters, judged as written
    assert _episode(env, "abcdefg", seed=0)[-1][:3] == ("abcd", 0.0, True)
    assert NameEnv().names >= {"emma", "olivia"}


def test_pattern_env_rewards_every_letter_of_the_right_class():
    env = PatternEnv("cvc")
    steps = _episode(env, "bad", seed=0)[1:]
    assert [r for _, r, _, _ in steps] == [1.0, 1.0, 1.0] and steps[-1][2]
    steps = _episode(env, "aab", seed=0)[1:]
    assert [r for _, r, _, _ in steps] == [0.0, 1.0, 1.0]
    steps = _episode(env, "b.", seed=0)[1:]  # "." ends early, earns nothing
    assert [(o, r, d) for o, r, d, _ in steps] == [("b", 1.0, False), ("b", 0.0, True)]
    assert env.max_len == 3


def test_actions_by_index_or_character_are_the_same():
    a, b = PatternEnv("cv"), PatternEnv("cv")
    a.reset(), b.reset()
    assert a.step("k") == b.step(ACTIONS.index("k"))
    assert a.num_actions == 27 and ACTIONS[0] == "."


@pytest.mark.parametrize("bad", ["A", "ab", "", 27, -1, 2.0, None, True])
def test_invalid_actions_get_a_clear_error(bad):
    env = NameEnv()
    env.reset()
    with pytest.raises(ValueError, match=r"invalid action .*one character of"):
        env.step(bad)


def test_stepping_outside_an_episode_is_an_error():
    env = PatternEnv("c")
    with pytest.raises(RuntimeError, match="call reset"):
        env.step("b")
    env.reset()
    env.step("b")
    with pytest.raises(RuntimeError, match="episode is over"):
        env.step("b")
    assert env.reset() == ""


def test_bad_configuration():
    with pytest.raises(ValueError, match="pattern"):
        PatternEnv("cx")
    with pytest.raises(ValueError, match="slip"):
        NameEnv(slip=1.5)
    assert issubclass(NameEnv, TextEnv)
