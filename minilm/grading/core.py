"""Checks, the hypothesis settings graders share, and small assertion helpers.

A grader module (``minilm/grading/graders/chNN/exN_name.py``) defines its checks
with :func:`check`; the runner collects them in the order they are defined.
A check is a function of the student's module that returns normally when the
student's code is right and raises (usually ``AssertionError``) when it is not.

>>> @check(points=2)
... def adds(student):
...     "add(1, 2) is 3"
...     assert student.add(1, 2) == 3
>>> adds.name, adds.points, adds.description
('adds', 2, 'add(1, 2) is 3')
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass

from hypothesis import HealthCheck, Phase, given, settings

from .. import backend

__all__ = ["Check", "check", "prop", "checks_of", "assert_close"]

# Derandomized so a grade is reproducible; no example database, so grading
# writes nothing into the student's folder.
GRADER_SETTINGS = settings(
    max_examples=30,
    deadline=None,
    derandomize=True,
    database=None,
    print_blob=False,
    report_multiple_bugs=False,
    phases=[Phase.explicit, Phase.reuse, Phase.generate, Phase.shrink],  # no slow "explain"
    suppress_health_check=list(HealthCheck),
)


@dataclass(frozen=True)
class Check:
    """One graded property: ``fn(student_module)`` raises when it fails."""

    name: str
    points: int
    description: str
    fn: object

    def __call__(self, student):
        return self.fn(student)


def check(points: int = 1, name: str | None = None):
    """Decorator: turn ``fn(student)`` into a :class:`Check` worth ``points``.

    The first line of the docstring says what is checked; the report shows it.
    """

    def wrap(fn) -> Check:
        doc = inspect.getdoc(fn) or fn.__name__
        return Check(name or fn.__name__, points, doc.splitlines()[0], fn)

    return wrap


def prop(max_examples: int | None = None, **strategies):
    """``hypothesis.given`` with the graders' settings: the decorated function
    takes the student module first, then the drawn values by keyword.

    >>> from hypothesis import strategies as st
    >>> @prop(n=st.integers(0, 9))
    ... def small(student, n):
    ...     assert n < 10
    >>> small(None)
    """
    chosen = (
        GRADER_SETTINGS
        if max_examples is None
        else settings(GRADER_SETTINGS, max_examples=max_examples)
    )

    def wrap(fn):
        return chosen(given(**strategies)(fn))

    return wrap


def checks_of(module) -> list[Check]:
    """The checks a grader module defines, in definition order."""
    return [v for v in vars(module).values() if isinstance(v, Check)]


def assert_close(actual, expected, what: str, rtol: float = 1e-6, atol: float = 1e-8,
                 dtype: bool = True):  # fmt: skip
    """Assert two arrays have the same shape and values, with a message a student
    can act on: which quantity, the shapes, and the worst element.

    With ``dtype`` (the default), a floating-point answer must be as precise as
    the reference: float32 where the reference is float64 fails.

    >>> import numpy as np
    >>> assert_close([1.0, 2.0], [1.0, 2.0], "grad")
    >>> assert_close(np.float32([1.0]), np.float64([1.0]), "p")
    Traceback (most recent call last):
    ...
    AssertionError: p: dtype float32, expected float64 (compute in the reference's precision)
    """
    np = backend.np
    if actual is None:
        raise AssertionError(f"{what}: got None (did the function return it?)")
    actual = backend.to_numpy(getattr(actual, "data", actual))
    expected = backend.to_numpy(getattr(expected, "data", expected))
    if dtype:
        got_type, want_type = np.asarray(actual).dtype, np.asarray(expected).dtype
        if (
            want_type.kind == "f"
            and got_type.kind in "fc"
            and got_type.itemsize < want_type.itemsize
        ):
            raise AssertionError(
                f"{what}: dtype {got_type}, expected {want_type} (compute in the reference's "
                "precision)"
            )
    actual, expected = np.asarray(actual, dtype=float), np.asarray(expected, dtype=float)
    if actual.shape != expected.shape:
        raise AssertionError(f"{what}: shape {actual.shape}, expected {expected.shape}")
    bad = ~np.isclose(actual, expected, rtol=rtol, atol=atol)
    if bad.any():
        if actual.ndim == 0:
            raise AssertionError(f"{what}: got {float(actual)!r}, expected {float(expected)!r}")
        j = tuple(int(k) for k in np.argwhere(bad)[0])
        raise AssertionError(
            f"{what}: wrong at index {j}: got {float(actual[j])!r}, expected "
            f"{float(expected[j])!r} ({int(bad.sum())} of {bad.size} elements differ)"
        )
