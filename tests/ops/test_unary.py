"""Property tests for the elementwise functions (first and second derivatives)."""

import math

import minilm
from minilm.backend import np
from minilm.testing import away_from, floats, op_test, separated

test_exp = op_test(minilm.exp, np.exp)
test_log = op_test(minilm.log, np.log, elements=floats(0.2, 4.0))
test_sqrt = op_test(minilm.sqrt, np.sqrt, elements=floats(0.2, 4.0))
test_abs = op_test(minilm.abs, np.abs, elements=away_from(0.0))
test_tanh = op_test(minilm.tanh, np.tanh)
test_sigmoid = op_test(minilm.sigmoid, lambda x: 1 / (1 + np.exp(-x)), elements=floats(-8, 8))
test_softplus = op_test(minilm.ops.softplus, lambda x: np.log1p(np.exp(x)))
test_relu = op_test(minilm.relu, lambda x: np.maximum(x, 0), elements=away_from(0.0))
_erf = np.frompyfunc(math.erf, 1, 1)
test_erf = op_test(minilm.ops.erf, lambda x: np.asarray(_erf(x), dtype=np.float64))
test_maximum = op_test(minilm.maximum, np.maximum, nargs=2, elements=[separated(0), separated(1)])
test_minimum = op_test(minilm.minimum, np.minimum, nargs=2, elements=[separated(0), separated(1)])
test_clip = op_test(
    lambda x: minilm.clip(x, -1.0, 1.5),
    lambda x: np.clip(x, -1.0, 1.5),
    elements=away_from([-1.0, 1.5]),
)
test_clip_lower_only = op_test(
    lambda x: minilm.clip(x, 0.5), lambda x: np.clip(x, 0.5, None), elements=away_from(0.5)
)


def test_sigmoid_is_stable_for_huge_inputs():
    x = minilm.tensor([-1e4, -50.0, 0.0, 50.0, 1e4])
    y = minilm.sigmoid(x).numpy()
    assert np.all(np.isfinite(y))
    np.testing.assert_allclose(y, [0.0, 1.9287498e-22, 0.5, 1.0, 1.0], rtol=1e-6)


def test_maximum_splits_gradient_at_ties():
    a = minilm.tensor([1.0, 2.0], requires_grad=True)
    b = minilm.tensor([1.0, 3.0], requires_grad=True)
    minilm.maximum(a, b).sum().backward()
    assert a.grad.tolist() == [0.5, 0.0] and b.grad.tolist() == [0.5, 1.0]
