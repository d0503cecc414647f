"""Graders for ex2_gru_cell, against ``minilm.nn.GRUCell`` and ``minilm.nn.GRU``."""

from minilm.grading import assert_close, check, prop

from ._cells import cell_problems, minilm_layer

# what this exercise asks the student to write: refused in the sandbox
REIMPLEMENTS = ("minilm.nn.GRUCell", "minilm.nn.GRU", "minilm.functional.gru_gates")


def _call(student, x, h, *weights):
    return student.gru_cell(x.copy(), h.copy(), *(w.copy() for w in weights))


@check(points=2)
@prop(problem=cell_problems(gates=3))
def one_step(student, problem):
    """h' after one step equals minilm.nn.GRUCell's"""
    xs, h, _, *weights = problem
    _, want, _ = minilm_layer("gru", xs, h, None, *weights)
    assert_close(_call(student, xs[0], h, *weights), want, "h_new")


@check(points=1)
@prop(problem=cell_problems(gates=3, steps=5), max_examples=15)
def five_steps(student, problem):
    """five steps with the state carried equal minilm.nn.GRU over the sequence"""
    xs, h, _, *weights = problem
    want_y, _, _ = minilm_layer("gru", xs, h, None, *weights)
    for t in range(len(xs)):
        h = _call(student, xs[t], h, *weights)
        assert_close(h, want_y[t], f"h after step {t + 1}")
