"""Character-level recurrent language models: an embedding, an RNN/LSTM/GRU
stack, and a linear head that turns each hidden state into next-token logits::

    x_t = E[c_t]                       (B, d)
    h_t, state = cell(x_t, state)      (B, H)    minilm.nn.RNN / LSTM / GRU
    logits_t = h_t W + b               (B, V)    scores of c_{t+1}

On a long text (a *stream*) the model is trained with **truncated
backpropagation through time**: the text is read ``bptt`` characters at a time,
the final state of one window is the initial state of the next (so the model
can use context from long before), but it is *detached* from the graph, so
gradients flow back at most ``bptt`` steps. Gradient clipping keeps the rare
exploding gradient from wrecking the weights.

>>> import minilm
>>> model = RNNLM(RNNLMConfig(vocab_size=27, cell="gru", embed_dim=8, hidden_size=16))
>>> logits, state = model(minilm.tensor([[0, 5, 7], [0, 3, 3]]))
>>> logits.shape, state.shape
((2, 3, 27), (1, 2, 16))
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from .. import functional as F
from .. import nn, ops, optim
from ..backend import np
from ..tensor import Tensor, no_grad, tensor
from ..train import fit
from .char_data import CharCorpus, StreamBatches, padded_batch, val_loss_fn

__all__ = ["RNNLMConfig", "RNNLM", "RNNTrainConfig", "detach_state", "train_rnn_lm",
           "evaluate_rnn_lm"]  # fmt: skip

LAYERS = {"rnn": nn.RNN, "lstm": nn.LSTM, "gru": nn.GRU}


@dataclass
class RNNLMConfig:
    vocab_size: int
    cell: str = "lstm"  # "rnn", "lstm" or "gru"
    embed_dim: int = 32
    hidden_size: int = 128
    num_layers: int = 1
    dropout: float = 0.0  # between layers and before the head


def detach_state(state):
    """The same state cut from the graph (a Tensor, or a tuple of them for an LSTM)."""
    if state is None:
        return None
    if isinstance(state, tuple):
        return tuple(s.detach() for s in state)
    return state.detach()


class RNNLM(nn.Module):
    """ids (B, T) and an optional state -> (logits (B, T, V), final state)."""

    def __init__(self, config: RNNLMConfig, device: str = "cpu"):
        super().__init__()
        c = self.config = config
        if c.cell not in LAYERS:
            raise ValueError(f"RNNLM: cell must be one of {sorted(LAYERS)}, got {c.cell!r}")
        self.embed = nn.Embedding(c.vocab_size, c.embed_dim, device=device)
        self.rnn = LAYERS[c.cell](c.embed_dim, c.hidden_size, num_layers=c.num_layers,
                                  dropout=c.dropout, device=device)  # fmt: skip
        self.drop = nn.Dropout(c.dropout)
        self.head = nn.Linear(c.hidden_size, c.vocab_size, device=device)

    def forward(self, ids, state=None):
        idx = ids.data if isinstance(ids, Tensor) else np.asarray(ids)
        # one embedding lookup per step: the layer then needs no (B, T, d) split
        steps = [self.embed(idx[:, t]) for t in range(idx.shape[1])]
        outs, state = self.rnn.run(steps, state)
        h = ops.stack(outs, axis=1)  # (B, T, H)
        return self.head(self.drop(h)), state  # (B, T, V)

    def next_logits(self, tokens, state):
        """For ``minilm.generate``: feed the new tokens, carry the hidden state."""
        was = self.training
        self.eval()
        with no_grad():
            logits, state = self(tensor([list(tokens)], device=self.head.weight.device), state)
        self.train(was)
        return logits.numpy()[0, -1], state


@dataclass
class RNNTrainConfig:
    steps: int = 2000
    batch_size: int = 32
    bptt: int = 64  # window length for a stream (names are whole sequences)
    lr: float = 3e-3
    weight_decay: float = 0.01
    clip: float = 1.0  # max gradient norm
    seed: int = 0


def train_rnn_lm(model: RNNLM, corpus: CharCorpus, config: RNNTrainConfig, progress=True,
                 eval_every: int | None = None):  # fmt: skip
    """Train with AdamW, a cosine schedule and gradient clipping; with ``eval_every``,
    evaluate on the val split that often.

    Names: random batches of whole names, padded, state starting at zero.
    A stream: :class:`StreamBatches` windows with the state carried (detached)."""
    device = model.head.weight.device
    rng = np.random.default_rng(config.seed)
    carried = {"state": None}
    if corpus.stream:
        stream = StreamBatches(corpus.split("train")[0], config.batch_size, config.bptt, device)

        def batch():
            x, y, fresh = stream.next()
            if fresh:
                carried["state"] = None
            return x, y

        def loss_fn(model, batch):
            x, y = batch
            logits, state = model(x, carried["state"])
            carried["state"] = detach_state(state)  # truncate: no gradient into the past
            return F.cross_entropy(logits, y)
    else:
        seqs = corpus.split("train")

        def batch():
            return padded_batch([seqs[i] for i in rng.integers(0, len(seqs), config.batch_size)],
                                device)  # fmt: skip

        def loss_fn(model, batch):
            x, y = batch
            return F.cross_entropy(model(x)[0], y)

    decay = [p for p in model.parameters() if p.ndim >= 2]
    rest = [p for p in model.parameters() if p.ndim < 2]
    opt = optim.AdamW([{"params": decay}, {"params": rest, "weight_decay": 0.0}],
                      lr=config.lr, weight_decay=config.weight_decay)  # fmt: skip
    sched = optim.CosineAnnealingLR(opt, T_max=config.steps, eta_min=config.lr / 20)
    return fit(model, opt, batch, config.steps, loss_fn=loss_fn, scheduler=sched,
               clip_grad_norm=config.clip, seed=config.seed,
               eval_fn=val_loss_fn(evaluate_rnn_lm, corpus, eval_every), eval_every=eval_every,
               progress=progress, config=asdict(config))  # fmt: skip


def evaluate_rnn_lm(model: RNNLM, corpus: CharCorpus, split: str = "test",
                    batch_size: int = 256, bptt: int = 256) -> float:  # fmt: skip
    """Mean nats per predicted character on a split (no gradients, eval mode).

    Names are scored one padded batch at a time (sorted by length, so little
    padding); a stream is read as ``batch_size`` parallel rows with the state
    carried across windows, so almost every character has a long context."""
    device = model.head.weight.device
    was = model.training
    model.eval()
    total, count = 0.0, 0
    with no_grad():
        if corpus.stream:
            state = None
            for x, y in StreamBatches(corpus.split(split)[0], min(batch_size, 64), bptt, device):
                logits, state = model(x, state)
                total += F.cross_entropy(logits, y, reduction="sum").item()
                count += y.size
        else:
            seqs = sorted(corpus.split(split), key=len)
            for i in range(0, len(seqs), batch_size):
                x, y = padded_batch(seqs[i : i + batch_size], device)
                total += F.cross_entropy(model(x)[0], y, reduction="sum").item()
                count += int((y.data != -100).sum())
    model.train(was)
    return total / count
