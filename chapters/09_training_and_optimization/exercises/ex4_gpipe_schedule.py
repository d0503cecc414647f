"""Exercise 4 (6 points): micro-batches and the GPipe schedule.

A pipeline cuts a model into S consecutive stages, one per device, and the
batch into M micro-batches, so that stage 1 can work on micro-batch 0 while
stage 0 already works on micro-batch 1.

1. ``split_microbatches(x, y, n_micro)``: cut the arrays ``x`` and ``y`` (the
   same length B along axis 0) into ``n_micro`` equal consecutive parts; return
   the list of pairs ``(x_m, y_m)``. Raise ``ValueError`` when B is not a
   multiple of ``n_micro`` or when x and y differ in length.
2. ``gpipe_schedule(n_stages, n_micro)``: the schedule as a list of clock
   ticks; tick t is a list of the steps ``(stage, kind, micro)`` that run at
   tick t, ``kind`` being ``"F"`` (forward) or ``"B"`` (backward), each taking
   one tick, a stage doing at most one step a tick. GPipe runs every forward,
   then every backward:

   - forward phase: stage s runs micro-batch m's forward at tick s + m (it
     needs stage s - 1's output from the tick before);
   - backward phase: the forward phase played backwards in time, so that the
     last stage starts with the last micro-batch and stage s runs a backward
     the tick after stage s + 1 ran it. Each phase lasts S + M - 1 ticks: the
     schedule has 2(S + M - 1) ticks. (The order of the steps inside a tick
     does not matter.)
3. ``bubble_fraction(n_stages, n_micro)``: the share of the schedule's ticks
   each stage sits idle (the "bubble"), as a float. Count it from the schedule
   first, then find the formula.

Checked against ``minilm.pipeline``: ``split_microbatches`` (1 point) and its
errors (1 point), ``gpipe_schedule`` tick by tick (3 points),
``bubble_fraction`` (1 point).

    python -m minilm grade chapters/09_training_and_optimization/exercises/ex4_gpipe_schedule.py
"""


def split_microbatches(x, y, n_micro):
    """``[(x_0, y_0), ..., (x_{M-1}, y_{M-1})]``: consecutive equal parts along axis 0."""
    ### BEGIN YOUR SOLUTION
    raise NotImplementedError("write split_microbatches")
    ### END YOUR SOLUTION


def gpipe_schedule(n_stages, n_micro):
    """``schedule[t]``: the ``(stage, "F" or "B", micro)`` steps that run at tick t."""
    ### BEGIN YOUR SOLUTION
    raise NotImplementedError("write gpipe_schedule")
    ### END YOUR SOLUTION


def bubble_fraction(n_stages, n_micro):
    """The share of the schedule's ticks that each stage is idle."""
    ### BEGIN YOUR SOLUTION
    raise NotImplementedError("write bubble_fraction")
    ### END YOUR SOLUTION
