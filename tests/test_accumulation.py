"""Gradient accumulation: ``fit(..., accumulate=K)`` over K micro-batches of B is
one step on the K*B batch, and its dropout masks neither repeat nor move the data.

Why it holds. Each micro-batch's mean loss is scaled by 1/K before its backward
pass and the gradients add up in ``.grad``, so a step follows
(1/K) * sum_k grad(mean loss of micro-batch k). When every micro-batch counts
the same number of targets, that is the gradient of the mean over all K*B
targets, the loss of the big batch; clipping, SGD and AdamW only ever see that
gradient, so the parameters agree step after step. The models run in float64,
so the two sums differ only in rounding order (about 1e-15); the tests allow
1e-6 as the issue asks.

Where it does not hold. When the micro-batches count different numbers of
targets (padding marked with ``ignore_index``, names of different lengths),
accumulation averages the micro-batch *means*: a target in a micro-batch of
few counted targets weighs more than one in a full micro-batch. The big batch
averages over its targets (the token mean). Both are computed by hand below.

Dropout. With K > 1, micro-batch k of step s draws its masks from a generator
seeded by (seed, s, k) (``minilm.backend.seeded_rng``), not from minilm's global
generator: the same seed gives the same run, and a data function that draws
from the global generator sees the same numbers with or without dropout.
"""

import math

import pytest

import minilm
import minilm.nn as nn
import minilm.optim as optim
from minilm import backend
from minilm.backend import np
from minilm.models.gpt import GPT, GPTConfig
from minilm.train import fit

K, B, STEPS = 3, 2, 4
TOL = 1e-6
TINY_GPT = dict(vocab_size=11, block_size=8, n_layer=1, n_head=2, n_embd=16)


def as_float64(model):
    """The model with every parameter in float64 (minilm computes in the inputs' dtype)."""
    for p in model.parameters():
        p.data = p.data.astype(np.float64)
    return model


def mlp(dropout=0.0):
    return as_float64(nn.Sequential(nn.Linear(4, 16), nn.Tanh(), nn.Dropout(dropout),
                                    nn.Linear(16, 3)))  # fmt: skip


def gpt(dropout=0.0):
    return as_float64(GPT(GPTConfig(**TINY_GPT, dropout=dropout)))


MODELS = {"mlp": mlp, "gpt": gpt}


def micro_batches(kind, n, seed=0):
    """``n`` micro-batches of B examples, as NumPy arrays (x, y)."""
    gen = np.random.default_rng(seed)
    if kind == "mlp":
        return [(gen.normal(size=(B, 4)), gen.integers(0, 3, B)) for _ in range(n)]
    ids = [gen.integers(0, 11, (B, 9)) for _ in range(n)]
    return [(s[:, :-1], s[:, 1:]) for s in ids]


def to_tensors(batch):
    return tuple(minilm.tensor(a) for a in batch)


def concatenated(batches):
    """One batch holding ``batches`` one after another."""
    return tuple(np.concatenate(parts) for parts in zip(*batches))


def optimizer(name, model):
    if name == "sgd":
        return optim.SGD(model.parameters(), lr=0.3, momentum=0.9)
    return optim.AdamW(model.parameters(), lr=0.01, weight_decay=0.1)


def train(kind, opt_name, data, accumulate, seed=0, dropout=0.0, clip=None, steps=STEPS):
    minilm.manual_seed(123)  # the same initial weights for every run
    model = MODELS[kind](dropout)
    fit(model, optimizer(opt_name, model), data, steps, accumulate=accumulate, seed=seed,
        clip_grad_norm=clip, progress=False)  # fmt: skip
    return {name: p.numpy().copy() for name, p in model.named_parameters()}


def assert_same_parameters(a, b, tol=TOL):
    assert a.keys() == b.keys()
    for name in a:
        np.testing.assert_allclose(a[name], b[name], rtol=0, atol=tol, err_msg=name)


