"""Inference on a saved translator or classifier: what ``python -m minilm serve``
answers ``/v1/translate`` and ``/v1/classify`` with.

A model file (:func:`minilm.checkpoint.save_model`) says what it is for
(:func:`minilm.checkpoint.task_of`); :func:`load_predictor` reads one and gives a
:class:`Translator` or a :class:`Classifier`, which turn text into the model's
input the way its training did (the record's tokenizers and ``text`` entry) and
its output back into words, labels and probabilities.

- :meth:`Translator.translate`: one sentence, decoded greedily or by beam
  search (the models' own ``greedy_decode`` / ``beam_decode``), with the
  decoder's attention over the source: for each target token (``<eos>``
  included when the model wrote it), a distribution over the source tokens
  (``<eos>`` included). For the transformer those are the last decoder
  layer's cross-attention weights averaged over its heads, for the GRU
  encoder-decoder its attention weights; both come from running the decoder
  once more over the tokens it chose (teacher-forced on its own output).
- :meth:`Classifier.classify`: a batch of texts through one forward pass, a
  softmax over the classes for each.

Each predictor holds a lock, so threads may share one.

>>> import os, tempfile
>>> from minilm.checkpoint import save_model
>>> from minilm.models.seq2seq import Seq2Seq, Seq2SeqConfig
>>> from minilm.text import WordTokenizer
>>> tok = WordTokenizer.from_text("a b c", specials=("<pad>", "<bos>", "<eos>"))
>>> model = Seq2Seq(Seq2SeqConfig(tok.vocab_size, tok.vocab_size, embed_dim=4, hidden_size=8))
>>> path = os.path.join(tempfile.mkdtemp(), "t.safetensors")
>>> save_model(path, model, {"source": tok, "target": tok}, text={"max_len": 16})
>>> out = load_predictor(path).translate("a b")
>>> out["source_tokens"], len(out["attention"]) == len(out["target_tokens"])
(['a', 'b', '<eos>'], True)
"""

from __future__ import annotations

import contextlib
import threading

from . import functional as F
from .checkpoint import LoadedModel, config_of, load_model, task_of
from .data import pad_batch
from .models.transformer import Transformer
from .nn.module import Module
from .tensor import no_grad, tensor
from .text import tokenizer_from_dict

__all__ = ["Translator", "Classifier", "load_predictor", "MAX_BEAM", "MAX_TOKENS"]

MAX_BEAM = 16  # the widest beam a request may ask for
MAX_TOKENS = 512  # the most input tokens when neither the model nor its record limits them
MAX_DECODE_TOKENS = 128  # the most tokens one translation writes, whatever the file says
BATCH = 64  # texts per forward pass of Classifier.classify


def load_predictor(path_or_loaded) -> Translator | Classifier:
    """A :class:`Translator` or :class:`Classifier` for a model file (a path, or what
    :func:`minilm.checkpoint.load_model` returned), by its task. A language model
    is a ``ValueError``: it generates (``python -m minilm generate``, ``/v1/generate``)."""
    loaded = path_or_loaded
    if not isinstance(loaded, LoadedModel):
        loaded = load_model(path_or_loaded)
    task = task_of(loaded.info)
    if task == "translate":
        return Translator(loaded)
    if task == "classify":
        return Classifier(loaded)
    raise ValueError(f"a {loaded.info['family']!r} model generates text: it neither translates "
                     "nor classifies; use generation instead (python -m minilm generate, "
                     "POST /v1/generate)")  # fmt: skip


def _check_task(loaded, task: str, what: str):
    model, tok, info = loaded
    if task_of(info) != task:
        raise ValueError(f"{what} needs a {task} model, got a {info['family']!r} model, "
                         f"which is for {task_of(info)}")  # fmt: skip
    return model, tok, info


def _text(text) -> str:
    if not isinstance(text, str):
        raise ValueError(f"text must be a string, got {type(text).__name__}")
    return text


