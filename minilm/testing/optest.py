"""Declare an op's full property test in one line.

>>> import operator, minilm
>>> from minilm.backend import np
>>> test_exp = op_test(minilm.exp, np.exp)  # in a test module: pytest collects test_exp
>>> test_add = op_test(operator.add, np.add, nargs=2)
>>> test_exp.__name__
'test_exp'

The returned function is a pytest test (it takes the ``device`` fixture) that
draws shapes (mutually broadcastable ones when ``nargs > 1``), arrays and
keyword arguments with hypothesis, then checks, via :func:`check_op`:

1. the forward value in float64 against the NumPy ``reference``, and that
   the op (forward and backward) leaves its input arrays unchanged;
2. float32 (``check_float32``): every float input cast to float32 (integer,
   bool and index inputs stay as they are) gives float32 outputs and float32
   gradients, within ``float32_rtol`` (1e-4) of the float64 ones relative to
   their scale ``max(1, max|y|)``, widened only by what the inputs'
   conditioning explains (see :func:`_conditioned_tolerance`);
3. non-contiguous inputs (``check_strided``): each float input replaced by a
   non-contiguous view holding the same values (:func:`non_contiguous`: a
   strided slice of a buffer with the axes reversed, NaN in the gaps) gives
   the contiguous input's outputs and gradients to 1e-12 (plus the same
   conditioning term at float64's epsilon), and nothing is written into the
   buffer; inputs of fewer than 2 elements have no such view and are skipped;
4. the first derivative against central finite differences: element by
   element for inputs of at most ``elementwise_max_size`` (32) elements, and
   along ``directions`` (3) random unit-norm directions for every input, two
   evaluations per direction whatever the size (Chainer's ``check_backward``
   way), so bigger inputs are affordable and are checked along the
   directions only;
5. the second derivative the same way (``second_order``): the derivative of
   the vector-Jacobian product, built with ``create_graph=True``.

``check_float32=False`` / ``check_strided=False`` turn a check off;
``directions=0`` checks every input element by element whatever its size
and draws the old, smaller default shapes (sides up to 4), as before these
options existed. Keyword arguments (``kwargs``) are passed unchanged to
every run: a float64 array among them makes a float32 run float64 under
NumPy's promotion rules, so pass such an array as an input (leaving it out
of ``grad_inputs``) or set ``check_float32=False``.
"""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from .. import backend
from ..tensor import as_tensor, grad, tensor
from .gradcheck import _outputs, _project, _projection, gradcheck, gradgradcheck
from .strategies import arrays, broadcastable_shapes, floats, shapes

__all__ = ["op_test", "check_op"]

# op_test's own default shapes: bigger than strategies.shapes()'s (sides up
# to 4), affordable because inputs above ELEMENTWISE_MAX_SIZE elements are
# checked along random directions instead of element by element.
DEFAULT_MAX_SIDE = 6
ELEMENTWISE_MAX_SIZE = 32


def _op_name(op) -> str:
    """``op.__name__``, or the class's name for a ``Function.apply``."""
    name = getattr(op, "__name__", "op")
    owner = getattr(op, "__self__", None)
    return owner.__name__ if name == "apply" and isinstance(owner, type) else name


def _is_float(a) -> bool:
    return a.dtype.kind == "f"


def non_contiguous(a):
    """A non-contiguous view holding ``a``'s values, or None where none exists
    (fewer than 2 elements: NumPy calls every such array contiguous).

    The view is a strided slice (every other element along one axis) of a
    buffer laid out with the axes reversed, so it is neither C- nor
    F-contiguous nor dense; the skipped elements are NaN, so an op that reads
    the raw buffer gets NaN.

    >>> from minilm.backend import np
    >>> v = non_contiguous(np.arange(6.0).reshape(2, 3))
    >>> v.tolist(), v.flags.c_contiguous
    ([[0.0, 1.0, 2.0], [3.0, 4.0, 5.0]], False)
    """
    made = _non_contiguous(a)
    return None if made is None else made[0]


def _non_contiguous(a):
    """``(view, buffer)`` for :func:`non_contiguous`, or None."""
    if a.size < 2:
        return None
    xp = backend.get_array_module(a)
    rev = a.T  # reversed axes
    k = next(ax for ax, n in enumerate(rev.shape) if n > 1)
    big_shape = list(rev.shape)
    big_shape[k] *= 2
    big = xp.full(big_shape, xp.nan, dtype=a.dtype)
    index = tuple(slice(None, None, 2) if ax == k else slice(None) for ax in range(a.ndim))
    big[index] = rev
    view = big[index].T
    assert not view.flags.c_contiguous and not view.flags.f_contiguous
    return view, big


