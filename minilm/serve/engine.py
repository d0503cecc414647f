"""What the server serves: a loaded model file wrapped for its task.

- :class:`Generator` (a language model: ``POST /v1/generate``) turns a prompt
  into ids the way ``python -m minilm generate`` does (one implementation:
  :func:`minilm.commands.generate.neural_setup`), and feeds a
  :class:`~minilm.serve.batching.BatchScheduler`: every request is a
  :class:`~minilm.serve.batching.Sequence` with its own sampler (temperature,
  top-k, top-p, its own seeded random generator), so a batched request makes
  exactly the tokens it would make alone. Prefilling a prompt also scores it:
  the model's mean nats per token on the prompt, kept over a window of recent
  prompts as a drift signal (:class:`PromptPerplexity`).
- a translator or a classifier (``POST /v1/translate``, ``/v1/classify``) is a
  :mod:`minilm.predict` object behind a lock; those answer one request at a time.
"""

from __future__ import annotations

import math
import threading
from collections import deque

from ..backend import np
from ..checkpoint import LoadedModel
from ..generate import as_next_logits, as_next_logits_many, log_softmax, token_distribution
from ..models.gpt import GPT
from ..nn.module import Parameter
from ..tensor import as_tensor, no_grad, tensor
from .batching import BatchScheduler, Sequence

__all__ = ["Generator", "PromptPerplexity", "load_served", "TOP_ALTERNATIVES"]

TOP_ALTERNATIVES = 5  # the alternatives each streamed token carries


class PromptPerplexity:
    """The perplexity of the last ``window`` prompts under the served model:
    exp(their total nats / their total tokens). Traffic unlike the training
    text (another language, another register) raises it: a drift alarm that
    needs no labels.

    >>> p = PromptPerplexity(window=2)
    >>> p.add(4.0, 2); p.add(2.0, 2); round(p.value, 3)   # exp(6 / 4)
    4.482
    >>> p.add(0.0, 4); round(p.value, 3)                 # the first prompt left: exp(2 / 6)
    1.396
    """

    def __init__(self, window: int = 50):
        self.recent = deque(maxlen=window)
        self._lock = threading.Lock()

    def add(self, nats: float, tokens: int) -> None:
        if tokens > 0:
            with self._lock:
                self.recent.append((float(nats), int(tokens)))

    @property
    def value(self) -> float:
        """NaN until a prompt with at least one scored token has come."""
        with self._lock:
            tokens = sum(t for _, t in self.recent)
            return math.exp(sum(n for n, _ in self.recent) / tokens) if tokens else math.nan


class Generator:
    """A language model file served for generation (see the module docstring)."""

    task = "generate"

    def __init__(
        self,
        name: str,
        loaded: LoadedModel,
        *,
        max_batch: int = 16,
        max_waiting: int = 256,
        observe=None,
        drift_window: int = 50,
    ):
        self.name = name
        self.model, self.tok, self.info = loaded
        self.family = self.info["family"]
        self.text = self.info.get("text", {}) or {}
        if self.family == "ngram":
            from ..prompt import NgramStep

            self.step_model = NgramStep(self.model)
        else:
            if self.tok is None:
                raise ValueError(f"{name}: the model file has no text tokenizer")
            self.model.eval()
            self.step_model = self.model
        self.context = self.model.config.block_size if isinstance(self.model, GPT) else None
        self.drift = PromptPerplexity(drift_window)
        self.on_zero_probability = None  # told of each prompt the model gives probability 0
        self.scheduler = BatchScheduler(
            self._prefill,
            as_next_logits_many(self.step_model),
            max_batch=max_batch,
            max_waiting=max_waiting,
            observe=observe,
        )
        self._decode_one = self._token_text_function()

    def describe(self) -> dict:
        labels = self.info.get("labels")
        return {
            "name": self.name,
            "task": self.task,
            "family": self.family,
            "context": self.context,
            "labels": labels,
            "parameters": self._parameters(),
        }

    def _parameters(self) -> int:
        if hasattr(self.model, "num_parameters"):
            return int(self.model.num_parameters())
        return int(self.info.get("metrics", {}).get("parameters", 0))

    def encode(self, prompt: str):
        """(prompt ids, stop token, decode) for ``prompt``; a ValueError names
        what the model cannot read (a character a char model never saw)."""
        from ..prompt import neural_setup, ngram_setup

        if self.family == "ngram":
            _, ids, stop, decode = ngram_setup(
                self.model, prompt, bool(self.text.get("stream", True))
            )
        else:
            _, ids, stop, decode = neural_setup(self.model, self.tok, prompt, self.text)
        return ids, stop, decode

    def token_text(self, token: int) -> str:
        """One token's text on its own (a BPE token may be part of a character)."""
        return self._decode_one(token)

    def _token_text_function(self):
        if self.family == "ngram":
            itos, eos = self.model.vocab.itos, self.model.eos
            return lambda t: "\n" if t == eos else itos[t]
        return lambda t: self.tok.decode([t])

    # ---- the scheduler's prefill: the prompt through the model, scored ----

    def _prefill(self, seq: Sequence):
        ids = list(seq.prompt)
        if isinstance(self.model, GPT):
            caches = self.model.new_caches()
            with no_grad():
                out = self.model(tensor([ids], device=self.model.wte.weight.device), caches=caches)
            logits = np.asarray(out.numpy()[0], dtype=np.float64)  # (T, V)
            lp = log_softmax(logits[:-1])
            nats = -float(lp[np.arange(len(ids) - 1), ids[1:]].sum()) if len(ids) > 1 else 0.0
            last, state = logits[-1], (ids, caches)
        else:  # step through the prompt, scoring each token as it comes
            step, nats = as_next_logits(self.step_model), 0.0
            last, state = step(ids[:1], None)
            for t in ids[1:]:
                nats -= float(log_softmax(np.asarray(last, dtype=np.float64))[t])
                last, state = step([t], state)
        seq.prompt_nats, seq.prompt_scored = nats, len(ids) - 1
        if math.isfinite(nats):
            self.drift.add(nats, len(ids) - 1)
        elif self.on_zero_probability is not None:  # an unsmoothed n-gram can: counted apart
            self.on_zero_probability()
        return last, state


