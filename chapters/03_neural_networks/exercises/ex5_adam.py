"""Exercise 5 (4 points): one step of the Adam optimizer.

Adam keeps two running averages per parameter: ``m`` of the gradient and ``v``
of its square. At step t = 1, 2, 3, ... with gradient g:

    m = beta1 * m + (1 - beta1) * g
    v = beta2 * v + (1 - beta2) * g**2
    m_hat = m / (1 - beta1**t)        # bias correction: m and v start at 0
    v_hat = v / (1 - beta2**t)
    param = param - lr * m_hat / (sqrt(v_hat) + eps)

Write ``adam_step(param, grad, m, v, t, lr, beta1, beta2, eps)`` on NumPy
arrays, returning the new ``(param, m, v)`` as new arrays (the grader checks
that the arrays it passed in are unchanged). (Why does the first step move
every coordinate by about ``lr``, whatever the gradient's size?)

Checked against ``minilm.optim.Adam`` on random parameters and gradients: the
first step (1 point), ten steps in a row with the default settings (2 points),
several steps with random lr, betas and eps (1 point).

    python -m minilm grade chapters/03_neural_networks/exercises/ex5_adam.py
"""

from minilm.backend import np  # noqa: F401 - NumPy, for your solution


def adam_step(param, grad, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    """The new (param, m, v) after Adam step ``t`` (counting from 1) with gradient ``grad``."""
    ### BEGIN YOUR SOLUTION
    raise NotImplementedError("write adam_step")
    ### END YOUR SOLUTION
