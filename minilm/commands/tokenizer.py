"""``python -m minilm tokenizer``: train a byte-level BPE tokenizer, and encode or decode with it.

    python -m minilm tokenizer train --text input.txt --vocab-size 512 --out tok.json
    python -m minilm tokenizer encode tok.json "Hello, world"
    python -m minilm tokenizer decode tok.json 72 101 108 108 111

``train`` reads a UTF-8 file (:func:`minilm.data.read_text_file`) and writes the
tokenizer as JSON (:meth:`minilm.text.BPETokenizer.to_dict`). ``encode`` and
``decode`` take any saved tokenizer (:func:`minilm.text.load_tokenizer`). Every
mistake exits with status 2 and no traceback: a bad argument (a missing file
among them) the argparse way, after the usage; a tokenizer file that is too big,
not UTF-8, not JSON or refused by its ``from_dict``, or an id out of range, as
one line on standard error.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from minilm import argtypes
from minilm.data import read_text_file
from minilm.text import BPETokenizer, load_tokenizer
from minilm.text.vocab import check_specials

PROG = "python -m minilm tokenizer"

EXAMPLES = """examples:
  python -m minilm tokenizer train --text input.txt --vocab-size 512 --out tok.json
  python -m minilm tokenizer encode tok.json "Hello, world"
  python -m minilm tokenizer encode tok.json --text input.txt > ids.txt
  python -m minilm tokenizer decode tok.json < ids.txt"""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Train a byte-level BPE tokenizer, and encode or decode text with it.",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    train = sub.add_parser("train", help="learn BPE merges from a UTF-8 text file",
                           description="Learn byte-level BPE merges from a UTF-8 text file "
                           "and write the tokenizer as JSON.")  # fmt: skip
    train.add_argument("--text", required=True, type=argtypes.existing_file, metavar="PATH",
                       help="the training text (UTF-8)")  # fmt: skip
    train.add_argument("--vocab-size", required=True, type=argtypes.positive_int, metavar="N",
                       help="tokens in all: 256 bytes + merges + special tokens")  # fmt: skip
    train.add_argument("--out", required=True, type=argtypes.output_file, metavar="PATH",
                       help="the tokenizer file to write (JSON)")  # fmt: skip
    train.add_argument("--special", nargs="+", action="extend", default=[], metavar="TOKEN",
                       help="special tokens such as '<|endoftext|>': whole tokens, never "
                       "merged; their ids come after the merges")  # fmt: skip
    train.set_defaults(run=_train, parser=train)

    encode = sub.add_parser("encode", help="print the token ids of a text",
                            description="Print the token ids of a text, space-separated, "
                            "on one line.")  # fmt: skip
    encode.add_argument("tokenizer", type=argtypes.existing_file, metavar="TOKENIZER",
                        help="a saved tokenizer (JSON)")  # fmt: skip
    what = encode.add_mutually_exclusive_group(required=True)
    what.add_argument("text", nargs="?", metavar="TEXT", help="the text to encode")
    what.add_argument("--text", dest="text_file", type=argtypes.existing_file, metavar="PATH",
                      help="encode this UTF-8 file instead")  # fmt: skip
    encode.set_defaults(run=_encode, parser=encode)

    decode = sub.add_parser("decode", help="print the text of token ids",
                            description="Print the text of token ids, exactly (a newline is "
                            "added only when the output is a terminal).")  # fmt: skip
    decode.add_argument("tokenizer", type=argtypes.existing_file, metavar="TOKENIZER",
                        help="a saved tokenizer (JSON)")  # fmt: skip
    decode.add_argument("ids", nargs="*", type=argtypes.nonnegative_int, metavar="ID",
                        help="token ids (none: read them, whitespace-separated, from "
                        "standard input)")  # fmt: skip
    decode.set_defaults(run=_decode, parser=decode)
    return parser


def _fail(message) -> int:
    """One line on standard error; exit status 2."""
    print(f"{PROG}: error: {message}", file=sys.stderr)
    return 2


def _train(args) -> int:
    try:
        specials = check_specials(args.special)
    except ValueError as e:
        args.parser.error(f"argument --special: {e}")
    least = 256 + len(specials)
    n_special = f"{len(specials)} special token" + "s" * (len(specials) != 1)
    if args.vocab_size < least:
        args.parser.error(f"argument --vocab-size: must be at least {least} (256 bytes + "
                          f"{n_special}), got {args.vocab_size}")  # fmt: skip
    if args.out and Path(args.out).resolve() == args.text.resolve():
        args.parser.error("argument --out: that is the training text; name a new file")
    try:
        text = read_text_file(args.text)
    except (OSError, ValueError) as e:
        return _fail(e)
    tok = BPETokenizer()
    tok.train(text, args.vocab_size, special_tokens=specials, verbose=True)
    ids = tok.encode(text)
    merges, asked = len(tok.merges), args.vocab_size - least
    print(f"learned {merges:,} merges: {tok.vocab_size:,} tokens (256 bytes + {merges:,} merges "
          f"+ {n_special})")  # fmt: skip
    if merges < asked:
        print(f"  ({asked:,} were asked for; every chunk of the text is already one token)")
    print(f"compression: {len(text) / len(ids):.2f} characters per token on {args.text} "
          f"({len(text):,} characters, {len(ids):,} tokens)")  # fmt: skip
    if not args.out:
        print("not saved (--out '')")
        return 0
    try:
        tok.save(args.out)
    except OSError as e:
        return _fail(f"cannot write {args.out}: {e.strerror or e}")
    print(f"wrote {Path(args.out).resolve()}")
    return 0


def _encode(args) -> int:
    try:
        tok = load_tokenizer(args.tokenizer)
        text = args.text if args.text_file is None else read_text_file(args.text_file)
    except (OSError, ValueError) as e:
        return _fail(e)
    try:
        text.encode("utf-8")  # a command-line argument can hold bytes that are not UTF-8
    except UnicodeEncodeError as e:
        return _fail(f"TEXT is not UTF-8 (character {e.start}); save it in a UTF-8 file and "
                     "use --text PATH")  # fmt: skip
    try:
        ids = tok.encode(text)
    except KeyError as e:  # a CharTokenizer without unk meets a new character
        return _fail(e.args[0])
    print(" ".join(map(str, ids)))
    return 0


def _decode(args) -> int:
    try:
        tok = load_tokenizer(args.tokenizer)
    except (OSError, ValueError) as e:
        return _fail(e)
    ids = args.ids
    if not ids:
        try:
            words = sys.stdin.read().split()
        except UnicodeDecodeError as e:
            return _fail(f"standard input is not text: {e.reason} at byte {e.start}")
        ids = []
        for j, word in enumerate(words):
            try:
                ids.append(argtypes.nonnegative_int(word))
            except argparse.ArgumentTypeError as e:
                return _fail(f"standard input, id {j + 1}: {e}")
    n = tok.vocab_size
    for i in ids:
        if i >= n:
            return _fail(f"id {i} is out of range: this tokenizer has {n:,} tokens, "
                         f"ids 0 to {n - 1:,}")  # fmt: skip
    text = tok.decode(ids)
    newline = sys.stdout.isatty() and not text.endswith("\n")
    sys.stdout.write(text + ("\n" if newline else ""))
    return 0


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    return args.run(args)


if __name__ == "__main__":
    raise SystemExit(main())
