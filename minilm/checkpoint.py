"""Self-describing model files: ``minilm.save_model`` and ``minilm.load_model``.

A model file holds a model's tensors and a *record* that says what they are, so
it can be loaded with nothing else: which family built it, its config, its
tokenizers, the metrics it reached and how it was trained. The record's schema
(version :data:`SCHEMA_VERSION`) is independent of the container that stores
it (today :func:`minilm.save`'s safetensors file)::

    schema_version  1
    family          "gpt", "mlp", "rnn", "bigram" or "ngram" (see FAMILIES)
    config          the family's config dataclass, as a dict
    tokenizers      {name: tokenizer dict}: "text" for a language model (a
                    translator would have "source" and "target")
    labels          class names, for a classifier; None for a language model
    metrics         what training measured (test nats per character, ...)
    step            optimizer steps taken
    minilm_version  the version that wrote it
    text            how the training text was read: its source, the split rule,
                    and the ids a prompt starts from and generation stops at

Later chapters add families and fields; a reader ignores fields it does not know.

Loading a stranger's file is safe: the container runs no code
(``allow_pickle=False``), only a family in :data:`FAMILIES` is built, every
config field must have its declared type and a sane size, the parameter count
the config implies must equal the elements actually stored (checked *before*
any model is allocated, so a small file cannot ask for a 100 GB model), and the
tensors must then match the model's parameters by name and shape.

>>> import os, tempfile
>>> from minilm.models import MLPLM, MLPLMConfig
>>> from minilm.text import CharTokenizer
>>> tok = CharTokenizer.from_text("abc\\n")
>>> model = MLPLM(MLPLMConfig(vocab_size=tok.vocab_size, context=2, embed_dim=3, hidden=4))
>>> path = os.path.join(tempfile.mkdtemp(), "m.safetensors")
>>> save_model(path, model, {"text": tok}, metrics={"test_nats_per_char": 1.2})
>>> loaded = load_model(path)
>>> type(loaded.model).__name__, loaded.tokenizer.decode([0, 1]), loaded.info["metrics"]
('MLPLM', '\\na', {'test_nats_per_char': 1.2})
"""

from __future__ import annotations

import dataclasses
import os
from typing import NamedTuple

from .backend import np
from .io import CheckpointError, load, save
from .models.bigram import BigramConfig, BigramLM
from .models.gpt import GPT, GPTConfig
from .models.mlp_lm import MLPLM, MLPLMConfig
from .models.rnn_lm import RNNLM, RNNLMConfig
from .ngram import NgramModel
from .text import tokenizer_from_dict

__all__ = ["SCHEMA_VERSION", "FAMILIES", "save_model", "load_model", "LoadedModel",
           "family_of", "MAX_PARAMETERS"]  # fmt: skip

SCHEMA_VERSION = 1
MAX_PARAMETERS = 4_000_000_000  # refuse configs beyond this, whatever the file holds
MAX_CONFIG_INT = 1 << 31
MAX_LAYERS = 1024


@dataclasses.dataclass(frozen=True)
class Family:
    """How to build a model of one family: its class and its config dataclass."""

    model: type
    config: type


# family name -> how to build it. A new family registers itself here.
FAMILIES = {
    "gpt": Family(GPT, GPTConfig),
    "mlp": Family(MLPLM, MLPLMConfig),
    "rnn": Family(RNNLM, RNNLMConfig),
    "bigram": Family(BigramLM, BigramConfig),
    "ngram": Family(NgramModel, dict),  # counted, not learned: see _ngram_* below
}


class LoadedModel(NamedTuple):
    """What :func:`load_model` returns: ``model, tokenizer, info = load_model(path)``."""

    model: object
    tokenizer: object  # the "text" tokenizer (None when the file has none)
    info: dict  # the record (see the module docstring), config and tokenizers included


def family_of(model) -> str:
    """The registered family name of ``model``."""
    for name, fam in FAMILIES.items():
        if type(model) is fam.model:
            return name
    raise TypeError(f"save_model: {type(model).__name__} is not a registered family "
                    f"({', '.join(FAMILIES)}); add it to minilm.checkpoint.FAMILIES")  # fmt: skip


