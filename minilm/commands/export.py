"""``python -m minilm export MODEL OUT.safetensors``: a trained GPT's weights for PyTorch.

Writes the weights of a GPT model file (from ``python -m minilm train --model
gpt``) with :func:`minilm.export.export_gpt`: the names and (out, in) Linear
layout of the PyTorch twin in ``minilm/bench/torch_gpt.py``, the GPT config and
the tokenizer as JSON in the file's metadata. In PyTorch::

    from safetensors.torch import load_file
    model.load_state_dict(load_file("OUT.safetensors"))  # a model with the twin's names
"""

from __future__ import annotations

import json
import os
import sys

from .. import argtypes
from ..checkpoint import load_model
from ..export import export_gpt
from ..io import CheckpointError


def add_arguments(parser) -> None:
    parser.add_argument("model", type=argtypes.existing_file, help="a GPT model file from train")
    parser.add_argument("out", type=argtypes.output_file, help="the .safetensors file to write")


def main(args) -> int:
    try:
        model, tok, info = load_model(args.model)
    except CheckpointError as e:
        print(f"export: error: {e}", file=sys.stderr)
        return 2
    if info["family"] != "gpt":
        print(
            f"export: error: {args.model} holds a {info['family']} model; export writes GPT "
            "weights for PyTorch (train one with --model gpt)",
            file=sys.stderr,
        )
        return 2
    metadata = {} if tok is None else {"tokenizer": json.dumps(tok.to_dict())}
    export_gpt(model, args.out, metadata)
    n = model.num_parameters()
    print(
        f"wrote {n:,} parameters to {os.path.abspath(args.out)} (PyTorch names and layouts; "
        "the config and tokenizer are in its metadata)"
    )
    return 0
