"""A saved language model's prompts and outputs: how a prompt becomes the ids
generation starts from, where generation stops, and how the ids it makes
become text again. One implementation for ``python -m minilm generate``, the
HTTP server (:mod:`minilm.serve`) and the model card (:mod:`minilm.evaluate`).

For a model of short records (names, one per line), the prompt is the start of
a record and generation stops at the record's end. A character the model never
saw is an error that names it (a character tokenizer has no ``<unk>``: the
model has no probabilities for it); a BPE model can read any text.
"""

from __future__ import annotations

from .backend import np
from .ngram.model import BOS, EOS, UNK

__all__ = ["NgramStep", "check_prompt", "ngram_setup", "neural_setup"]


class NgramStep:
    """A counted n-gram model as a ``next_logits`` for :mod:`minilm.generate`: the
    state is the tokens so far, the logits the log of its next-token distribution,
    with ``<unk>`` never chosen (it is not text). Its sentences are lines: after
    ``</s>`` a new line starts, with a fresh context."""

    def __init__(self, lm):
        self.lm = lm

    def next_logits(self, tokens, state=None):
        lm = self.lm
        ids = (state or []) + list(tokens)
        line = ids[max((i for i, t in enumerate(ids) if t == lm.eos), default=-1) + 1 :]
        context = [lm.vocab.itos[i] for i in line if i != lm.bos]  # <s> pads itself
        probs = np.zeros(len(lm.vocab))
        probs[lm.predictable] = lm.distribution(context)
        probs[lm.vocab.stoi[UNK]] = 0.0
        with np.errstate(divide="ignore"):
            return np.log(probs / probs.sum()), ids


def check_prompt(prompt: str, known) -> None:
    unknown = sorted({c for c in prompt if c not in known})
    if unknown:
        shown = ", ".join(repr(c) for c in unknown[:10])
        raise ValueError(
            f"the prompt has characters the model never saw: {shown}; it can only "
            "continue text made of the characters it was trained on"
        )


def ngram_setup(lm, prompt: str, stream: bool):
    """(step, prompt ids, stop token, decode) for a counted n-gram model. Its tokens
    are characters; a line's end is its ``</s>``."""
    check_prompt(prompt, (set(lm.vocab.stoi) - {BOS, EOS, UNK}) | ({"\n"} if stream else set()))
    ids = [lm.bos]
    for j, line in enumerate(prompt.split("\n")):
        ids += ([lm.eos] if j else []) + lm.vocab.encode(list(line))
    stop = None if stream else lm.eos  # a record ends at </s>; a stream goes on to new lines
    decode = lambda out: "".join("\n" if i == lm.eos else lm.vocab.itos[i] for i in out
                                 if i != stop)  # fmt: skip
    return NgramStep(lm), ids, stop, decode


def neural_setup(model, tok, prompt: str, text: dict):
    """(step, prompt ids, stop token, decode) for a neural language model."""
    if tok is None:
        raise ValueError("the model file has no text tokenizer to read a prompt with")
    stream, start = bool(text.get("stream", True)), int(text.get("start_id", 0))
    records = text.get("split") == "lines"  # one record per line: stop at its end
    known = getattr(getattr(tok, "vocab", None), "stoi", None)
    if known is not None:  # a character tokenizer: no <unk>
        check_prompt(prompt, known)
    ids = tok.encode(prompt)
    if stream:
        prompt_ids = ids or [start]
        newline = tok.encode("\n")
        stop = newline[0] if records and len(newline) == 1 else None
    else:
        prompt_ids, stop = [start] + ids, start

    def decode(out):
        text_out = tok.decode([i for i in out if i != stop])
        return text_out.split("\n")[0] if records else text_out

    return model, prompt_ids, stop, decode
