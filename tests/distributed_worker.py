"""Run by tests/test_distributed.py as ``mpiexec -n K python tests/distributed_worker.py
OUT PRECISION``, and imported by it for the one-process side: a tiny GPT with dropout
trained with ``fit(world=...)``; rank 0 saves the parameters to OUT/params.npz."""

import os
import sys

import numpy as np

import minilm
import minilm.optim as optim
from minilm.distributed import world as get_world
from minilm.models.gpt import GPT, GPTConfig
from minilm.train import fit

STEPS = 6


def train(accumulate, world, precision, checkpoint_path=None, steps=STEPS, resume=False):
    minilm.manual_seed(0)
    model = GPT(GPTConfig(vocab_size=11, block_size=8, n_layer=2, n_head=2, n_embd=16,
                          dropout=0.2))  # fmt: skip
    if world is not None and world.rank != 0:  # the broadcast must fix a different start
        for p in model.parameters():
            p.data += 1.0
    gen = np.random.default_rng(7)

    def batch():
        x = gen.integers(0, 11, (4, 8))
        return minilm.tensor(x), minilm.tensor((x + 1) % 11)

    opt = optim.AdamW(model.parameters(), lr=1e-2)
    fit(model, opt, batch, steps, accumulate=accumulate, seed=3, progress=False,
        precision=precision, world=world, checkpoint_path=checkpoint_path,
        generators=[gen], resume=resume)  # fmt: skip
    return {name: p.numpy() for name, p in model.named_parameters()}


if __name__ == "__main__":
    out, precision = sys.argv[1], sys.argv[2]
    w = get_world()
    if sys.argv[3:] == ["forever"]:  # until a Ctrl-C; then every rank stops after one step
        shared = os.path.join(out, "shared.ckpt")
        if w.is_root:  # one line: two ranks printing at once can run together
            print("started", flush=True)
        params = train(1, w, precision, shared, steps=10**7)
        if w.is_root:
            np.savez(os.path.join(out, "params.npz"), size=w.size, **params)
        sys.exit(0)
    if sys.argv[3:] == ["resume"]:  # 2 steps, then resumed from the one shared file to STEPS
        shared = os.path.join(out, "shared.ckpt")
        train(1, w, precision, shared, steps=2)
        params = train(1, w, precision, shared, resume="must")
    else:
        params = train(1, w, precision, os.path.join(out, f"ckpt-{w.rank}.ckpt"))
    if w.is_root:
        np.savez(os.path.join(out, "params.npz"), size=w.size, **params)
