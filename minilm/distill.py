"""Knowledge distillation: a small *student* learns from a big *teacher*'s
softened next-token distribution as well as from the hard labels (Hinton, Vinyals
and Dean, 2015, "Distilling the knowledge in a neural network").

The teacher's probabilities carry more than its top guess: after "th" it puts
weight on "e", "a", "i" and "o", and how much on each is what the student copies.
A temperature ``T > 1`` divides both sets of logits before the softmax, so the
small probabilities (the "dark knowledge") count for more. The loss is

    loss = alpha * T^2 * KL(softmax(t / T) || softmax(s / T)) + (1 - alpha) * CE(s, y)

(:func:`distillation_loss`); :func:`distill` trains a GPT or LSTM student with it,
with the optimizer, schedule and batches its family's recipe uses, so that a
distilled student and one trained from scratch (``alpha=0``) differ in the loss only.

>>> import minilm
>>> s = minilm.tensor([[2.0, 0.0, -1.0]], requires_grad=True)
>>> t = minilm.tensor([[2.0, 0.0, -1.0]])
>>> float(distillation_loss(s, t, minilm.tensor([0]), alpha=1.0).item())  # same logits: KL 0
0.0
"""

from __future__ import annotations

from dataclasses import replace

from . import functional as F
from .data.lm_corpus import CharCorpus
from .models.gpt import GPT, GPTConfig
from .models.rnn_lm import RNNLM, RNNLMConfig
from .nn import Module
from .recipes.gpt import GPTTrainConfig, train_gpt
from .recipes.rnn_lm import RNNTrainConfig, train_rnn_lm
from .tensor import Tensor, as_tensor, manual_seed, no_grad, tensor
from .train import History

__all__ = [
    "distillation_loss",
    "distill",
    "STUDENTS",
    "DISTILL_SETTINGS",
    "make_student",
    "distill_student",
]


def distillation_loss(student_logits, teacher_logits, targets, temperature: float = 2.0,
                      alpha: float = 0.5, ignore_index: int = -100) -> Tensor:  # fmt: skip
    """The distillation loss of Hinton et al. (2015), a scalar Tensor.

    ``student_logits`` and ``teacher_logits`` are (..., V), ``targets`` (...) integer
    ids. With ``T = temperature``, ``q = softmax(s / T)`` (the student's softened
    distribution) and ``p = softmax(t / T)`` (the teacher's), and ``P`` the set of
    the ``N`` positions whose target is not ``ignore_index``::

        KL_i = sum_v p_iv (log p_iv - log q_iv)                 summed over the vocabulary
        loss = alpha * T^2 * (1/N) sum_{i in P} KL_i            mean over the kept positions
             + (1 - alpha) * (1/N) sum_{i in P} -log softmax(s_i)[y_i]    (cross-entropy)

    (with ``N = 0`` both means are 0, as :func:`minilm.functional.cross_entropy`).
    The teacher's logits are constants: no gradient reaches them, whatever their
    ``requires_grad``. The gradient with respect to the student's logits is, at a
    kept position i (and 0 at an ignored one)::

        d loss / d s_i = (alpha * T * (q_i - p_i) + (1 - alpha) * (softmax(s_i) - onehot(y_i))) / N

    **Why T^2**: the softened term's gradient is ``(q - p) / T``, and for large T
    ``q - p`` itself shrinks like ``1 / T`` (it is about ``(s - t) / (T V)``), so the
    soft gradients scale as ``1 / T^2``. Multiplying by ``T^2`` keeps their size
    independent of T, so changing T does not silently reweight ``alpha``.

    >>> import minilm
    >>> s = minilm.tensor([[1.0, 0.0]], requires_grad=True)
    >>> loss = distillation_loss(s, minilm.tensor([[0.0, 1.0]]), minilm.tensor([0]), 1.0, 1.0)
    >>> round(loss.item(), 4)  # KL between softmax([0, 1]) and softmax([1, 0])
    0.4621
    """
    if not temperature > 0:
        raise ValueError(f"distillation_loss: temperature must be > 0, got {temperature}")
    if not 0.0 <= alpha <= 1.0:
        raise ValueError(f"distillation_loss: alpha must be in [0, 1], got {alpha}")
    s = as_tensor(student_logits)
    t = teacher_logits.detach() if isinstance(teacher_logits, Tensor) else as_tensor(teacher_logits)
    if s.shape != t.shape:
        raise ValueError(
            f"distillation_loss: student logits {s.shape} and teacher logits {t.shape} must "
            "have the same shape (..., V): the two models need the same vocabulary and inputs"
        )
    hard = F.cross_entropy(s, targets, ignore_index=ignore_index)  # also checks the targets
    y = targets.data if isinstance(targets, Tensor) else s.xp.asarray(targets)
    with no_grad():
        log_p = F.log_softmax(t / temperature)  # (..., V)
        p = log_p.exp()
    log_q = F.log_softmax(s / temperature)  # (..., V)
    kl = (p * (log_p - log_q)).sum(axis=-1)  # (...)
    keep = y != ignore_index
    n = max(int(keep.sum()), 1)
    soft = (kl * tensor(keep.astype(kl.dtype), device=kl.device)).sum() / n
    return soft * (alpha * temperature**2) + hard * (1.0 - alpha)


