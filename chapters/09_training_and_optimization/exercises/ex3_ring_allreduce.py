"""Exercise 3 (6 points): one step of ring allreduce.

K ranks stand in a ring, each holding a buffer of n numbers (its gradient);
here a list of K NumPy arrays of shape (n,) stands in for them, ``buffers[r]``
being rank r's. Each buffer is cut into K contiguous chunks, chunk i being
``buffer[n * i // K : n * (i + 1) // K]`` (sizes differ by at most one; a chunk
may be empty when n < K). At every step, every rank sends one chunk to its
right neighbour, rank (r + 1) % K, all at the same time.

- ``reduce_scatter_step(buffers, step)``: at step s, rank r sends its chunk
  (r - s) % K, and rank r + 1 *adds* it into its own copy of that chunk.
  After steps 0 .. K-2, rank r holds the full sum of chunk (r + 1) % K.
- ``allgather_step(buffers, step)``: at step s, rank r sends its chunk
  (r + 1 - s) % K (the summed one it finished, and then the ones it received),
  and rank r + 1 *overwrites* its copy with it. After steps 0 .. K-2, every rank
  holds every summed chunk: the allreduce is done.

Both return the new list of K buffers (new arrays, same dtype); do not change
the inputs. Careful: all ranks send at once, so what rank r sends at step s is
the chunk as it was *before* that step.

Each rank sends 2(K - 1) chunks of n/K numbers in all: 2(K - 1)/K times its
buffer, nearly twice the buffer whatever K is. That is why every deep-learning
allreduce of large gradients (MPI's, NCCL's) is built on a ring.

Checked against ``minilm.distributed``: one ``reduce_scatter_step`` (2 points)
and one ``allgather_step`` (2 points) on random buffers and steps against
``ring_reduce_scatter_step`` and ``ring_allgather_step``; and your two
composed, K - 1 steps of each, giving every rank the sum (2 points).

    python -m minilm grade chapters/09_training_and_optimization/exercises/ex3_ring_allreduce.py
"""

from minilm.backend import np  # noqa: F401 - NumPy, for your solution


def reduce_scatter_step(buffers, step):
    """The K buffers after reduce-scatter step ``step``: each rank adds in the chunk
    its left neighbour sends."""
    ### BEGIN YOUR SOLUTION
    raise NotImplementedError("write reduce_scatter_step")
    ### END YOUR SOLUTION


def allgather_step(buffers, step):
    """The K buffers after all-gather step ``step``: each rank takes the summed chunk
    its left neighbour sends."""
    ### BEGIN YOUR SOLUTION
    raise NotImplementedError("write allgather_step")
    ### END YOUR SOLUTION
