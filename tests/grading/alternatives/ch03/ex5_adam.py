"""Adam with the bias corrections folded into the step size and eps (Kingma & Ba,
section 2), and new arrays for m and v: the inputs stay as they were."""

from minilm.backend import np


def adam_step(param, grad, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    m = beta1 * m + (1 - beta1) * grad
    v = beta2 * v + (1 - beta2) * np.square(grad)
    c2 = np.sqrt(1 - beta2**t)
    step = lr * c2 / (1 - beta1**t)
    return param - step * m / (np.sqrt(v) + eps * c2), m, v
