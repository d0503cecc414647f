"""Exercise 7 (6 points): the distillation loss, with its temperature and T^2.

Knowledge distillation trains a small *student* on a big *teacher*'s
next-token distribution as well as on the true next token (Hinton, Vinyals and
Dean, 2015). The teacher's whole distribution says more than its top guess:
how much weight it puts on each of the other tokens is what the student copies.
A temperature T > 1 divides both sets of logits before the softmax, which
flattens them, so that the small probabilities count.

For N rows of logits over V classes, student ``s`` (N, V), teacher ``t``
(N, V) and true classes ``y`` (N,), with ``p_n = softmax(t_n / T)`` and
``q_n = softmax(s_n / T)``:

    KL_n = sum_v p_nv * (log p_nv - log q_nv)       (the teacher's p comes first)
    CE_n = -log softmax(s_n)[y_n]                   (at temperature 1)
    loss = alpha * T^2 * mean_n KL_n + (1 - alpha) * mean_n CE_n

Why T^2: the gradient of the softened term shrinks like 1 / T^2 as T grows (one
1 / T from dividing the logits, another because q - p itself gets smaller), so
without the factor, raising T would quietly turn the soft term off. With it, T
changes what the student learns, not how much.

Write ``distillation_loss(student_logits, teacher_logits, targets, temperature,
alpha)``: the arrays are float64 NumPy arrays (targets integer); return
``(loss, grad)``, the loss a Python float and ``grad`` = d loss / d student_logits,
an array like ``student_logits``. The teacher is a constant (no gradient).
Two facts you need: the gradient of ``-log softmax(z)[y]`` with respect to z is
``softmax(z) - onehot(y)``, and the gradient of ``KL(p || softmax(z))`` with
respect to z is ``softmax(z) - p``; then apply the chain rule through
``z = s / T``, and remember the means over n. Compute log-softmax stably
(subtract each row's max first): logits of 1000 must not overflow, and
``log(softmax)`` of a probability that underflowed to 0 is -inf (0 * -inf is NaN).

Checked against ``minilm.distill.distillation_loss`` (and its gradient through
minilm's autograd): the loss on random logits, temperatures and alphas
(1 point); the T^2 factor, at alpha = 1 and T from 2 to 5 (1 point); the two
ends, alpha = 0 (cross-entropy only: the teacher does not matter) and alpha = 1
(the targets do not matter) (1 point); the gradient (2 points); logits of size
1000, loss and gradient finite and right (1 point).

    python -m minilm grade chapters/09_training_and_optimization/exercises/ex7_distillation_loss.py
"""

from minilm.backend import np  # noqa: F401 - NumPy, for your solution


def distillation_loss(student_logits, teacher_logits, targets, temperature, alpha):
    """``(loss, d loss / d student_logits)`` of the distillation loss above."""
    ### BEGIN YOUR SOLUTION
    raise NotImplementedError("write distillation_loss")
    ### END YOUR SOLUTION
