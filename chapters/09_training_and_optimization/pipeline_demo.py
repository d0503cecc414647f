"""Chapter 09's pipeline demo: a GPT cut into one stage per process, trained GPipe-style,
checked against the same model trained in one process.

    mpiexec -n 2 python chapters/09_training_and_optimization/pipeline_demo.py

Every rank builds the same small GPT (rank 0's parameters are broadcast) and a
one-process copy of it. Each step, the pipeline (``minilm.pipeline.pipeline_step``,
``--micro`` micro-batches) computes the gradients of this rank's stage only;
beside it, the copy takes the whole batch's loss and ``backward()`` in the usual
way. Both are stepped by AdamW. Rank 0 gathers and prints, per step, the two
losses, and per rank the largest difference between its stage's gradients and
the copy's. The windows all have the same length, so the mean of the
micro-batches' losses is the whole batch's loss, and the gradients agree to
rounding. Run as a plain process (a world of one), the pipeline runs the whole
model locally.
"""

from __future__ import annotations

import argparse
import time

import minilm
import minilm.functional as F
import minilm.optim as optim
from minilm.backend import np
from minilm.data import lm_batch
from minilm.data.lm_corpus import CharCorpus
from minilm.distributed import broadcast_parameters, world
from minilm.models.gpt import GPT, GPTConfig
from minilm.pipeline import PipelineStage, bubble_fraction, pipeline_step


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--micro", type=int, default=4, help="micro-batches per step")
    parser.add_argument("--steps", type=int, default=3, help="optimizer steps")
    parser.add_argument("--batch", type=int, default=16, help="windows per batch")
    args = parser.parse_args(argv)

    w = world()
    corpus = CharCorpus.load("tinyshakespeare")
    ids = corpus.split("train")[0]
    config = GPTConfig(vocab_size=corpus.vocab_size, block_size=32, n_layer=4, n_head=4,
                       n_embd=64)  # fmt: skip
    minilm.manual_seed(0)
    model = GPT(config)
    broadcast_parameters(model, w)  # promise 1 of any parallel training: the same start
    reference = GPT(config)
    reference.load_state_dict(model.state_dict())
    stage = PipelineStage(model, w.rank, w.size)
    opt = optim.AdamW(stage.parameters(), lr=1e-3)
    ref_opt = optim.AdamW(reference.parameters(), lr=1e-3)
    ref_params = dict(reference.named_parameters())
    gen = np.random.default_rng(0)  # the same batches on every rank

    rows, seconds = [], 0.0
    for step in range(args.steps):
        x, y = lm_batch(ids, args.batch, config.block_size, rng=gen)
        opt.zero_grad()
        ref_opt.zero_grad()
        t0 = time.perf_counter()
        loss = pipeline_step(model, x, y, w, n_micro=args.micro)
        seconds += time.perf_counter() - t0
        ref_loss = F.cross_entropy(reference(x), y)
        ref_loss.backward()
        grad_diff = max(float(np.abs(p.grad.numpy() - ref_params[n].grad.numpy()).max())
                        for n, p in stage.named_parameters())  # fmt: skip
        grad_size = max(float(np.abs(p.grad.numpy()).max()) for p in stage.parameters())
        opt.step()
        ref_opt.step()
        rows.append((step + 1, loss, ref_loss.item(), grad_diff, grad_size))
    param_diff = max(float(np.abs(p.numpy() - ref_params[n].numpy()).max())
                     for n, p in stage.named_parameters())  # fmt: skip
    mine = {"rank": w.rank, "stage": repr(stage), "owns": len(stage.parameters()),
            "rows": rows, "param_diff": param_diff, "seconds": seconds}  # fmt: skip
    everyone = w.comm.gather(mine, root=0) if w.size > 1 else [mine]
    if not w.is_root:
        return 0
    print(f"{w.size} process(es), {args.micro} micro-batches of {args.batch // args.micro} "
          f"windows; bubble fraction {bubble_fraction(w.size, args.micro):.3f}")  # fmt: skip
    for r in everyone:
        print(f"rank {r['rank']}: {r['stage']}, owns {r['owns']} parameter tensors")
    print("step  pipeline loss  one-process loss  |loss diff|  max |grad diff| per rank")
    for i in range(args.steps):
        step, loss, ref, _, _ = everyone[0]["rows"][i]
        diffs = "  ".join(f"{r['rows'][i][3]:.1e} (of {r['rows'][i][4]:.1e})" for r in everyone)
        print(f"{step:4d}  {loss:13.6f}  {ref:16.6f}  {abs(loss - ref):11.1e}  {diffs}")
    print("after the last update, max |parameter diff| per rank: "
          + ", ".join(f"{r['param_diff']:.1e}" for r in everyone))  # fmt: skip
    print(f"seconds in pipeline_step, rank 0: {everyone[0]['seconds']:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
