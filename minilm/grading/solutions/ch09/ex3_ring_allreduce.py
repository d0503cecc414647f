"""Reference solution: chapters/09_training_and_optimization/exercises/ex3_ring_allreduce.py."""


def _chunk(n, k, i):
    i = i % k
    return slice(n * i // k, n * (i + 1) // k)


def reduce_scatter_step(buffers, step):
    k = len(buffers)
    n = buffers[0].size
    out = [b.copy() for b in buffers]
    for r in range(k):
        part = _chunk(n, k, r - step)
        out[(r + 1) % k][part] += buffers[r][part]  # what rank r held before this step
    return out


def allgather_step(buffers, step):
    k = len(buffers)
    n = buffers[0].size
    out = [b.copy() for b in buffers]
    for r in range(k):
        part = _chunk(n, k, r + 1 - step)
        out[(r + 1) % k][part] = buffers[r][part]
    return out
