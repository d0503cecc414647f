"""``python -m minilm demo``: minilm end to end in about a minute.

The smallest neural language model there is, trained on real data: a table of
next-character logits, one row per previous character (a *neural bigram*),
learned by gradient descent on the names corpus. It should reach the same
held-out loss as the counted bigram with add-one smoothing, and both print a
few sampled names. Every part is minilm's own: the corpus and its fixed split
(``minilm.data``), the tokenizer (``minilm.text``), the counted model
(``minilm.ngram``), the layer, optimizer and loop (``nn``, ``optim``, ``train``).
"""

from __future__ import annotations

import math
import time

from . import argtypes, nn, optim
from . import functional as F
from .backend import np
from .data import load_split
from .ngram import NgramModel
from .tensor import manual_seed, no_grad, tensor
from .text import CharTokenizer
from .train import fit

BOUNDARY = "."  # marks both the start and the end of a name


def bigram_pairs(names, tok):
    """(previous, next) id pairs over ``.name.`` for every name."""
    ids = [tok.encode(BOUNDARY + name + BOUNDARY) for name in names]
    prev = np.concatenate([np.array(s[:-1]) for s in ids])
    nxt = np.concatenate([np.array(s[1:]) for s in ids])
    return prev, nxt


def sample_names(model, tok, n, rng, max_len=20):
    out = []
    for _ in range(n):
        name, prev = "", tok.encode(BOUNDARY)[0]
        for _ in range(max_len):
            with no_grad():
                p = F.softmax(model(tensor([prev]))).numpy()[0].astype(np.float64)
            prev = int(rng.choice(len(p), p=p / p.sum()))
            ch = tok.decode([prev])
            if ch == BOUNDARY:
                break
            name += ch
        out.append(name)
    return out


def add_arguments(parser) -> None:
    parser.add_argument("--steps", type=argtypes.positive_int, default=300,
                        help="optimizer steps (default 300)")  # fmt: skip
    parser.add_argument("--batch-size", type=argtypes.batch_size, default=4096,
                        help="bigram pairs per step (default 4096)")  # fmt: skip
    parser.add_argument("--lr", type=argtypes.learning_rate, default=0.5,
                        help="Adam's peak learning rate (default 0.5)")  # fmt: skip
    parser.add_argument("--device", default="cpu", type=argtypes.device, help="cpu or cuda")
    parser.add_argument("--seed", type=argtypes.seed, default=0)
    parser.add_argument("--no-progress", action="store_true", help="hide the progress bar")


def main(args) -> int:
    manual_seed(args.seed)
    train, test = load_split("names", "train"), load_split("names", "test")
    tok = CharTokenizer.from_text(BOUNDARY + "".join(train))
    V = tok.vocab_size
    x_tr, y_tr = bigram_pairs(train, tok)
    x_te, y_te = bigram_pairs(test, tok)
    print(f"names: {len(train)} train / {len(test)} test names, {V} symbols, "
          f"{len(x_tr)} training pairs")  # fmt: skip

    t0 = time.perf_counter()
    counted = NgramModel(order=2, smoothing="add-k").fit(train)
    counted_nats = math.log(counted.perplexity(test))
    t_counted = time.perf_counter() - t0

    model = nn.Embedding(V, V, device=args.device)  # row = previous char, column = logit of next
    rng = np.random.default_rng(args.seed)

    def batch():
        i = rng.integers(0, len(x_tr), args.batch_size)
        return tensor(x_tr[i], device=args.device), tensor(y_tr[i], device=args.device)

    def test_loss(m):
        with no_grad():
            logits = m(tensor(x_te, device=args.device))
            return F.cross_entropy(logits, tensor(y_te, device=args.device)).item()

    t0 = time.perf_counter()
    opt = optim.Adam(model.parameters(), lr=args.lr)
    schedule = optim.lr_scheduler.CosineAnnealingLR(opt, T_max=args.steps)
    fit(model, opt, batch, steps=args.steps, scheduler=schedule, progress=not args.no_progress)
    t_neural = time.perf_counter() - t0
    neural_nats = test_loss(model)

    print(f"\n{'model':28} {'train s':>8} {'test nats/char':>15} {'perplexity':>11}")
    for name, secs, nats in [
        ("bigram, counted (add-1)", t_counted, counted_nats),
        ("bigram, neural (Adam, cosine)", t_neural, neural_nats),
    ]:
        print(f"{name:28} {secs:8.1f} {nats:15.3f} {math.exp(nats):11.2f}")
    print("\n(the counted model scores the end of a name too; both predict every character "
          "and the end)")  # fmt: skip
    print("\nsampled from the neural bigram:", ", ".join(sample_names(model, tok, 8, rng)))
    return 0