def _run(op, kwargs, arrays_in, grad_inputs, vs=None):
    """Outputs and gradients (of ``sum(out * v)``) of ``op`` on fresh tensors."""
    ts = [as_tensor(a).requires_grad_(i in grad_inputs) for i, a in enumerate(arrays_in)]
    outs = _outputs(op(*ts, **kwargs))
    wrt = [ts[i] for i in grad_inputs]
    if vs is None:
        vs = _projection(outs, 12345)
    grads = [None] * len(wrt)
    if wrt:
        total = _project(outs, [v.astype(o.dtype) for o, v in zip(outs, vs)])
        if total.requires_grad:
            grads = list(grad(total, wrt, allow_unused=True))
    return ts, outs, grads, vs


def _numpy(t):
    return None if t is None else t.numpy()


def _assert_close(got, want, rtol, atol, what):
    np = backend.np
    if want is None or got is None:
        if not (got is None and want is None):
            if np.any((want if got is None else got) != 0):
                raise AssertionError(f"{what}: one run has no gradient, the other a nonzero one")
        return
    if got.shape != want.shape:
        raise AssertionError(f"{what}: shape {got.shape}, expected {want.shape}")
    np.testing.assert_allclose(got, want, rtol=rtol, atol=atol, err_msg=what)


def _scale(a) -> float:
    np = backend.np
    a = np.asarray(a, dtype=np.float64)
    finite = a[np.isfinite(a)]
    return max(1.0, float(np.abs(finite).max())) if finite.size else 1.0


# The float32 and strided checks allow, besides their relative tolerance,
# this many times the largest change that moving every float input by one
# epsilon of the precision at hand (relatively, in random directions) makes
# to the float64 result: what the inputs' conditioning explains (see
# _conditioned_tolerance).
CONDITIONING_FACTOR = 32


def _moved_run(op, kwargs, arrays_in, grad_inputs, vs, eps):
    """Float64 outputs and gradients with each float input moved by ``eps``, relatively."""
    np = backend.np
    gen = np.random.default_rng(4321)
    moved = [
        a * (1 + eps * backend.to_device(gen.choice([-1.0, 1.0], a.shape), backend.device_of(a)))
        if _is_float(a)
        else a
        for a in arrays_in
    ]
    _, outs, grads, _ = _run(op, kwargs, moved, grad_inputs, vs)
    return [o.numpy() for o in outs], [_numpy(g) for g in grads]


def _conditioned_tolerance(want, want_moved, rtol):
    """An absolute tolerance: ``rtol * max(1, max|want|)`` plus
    ``CONDITIONING_FACTOR`` times ``max|want_moved - want|``.

    The second term is a backward-error estimate: a stable computation in a
    precision is exact for inputs off by a few of its roundings, so its error
    is about what such a perturbation changes. It keeps ill-conditioned cases
    (layer_norm of a near-constant row, where ``x - mean`` is a few roundings
    divided by ``sqrt(eps)``) from failing, and is negligible elsewhere: an op
    computing float32 in float16 (8192 float32 epsilons) still fails.
    """
    np = backend.np
    if want is None:
        return rtol
    spread = 0.0
    if want_moved is not None and want_moved.shape == want.shape and want.size:
        diff = np.abs(np.asarray(want_moved, np.float64) - want)
        diff = diff[np.isfinite(diff)]
        spread = float(diff.max()) if diff.size else 0.0
    return rtol * _scale(want) + CONDITIONING_FACTOR * spread