def save_model(path, model, tokenizers: dict, *, metrics: dict | None = None, step: int = 0,
               labels=None, text: dict | None = None) -> None:  # fmt: skip
    """Write ``model`` with its record (see the module docstring) to ``path``, atomically."""
    from . import __version__

    family = family_of(model)
    if family == "ngram":
        config, tensors = _ngram_state(model)
    else:
        config = dataclasses.asdict(model.config)
        tensors = model.state_dict()
    record = {
        "schema_version": SCHEMA_VERSION,
        "family": family,
        "config": config,
        "tokenizers": {name: tok.to_dict() for name, tok in tokenizers.items()},
        "labels": None if labels is None else list(labels),
        "metrics": dict(metrics or {}),
        "step": int(step),
        "minilm_version": __version__,
        "text": dict(text or {}),
    }
    save({"record": record, "tensors": tensors}, path)


def load_model(path, device: str = "cpu") -> LoadedModel:
    """Read a file written by :func:`save_model`, check it (see the module docstring)
    and build its model on ``device``. Any problem is a :class:`minilm.io.CheckpointError`
    naming the file and what is wrong."""
    path = os.fspath(path)
    obj = load(path)  # the container: no code runs; tensors are on the CPU
    try:
        if not isinstance(obj, dict) or not isinstance(obj.get("record"), dict):
            raise ValueError("it holds no model record (was it written by minilm.save_model?)")
        record, tensors = obj["record"], obj.get("tensors")
        if record.get("schema_version") != SCHEMA_VERSION:
            raise ValueError(f"schema version {record.get('schema_version')!r} is not "
                             f"{SCHEMA_VERSION}: written by another minilm version")  # fmt: skip
        family = record.get("family")
        if family not in FAMILIES:
            raise ValueError(f"unknown model family {family!r}; known: {', '.join(FAMILIES)}")
        if not isinstance(tensors, dict) or not all(
            isinstance(k, str) and hasattr(v, "shape") for k, v in tensors.items()
        ):
            raise ValueError("its tensors are not a mapping of names to arrays")
        tokenizers = record.get("tokenizers") or {}
        if not isinstance(tokenizers, dict):
            raise ValueError("'tokenizers' is not a mapping")
        toks = {name: tokenizer_from_dict(d) for name, d in tokenizers.items()}
        if family == "ngram":
            model = _ngram_build(record.get("config"), tensors)
            vocab = len(model.vocab)
        else:
            model = _build(FAMILIES[family], record.get("config"), tensors, device)
            vocab = model.config.vocab_size
        tok = toks.get("text")
        if tok is not None and tok.vocab_size != vocab:
            raise ValueError(f"the tokenizer has {tok.vocab_size} tokens but the model's "
                             f"vocab_size is {vocab}")  # fmt: skip
        _check_text(record.get("text", {}), vocab)
    except (ValueError, TypeError, KeyError) as e:
        raise CheckpointError(f"{path!r}: {e}") from None
    except Exception as e:  # a config that passed the checks but cannot build: still refused
        raise CheckpointError(
            f"{path!r}: its model cannot be built: {type(e).__name__}: {e}"
        ) from None
    return LoadedModel(model, tok, record)


def _check_text(text, vocab: int) -> None:
    """The record's ``text`` entry: how generation starts and stops."""
    if not isinstance(text, dict):
        raise ValueError("'text' is not a mapping")
    if "stream" in text and type(text["stream"]) is not bool:
        raise ValueError("text.stream must be true or false")
    for key in ("start_id", "stop_id"):
        if key in text and (type(text[key]) is not int or not 0 <= text[key] < vocab):
            raise ValueError(f"text.{key} must be a token id below {vocab}, got {text[key]!r}")


