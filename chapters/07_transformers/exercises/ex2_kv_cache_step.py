"""Exercise 2 (5 points): one decoding step with a KV cache.

Generating token t, a causal self-attention layer needs the keys and values of
every earlier token. Recomputing them costs O(t) each step; a KV cache keeps them.

``cached_attention_step(q, k, v, cache_k, cache_v)``: the new token's query,
key and value are (B, H, 1, hd); the cache holds the earlier ones,
(B, H, S, hd) each (S may be 0). Append the new key and value to the cache,
attend from the new query to all S + 1 keys (scaled dot-product, no mask
needed: every cached token is in the past), and return
``(out (B, H, 1, hd), new_cache_k, new_cache_v)``. Do not modify the inputs.

Checked against ``minilm.nn.KVCache`` with ``F.scaled_dot_product_attention``
(2 points), the same with queries and keys up to 100, where an unstable
softmax overflows (1), against attention over the full prefix (1), and that
S = 0 works (1).

    python -m minilm grade chapters/07_transformers/exercises/ex2_kv_cache_step.py
"""

from minilm.backend import np  # noqa: F401 - NumPy, for your solution


def cached_attention_step(q, k, v, cache_k, cache_v):
    """(out (B, H, 1, hd), cache_k (B, H, S+1, hd), cache_v (B, H, S+1, hd))."""
    ### BEGIN YOUR SOLUTION
    raise NotImplementedError("write cached_attention_step")
    ### END YOUR SOLUTION