@contextlib.contextmanager
def _inference(model):
    """Eval mode (no dropout) and no graph, the model's mode restored after."""
    was = model.training
    model.eval()
    try:
        with no_grad():
            yield
    finally:
        model.train(was)


class Translator:
    """Translate with a loaded translator (``load_model(path)`` of a "transformer" or
    "seq2seq" file): its source text is split by the "source" tokenizer, ended
    with ``<eos>`` and decoded to the "target" tokenizer's words.

    ``max_source_tokens``: the most source tokens (words, before ``<eos>``) a
    sentence may have: the record's ``text.max_len`` (the longest sentences it
    was trained on), and for the transformer at most its positions less one
    (for ``<eos>``)."""

    def __init__(self, loaded):
        self.model, _, self.info = _check_task(loaded, "translate", "Translator")
        tokenizers = self.info["tokenizers"]
        self.source = tokenizer_from_dict(tokenizers["source"])
        self.target = tokenizer_from_dict(tokenizers["target"])
        c = self.config = self.model.config
        is_transformer = self.is_transformer = isinstance(self.model, Transformer)
        limits = [self.info.get("text", {}).get("max_len")]
        limits.append(c.max_len - 1 if is_transformer else MAX_TOKENS)
        self.max_source_tokens = min(n for n in limits if n is not None)
        stoi = getattr(getattr(self.source, "vocab", None), "stoi", {})
        self.source_eos = stoi.get("<eos>", c.eos_id)  # as the recipe ends a source
        # the most tokens a decode writes: past that it stops without <eos>
        # a file sets max_len: cap a decode's length whatever it says (the transformer
        # recomputes its prefix every step, so a long decode costs its square)
        own = c.max_len - 1 if is_transformer else c.max_len
        self.max_target_tokens = min(own, MAX_DECODE_TOKENS)
        self._lock = threading.Lock()

    def encode(self, text: str) -> list[int]:
        """The source ids of ``text``, ``<eos>`` last; a ``ValueError`` names what is
        wrong with a text it cannot take (empty, too long)."""
        ids = self.source.encode(_text(text))
        if not ids:
            raise ValueError("text has no words to translate")
        if len(ids) > self.max_source_tokens:
            raise ValueError(f"text has {len(ids)} words; this model translates at most "
                             f"{self.max_source_tokens}: split it into shorter "
                             "sentences")  # fmt: skip
        return ids + [self.source_eos]

    def translate(self, text: str, beam_size: int = 0) -> dict:
        """``{"translation", "source_tokens", "target_tokens", "attention"}`` for one
        sentence: greedy with ``beam_size=0``, else beam search of that width
        (1 to :data:`MAX_BEAM`). ``attention`` has a row per target token and a
        column per source token, each row summing to 1 (empty for a
        :class:`~minilm.models.seq2seq.Seq2Seq` built without attention)."""
        if type(beam_size) is not int or not 0 <= beam_size <= MAX_BEAM:
            raise ValueError(f"beam_size must be a whole number from 0 (greedy) to {MAX_BEAM}, "
                             f"got {beam_size!r}")  # fmt: skip
        ids = self.encode(text)
        device = self.model.tgt_embed.weight.device
        with self._lock:
            # a seq2seq's own limit is its config's max_len, which a file sets: cap it
            # the transformer's max_len counts <bos>: one more than the tokens it writes
            limit = self.max_target_tokens + (1 if self.is_transformer else 0)
            if beam_size:
                out = self.model.beam_decode(ids, beam_size, max_len=limit)
            else:
                (out,) = self.model.greedy_decode(tensor([ids], device=device), max_len=limit)
            # a decode ends at <eos> (which it cuts off) or at its length limit
            target = out + [self.config.eos_id] if len(out) < self.max_target_tokens else out
            attention = self._attention(ids, target, device)
        return {
            "translation": self.target.decode(out),
            "source_tokens": [self.source.decode([i]) for i in ids],
            "target_tokens": [self.target.decode([i]) for i in target],
            "attention": attention,
        }

    def _attention(self, ids, target, device) -> list[list[float]]:
        """(len(target), len(ids)) weights from the decoder run over ``target``."""
        m, c = self.model, self.config
        src = tensor([ids], device=device)
        inputs = [c.bos_id] + target[:-1]  # what the decoder read when it wrote each target
        with _inference(m):
            if isinstance(m, Transformer):
                if not m.decoder.layers:
                    return []
                memory, mask = m.encode(src)
                with _recording(m.decoder.layers[-1]) as last:
                    m.decode(tensor([inputs], device=device), memory, mask)
                weights = last.weights.numpy()[0].mean(axis=0)  # (H, T, S) -> (T, S)
            else:
                if m.attention is None:
                    return []
                memory, s, mask = m.encode(src)
                rows = []
                for y in inputs:
                    _, s, w = m.decode_step(tensor([y], device=device), s, memory, mask)
                    rows.append(w.numpy()[0])  # (S,)
                weights = rows
        return [[float(p) for p in row] for row in weights]


