"""``python -m minilm generate MODEL --prompt TEXT``: continue a prompt with a saved model.

Reads a model file written by ``python -m minilm train`` (or
:func:`minilm.save_model`) and prints the prompt and its continuation.
Sampling is :func:`minilm.generate.generate` (temperature, top-k, top-p, a
seed); ``--beam B`` is beam search instead; ``--greedy`` the most likely token.

For a model of short records (names, one per line), the prompt is the start of
a record and generation stops at the record's end. A character the model never
saw is an error that names it (a character tokenizer has no ``<unk>``: the
model has no probabilities for it); a BPE model can read any text.
"""

from __future__ import annotations

import sys

from .. import argtypes
from ..checkpoint import load_model
from ..generate import beam_search, generate
from ..io import CheckpointError
from ..prompt import neural_setup, ngram_setup


def add_arguments(parser) -> None:
    parser.add_argument("model", type=argtypes.existing_file, help="a model file from train")
    parser.add_argument("--prompt", default="", help="the text to continue (default: none)")
    parser.add_argument(
        "--max-new-tokens",
        type=argtypes.positive_int,
        default=200,
        help="tokens to add at most (default 200)",
    )
    parser.add_argument("--temperature", type=argtypes.positive_float, default=1.0)
    parser.add_argument("--top-k", type=argtypes.positive_int, default=None)
    parser.add_argument("--top-p", type=argtypes.fraction, default=None)
    parser.add_argument(
        "--beam",
        type=argtypes.positive_int,
        default=None,
        help="beam search with this many beams (instead of sampling)",
    )
    parser.add_argument("--greedy", action="store_true", help="always the most likely token")
    parser.add_argument(
        "--seed", type=argtypes.seed, default=None, help="makes sampling reproducible"
    )
    parser.add_argument("--device", default="cpu", type=argtypes.device, help="cpu or cuda")


def main(args) -> int:
    try:
        model, tok, info = load_model(args.model, device=args.device)
        text = info.get("text", {})
        if info["family"] == "ngram":
            step, prompt, stop, decode = ngram_setup(model, args.prompt,
                                                     bool(text.get("stream", True)))  # fmt: skip
        else:
            step, prompt, stop, decode = neural_setup(model, tok, args.prompt, text)
    except (CheckpointError, ValueError) as e:
        print(f"generate: error: {e}", file=sys.stderr)
        return 2
    if args.beam:
        best = beam_search(step, prompt, args.max_new_tokens, beam_size=args.beam,
                           stop_token=stop)  # fmt: skip
        out = best[0].tokens
    else:
        out = generate(step, prompt, args.max_new_tokens, temperature=args.temperature,
                       top_k=args.top_k, top_p=args.top_p, greedy=args.greedy, stop_token=stop,
                       seed=args.seed)  # fmt: skip
    print(args.prompt + decode(out))
    return 0
