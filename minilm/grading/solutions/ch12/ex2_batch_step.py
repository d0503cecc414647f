"""Reference solution: chapters/12_deployment_and_safety/exercises/ex2_batch_step.py."""


def batch_step(running, waiting, prefill, many, max_batch):
    still = []
    for seq in running:
        if seq.cancelled:
            seq.finish_reason = "cancelled"
        else:
            still.append(seq)
    new = []
    while waiting and len(still) + len(new) < max_batch:
        seq = waiting.popleft()
        if seq.cancelled:
            seq.finish_reason = "cancelled"
            continue
        logits, seq.state = prefill(seq)
        seq.add(seq.choose(logits), logits)
        new.append(seq)
    if still:
        rows, states = many([[seq.generated[-1]] for seq in still], [seq.state for seq in still])
        for seq, row, state in zip(still, rows, states):
            seq.state = state
            seq.add(seq.choose(row), row)
    return [seq for seq in still + new if seq.finish_reason is None]