@pytest.mark.parametrize("kind", ["mlp", "gpt"])
@pytest.mark.parametrize("opt_name", ["sgd", "adamw"])
def test_accumulating_k_micro_batches_equals_one_batch_of_k_times_b_from_a_list(kind, opt_name):
    # 5 micro-batches looped over, K = 3 drawn per step: steps take (0, 1, 2), (3, 4, 0),
    # (1, 2, 3), (4, 0, 1); the big batches below are those concatenations, in order.
    micro = micro_batches(kind, 5)
    order = [i % len(micro) for i in range(K * STEPS)]
    big = [concatenated([micro[i] for i in order[s * K : (s + 1) * K]]) for s in range(STEPS)]
    clip = 0.5 if opt_name == "sgd" else None  # clipping acts on the summed gradient alike
    accumulated = train(kind, opt_name, [to_tensors(b) for b in micro], K, clip=clip)
    one_batch = train(kind, opt_name, [to_tensors(b) for b in big], 1, clip=clip)
    assert_same_parameters(accumulated, one_batch)
    minilm.manual_seed(123)
    start = {name: p.numpy() for name, p in MODELS[kind]().named_parameters()}
    assert max(np.abs(accumulated[n] - start[n]).max() for n in start) > 1e-3  # it trained


@pytest.mark.parametrize("kind", ["mlp", "gpt"])
@pytest.mark.parametrize("opt_name", ["sgd", "adamw"])
def test_accumulating_k_micro_batches_equals_one_batch_of_k_times_b_from_a_function(kind, opt_name):
    # A data function drawing from minilm's generator (as a resumable one must): the big
    # batch's function calls the micro-batch function K times, so both runs read the same
    # numbers from the generator, which fit(seed=0) seeds. (Without a seed, fit with K > 1
    # draws the micro-batches' dropout seed from a copy of that generator, which leaves
    # the batches as they are.)
    pool = micro_batches(kind, 7, seed=1)

    def micro():
        return to_tensors(pool[int(backend.rng("cpu").integers(len(pool)))])

    def big():
        parts = [micro() for _ in range(K)]
        return tuple(minilm.concatenate([p[j] for p in parts]) for j in range(2))

    assert_same_parameters(train(kind, opt_name, micro, K), train(kind, opt_name, big, 1))


def test_the_loop_over_a_list_matters():
    # The control for the tests above: the same micro-batches grouped differently into
    # steps give other parameters, so equality there is not a tolerance that hides everything.
    micro = micro_batches("mlp", 6)
    wrong = [concatenated([micro[i] for i in (0, 1, 3)]),
             concatenated([micro[i] for i in (2, 4, 5)])]  # fmt: skip
    a = train("mlp", "adamw", [to_tensors(b) for b in micro], K, steps=2)
    b = train("mlp", "adamw", [to_tensors(b) for b in wrong], 1, steps=2)
    assert max(np.abs(a[n] - b[n]).max() for n in a) > 100 * TOL


# ---- micro-batches that count different numbers of targets ----


def softmax_cross_entropy_grads(W, b, x, y):
    """By hand, for logits = x @ W + b: the mean cross-entropy over the counted targets
    (y != -100) and its gradients (x^T (p - onehot) / n, sum of (p - onehot) / n)."""
    counted = y != -100
    x, y = x[counted], y[counted]
    z = x @ W + b
    z = z - z.max(axis=1, keepdims=True)
    p = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
    loss = float(-np.log(p[np.arange(len(y)), y]).mean())
    d = p.copy()
    d[np.arange(len(y)), y] -= 1
    return loss, x.T @ d / len(y), d.sum(axis=0) / len(y)


def test_micro_batches_with_different_counted_targets_give_the_mean_of_their_means():
    gen = np.random.default_rng(5)
    x1, y1 = gen.normal(size=(4, 3)), np.array([0, 1, 2, 1])  # 4 counted targets
    x2, y2 = gen.normal(size=(4, 3)), np.array([2, -100, -100, -100])  # 1 counted target
    minilm.manual_seed(0)
    model = nn.Linear(3, 3, dtype=np.float64)
    W, b = model.weight.numpy().copy(), model.bias.numpy().copy()
    lr = 0.5
    hist = fit(model, optim.SGD(model.parameters(), lr=lr),
               [to_tensors((x1, y1)), to_tensors((x2, y2))], 1, accumulate=2,
               progress=False)  # fmt: skip

    l1, gW1, gb1 = softmax_cross_entropy_grads(W, b, x1, y1)
    l2, gW2, gb2 = softmax_cross_entropy_grads(W, b, x2, y2)
    np.testing.assert_allclose(model.weight.numpy(), W - lr * (gW1 + gW2) / 2, atol=1e-12)
    np.testing.assert_allclose(model.bias.numpy(), b - lr * (gb1 + gb2) / 2, atol=1e-12)
    assert math.isclose(hist.loss[0], (l1 + l2) / 2, rel_tol=1e-12)

    # the token mean, which the one concatenated batch follows, weighs micro-batch 1 by 4/5
    tl, tgW, tgb = softmax_cross_entropy_grads(W, b, np.concatenate([x1, x2]),
                                               np.concatenate([y1, y2]))  # fmt: skip
    np.testing.assert_allclose(tgW, (4 * gW1 + 1 * gW2) / 5, atol=1e-12)
    assert np.abs((gW1 + gW2) / 2 - tgW).max() > 1e-2  # the two really differ here
    minilm.manual_seed(0)
    big = nn.Linear(3, 3, dtype=np.float64)
    hist = fit(big, optim.SGD(big.parameters(), lr=lr),
               [to_tensors((np.concatenate([x1, x2]), np.concatenate([y1, y2])))], 1,
               progress=False)  # fmt: skip
    np.testing.assert_allclose(big.weight.numpy(), W - lr * tgW, atol=1e-12)
    assert math.isclose(hist.loss[0], tl, rel_tol=1e-12)


