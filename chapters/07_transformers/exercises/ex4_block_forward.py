"""Exercise 4 (5 points): a causal pre-norm transformer block, forward only.

A GPT block is two residual lines (LN is layer norm, eps 1e-5, biased variance):

    x = x + attn(LN_1(x))      # causal multi-head self-attention
    x = x + mlp(LN_2(x))       # the same MLP at every position

Write ``block_forward(x, params, num_heads)`` in NumPy. ``x`` is (B, T, d);
``params`` is a dict of NumPy arrays named as in minilm's ``TransformerBlock``
(``block.state_dict()``), each Linear stored as (in, out) and applied as ``h @ W + b``:

- ``ln_1.weight``, ``ln_1.bias``, ``ln_2.weight``, ``ln_2.bias``: (d,)
- ``attn.qkv_proj.weight`` (d, 3d), ``attn.qkv_proj.bias`` (3d,): the
  columns are q, then k, then v; split each into ``num_heads`` heads of d/H
  (head h owns features ``h*hd:(h+1)*hd``), attend with
  ``softmax(q k^T / sqrt(hd))`` where key s <= query t, join the heads;
- ``attn.out_proj.weight`` (d, d), ``attn.out_proj.bias`` (d,);
- ``ff.fc.weight`` (d, d_ff), ``ff.fc.bias``, ``ff.proj.weight`` (d_ff, d),
  ``ff.proj.bias``, with GPT-2's tanh GELU between them:
  ``gelu(u) = 0.5 u (1 + tanh(sqrt(2/pi) (u + 0.044715 u^3)))``.

Return the block's output, (B, T, d), float64 for float64 inputs. Do not
modify the inputs, and do not call minilm's layers (build it from NumPy).

Checked against minilm's ``TransformerBlock`` loaded with the same weights and
called with ``causal=True`` (3 points, including inputs and weights of size
up to 30, where an unstable softmax overflows), that changing a later token
never changes an earlier output (1), and that one head and one position work (1).

    python -m minilm grade chapters/07_transformers/exercises/ex4_block_forward.py
"""

from minilm.backend import np  # noqa: F401 - NumPy, for your solution


def block_forward(x, params, num_heads):
    """(B, T, d) -> (B, T, d): x + attn(LN_1(x)), then + mlp(LN_2(.))."""
    ### BEGIN YOUR SOLUTION
    raise NotImplementedError("write block_forward")
    ### END YOUR SOLUTION
