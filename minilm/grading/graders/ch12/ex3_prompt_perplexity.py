"""Graders for ex3_prompt_perplexity, against ``minilm.serve.engine.PromptPerplexity``.

The student's class and the library's are replayed through the same calls
(:func:`minilm.sandbox.probes.replay_calls`, probe ``replay``), made from one
drawn seed.
"""

import math

from hypothesis import strategies as st

from minilm.backend import np
from minilm.grading import check, prop
from minilm.sandbox.probes import replay_calls
from minilm.serve.engine import PromptPerplexity

REIMPLEMENTS = ("minilm.serve.engine.PromptPerplexity",)

_seeds = st.integers(0, 2**32 - 1)


def prompts(seed, n, empty=0.0):
    """``n`` prompts (nats, tokens): about 1.5 nats per token, a few far worse."""
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(n):
        tokens = 0 if rng.random() < empty else int(rng.integers(1, 40))
        out.append((float(tokens * rng.uniform(0.5, 4.0)), tokens))
    return out


def _compare(student, window, added, what):
    calls = []
    for nats, tokens in added:
        calls += [("add", [nats, tokens]), ("value", None)]
    init = [window]
    got = student.probe("replay", "PromptPerplexity", init, calls)
    want = replay_calls(PromptPerplexity, init, calls)
    assert isinstance(got, list) and len(got) == len(want), "the replay sent the wrong replies"
    for k in range(1, len(calls), 2):
        g, w = got[k], want[k]
        seen = ", ".join(f"({n:.3g} nats, {t} tokens)" for n, t in added[: k // 2 + 1])
        where = f"{what}: PromptPerplexity(window={window}) after add {seen}: value"
        if math.isnan(w):
            assert g is not None and math.isnan(g), f"{where} is {g!r}, expected NaN"
        else:
            assert g is not None and not math.isnan(g), f"{where} is {g!r}, expected {w!r}"
            assert math.isclose(g, w, rel_tol=1e-9), f"{where} is {g!r}, expected {w!r}"


@check(points=1)
@prop(seed=_seeds)
def one_prompt(student, seed):
    """one prompt: exp(its nats / its tokens)"""
    _compare(student, 50, prompts(seed, 1), "one prompt")


@check(points=2)
@prop(seed=_seeds)
def ratio_of_sums(student, seed):
    """several prompts: exp(total nats / total tokens), not a mean of perplexities"""
    _compare(student, 50, prompts(seed, 6), "several prompts")


@check(points=1)
@prop(seed=_seeds, window=st.integers(1, 5))
def window_forgets(student, seed, window):
    """only the last window prompts count"""
    _compare(student, window, prompts(seed, 12), "more prompts than the window")


@check(points=1)
@prop(seed=_seeds, window=st.integers(1, 4))
def empty_prompts(student, seed, window):
    """a prompt with no predicted token is ignored; NaN before any counted prompt"""
    added = [(0.0, 0)] + prompts(seed, 10, empty=0.4)
    _compare(student, window, added, "prompts with no predicted token")