def make_sampler(temperature: float, top_k, top_p, seed):
    """``choose(logits) -> token`` for one request, keeping the distribution it
    drew from (``choose.probs``) for the token's reported probability."""
    rng = np.random.default_rng(seed)

    def choose(logits):
        probs = token_distribution(logits, temperature, top_k, top_p)
        choose.probs = probs
        if temperature == 0:
            return int(np.argmax(np.asarray(logits)))
        return int(rng.choice(len(probs), p=probs / probs.sum()))

    return choose


def load_served(name: str, path, *, device: str = "cpu", dtype: str = "float32", **scheduler):
    """Load the model file at ``path`` and wrap it for its task."""
    from ..checkpoint import load_model

    loaded = load_model(path, device=device)
    if dtype == "float64":
        _to_float64(loaded.model)
    task = _task(loaded.info)
    if task == "generate":
        return Generator(name, loaded, **scheduler)
    from .. import predict

    return Served(name, predict.load_predictor(loaded), loaded.info, task)


def _task(info: dict) -> str:
    try:
        from ..checkpoint import task_of
    except ImportError:  # before translators and classifiers had files
        return "generate"
    return task_of(info)


def _to_float64(model) -> None:
    """Compute in float64 (``serve --dtype float64``): batched and one-at-a-time
    matmuls then agree to ~1e-15, so even near-ties decode the same. Every
    floating parameter and buffer is converted; a counted n-gram has none."""
    if not hasattr(model, "modules"):
        return
    for m in model.modules():
        for _, p in m._own(Parameter):
            if p.data.dtype.kind == "f":
                p.data = p.data.astype(np.float64)
        for name, b in list(m._own("buffer")):
            if b.data.dtype.kind == "f":
                setattr(m, name, as_tensor(b.data.astype(np.float64)))


class Served:
    """A translator or classifier from :mod:`minilm.predict`, one call at a time."""

    def __init__(self, name: str, predictor, info: dict, task: str):
        self.name, self.predictor, self.info, self.task = name, predictor, info, task
        self.family = info["family"]
        self.lock = threading.Lock()

    def describe(self) -> dict:
        model = getattr(self.predictor, "model", None)
        n = int(model.num_parameters()) if hasattr(model, "num_parameters") else 0
        labels = getattr(self.predictor, "labels", None)
        return {
            "name": self.name,
            "task": self.task,
            "family": self.family,
            "context": getattr(self.predictor, "max_source_tokens", None),
            "labels": None if labels is None else list(labels),
            "parameters": n,
        }

    def __call__(self, method: str, *args, **kwargs):
        with self.lock:
            return getattr(self.predictor, method)(*args, **kwargs)
