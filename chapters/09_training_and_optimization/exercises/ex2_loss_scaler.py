"""Exercise 2 (6 points): dynamic loss scaling.

Training in float16, the loss is multiplied by a scale S before the backward
pass, so that small gradients land in float16's range instead of underflowing
to zero. Two pieces make it work:

1. ``unscale(grads, scale)``: the float32 gradients arrive multiplied by S;
   return ``(unscaled, found_inf)``: a new list with each gradient divided by
   ``scale`` (keep each array's dtype; do not change the inputs), and whether
   any entry of any gradient is inf or NaN (the scaled backward overflowed, so
   this step must be skipped).
2. ``scaler_update(scale, good_steps, found_inf, growth_factor=2.0,
   backoff_factor=0.5, growth_interval=1000)``: the rule that moves S. It
   returns the next ``(scale, good_steps)``, where ``good_steps`` counts the
   clean steps in a row:

   - an overflow (``found_inf``): the scale times ``backoff_factor``, and the
     count starts again from 0;
   - a clean step: the count grows by one; when it reaches ``growth_interval``
     the scale is multiplied by ``growth_factor`` and the count restarts at 0;
     otherwise the scale stays.

   So the scale halves quickly until the gradients fit, and then probes
   upwards again, once every ``growth_interval`` clean steps.

Checked against ``minilm.precision``: ``unscale`` against
``LossScaler.unscale_`` on finite gradients (1 point) and overflowed ones
(1 point); ``scaler_update`` against ``scaler_update`` after an overflow
(1 point), a clean step (1 point), at the growth interval (1 point), and along
random runs of steps, its default arguments included (1 point).

    python -m minilm grade chapters/09_training_and_optimization/exercises/ex2_loss_scaler.py
"""

from minilm.backend import np  # noqa: F401 - NumPy, for your solution


def unscale(grads, scale):
    """``([g / scale for g in grads], whether any entry is inf or NaN)``."""
    ### BEGIN YOUR SOLUTION
    raise NotImplementedError("write unscale")
    ### END YOUR SOLUTION


def scaler_update(scale, good_steps, found_inf, growth_factor=2.0, backoff_factor=0.5,
                  growth_interval=1000):  # fmt: skip
    """The next ``(scale, good_steps)`` of dynamic loss scaling."""
    ### BEGIN YOUR SOLUTION
    raise NotImplementedError("write scaler_update")
    ### END YOUR SOLUTION
