"""Model families, each in its own module: ``from minilm.models import GPT``.

>>> from minilm.models import GPT, GPTConfig
>>> GPT(GPTConfig(vocab_size=5, block_size=4, n_layer=1, n_head=1, n_embd=8)).num_parameters()
960
"""

from .bert import BERT, BERTConfig, mask_tokens
from .gpt import GPT, GPTConfig
from .transformer import Transformer, TransformerConfig

__all__ = ["GPT", "GPTConfig", "BERT", "BERTConfig", "mask_tokens", "Transformer",
           "TransformerConfig"]  # fmt: skip