def _logits(model, x):
    """A language model's logits for ``x``: a GPT returns them, an RNNLM (logits, state)."""
    out = model(x)
    return out[0] if isinstance(out, tuple) else out


def _check_pair(teacher, student):
    for name, m in (("teacher", teacher), ("student", student)):
        if not isinstance(m, (GPT, RNNLM)):
            got = type(m).__name__
            raise TypeError(f"distill: the {name} must be a GPT or an RNNLM, got {got}")
    tv, sv = teacher.config.vocab_size, student.config.vocab_size
    if tv != sv:
        raise ValueError(f"distill: the teacher's vocabulary ({tv}) and the student's ({sv}) "
                         "differ; both must be trained on the same tokenizer")  # fmt: skip


def _teacher_loss(teacher, temperature, alpha):
    """The training loss ``f(student_logits, (x, y))`` of a student: the teacher
    scores the same inputs (under no_grad), then :func:`distillation_loss`."""
    limit = teacher.config.block_size if isinstance(teacher, GPT) else None

    def loss(logits, batch):
        x, y = batch
        if limit is not None and x.shape[1] > limit:
            raise ValueError(f"distill: the student reads windows of {x.shape[1]} tokens, "
                             f"longer than the teacher GPT's context ({limit})")  # fmt: skip
        if alpha == 0:  # the hard labels only: the teacher's forward would be wasted
            return F.cross_entropy(logits, y)
        with no_grad():
            t = _logits(teacher, x)
        return distillation_loss(logits, t, y, temperature, alpha)

    return loss


