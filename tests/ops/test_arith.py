"""Property tests for + - * / ** @ and negation: forward against NumPy, first and
second derivatives against finite differences, over broadcast shapes."""

import operator

from hypothesis import strategies as st

from minilm.backend import np
from minilm.testing import away_from, broadcastable_shapes, floats, op_test, shapes

nonzero = away_from(0.0, margin=0.3)
positive = floats(0.3, 3.0)

test_add = op_test(operator.add, np.add, nargs=2)
test_sub = op_test(operator.sub, np.subtract, nargs=2)
test_mul = op_test(operator.mul, np.multiply, nargs=2)
test_div = op_test(operator.truediv, np.divide, nargs=2, elements=[floats(), nonzero])
test_neg = op_test(operator.neg, np.negative)
test_pow_tensor_exponent = op_test(
    operator.pow, np.power, nargs=2, elements=[positive, floats(-2, 2)]
)
test_pow_scalar_exponent = op_test(lambda x: x**3, lambda x: x**3)
test_pow_fractional = op_test(lambda x: x**1.5, lambda x: x**1.5, elements=positive)
test_rsub_scalar = op_test(lambda x: 2.0 - x, lambda x: 2.0 - x)
test_rdiv_scalar = op_test(lambda x: 1.0 / x, lambda x: 1.0 / x, elements=nonzero)
test_rpow_scalar = op_test(lambda x: 2.0**x, lambda x: 2.0**x)


def _matmul_shapes():
    """Shapes (a, b) that matmul accepts: 1-D operands and broadcast batch dims."""

    @st.composite
    def draw(draw):
        n, k, m = (draw(st.integers(1, 4)) for _ in range(3))
        batch_a, batch_b = draw(broadcastable_shapes(2, max_dims=2, max_side=3))
        a = draw(st.sampled_from([(k,), (*batch_a, n, k)]))
        b = draw(st.sampled_from([(k,), (*batch_b, k, m)]))
        return a, b

    return draw()


test_matmul = op_test(operator.matmul, np.matmul, nargs=2, shape=_matmul_shapes())
test_matmul_constant_right = op_test(
    operator.matmul, np.matmul, nargs=2, shape=_matmul_shapes(), grad_inputs=[0]
)
test_square_sum = op_test(
    lambda x: (x * x).sum(), lambda x: (x * x).sum(), shape=shapes().map(lambda s: (s,))
)
