"""``python -m minilm COMMAND`` (or ``minilm COMMAND``): one entry point for every command.

A command module either defines ``add_arguments(parser)`` and ``main(args) ->
int`` (its options join this parser), or is a program with its own parser,
``main(argv) -> int``, which gets the rest of the command line. Either way it
is imported only when its command runs, so ``--help`` stays fast.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys

# command -> (module, one-line help, whether the module parses its own argv)
COMMANDS = {
    "tour": ("minilm.tour", "train the model ladder on one corpus and compare them", False),
    "train": (
        "minilm.commands.train",
        "train one model on a corpus or your own text, save it",
        False,
    ),
    "generate": ("minilm.commands.generate", "continue a prompt with a saved model", False),
    "chat": ("minilm.commands.chat", "talk with a dialogue model in the terminal", False),
    "serve": (
        "minilm.commands.serve",
        "serve trained models over HTTP (API, metrics, a page)",
        False,
    ),
    "evaluate": (
        "minilm.commands.evaluate",
        "write a model card: held-out metrics, limits, bias",
        False,
    ),
    "export": ("minilm.commands.export", "write a trained GPT's weights for PyTorch", False),
    "tokenizer": ("minilm.commands.tokenizer", "train, apply or invert a byte-level BPE", True),
    "demo": ("minilm.demo", "a one-minute end-to-end demo: train a tiny char model", False),
    "ngram": ("minilm.ngram_cli", "fit an n-gram language model and report perplexity", False),
    "grade": ("minilm.grading.cli", "grade coursework exercises", False),
    "gpt-train": ("minilm.commands.gpt_train", "train the char GPT on tinyshakespeare", True),
    "translation": (
        "minilm.commands.translation",
        "train and compare the English-French translators (BLEU)",
        True,
    ),
    "finetune": (
        "minilm.commands.finetune",
        "pretrained vs from-scratch BERT vs bag of words on classification",
        True,
    ),
    "bench": ("minilm.bench.__main__", "run a benchmark (speed, or a method comparison)", True),
    "course": ("minilm.course", "sync the notebooks with the lessons; build the website", True),
}


def prog_name() -> str:
    """``minilm`` when run as the console script, else ``python -m minilm``."""
    return "minilm" if os.path.basename(sys.argv[0] or "") == "minilm" else "python -m minilm"


def build_parser(wanted: str | None = None) -> argparse.ArgumentParser:
    prog = prog_name()
    width = max(len(name) for name in COMMANDS)
    listing = "\n".join(
        f"  {name:{width}}  {help_text}" for name, (_, help_text, _) in COMMANDS.items()
    )
    parser = argparse.ArgumentParser(
        prog=prog,
        description="minilm: a language-model stack written from scratch, for learning.",
        epilog=f"commands:\n{listing}\n\nRun '{prog} COMMAND --help' for a command's options.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", help="one of the commands below")
    for name, (module, help_text, own_parser) in COMMANDS.items():
        p = sub.add_parser(name, description=help_text)  # no help=: the epilog lists them
        if name == wanted and not own_parser:
            importlib.import_module(module).add_arguments(p)
    return parser


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    wanted = argv[0] if argv and argv[0] in COMMANDS else None
    if wanted and COMMANDS[wanted][2]:
        return importlib.import_module(COMMANDS[wanted][0]).main(argv[1:]) or 0
    parser = build_parser(wanted)
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 2
    return importlib.import_module(COMMANDS[args.command][0]).main(args) or 0