# ---- dropout with accumulation ----


@pytest.mark.parametrize("kind", ["mlp", "gpt"])
def test_dropout_with_accumulation_same_seed_same_parameters(kind):
    data = [to_tensors(b) for b in micro_batches(kind, 6)]
    a = train(kind, "adamw", data, K, seed=7, dropout=0.3)
    b = train(kind, "adamw", data, K, seed=7, dropout=0.3)
    for name in a:
        assert np.array_equal(a[name], b[name]), name
    # the data and initial weights are fixed, so only the masks depend on the seed
    c = train(kind, "adamw", data, K, seed=8, dropout=0.3)
    assert max(np.abs(a[n] - c[n]).max() for n in a) > 100 * TOL


def test_each_micro_batch_draws_its_masks_from_a_generator_seeded_by_seed_step_and_index():
    # An independent loop: micro-batch k (0-based) of step s (1-based) under
    # backend.seeded_rng("cpu", seed, s, k), its loss divided by K, one update a step.
    data = [to_tensors(b) for b in micro_batches("mlp", K * 2)]
    seed, steps = 11, 2
    fitted = train("mlp", "sgd", data, K, seed=seed, dropout=0.5, steps=steps)
    minilm.manual_seed(123)
    model = mlp(0.5)
    opt = optimizer("sgd", model)
    model.train()
    for s in range(1, steps + 1):
        for k in range(K):
            x, y = data[(s - 1) * K + k]
            with backend.seeded_rng("cpu", seed, s, k):
                loss = minilm.functional.cross_entropy(model(x), y)
            (loss * (1 / K)).backward()
        opt.step()
        opt.zero_grad()
    by_hand = {name: p.numpy() for name, p in model.named_parameters()}
    assert_same_parameters(fitted, by_hand, tol=1e-12)


def test_dropout_draws_do_not_move_the_data_stream():
    # A data function drawing from minilm's generator: with K > 1 it sees the same numbers
    # with dropout as without, and after fit the generator is where the data draws alone
    # leave it (replayed here from a fresh generator with the same seed).
    pool = micro_batches("mlp", 50, seed=2)

    def run(dropout, accumulate):
        drawn = []

        def data():
            i = int(backend.rng("cpu").integers(len(pool)))
            drawn.append(i)
            return to_tensors(pool[i])

        minilm.manual_seed(123)
        model = mlp(dropout)
        fit(model, optimizer("sgd", model), data, STEPS, accumulate=accumulate, seed=3,
            progress=False)  # fmt: skip
        return drawn, backend.rng("cpu").bit_generator.state

    drawn, state = run(0.5, K)
    drawn_plain, state_plain = run(0.0, K)
    assert drawn == drawn_plain and state == state_plain
    minilm.manual_seed(3)
    replay = [int(backend.rng("cpu").integers(len(pool))) for _ in range(K * STEPS)]
    assert drawn == replay and state == backend.rng("cpu").bit_generator.state

    # The control: with one batch a step (no accumulation) the masks come from the global
    # generator, so dropout does move what the data function draws next.
    drawn_1, state_1 = run(0.5, 1)
    drawn_1_plain, state_1_plain = run(0.0, 1)
    assert drawn_1 != drawn_1_plain and state_1 != state_1_plain
