"""Distillation (minilm.distill): the loss equals an independent NumPy computation,
its gradient is the closed form alpha*T*(q - p)/N + (1 - alpha)*(softmax(s) - onehot)/N,
first and second derivatives pass finite differences, ignored positions count for
nothing, the teacher gets no gradient, and distill with alpha=0 is exactly the recipe."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import minilm
import minilm.functional as F
from minilm.data.lm_corpus import CharCorpus
from minilm.distill import distill, distill_student, distillation_loss, make_student
from minilm.models.gpt import GPT, GPTConfig
from minilm.models.rnn_lm import RNNLM, RNNLMConfig
from minilm.recipes.gpt import GPTTrainConfig, train_gpt
from minilm.recipes.rnn_lm import RNNTrainConfig, train_rnn_lm
from minilm.testing import gradcheck, gradgradcheck
from minilm.text import CharTokenizer


def np_log_softmax(z):
    z = z - z.max(axis=-1, keepdims=True)
    return z - np.log(np.exp(z).sum(axis=-1, keepdims=True))


def reference(s, t, y, T, alpha, ignore=-100):
    """The documented formula, in NumPy, written out position by position."""
    s2, t2, y2 = s.reshape(-1, s.shape[-1]), t.reshape(-1, t.shape[-1]), y.reshape(-1)
    kl, ce, n = 0.0, 0.0, 0
    for si, ti, yi in zip(s2, t2, y2):
        if yi == ignore:
            continue
        log_p, log_q = np_log_softmax(ti / T), np_log_softmax(si / T)
        kl += float((np.exp(log_p) * (log_p - log_q)).sum())
        ce -= float(np_log_softmax(si)[yi])
        n += 1
    n = max(n, 1)
    return alpha * T * T * kl / n + (1 - alpha) * ce / n


def reference_grad(s, t, y, T, alpha, ignore=-100):
    def softmax(z):
        return np.exp(np_log_softmax(z))

    keep = (y != ignore)[..., None]
    n = max(int(keep.sum()), 1)
    onehot = np.eye(s.shape[-1])[np.where(y == ignore, 0, y)]
    g = alpha * T * (softmax(s / T) - softmax(t / T)) + (1 - alpha) * (softmax(s) - onehot)
    return g * keep / n


@st.composite
def problems(draw, max_side=4):
    """Student and teacher logits (..., V), targets with some ignored, T and alpha."""
    lead = draw(st.lists(st.integers(1, max_side), min_size=0, max_size=2))
    V = draw(st.integers(2, 6))
    seed = draw(st.integers(0, 2**16))
    rng = np.random.default_rng(seed)
    s = rng.standard_normal((*lead, V)) * 2
    t = rng.standard_normal((*lead, V)) * 2
    y = rng.integers(0, V, size=lead)
    y = np.where(rng.random(size=lead) < 0.25, -100, y)
    T = draw(st.sampled_from([0.5, 1.0, 2.0, 4.0]))
    alpha = draw(st.sampled_from([0.0, 0.3, 0.5, 0.9, 1.0]))
    return s, t, y, T, alpha


def t64(a, grad=False):
    return minilm.tensor(np.asarray(a, dtype=np.float64), requires_grad=grad)


@settings(max_examples=40, deadline=None)
@given(problems())
def test_the_loss_and_its_gradient_are_the_documented_formulas(problem):
    s, t, y, T, alpha = problem
    st_ = t64(s, True)
    loss = distillation_loss(st_, t64(t), minilm.tensor(y), T, alpha)
    assert loss.shape == ()
    np.testing.assert_allclose(loss.item(), reference(s, t, y, T, alpha), rtol=1e-10, atol=1e-12)
    loss.backward()
    np.testing.assert_allclose(st_.grad.numpy(), reference_grad(s, t, y, T, alpha), atol=1e-12)


@settings(max_examples=15, deadline=None)
@given(problems(max_side=3))
def test_first_and_second_derivatives_match_finite_differences(problem):
    s, t, y, T, alpha = problem
    teacher, targets = t64(t), minilm.tensor(y)

    def f(x):
        return distillation_loss(x, teacher, targets, T, alpha)

    assert gradcheck(f, [t64(s, True)])
    assert gradgradcheck(f, [t64(s, True)])


def test_alpha_zero_is_plain_cross_entropy():
    rng = np.random.default_rng(0)
    s, t, y = (
        rng.standard_normal((3, 5, 7)),
        rng.standard_normal((3, 5, 7)),
        rng.integers(0, 7, (3, 5)),
    )
    got = distillation_loss(t64(s), t64(t), minilm.tensor(y), 3.0, 0.0).item()
    want = -np.take_along_axis(np_log_softmax(s), y[..., None], -1).mean()
    assert got == pytest.approx(want, rel=1e-12)
    assert got == pytest.approx(F.cross_entropy(t64(s), minilm.tensor(y)).item(), rel=1e-12)


@pytest.mark.parametrize("T", [1.0, 2.0, 4.0])
def test_the_student_equal_to_the_teacher_has_zero_loss_and_gradient(T):
    s = np.random.default_rng(1).standard_normal((4, 6)) * 3
    x = t64(s, True)
    loss = distillation_loss(x, t64(s), minilm.tensor([0, 1, 2, 3]), T, alpha=1.0)
    loss.backward()
    assert abs(loss.item()) < 1e-12
    assert np.abs(x.grad.numpy()).max() < 1e-12


def test_ignored_positions_count_for_nothing():
    rng = np.random.default_rng(2)
    s, t = rng.standard_normal((2, 5, 4)), rng.standard_normal((2, 5, 4))
    y = rng.integers(0, 4, (2, 5))
    y[0, 1] = y[1, 3] = -1
    x = t64(s, True)
    loss = distillation_loss(x, t64(t), minilm.tensor(y), 2.0, 0.5, ignore_index=-1)
    loss.backward()
    keep = y != -1
    kept = distillation_loss(t64(s[keep]), t64(t[keep]), minilm.tensor(y[keep]), 2.0, 0.5)
    assert loss.item() == pytest.approx(kept.item(), rel=1e-12)  # mean over the 8 kept only
    assert not x.grad.numpy()[~keep].any()
    s2 = s.copy()
    s2[~keep] += 100.0  # whatever the logits at ignored positions
    moved = distillation_loss(t64(s2), t64(t), minilm.tensor(y), 2.0, 0.5, ignore_index=-1)
    assert moved.item() == pytest.approx(loss.item(), rel=1e-12)
    none_kept = distillation_loss(t64(s), t64(t), minilm.tensor(np.full((2, 5), -1)), 2.0, 0.5,
                                  ignore_index=-1)  # fmt: skip
    assert none_kept.item() == 0.0


def test_the_t_squared_factor_keeps_the_soft_gradient_finite_as_t_grows():
    """For large T, T * (q - p) tends to ((s - t) - mean(s - t)) / V: with the T^2 factor
    the soft gradient neither vanishes nor depends on T."""
    rng = np.random.default_rng(3)
    s, t = rng.standard_normal((1, 5)), rng.standard_normal((1, 5))
    d = s - t
    want = (d - d.mean()) / 5
    for T in (1e3, 1e4):
        x = t64(s, True)
        distillation_loss(x, t64(t), minilm.tensor([0]), T, alpha=1.0).backward()
        np.testing.assert_allclose(x.grad.numpy(), want, rtol=1e-2, atol=1e-6)


def test_the_teacher_gets_no_gradient():
    rng = np.random.default_rng(4)
    s, t = t64(rng.standard_normal((3, 4)), True), t64(rng.standard_normal((3, 4)), True)
    distillation_loss(s, t, minilm.tensor([0, 1, 2]), 2.0, 0.9).backward()
    assert t.grad is None and s.grad is not None


def test_bad_arguments_say_what_is_wrong():
    s, t, y = t64(np.zeros((2, 3))), t64(np.zeros((2, 4))), minilm.tensor([0, 1])
    with pytest.raises(ValueError, match="same shape"):
        distillation_loss(s, t, y)
    with pytest.raises(ValueError, match="temperature"):
        distillation_loss(s, s, y, temperature=0.0)
    with pytest.raises(ValueError, match="alpha"):
        distillation_loss(s, s, y, alpha=1.5)
    with pytest.raises(ValueError, match="targets"):
        distillation_loss(s, s, minilm.tensor([0, 1, 2]))


# ---- distill: training with the loss ----


def toy_stream() -> CharCorpus:
    tok = CharTokenizer.from_text("abcd\n")
    rng = np.random.default_rng(0)
    ids = np.array(tok.encode("".join(rng.choice(list("abcd"), 600)) + "abcd" * 100))
    return CharCorpus("toy", tok, {s: [ids] for s in ("train", "val", "test")}, True, 0)


def tiny_gpt(seed, block=16):
    minilm.manual_seed(seed)
    return GPT(GPTConfig(vocab_size=5, block_size=block, n_layer=1, n_head=2, n_embd=8))


def tiny_lstm(seed):
    minilm.manual_seed(seed)
    return RNNLM(RNNLMConfig(vocab_size=5, cell="lstm", embed_dim=4, hidden_size=8))


def weights(model):
    return [p.numpy().copy() for p in model.parameters()]


def test_distill_with_alpha_zero_is_the_gpt_recipe_exactly():
    corpus, teacher = toy_stream(), tiny_gpt(0)
    config = GPTTrainConfig(steps=4, batch_size=4, warmup=1, seed=3)
    a, b = tiny_gpt(1), tiny_gpt(1)
    ha = distill(teacher, a, corpus, temperature=2.0, alpha=0.0, config=config)
    hb = train_gpt(b, corpus, config, progress=False)
    assert ha.loss == hb.loss
    assert all((x == y).all() for x, y in zip(weights(a), weights(b)))


def test_distill_with_alpha_zero_is_the_rnn_recipe_exactly():
    corpus, teacher = toy_stream(), tiny_gpt(0, block=32)
    config = RNNTrainConfig(steps=4, batch_size=4, bptt=8, seed=3)
    a, b = tiny_lstm(1), tiny_lstm(1)
    ha = distill(teacher, a, corpus, alpha=0.0, config=config)
    hb = train_rnn_lm(b, corpus, config, progress=False)
    assert ha.loss == hb.loss
    assert all((x == y).all() for x, y in zip(weights(a), weights(b)))


@pytest.mark.parametrize("kind", ["gpt", "lstm"])
def test_distilling_moves_the_student_towards_the_teacher_and_leaves_the_teacher(kind):
    corpus, teacher = toy_stream(), tiny_gpt(0)
    teacher.train()  # distill scores with it in eval mode, then restores the mode
    before = weights(teacher)
    student = tiny_gpt(1) if kind == "gpt" else tiny_lstm(1)
    x = minilm.tensor(corpus.split("val")[0][:64].reshape(4, 16))

    def kl_to_teacher():
        with minilm.no_grad():
            s = student(x)
            s = s[0] if isinstance(s, tuple) else s
            teacher.eval()
            t = teacher(x)
            teacher.train()
        y = minilm.tensor(np.zeros((4, 16), dtype=np.int64))
        return distillation_loss(s, t, y, temperature=1.0, alpha=1.0).item()

    start = kl_to_teacher()
    config = GPTTrainConfig(batch_size=8, warmup=0) if kind == "gpt" else RNNTrainConfig(bptt=16)
    distill(teacher, student, corpus, steps=30, temperature=1.0, alpha=1.0, config=config)
    assert kl_to_teacher() < 0.5 * start
    assert teacher.training
    assert all((p.grad is None) for p in teacher.parameters())
    assert all((u == v).all() for u, v in zip(before, weights(teacher)))


def test_distill_refuses_what_cannot_work():
    corpus = toy_stream()
    with pytest.raises(ValueError, match="context"):  # student windows longer than the teacher's
        distill(
            tiny_gpt(0, block=8),
            tiny_gpt(1, block=16),
            corpus,
            steps=1,
            config=GPTTrainConfig(warmup=0),
        )
    with pytest.raises(ValueError, match="vocabulary"):
        distill(tiny_gpt(0), make_student("gpt", 7), corpus, steps=1)
    with pytest.raises(TypeError, match="GPT or an RNNLM"):
        distill(tiny_gpt(0), minilm.nn.Linear(2, 2), corpus, steps=1)


def test_distill_student_is_deterministic_and_alpha_zero_is_from_scratch():
    corpus = toy_stream()
    teacher = tiny_gpt(0, block=64)
    a = distill_student(teacher, corpus, steps=2, seed=5, kind="gpt")
    b = distill_student(teacher, corpus, steps=2, seed=5, kind="gpt")
    c = distill_student(teacher, corpus, steps=2, seed=5, kind="gpt", alpha=0.0)
    assert all((u == v).all() for u, v in zip(weights(a), weights(b)))
    assert any((u != v).any() for u, v in zip(weights(a), weights(c)))


@pytest.mark.parametrize("kind", ["gpt", "lstm"])
def test_distill_on_documents_ignores_the_padding(kind):
    tok = CharTokenizer.from_text(".abcd")
    seqs = [np.array(tok.encode(f".{w}."), dtype=np.int64) for w in ["abcd", "dcb", "a"] * 10]
    corpus = CharCorpus("toy", tok, {s: seqs for s in ("train", "val", "test")}, False, 0)
    student = tiny_gpt(1) if kind == "gpt" else tiny_lstm(1)
    config = (
        GPTTrainConfig(batch_size=6, warmup=0) if kind == "gpt" else RNNTrainConfig(batch_size=6)
    )
    history = distill(tiny_gpt(0), student, corpus, steps=3, config=config)
    assert len(history.loss) == 3 and np.isfinite(history.loss).all()