def _config(cls, d):
    """A config dataclass from a dict, every field checked for its type and size."""
    if not isinstance(d, dict):
        raise ValueError(f"the config is a {type(d).__name__}, not a mapping")
    fields = {f.name: f for f in dataclasses.fields(cls)}
    unknown = sorted(set(d) - set(fields))
    if unknown:
        raise ValueError(f"unknown {cls.__name__} fields {unknown}")
    kinds = {"int": int, "float": float, "bool": bool, "str": str}
    for name, value in d.items():
        kind = kinds.get(str(fields[name].type), None)
        if kind is float and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        if kind is not None and (type(value) is not kind):
            raise ValueError(f"{cls.__name__}.{name} must be {kind.__name__}, got {value!r}")
        if kind is int and not 0 <= value < (MAX_LAYERS + 1 if "layer" in name else MAX_CONFIG_INT):
            raise ValueError(f"{cls.__name__}.{name} = {value} is out of range")
        if kind is str and len(value) > 100:
            raise ValueError(f"{cls.__name__}.{name} is too long")
    try:
        config = cls(**d)
    except TypeError as e:  # a required field missing
        raise ValueError(f"{cls.__name__}: {e}") from None
    vocab = getattr(config, "vocab_size", None)
    for name in fields:
        if name.endswith("_id") and vocab is not None and getattr(config, name) >= vocab:
            raise ValueError(f"{cls.__name__}.{name} = {getattr(config, name)} is not below "
                             f"vocab_size {vocab}")  # fmt: skip
    return config


def _build(family: Family, config_dict, tensors: dict, device: str):
    config = _config(family.config, config_dict)
    wanted = config.num_parameters()
    stored = sum(int(np.prod(t.shape)) for t in tensors.values())
    if wanted > MAX_PARAMETERS or wanted != stored:
        raise ValueError(f"its config describes {wanted:,} parameters but it stores "
                         f"{stored:,}: the config does not match the tensors")  # fmt: skip
    model = family.model(config)
    model.load_state_dict(tensors)  # strict: names and shapes must match exactly
    return model.to(device)


# ---- the counted n-gram model: its training ids are its state ----


def _ngram_state(lm: NgramModel):
    if getattr(lm, "tuned_on_heldout", False):
        raise ValueError("save_model: this n-gram model was tuned on held-out sentences, and a "
                         "model file keeps only its training ids; fit it without heldout= to "
                         "save it")  # fmt: skip
    default = vars(NgramModel(lm.order, lm.smoothing.name).smoothing)
    changed = sorted(k for k, v in getattr(lm, "smoothing_settings", {}).items()
                     if repr(v) != repr(default.get(k)))  # fmt: skip
    if changed or not lm.boundaries:
        what = ", ".join(f"{k}={lm.smoothing_settings[k]!r}" for k in changed) or "boundaries=False"
        name = lm.smoothing.name
        raise ValueError(f"save_model: this n-gram model has non-default settings ({what}); a "
                         f"model file keeps the smoothing's name only ({name!r})")  # fmt: skip
    tokens, lengths = lm.training_ids
    config = {"order": lm.order, "smoothing": lm.smoothing.name, "min_count": lm.min_count,
              "vocab": lm.vocab.to_dict()}  # fmt: skip
    small = np.min_scalar_type(max(len(lm.vocab) - 1, 0))  # ids of a char vocabulary fit a byte
    return config, {"tokens": tokens.astype(small), "lengths": lengths}


def _ngram_build(config, tensors):
    if not isinstance(config, dict) or set(config) != {"order", "smoothing", "min_count", "vocab"}:
        raise ValueError("an n-gram config needs order, smoothing, min_count and vocab")
    order = config["order"]
    if type(order) is not int or not 1 <= order <= 10:
        raise ValueError(f"n-gram order {order!r} must be a whole number from 1 to 10")
    if set(tensors) != {"tokens", "lengths"}:
        raise ValueError("an n-gram model stores exactly 'tokens' and 'lengths'")
    arrays = {k: v.numpy() if hasattr(v, "numpy") else np.asarray(v) for k, v in tensors.items()}
    return NgramModel.from_ids(config, arrays["tokens"], arrays["lengths"])
