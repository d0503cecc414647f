"""Shape ops over drawn shapes: reshape, transpose, swapaxes, expand_dims,
squeeze, broadcast_to, concatenate, stack, split, pad."""

from hypothesis import strategies as st

import minilm
from minilm.backend import np
from minilm.testing import op_test, shapes

one = lambda s: (s,)


@st.composite
def _permutation(draw, in_shapes):
    nd = len(in_shapes[0])
    return {"axes": tuple(draw(st.permutations(range(nd))))}


test_reshape_flat = op_test(lambda x: x.reshape(-1), lambda x: x.reshape(-1))
test_reshape_split_axis = op_test(
    lambda x: x.reshape(2, -1, 3),
    lambda x: x.reshape(2, -1, 3),
    shape=st.integers(1, 3).map(lambda n: ((6 * n,),)),
)
test_transpose = op_test(
    lambda x, axes: x.transpose(axes), lambda x, axes: x.transpose(axes), kwargs=_permutation
)
test_T = op_test(lambda x: x.T, lambda x: x.T)
test_swapaxes = op_test(
    lambda x: minilm.swapaxes(x, 0, -1),
    lambda x: np.swapaxes(x, 0, -1),
    shape=shapes(min_dims=1).map(one),
)
test_expand_dims = op_test(lambda x: minilm.expand_dims(x, -1), lambda x: np.expand_dims(x, -1))
test_squeeze = op_test(minilm.squeeze, np.squeeze, shape=shapes(min_side=1, max_side=2).map(one))


@st.composite
def _target_kwargs(draw, in_shapes):
    extra = draw(shapes(max_dims=2, max_side=3))
    return {"shape": extra + tuple(in_shapes[0])}


test_broadcast_to = op_test(minilm.broadcast_to, np.broadcast_to, kwargs=_target_kwargs)


def _concat_test(n):
    @st.composite
    def shapes_n(draw):
        base = list(draw(shapes(min_dims=1)))
        return tuple(
            tuple(draw(st.integers(1, 3)) if i == 0 else d for i, d in enumerate(base))
            for _ in range(n)
        )

    op = lambda *xs: minilm.concatenate(xs, axis=0)
    return op_test(op, lambda *xs: np.concatenate(xs, axis=0), nargs=n, shape=shapes_n())


test_concatenate_two = _concat_test(2)
test_concatenate_three = _concat_test(3)
test_stack = op_test(
    lambda a, b: minilm.stack([a, b], axis=-1),
    lambda a, b: np.stack([a, b], axis=-1),
    nargs=2,
    shape=shapes().map(lambda s: (s, s)),
)
test_split = op_test(
    lambda x: minilm.split(x, [1, 3], axis=0)[1] * 2 + minilm.split(x, 2, axis=0)[0].sum(),
    lambda x: np.split(x, [1, 3], axis=0)[1] * 2 + np.split(x, 2, axis=0)[0].sum(),
    shape=st.just(((4, 3),)),
)


@st.composite
def _pad_kwargs(draw, in_shapes):
    nd = len(in_shapes[0])
    pairs = draw(
        st.lists(st.tuples(st.integers(0, 2), st.integers(0, 2)), min_size=nd, max_size=nd)
    )
    return {"pad_width": tuple(pairs), "value": draw(st.sampled_from([0.0, -1.5]))}


test_pad = op_test(
    lambda x, pad_width, value: minilm.pad(x, pad_width, value),
    lambda x, pad_width, value: np.pad(x, pad_width, constant_values=value),
    kwargs=_pad_kwargs,
    shape=shapes(min_dims=1).map(one),
)
