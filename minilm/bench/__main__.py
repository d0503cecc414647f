"""Dispatch ``python -m minilm.bench NAME [ARGS]`` to ``minilm.bench.NAME.main(ARGS)``."""

from __future__ import annotations

import importlib
import sys

from . import available


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    names = available()
    if not argv or argv[0] in ("-h", "--help"):
        print("usage: python -m minilm.bench NAME [ARGS]\nbenchmarks: " + ", ".join(names))
        return 0 if argv else 2
    name = argv[0].replace("-", "_")  # batch-size runs minilm.bench.batch_size
    if name not in names:
        print(f"unknown benchmark {argv[0]!r}; available: {', '.join(names)}", file=sys.stderr)
        return 2
    return importlib.import_module(f"minilm.bench.{name}").main(argv[1:]) or 0


if __name__ == "__main__":
    sys.exit(main())
