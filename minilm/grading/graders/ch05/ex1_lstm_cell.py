"""Graders for ex1_lstm_cell, against ``minilm.nn.LSTMCell`` and ``minilm.nn.LSTM``."""

from minilm.backend import np
from minilm.grading import assert_close, check, prop

from ._cells import cell_problems, minilm_layer

# what this exercise asks the student to write: refused in the sandbox
REIMPLEMENTS = ("minilm.nn.LSTMCell", "minilm.nn.LSTM", "minilm.functional.lstm_gates")


def _call(student, x, h, c, *weights):
    result = student.lstm_cell(x.copy(), h.copy(), c.copy(), *(w.copy() for w in weights))
    assert isinstance(result, tuple) and len(result) == 2, (
        f"lstm_cell must return (h_new, c_new), got {type(result).__name__}"
    )
    return result


@check(points=2)
@prop(problem=cell_problems(gates=4))
def one_step(student, problem):
    """h' and c' after one step equal minilm.nn.LSTMCell's"""
    xs, h, c, *weights = problem
    _, want_h, want_c = minilm_layer("lstm", xs, h, c, *weights)
    got_h, got_c = _call(student, xs[0], h, c, *weights)
    assert_close(got_c, want_c, "c_new")
    assert_close(got_h, want_h, "h_new")


@check(points=1)
@prop(problem=cell_problems(gates=4))
def gate_order(student, problem):
    """each gate is read from its own block (i, f, g, o) of the weights"""
    xs, h, c, W_ih, W_hh, b_ih, b_hh = problem
    H = h.shape[1]
    for k in range(4):  # only gate k gets its weights; the others see preactivation 0
        mask = np.zeros(4 * H)
        mask[k * H : (k + 1) * H] = 1
        weights = (W_ih * mask, W_hh * mask, b_ih * mask + 1.5 * mask, b_hh * mask)
        _, want_h, want_c = minilm_layer("lstm", xs, h, c, *weights)
        got_h, got_c = _call(student, xs[0], h, c, *weights)
        gate = "ifgo"[k]
        assert_close(got_c, want_c, f"c_new when only gate {gate} has weights")
        assert_close(got_h, want_h, f"h_new when only gate {gate} has weights")


@check(points=1)
@prop(problem=cell_problems(gates=4, steps=5), max_examples=15)
def five_steps(student, problem):
    """five steps with the state carried equal minilm.nn.LSTM over the sequence"""
    xs, h, c, *weights = problem
    want_y, want_h, want_c = minilm_layer("lstm", xs, h, c, *weights)
    for t in range(len(xs)):
        h, c = _call(student, xs[t], h, c, *weights)
        assert_close(h, want_y[t], f"h after step {t + 1}")
    assert_close(c, want_c, "c after 5 steps")
