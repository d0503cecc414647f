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

from dataclasses import dataclass

from .. import nn, ops
from ..backend import np
from ..tensor import Tensor, no_grad, tensor

__all__ = ["RNNLMConfig", "RNNLM", "detach_state"]

LAYERS = {"rnn": nn.RNN, "lstm": nn.LSTM, "gru": nn.GRU}


@dataclass
class RNNLMConfig:
    vocab_size: int
    cell: str = "lstm"  # "rnn", "lstm" or "gru"
    embed_dim: int = 32
    hidden_size: int = 128
    num_layers: int = 1
    dropout: float = 0.0  # between layers and before the head

    def num_parameters(self) -> int:
        """What :class:`RNNLM` allocates, from the config alone (no arrays made)."""
        V, d, H = self.vocab_size, self.embed_dim, self.hidden_size
        gates = {"rnn": 1, "gru": 3, "lstm": 4}.get(self.cell, 1) * H
        L = self.num_layers  # layer 1 reads the embeddings, the others the layer below
        cells = (L > 0) * d * gates + max(L - 1, 0) * H * gates + L * (H * gates + 2 * gates)
        return V * d + cells + (H + 1) * V


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
