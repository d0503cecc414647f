"""``python -m minilm chat MODEL``: talk with a dialogue GPT in the terminal.

MODEL is a file from ``python -m minilm.dialogue train --out MODEL``. Each line
you type is your turn (you speak as ``<a>``, the model as ``<b>``); the model's
turn is sampled (temperature, then top-p) until its end-of-turn token or
``--max-turn-tokens``. The whole conversation stays in the context, and in the
model's KV cache: each turn feeds only its new tokens, until the conversation
outgrows the model's block, when the oldest turns are dropped and the cache is
rebuilt (:class:`minilm.dialogue.ChatSession`).

``/reset`` starts a new conversation; ``/quit`` or Ctrl-D ends.
"""

from __future__ import annotations

import sys

from .. import argtypes


def add_arguments(parser) -> None:
    parser.add_argument("model", type=argtypes.existing_file,
                        help="a model file from python -m minilm.dialogue train")  # fmt: skip
    parser.add_argument("--temperature", type=argtypes.positive_float, default=0.8,
                        help="sampling temperature (default 0.8)")  # fmt: skip
    parser.add_argument("--top-p", type=argtypes.fraction, default=0.9,
                        help="nucleus: sample from this much probability (0.9)")  # fmt: skip
    parser.add_argument("--seed", type=argtypes.seed, default=None,
                        help="makes the replies reproducible")  # fmt: skip
    parser.add_argument("--max-turn-tokens", type=argtypes.positive_int, default=60,
                        help="tokens per reply at most (default 60)")  # fmt: skip
    parser.add_argument("--device", default="cpu", type=argtypes.device, help="cpu or cuda")


def main(args) -> int:
    from ..dialogue import ChatSession, chat_loop, load_dialogue_model

    try:
        model, tok, _ = load_dialogue_model(args.model, device=args.device)
    except ValueError as e:  # an unreadable file, or not a dialogue model
        print(f"chat: error: {e}", file=sys.stderr)
        return 2
    session = ChatSession(model, tok, temperature=args.temperature, top_p=args.top_p,
                          max_turn_tokens=args.max_turn_tokens, seed=args.seed)  # fmt: skip
    interactive = sys.stdin.isatty()
    if interactive:
        print(f"chatting with {args.model} ({model.config.block_size} tokens of context); "
              "/reset starts over, /quit or Ctrl-D ends")  # fmt: skip
    chat_loop(session, sys.stdin, sys.stdout, prompt="you: " if interactive else "")
    return 0
