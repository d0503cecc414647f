"""Reference solution: chapters/09_training_and_optimization/exercises/ex4_gpipe_schedule.py."""


def split_microbatches(x, y, n_micro):
    if len(x) != len(y):
        raise ValueError(f"x and y differ in length: {len(x)} and {len(y)}")
    if len(x) % n_micro:
        raise ValueError(f"a batch of {len(x)} does not split into {n_micro} equal parts")
    n = len(x) // n_micro
    return [(x[i * n : (i + 1) * n], y[i * n : (i + 1) * n]) for i in range(n_micro)]


def gpipe_schedule(n_stages, n_micro):
    span = n_stages + n_micro - 1  # ticks per phase
    schedule = [[] for _ in range(2 * span)]
    for s in range(n_stages):
        for m in range(n_micro):
            schedule[s + m].append((s, "F", m))
            schedule[2 * span - 1 - (s + m)].append((s, "B", m))
    return schedule


def bubble_fraction(n_stages, n_micro):
    return (n_stages - 1) / (n_micro + n_stages - 1)
