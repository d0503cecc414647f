"""``python -m minilm COMMAND``: one entry point, each command in its own module.

A command module defines ``add_arguments(parser)`` and ``main(args) -> int``;
it is imported only when its command runs, so ``--help`` stays fast.
"""

from __future__ import annotations

import argparse
import importlib
import sys

# command -> (module, one-line help)
COMMANDS = {
    "tour": ("minilm.tour", "train the model ladder on one corpus and compare them"),
    "grade": ("minilm.grading.cli", "grade coursework exercises"),
    "ngram": ("minilm.ngram_cli", "fit an n-gram language model and report perplexity"),
    "demo": ("minilm.demo", "a one-minute end-to-end demo: train a tiny char model"),
}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m minilm", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    argv = sys.argv[1:] if argv is None else list(argv)
    wanted = argv[0] if argv and argv[0] in COMMANDS else None
    for name, (module, help_text) in COMMANDS.items():
        p = sub.add_parser(name, help=help_text, description=help_text)
        if name == wanted:
            importlib.import_module(module).add_arguments(p)
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 2
    return importlib.import_module(COMMANDS[args.command][0]).main(args) or 0
