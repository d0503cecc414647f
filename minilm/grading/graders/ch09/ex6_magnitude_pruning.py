"""Graders for ex6_magnitude_pruning, against ``minilm.prune.global_magnitude_mask``.

The weights are continuous random values (no two magnitudes equal) except in the
ties check, which draws small integers on purpose."""

from hypothesis import strategies as st

from minilm.backend import np
from minilm.grading import check, prop
from minilm.prune import global_magnitude_mask, layer_magnitude_mask
from minilm.testing import arrays, shapes

REIMPLEMENTS = (
    "minilm.prune.global_magnitude_mask",
    "minilm.prune.layer_magnitude_mask",
    "minilm.prune._mask_smallest",  # the ranking both masks (and magnitude_prune) use
)

_sparsity = st.one_of(st.floats(0.0, 1.0), st.sampled_from([0.0, 0.1, 0.25, 0.5, 0.75, 0.9, 1.0]))


@st.composite
def weight_lists(draw, max_arrays=4):
    """1 to ``max_arrays`` float arrays (1 to 3 dims), each with its own size of values."""
    shape_list = draw(st.lists(shapes(1, 3, 1, 5), min_size=1, max_size=max_arrays))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    sizes = draw(st.lists(st.sampled_from([0.01, 0.1, 1.0, 10.0]), min_size=len(shape_list),
                          max_size=len(shape_list)))  # fmt: skip
    dtype = draw(st.sampled_from(["float64", "float32"]))
    return [(rng.standard_normal(s) * k).astype(dtype) for s, k in zip(shape_list, sizes)]


def _where(weights, i, j):
    return f"weights[{i}]{list(j)} = {float(weights[i][j])!r}"


def _compare(student, weights, sparsity):
    shapes_ = [tuple(w.shape) for w in weights]
    what = (
        f"global_magnitude_mask({len(weights)} arrays of shapes {shapes_}, sparsity={sparsity!r})"
    )
    got = student.global_magnitude_mask([w.copy() for w in weights], sparsity)
    want = global_magnitude_mask(weights, sparsity)
    assert isinstance(got, (list, tuple)) and len(got) == len(weights), (
        f"{what}: return a list of {len(weights)} masks, one per array, got "
        f"{type(got).__name__}{f' of {len(got)}' if isinstance(got, (list, tuple)) else ''}"
    )
    for i, (g, w) in enumerate(zip(got, weights)):
        assert isinstance(g, np.ndarray) and g.dtype == np.bool_, (
            f"{what}: mask {i} must be a boolean NumPy array, got {getattr(g, 'dtype', g)!r}"
        )
        assert g.shape == w.shape, f"{what}: mask {i} has shape {g.shape}, expected {w.shape}"
    per_layer = layer_magnitude_mask(weights, sparsity)
    hint = ""
    if all((a == b).all() for a, b in zip(got, per_layer)):
        hint = ": that is per-layer pruning; rank the entries of all the arrays together"
    total = sum(w.size for w in weights)
    n = total - sum(int(m.sum()) for m in want)
    pruned = total - sum(int(g.sum()) for g in got)
    assert pruned == n, (
        f"{what}: {pruned} of the {total} entries pruned (False), expected round({sparsity!r} * "
        f"{total}) = {n}{hint}"
    )
    for i, (g, m) in enumerate(zip(got, want)):
        if (g != m).any():
            j = tuple(int(k) for k in np.argwhere(g != m)[0])
            raise AssertionError(
                f"{what}: {_where(weights, i, j)} is {'kept' if g[j] else 'pruned'}, expected "
                f"{'kept' if m[j] else 'pruned'}{hint}"
            )


@check(points=2)
@prop(weights=weight_lists(), sparsity=_sparsity)
def random_masks(student, weights, sparsity):
    """random lists of arrays and sparsities: the same mask as minilm's"""
    _compare(student, weights, sparsity)


@check(points=1)
@prop(weights=weight_lists().filter(lambda ws: len(ws) > 1), sparsity=st.floats(0.2, 0.8))
def global_not_per_layer(student, weights, sparsity):
    """one ranking over all the layers: a layer of small weights loses more of them"""
    rng = np.random.default_rng(0)
    small, large = rng.standard_normal((4, 5)) * 0.01, rng.standard_normal((6, 3))
    _compare(student, [small, large], 0.5)  # all 19 pruned come from the small layer
    _compare(student, weights, sparsity)


_halves = [(3, 0.5), (5, 0.5), (7, 0.5), (1, 0.5), (6, 0.25), (10, 0.25), (2, 0.25), (4, 0.125)]


@check(points=1)
@prop(weights=weight_lists(max_arrays=2), data=st.data())
def count_and_rounding(student, weights, data):
    """exactly round(sparsity * total) pruned: halves to even, sparsity 0 and 1"""
    rng = np.random.default_rng(1)
    for total, sparsity in _halves:  # sparsity * total is exactly halfway
        _compare(student, [rng.standard_normal(total)], sparsity)
    _compare(student, weights, 0.0)
    _compare(student, weights, 1.0)
    total = sum(w.size for w in weights)
    k = data.draw(st.integers(0, total), "k")
    _compare(student, weights, k / total)
    _compare(student, weights, min(1.0, (k + 0.5) / total))


@st.composite
def tied_lists(draw):
    """2 or 3 arrays of 6 to 20 entries, with values in -3..3: many equal |w|."""
    shape_list = draw(st.lists(st.tuples(st.integers(2, 4), st.integers(3, 5)), min_size=2,
                               max_size=3))  # fmt: skip
    return [draw(arrays(s, st.integers(-3, 3).map(float), "float64")) for s in shape_list]


@check(points=1)
@prop(weights=tied_lists(), sparsity=_sparsity)
def ties_in_order(student, weights, sparsity):
    """equal |w| (signs included) are pruned in the order of the concatenated arrays"""
    _compare(student, weights, sparsity)
