"""Benchmarks: ``python -m minilm.bench NAME [ARGS]`` runs ``minilm.bench.NAME.main(ARGS)``.

Each benchmark is a module here with ``main(argv) -> int``; modules whose name
starts with an underscore are helpers, not benchmarks.
"""

from __future__ import annotations

import contextlib
import pkgutil


def available() -> list[str]:
    """The benchmark names, sorted.

    >>> "bpe" in available()
    True
    """
    names = (m.name for m in pkgutil.iter_modules(__path__))
    return sorted(n for n in names if not n.startswith("_"))


def argument_parser(name: str, doc: str):
    """The ``python -m minilm.bench NAME`` parser, with the module's docstring
    (line breaks kept) as its description."""
    import argparse

    raw = argparse.RawDescriptionHelpFormatter
    return argparse.ArgumentParser(prog=f"python -m minilm.bench {name}", description=doc,
                                   formatter_class=raw)  # fmt: skip


@contextlib.contextmanager
def blas_threads(threads: int | None):
    """Limit BLAS to ``threads`` threads inside the block (with ``threadpoolctl``,
    when installed; otherwise, or with None, nothing changes). Small matrices on a
    busy machine run faster on one thread than on two fighting for the cores."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        threadpool_limits = None
    if threads is None or threadpool_limits is None:
        yield
        return
    with threadpool_limits(threads):
        yield
