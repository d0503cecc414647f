"""Reference solution: chapters/09_training_and_optimization/exercises/ex7_distillation_loss.py."""

from minilm.backend import np


def _log_softmax(z):
    z = z - z.max(axis=1, keepdims=True)
    return z - np.log(np.exp(z).sum(axis=1, keepdims=True))


def distillation_loss(student_logits, teacher_logits, targets, temperature, alpha):
    s, T = student_logits, temperature
    N = s.shape[0]
    rows = np.arange(N)
    log_p = _log_softmax(teacher_logits / T)
    log_q = _log_softmax(s / T)
    p = np.exp(log_p)
    kl = (p * (log_p - log_q)).sum(axis=1).mean()
    log_r = _log_softmax(s)
    ce = -log_r[rows, targets].mean()
    loss = alpha * T**2 * kl + (1 - alpha) * ce
    onehot = np.zeros_like(s)
    onehot[rows, targets] = 1.0
    dsoft = T * (np.exp(log_q) - p)  # d (T^2 KL) / d s = T^2 * (q - p) / T
    dhard = np.exp(log_r) - onehot
    grad = (alpha * dsoft + (1 - alpha) * dhard) / N
    return float(loss), grad