class _Recorder(Module):
    """Stands in for a block's cross-attention and keeps the weights it computes."""

    def __init__(self, attention):
        super().__init__()
        self.attention, self.weights = attention, None

    def forward(self, x, context=None, **kwargs):
        y, self.weights = self.attention(x, context, return_weights=True, **kwargs)
        return y  # (B, T, d); weights (B, H, T, S)


@contextlib.contextmanager
def _recording(block):
    """Record ``block``'s cross-attention weights while the ``with`` body runs."""
    attention = block.cross_attn
    block.cross_attn = recorder = _Recorder(attention)
    try:
        yield recorder
    finally:
        block.cross_attn = attention


class Classifier:
    """Classify with a loaded classifier (``load_model(path)`` of a "bert_classifier"
    or "textcnn" file). A text becomes the record's ``text.start_id`` (the
    ``[CLS]`` id) followed by the "text" tokenizer's ids, cut to ``text.max_len``
    ids as in training (and to a BERT encoder's positions). ``labels``: the class
    names, in the order of the model's outputs."""

    def __init__(self, loaded):
        self.model, self.tokenizer, self.info = _check_task(loaded, "classify", "Classifier")
        self.labels = list(self.info["labels"])
        config = config_of(self.model)
        encoder = getattr(config, "encoder", None)  # a BERT classifier's BERTConfig
        text = self.info.get("text", {})
        self.start_id = text.get("start_id")
        limits = [text.get("max_len"), encoder.max_len if encoder else MAX_TOKENS]
        self.max_len = min(n for n in limits if n is not None)
        self.pad_id = (encoder or config).pad_id
        self._lock = threading.Lock()

    def encode(self, text: str) -> list[int]:
        """The ids the model reads for ``text``; an empty text is a ``ValueError``."""
        ids = self.tokenizer.encode(_text(text))
        if not ids:
            raise ValueError("text has no words to classify")
        head = [] if self.start_id is None else [self.start_id]
        return (head + ids)[: self.max_len]

    def classify(self, texts: list[str]) -> list[dict]:
        """``[{"label", "probabilities": {label: p}}, ...]``, one per text: the most
        likely label and the softmax over all of them, the texts of a batch read
        by one forward pass."""
        if not isinstance(texts, (list, tuple)) or not texts:
            raise ValueError("texts must be a non-empty list of strings")
        seqs = [self.encode(t) for t in texts]
        device = next(iter(self.model.parameters())).device
        probs = []
        with self._lock, _inference(self.model):
            for i in range(0, len(seqs), BATCH):
                ids, _ = pad_batch(seqs[i : i + BATCH], pad_id=self.pad_id, device=device)
                probs += F.softmax(self.model(ids), axis=-1).numpy().tolist()  # (B, C)
        out = []
        for row in probs:
            best = max(range(len(row)), key=row.__getitem__)
            out.append({"label": self.labels[best],
                        "probabilities": dict(zip(self.labels, map(float, row)))})  # fmt: skip
        return out