def _check_float32(op, kwargs, arrays_in, grad_inputs, ref, rtol, name):
    """Float inputs cast to float32 give float32 results close to the float64
    ones: within ``rtol`` of each value plus :func:`_conditioned_tolerance`."""
    np = backend.np
    if not any(_is_float(a) for a in arrays_in):
        return
    cast = [a.astype(np.float32) if _is_float(a) else a for a in arrays_in]
    grad32 = [i for i in grad_inputs if _is_float(cast[i])]
    _, outs64, grads64, vs = ref
    ts, outs, grads, _ = _run(op, kwargs, cast, grad32, vs)
    eps32 = float(np.finfo(np.float32).eps)
    outs_moved, grads_moved = _moved_run(op, kwargs, arrays_in, grad_inputs, vs, eps32)
    for k, (o, o64, om) in enumerate(zip(outs, outs64, outs_moved)):
        want_dtype = np.dtype(np.float32) if o64.dtype == np.float64 else o64.dtype
        if o.dtype != want_dtype:
            raise AssertionError(
                f"{name}: float32 forward: output {k} is {o.dtype} on float32 inputs "
                f"(it is {o64.dtype} on float64 ones); expected {want_dtype}"
            )
        want = o64.numpy()
        atol = _conditioned_tolerance(want, om, rtol)
        _assert_close(o.numpy(), want, rtol, atol, f"{name}: float32 forward, output {k}")
    for i, g in zip(grad32, grads):
        if g is not None and g.dtype != np.float32:
            raise AssertionError(
                f"{name}: float32 backward: the gradient of input {i} is {g.dtype}, "
                "expected float32"
            )
        j = grad_inputs.index(i)
        want = _numpy(grads64[j])
        atol = _conditioned_tolerance(want, grads_moved[j], rtol)
        _assert_close(_numpy(g), want, rtol, atol, f"{name}: float32 gradient of input {i}")


def _check_strided(op, kwargs, arrays_in, grad_inputs, ref, name, rtol=1e-12):
    """Non-contiguous views of the float inputs give the contiguous results:
    within ``rtol`` of each value plus :func:`_conditioned_tolerance` at
    float64's epsilon (a different summation order is not an error)."""
    np = backend.np
    made = [_non_contiguous(a) if _is_float(a) else None for a in arrays_in]
    if all(m is None for m in made):
        return
    views = [None if m is None else m[0] for m in made]
    buffers = [None if m is None else m[1] for m in made]
    strided = [a if v is None else v for a, v in zip(arrays_in, views)]
    before = [None if b is None else backend.to_numpy(b).copy() for b in buffers]
    _, outs_c, grads_c, vs = ref
    ts, outs, grads, _ = _run(op, kwargs, strided, grad_inputs, vs)
    for t, v in zip(ts, views):
        if v is not None and t.data.flags.c_contiguous:
            raise AssertionError(
                f"{name}: minilm.as_tensor copied a non-contiguous array: the strided check "
                "cannot run (as_tensor must keep the array, or update minilm.testing.optest)"
            )
    eps64 = float(np.finfo(np.float64).eps)
    outs_moved, grads_moved = _moved_run(op, kwargs, arrays_in, grad_inputs, vs, eps64)
    for k, (o, oc, om) in enumerate(zip(outs, outs_c, outs_moved)):
        want = oc.numpy()
        if o.dtype != oc.dtype:
            raise AssertionError(f"{name}: non-contiguous input changes output {k}'s dtype")
        atol = _conditioned_tolerance(want, om, rtol)
        _assert_close(o.numpy(), want, rtol, atol, f"{name}: forward on non-contiguous inputs")
    for i, g, gc, gm in zip(grad_inputs, grads, grads_c, grads_moved):
        want = _numpy(gc)
        atol = _conditioned_tolerance(want, gm, rtol)
        _assert_close(
            _numpy(g), want, rtol, atol, f"{name}: gradient of input {i} on non-contiguous inputs"
        )
    for i, (buf, b) in enumerate(zip(buffers, before)):
        if buf is not None and not np.array_equal(backend.to_numpy(buf), b, equal_nan=True):
            raise AssertionError(f"{name}: the op wrote into (the buffer of) its input {i}")


