"""Argument types for every command line, so each kind of mistake gets one kind of error.

Each is a callable for argparse's ``type=``. A bad value raises
``argparse.ArgumentTypeError``, which argparse prints as one line naming the
flag, after the usage, and exits with status 2 (never a traceback):

    error: argument --steps: must be a whole number >= 1, got '0'

>>> positive_int("3"), nonnegative_int("0"), probability("0.1")
(3, 0, 0.1)
>>> positive_int("0")
Traceback (most recent call last):
...
argparse.ArgumentTypeError: must be a whole number >= 1, got '0'
>>> comma_list(["a", "b"])("b,a")
['b', 'a']
"""

from __future__ import annotations

import argparse
import math
from pathlib import Path

__all__ = [
    "positive_int",
    "nonnegative_int",
    "seed",
    "positive_float",
    "loss_scale",
    "int_between",
    "batch_size",
    "ngram_order",
    "nonnegative_float",
    "probability",
    "fraction",
    "learning_rate",
    "device",
    "comma_list",
    "existing_file",
    "existing_path",
    "output_file",
    "MAX_LEARNING_RATE",
]

# No optimizer in minilm trains with a larger step: Adam and AdamW move each
# weight by about lr per step, and SGD on these models diverges far below it.
MAX_LEARNING_RATE = 10.0


def _parse(text: str, kind):
    what = "a whole number" if kind is int else "a number"
    try:
        value = kind(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be {what}, got {text!r}") from None
    if kind is float and not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"must be a finite number, got {text!r}")
    return value


def _at_least(kind, low: float):
    what = "a whole number" if kind is int else "a number"

    def parse(text: str):
        value = _parse(text, kind)
        if value < low:
            raise argparse.ArgumentTypeError(f"must be {what} >= {low}, got {text!r}")
        return value

    return parse


positive_int = _at_least(int, 1)
positive_int.__doc__ = "A whole number >= 1 (steps, sizes, counts of things that must exist)."
nonnegative_int = _at_least(int, 0)
nonnegative_int.__doc__ = "A whole number >= 0 (counts where 0 means none)."
seed = _at_least(int, 0)
seed.__doc__ = "A random seed: a whole number >= 0 (NumPy's generators take no negative seed)."
nonnegative_float = _at_least(float, 0.0)
nonnegative_float.__doc__ = "A finite number >= 0 (weights such as a KL coefficient)."


def int_between(low: int, high: int, why: str = ""):
    """A whole number in [low, high]; ``why`` says what the upper bound protects."""

    def parse(text: str) -> int:
        value = _parse(text, int)
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(
                f"must be a whole number from {low} to {high:,}, got {text!r}"
                + (f" ({why})" if why else "")
            )
        return value

    return parse


MAX_BATCH = 1 << 20
batch_size = int_between(1, MAX_BATCH, "a larger batch does not fit a laptop's memory")
batch_size.__doc__ = "Examples per step: 1 to MAX_BATCH."
ngram_order = int_between(
    1, 10, "counts of longer n-grams are almost all ones, and memory grows with n"
)
ngram_order.__doc__ = "An n-gram order from 1 to 10."


def positive_float(text: str) -> float:
    """A finite number > 0 (time limits, temperatures)."""
    value = _parse(text, float)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be a number > 0, got {text!r}")
    return value


def loss_scale(text: str):
    """``dynamic`` or a positive number (fp16's loss scale)."""
    if text == "dynamic":
        return text
    try:
        return positive_float(text)
    except argparse.ArgumentTypeError:
        raise argparse.ArgumentTypeError(
            f"expected 'dynamic' or a positive number (e.g. 65536, or 1 for no scaling), "
            f"got {text!r}"
        ) from None


def probability(text: str) -> float:
    """A rate in [0, 1), such as dropout (1 would drop everything)."""
    value = _parse(text, float)
    if not 0 <= value < 1:
        raise argparse.ArgumentTypeError(f"must be in [0, 1), got {text!r}")
    return value


def fraction(text: str) -> float:
    """A number in (0, 1], such as top-p's share of the probability mass."""
    value = _parse(text, float)
    if not 0 < value <= 1:
        raise argparse.ArgumentTypeError(f"must be in (0, 1], got {text!r}")
    return value


def learning_rate(text: str) -> float:
    """A learning rate in (0, MAX_LEARNING_RATE]."""
    value = _parse(text, float)
    if not 0 < value <= MAX_LEARNING_RATE:
        raise argparse.ArgumentTypeError(
            f"must be in (0, {MAX_LEARNING_RATE:g}], got {text!r} (typical: 1e-4 to 1e-2 for "
            "Adam; larger steps diverge)"
        )
    return value


def device(text: str) -> str:
    """``cpu`` or ``cuda``; ``cuda`` only where CuPy sees a GPU (checked before any work)."""
    if text not in ("cpu", "cuda"):
        raise argparse.ArgumentTypeError(f"must be cpu or cuda, got {text!r}")
    if text == "cuda":
        from . import cuda

        if not cuda.is_available():
            raise argparse.ArgumentTypeError(
                "cuda needs CuPy and an NVIDIA GPU (pip install 'minilm[gpu]'); none is "
                "visible here, use --device cpu"
            )
    return text


def comma_list(choices):
    """A comma-separated subset of ``choices``, in the order given, each at most once."""
    choices = list(choices)

    def parse(text: str) -> list[str]:
        items = [item.strip() for item in text.split(",") if item.strip()]
        if not items:
            raise argparse.ArgumentTypeError(f"name at least one of: {', '.join(choices)}")
        for item in items:
            if item not in choices:
                raise argparse.ArgumentTypeError(
                    f"unknown {item!r}; choose from {', '.join(choices)}"
                )
        if len(set(items)) < len(items):
            raise argparse.ArgumentTypeError(f"a name is given twice in {text!r}")
        return items

    return parse


def existing_file(text: str) -> Path:
    """A path to a file that exists and is not a folder."""
    path = Path(text)
    if not path.exists():
        raise argparse.ArgumentTypeError(f"no such file: {text!r}")
    if not path.is_file():
        raise argparse.ArgumentTypeError(f"not a file: {text!r}")
    return path


def existing_path(text: str) -> Path:
    """A path to a file or folder that exists."""
    path = Path(text)
    if not path.exists():
        raise argparse.ArgumentTypeError(f"no such file or folder: {text!r}")
    return path


def output_file(text: str) -> str:
    """A file to write: its folder must exist (checked before any work, not after it),
    and it must not be a folder. ``''`` means: write nothing."""
    if text == "":
        return text
    path = Path(text)
    if path.is_dir():
        raise argparse.ArgumentTypeError(f"{text!r} is a folder; name a file in it")
    parent = path.parent if str(path.parent) else Path(".")
    if not parent.is_dir():
        raise argparse.ArgumentTypeError(
            f"the folder {str(parent)!r} does not exist; create it first"
        )
    return text
