"""The two-process half of tests/test_pipeline.py.

``mpiexec -n 2 python tests/pipeline_worker.py OUT_DIR``: for a tied and an untied
tiny GPT, each rank builds the same model and a one-process reference copy, then

1. for several micro-batch counts, runs one :func:`minilm.pipeline.pipeline_step`
   (and once two in a row, their gradients adding up) and, beside it, gradient
   accumulation over the same micro-batches on the reference (every rank computes
   the whole reference: the model is tiny);
2. runs a few AdamW steps both ways.

Each rank compares what it owns (its stage's parameters) and writes
``OUT_DIR/rank{R}.json``: per case, the two losses and the largest gradient and
parameter differences, by parameter name, so that the test can name what
drifted, and the rank's final ``wte.weight`` (the tied copies must stay equal).
"""

import json
import sys
from pathlib import Path

import minilm
import minilm.functional as F
import minilm.optim as optim
from minilm.backend import np
from minilm.distributed import broadcast_parameters, world
from minilm.models.gpt import GPT, GPTConfig
from minilm.pipeline import PipelineStage, pipeline_step

CASES = {"tied": True, "untied": False}
# Adam divides by sqrt(v) + eps, so a gradient that is only rounding noise (the key
# projection's bias: exactly zero in exact arithmetic, as the softmax ignores a shift
# shared by all keys) turns into a step of noise. eps=1e-6 keeps those steps small,
# so that the comparison is about the pipeline, not about amplified rounding.
BATCH, OPT_MICRO, OPT_STEPS, LR, EPS = 4, 2, 3, 1e-2, 1e-6
# label -> the (batch seed, n_micro) of each pipeline_step before the gradients are compared
GRAD_CASES = {"1": [(1, 1)], "2": [(2, 2)], "4": [(4, 4)], "2+4": [(5, 2), (6, 4)]}


def config(tied: bool) -> GPTConfig:
    return GPTConfig(vocab_size=11, block_size=8, n_layer=2, n_head=2, n_embd=16,
                     tie_weights=tied)  # fmt: skip


def batch(seed: int):
    rng = np.random.default_rng(seed)
    x, y = rng.integers(0, 11, (2, BATCH, 8))
    return minilm.tensor(x), minilm.tensor(y)


def accumulate(model, x, y, n_micro) -> float:
    """The one-process reference: n_micro consecutive slices, each loss / n_micro."""
    n, total = len(x) // n_micro, 0.0
    for i in range(n_micro):
        loss = F.cross_entropy(model(x[i * n : (i + 1) * n]), y[i * n : (i + 1) * n])
        total += loss.item()
        (loss * (1.0 / n_micro)).backward()
    return total / n_micro


def max_diff(a, b) -> float:
    return float(np.abs(a.numpy() - b.numpy()).max())


def run_case(w, tied: bool) -> dict:
    minilm.manual_seed(0)
    model = GPT(config(tied))
    broadcast_parameters(model, w)
    reference = GPT(config(tied))
    reference.load_state_dict(model.state_dict())
    stage = PipelineStage(model, w.rank, w.size)
    ref_params = dict(reference.named_parameters())
    owned = stage.named_parameters()
    out = {"owned": [name for name, _ in owned], "steps": {}}

    # one step per micro-batch count, then two steps with no zero_grad between:
    # their gradients add up, and the tied copies' sum must count each step once
    for label, runs in GRAD_CASES.items():
        model.zero_grad()
        reference.zero_grad()
        for seed, n_micro in runs:
            x, y = batch(seed)
            loss = pipeline_step(model, x, y, w, n_micro)
            ref_loss = accumulate(reference, x, y, n_micro)
        out["steps"][label] = {
            "loss": [loss, ref_loss],
            "grad": {name: max_diff(p.grad, ref_params[name].grad) for name, p in owned},
            "grad_scale": {name: float(np.abs(p.grad.numpy()).max()) for name, p in owned},
        }

    opt = optim.AdamW(stage.parameters(), lr=LR, eps=EPS)
    ref_opt = optim.AdamW(reference.parameters(), lr=LR, eps=EPS)
    losses = []
    for step in range(OPT_STEPS):
        x, y = batch(100 + step)
        opt.zero_grad()
        ref_opt.zero_grad()
        losses.append([pipeline_step(model, x, y, w, OPT_MICRO),
                       accumulate(reference, x, y, OPT_MICRO)])  # fmt: skip
        opt.step()
        ref_opt.step()
    out["train_loss"] = losses
    out["param"] = {name: max_diff(p, ref_params[name]) for name, p in owned}
    out["wte"] = model.wte.weight.numpy().tolist()
    return out


def main(out_dir: Path) -> None:
    w = world()
    if w.size != 2:
        raise SystemExit(f"pipeline_worker: run with mpiexec -n 2, got a world of {w.size}")
    results = {}
    for case, tied in CASES.items():
        results[case] = run_case(w, tied)
    (out_dir / f"rank{w.rank}.json").write_text(json.dumps(results, indent=1))
    w.barrier()


if __name__ == "__main__":
    main(Path(sys.argv[1]))