def check_op(
    op,
    reference,
    arrays_in,
    kwargs=None,
    device="cpu",
    second_order=True,
    grad_inputs=None,
    atol=1e-5,
    rtol=1e-3,
    name=None,
    *,
    check_float32=True,
    check_strided=True,
    directions=3,
    elementwise_max_size=ELEMENTWISE_MAX_SIZE,
    float32_rtol=1e-4,
):
    """Check one op on concrete arrays (the module docstring lists the checks).

    grad_inputs:          indices of the inputs to differentiate (default: all);
                          the others may be ints, bools or index arrays.
    atol, rtol:           finite-difference tolerances (float64).
    check_float32:        run the op on float32 casts of the float inputs too.
    check_strided:        run it on non-contiguous views of the float inputs too.
    directions:           random directions per input for the finite-difference
                          checks; 0 turns them off and checks every input
                          element by element.
    elementwise_max_size: inputs bigger than this are checked along the
                          directions only (ignored when ``directions=0``).
    float32_rtol:         float32 tolerance (forward and gradients), relative
                          to the float64 values plus their scale ``max(1, max|y|)``,
                          widened where the inputs are ill-conditioned (see
                          ``_conditioned_tolerance``).
    """
    np = backend.np
    kwargs = kwargs or {}
    name = name or _op_name(op)
    grad_inputs = list(range(len(arrays_in)) if grad_inputs is None else grad_inputs)
    arrays_in = [backend.to_device(np.array(a), device) for a in arrays_in]
    pristine = [backend.to_numpy(a).copy() for a in arrays_in]

    def unchanged(arrays):
        for i, (a, p) in enumerate(zip(arrays, pristine)):
            if not np.array_equal(backend.to_numpy(a), p, equal_nan=True):
                raise AssertionError(f"{name}: the op wrote into its input {i}")

    ts = [tensor(a.copy(), requires_grad=i in grad_inputs) for i, a in enumerate(arrays_in)]
    out = op(*ts, **kwargs)
    unchanged([t.data for t in ts])
    if reference is not None:
        expected = reference(*[p.copy() for p in pristine], **kwargs)
        got = [o.numpy() for o in out] if isinstance(out, (list, tuple)) else out.numpy()
        np.testing.assert_allclose(
            got, expected, rtol=1e-7, atol=1e-9, err_msg=f"{name}: forward value"
        )
    if check_float32 or check_strided:
        ref = _run(op, kwargs, arrays_in, grad_inputs)
        unchanged(arrays_in)  # through the backward too
        if check_float32:
            _check_float32(op, kwargs, arrays_in, grad_inputs, ref, float32_rtol, name)
        if check_strided:
            _check_strided(op, kwargs, arrays_in, grad_inputs, ref, name)
    fn = lambda *xs: op(*xs, **kwargs)
    limit = elementwise_max_size if directions > 0 else None
    options = dict(directions=directions, elementwise_max_size=limit)
    gradcheck(fn, ts, atol=atol, rtol=rtol, name=name, **options)
    if second_order:
        gradgradcheck(fn, ts, atol=atol, rtol=rtol, name=name, **options)


def op_test(
    op,
    reference,
    nargs=1,
    elements=None,
    shape=None,
    kwargs=None,
    second_order=True,
    grad_inputs=None,
    unique=False,
    atol=1e-5,
    rtol=1e-3,
    *,
    check_float32=True,
    check_strided=True,
    directions=3,
    elementwise_max_size=ELEMENTWISE_MAX_SIZE,
    float32_rtol=1e-4,
):
    """Build a pytest property test for ``op`` (see the module docstring).

    elements: a strategy for every input, or a list with one per input.
    shape:    a strategy for the input shapes (a tuple of ``nargs`` shapes);
              default: shapes with up to 3 axes of up to ``DEFAULT_MAX_SIDE``
              (6) elements, mutually broadcastable.
    kwargs:   a function ``shapes -> strategy of dicts`` for keyword arguments
              that depend on the shapes (e.g. a valid ``axis``).

    The remaining options are :func:`check_op`'s.
    """
    per_input = (
        elements
        if isinstance(elements, (list, tuple))
        else [floats() if elements is None else elements] * nargs
    )
    side = DEFAULT_MAX_SIDE if directions > 0 else 4
    shape_strategy = (
        shape
        if shape is not None
        else (
            shapes(max_side=side).map(lambda s: (s,))
            if nargs == 1
            else broadcastable_shapes(nargs, max_side=side)
        )
    )
    options = dict(
        check_float32=check_float32,
        check_strided=check_strided,
        directions=directions,
        elementwise_max_size=elementwise_max_size,
        float32_rtol=float32_rtol,
    )

    @settings(
        suppress_health_check=[
            HealthCheck.function_scoped_fixture,
            HealthCheck.filter_too_much,
            HealthCheck.too_slow,
            HealthCheck.data_too_large,  # the bigger default shapes, under any profile
        ]
    )
    @given(data=st.data())
    def test(device, data):
        in_shapes = data.draw(shape_strategy, label="shapes")
        xs = [
            data.draw(arrays(s, el, unique=unique), label=f"input {i}")
            for i, (s, el) in enumerate(zip(in_shapes, per_input))
        ]
        kw = data.draw(kwargs(in_shapes), label="kwargs") if kwargs else {}
        check_op(
            op,
            reference,
            xs,
            kw,
            device,
            second_order,
            grad_inputs,
            atol,
            rtol,
            name=_op_name(op),
            **options,
        )

    test.__name__ = f"test_{_op_name(op)}"
    return test