def distill(teacher: Module, student: Module, corpus: CharCorpus, steps: int | None = None,
            temperature: float = 2.0, alpha: float = 0.5, config=None, progress: bool = False,
            eval_every: int | None = None) -> History:  # fmt: skip
    """Train ``student`` in place on ``teacher``'s softened distribution mixed with
    the hard labels (:func:`distillation_loss`); returns :func:`minilm.train.fit`'s
    history. ``alpha=0`` is training from scratch, exactly (same batches, same updates).

    - a **GPT** student: :func:`minilm.recipes.gpt.train_gpt` with ``loss_fn``, so the
      course GPT's AdamW, warmup + cosine schedule and random windows;
      ``config`` a :class:`GPTTrainConfig`.
    - an **RNNLM** student (e.g. an LSTM): the recipe of
      :func:`minilm.recipes.rnn_lm.train_rnn_lm` (AdamW, cosine schedule, clipping, and
      on a stream ``bptt``-long windows of parallel rows with the state carried),
      ``config`` an :class:`RNNTrainConfig`. The teacher sees each window alone (a GPT
      has no carried state), so at a window's first positions its soft targets rest on
      a short context while the student's state reaches further back.

    ``steps`` overrides ``config.steps``. The teacher runs in eval mode under
    ``no_grad`` and gets no gradient; its mode is restored afterwards.

    >>> corpus = CharCorpus.load("tinyshakespeare", max_chars=5000)
    >>> teacher = make_student("gpt", corpus.vocab_size, seed=0)  # stands in for a trained one
    >>> student = make_student("lstm", corpus.vocab_size, seed=1)
    >>> history = distill(teacher, student, corpus, steps=2, temperature=2.0, alpha=0.5)
    >>> len(history.loss)
    2
    """
    _check_pair(teacher, student)
    was = teacher.training
    teacher.eval()
    try:
        if isinstance(student, GPT):
            config = config or GPTTrainConfig()
            config = replace(config, steps=config.steps if steps is None else steps)
            loss = _teacher_loss(teacher, temperature, alpha)
            return train_gpt(student, corpus, config, progress=progress, eval_every=eval_every,
                             loss_fn=lambda model, batch: loss(model(batch[0]), batch))  # fmt: skip
        config = config or RNNTrainConfig()
        config = replace(config, steps=config.steps if steps is None else steps)
        return train_rnn_lm(student, corpus, config, progress=progress, eval_every=eval_every,
                            logits_loss=_teacher_loss(teacher, temperature, alpha))  # fmt: skip
    finally:
        teacher.train(was)


# The measured students, about a quarter of the chapter 07 checkpoint GPT (108,352):
# two layers rather than one, because attention composes only across layers (a
# one-layer transformer cannot form an induction head), and an LSTM of about that size.
STUDENTS = {
    "gpt": GPTConfig(block_size=64, n_layer=2, n_head=2, n_embd=32),  # 29,600 parameters
    "lstm": RNNLMConfig(vocab_size=65, cell="lstm", embed_dim=32, hidden_size=64),  # 31,393
}
# chosen on the val split among T in {1, 2, 4} x alpha in {0.5, 0.9} at 300 steps: for
# both, T = 1 and alpha = 0.9 won, and every T > 1 did worse (the teacher's distribution
# over 65 characters is already soft; flattening it further adds mostly noise)
DISTILL_SETTINGS = {"gpt": {"temperature": 1.0, "alpha": 0.9},
                    "lstm": {"temperature": 1.0, "alpha": 0.9}}  # fmt: skip


def make_student(kind: str, vocab_size: int, seed: int = 0, device: str = "cpu") -> Module:
    """A fresh student of :data:`STUDENTS` (``"gpt"`` or ``"lstm"``) for a vocabulary."""
    if kind not in STUDENTS:
        raise ValueError(f"make_student: kind must be one of {sorted(STUDENTS)}, got {kind!r}")
    manual_seed(seed)
    config = replace(STUDENTS[kind], vocab_size=vocab_size)
    return GPT(config).to(device) if kind == "gpt" else RNNLM(config, device=device)


def distill_student(teacher: Module, corpus: CharCorpus, steps: int, seed: int = 0,
                    kind: str = "gpt", alpha: float | None = None,
                    temperature: float | None = None) -> Module:  # fmt: skip
    """A student of :data:`STUDENTS` distilled from ``teacher`` for ``steps`` steps with
    :data:`DISTILL_SETTINGS` (or the ``alpha``/``temperature`` given; ``alpha=0``: the
    same student trained from scratch). Its family's default recipe settings and ``seed``
    (initialisation and batches)."""
    student = make_student(kind, teacher.config.vocab_size, seed, _device(teacher))
    settings = dict(DISTILL_SETTINGS[kind])
    if alpha is not None:
        settings["alpha"] = alpha
    if temperature is not None:
        settings["temperature"] = temperature
    config = GPTTrainConfig(seed=seed) if kind == "gpt" else RNNTrainConfig(seed=seed)
    distill(teacher, student, corpus, steps, config=config, **settings)
    return student


def _device(model: Module) -> str:
    return next(iter(model.parameters())).device
