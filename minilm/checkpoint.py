"""Self-describing model files: ``minilm.save_model`` and ``minilm.load_model``.

A model file holds a model's tensors and a *record* that says what they are, so
it can be loaded with nothing else: which family built it, its config, its
tokenizers, the metrics it reached and how it was trained. The record's schema
(version :data:`SCHEMA_VERSION`) is independent of the container that stores
it (today :func:`minilm.save`'s safetensors file)::

    schema_version  1
    family          a key of FAMILIES: "gpt", "mlp", "rnn", "bigram", "ngram"
                    (language models), "transformer", "seq2seq" (translators),
                    "bert_classifier", "textcnn" (classifiers)
    config          the family's config dataclass, as a dict (a classifier's
                    BERTClassifierConfig nests its encoder's BERTConfig)
    tokenizers      {name: tokenizer dict}: "text" for a language model or a
                    classifier, "source" and "target" for a translator
    labels          class names in the order of the model's outputs, for a
                    classifier; None otherwise
    metrics         what training measured (test nats per character, BLEU, ...)
    step            optimizer steps taken
    minilm_version  the version that wrote it
    text            how text becomes the model's input: for a language model,
                    its source, the split rule, and the ids a prompt starts
                    from and generation stops at (start_id, stop_id); for a
                    classifier, the id put before the text's tokens (start_id)
                    and the most ids it reads (max_len; more are cut, as in
                    training); for a translator, the most source words it was
                    trained on (max_len; the source's ids end with "<eos>")

The task a file serves (generate, translate or classify) follows from its
family: :func:`task_of`. Later chapters add families and fields; a reader
ignores fields it does not know.

Loading a stranger's file is safe: the container runs no code
(``allow_pickle=False``), only a family in :data:`FAMILIES` is built, every
config field must have its declared type and a sane size, the number of
elements the config implies (parameters and buffers, counted from the config
alone) must equal the elements actually stored (checked *before* any model is
allocated, so a small file cannot ask for a 100 GB model), and the tensors must
then match the model's by name and shape. The tokenizers must have the model's
vocabulary sizes and a classifier one label per class.

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
>>> task_of(loaded.info)
'generate'
"""

from __future__ import annotations

import dataclasses
import os
import typing
from collections.abc import Callable
from typing import NamedTuple

from .backend import np
from .io import CheckpointError, load, save
from .models.bert import BERT, BERTClassifier, BERTConfig
from .models.bigram import BigramConfig, BigramLM
from .models.gpt import GPT, GPTConfig
from .models.mlp_lm import MLPLM, MLPLMConfig
from .models.rnn_lm import RNNLM, RNNLMConfig
from .models.seq2seq import Seq2Seq, Seq2SeqConfig
from .models.textcnn import TextCNN, TextCNNConfig
from .models.transformer import Transformer, TransformerConfig
from .ngram import NgramModel
from .nn.layers import Linear
from .text import tokenizer_from_dict

__all__ = ["SCHEMA_VERSION", "FAMILIES", "TASKS", "Family", "save_model", "load_model",
           "LoadedModel", "family_of", "task_of", "config_of", "BERTClassifierConfig",
           "MAX_PARAMETERS"]  # fmt: skip

SCHEMA_VERSION = 1
MAX_PARAMETERS = 4_000_000_000  # refuse configs beyond this, whatever the file holds
MAX_CONFIG_INT = 1 << 31
MAX_LAYERS = 1024
# a sequence length a model may claim (max_len): a decode loops up to it, so a small file
# must not be able to ask for 2**31 steps
MAX_SEQUENCE = 4096
MAX_TUPLE = 64  # the longest tuple a config field may hold (TextCNN's filter widths)
MAX_LABELS = 10_000
TASKS = ("generate", "translate", "classify")


@dataclasses.dataclass
class BERTClassifierConfig:
    """What rebuilds a :class:`~minilm.models.bert.BERTClassifier`: its encoder's
    config and its head (``num_classes`` outputs over ``pooling``, after ``dropout``)."""

    encoder: BERTConfig
    num_classes: int
    pooling: str = "mean"
    dropout: float = 0.1


# ---- how many elements (parameters and buffers) a config makes, without making them ----


def _block_size(d: int, d_ff: int, cross: bool = False) -> int:
    """A pre-norm :class:`~minilm.models.transformer.TransformerBlock` with biases."""
    norm = 2 * d
    attn = (d * 3 * d + 3 * d) + (d * d + d)  # fused qkv, output projection
    ff = (d * d_ff + d_ff) + (d_ff * d + d)
    cross_attn = norm + (d * d + d) + (d * 2 * d + 2 * d) + (d * d + d)  # ln, q, kv, out
    return 2 * norm + attn + ff + (cross_attn if cross else 0)


def _transformer_size(c: TransformerConfig) -> int:
    d, f = c.d_model, c.d_ff or 4 * c.d_model
    positions = 2 * c.max_len * d  # a sinusoidal table (a buffer) or learned: max_len x d each
    blocks = c.num_encoder_layers * _block_size(d, f) + c.num_decoder_layers * _block_size(
        d, f, cross=True
    )
    head = 0 if c.tie_weights else d * c.tgt_vocab_size
    return (c.src_vocab_size + c.tgt_vocab_size) * d + positions + blocks + 2 * 2 * d + head


def _seq2seq_size(c: Seq2SeqConfig) -> int:
    E, H = c.embed_dim, c.hidden_size
    ctx = 0 if c.attention == "none" else H
    attention = {"additive": 2 * H * H + 2 * H, "general": H * H}.get(c.attention, 0)
    gru = lambda inputs: inputs * 3 * H + H * 3 * H + 2 * 3 * H  # noqa: E731
    return ((c.src_vocab_size + c.tgt_vocab_size) * E + gru(E) + attention + gru(E + ctx)
            + (H + ctx) * c.tgt_vocab_size + c.tgt_vocab_size)  # fmt: skip


def _bert_size(c: BERTConfig) -> int:
    d, f, V = c.d_model, c.d_ff or 4 * c.d_model, c.vocab_size
    mlm_head = (d * d + d) + 2 * d + V  # dense, layer norm, output bias (the matrix is tied)
    nsp = (d * d + d) + (2 * d + 2) if c.nsp else 0
    return (V + c.max_len + c.n_segments) * d + c.n_layer * _block_size(d, f) + 2 * d \
        + mlm_head + nsp  # fmt: skip


def _bert_classifier_size(c: BERTClassifierConfig) -> int:
    return _bert_size(c.encoder) + (c.encoder.d_model + 1) * c.num_classes


def _textcnn_size(c: TextCNNConfig) -> int:
    F, E = c.num_filters, c.embed_dim
    convs = sum(F * E * k + F for k in c.widths)
    return c.vocab_size * E + convs + (len(c.widths) * F + 1) * c.num_classes


def _bert_classifier_config(model: BERTClassifier) -> BERTClassifierConfig:
    if type(model.encoder) is not BERT or type(model.head) is not Linear:
        raise TypeError("save_model: a BERTClassifier is saved with a BERT encoder and a "
                        f"Linear head, not {type(model.encoder).__name__} and "
                        f"{type(model.head).__name__}")  # fmt: skip
    return BERTClassifierConfig(model.encoder.config, model.head.out_features, model.pooling,
                                float(model.drop.p))  # fmt: skip


@dataclasses.dataclass(frozen=True)
class Family:
    """How to build and check a model of one family: its class and config dataclass,
    the task it serves (one of :data:`TASKS`), its tokenizers' vocabulary sizes
    (``{name: size}`` from a config), the elements it stores (parameters and
    buffers, from a config alone), and, where ``model(config)`` and
    ``model.config`` do not do, how to build one from a config and read one's config."""

    model: type
    config: type
    task: str = "generate"
    vocab: Callable = lambda c: {"text": c.vocab_size}
    size: Callable = lambda c: c.num_parameters()
    build: Callable | None = None
    config_of: Callable | None = None


# family name -> how to build it. A new family registers itself here.
FAMILIES = {
    "gpt": Family(GPT, GPTConfig),
    "mlp": Family(MLPLM, MLPLMConfig),
    "rnn": Family(RNNLM, RNNLMConfig),
    "bigram": Family(BigramLM, BigramConfig),
    "ngram": Family(NgramModel, dict),  # counted, not learned: see _ngram_* below
    "transformer": Family(Transformer, TransformerConfig, "translate",
                          lambda c: {"source": c.src_vocab_size, "target": c.tgt_vocab_size},
                          _transformer_size),
    "seq2seq": Family(Seq2Seq, Seq2SeqConfig, "translate",
                      lambda c: {"source": c.src_vocab_size, "target": c.tgt_vocab_size},
                      _seq2seq_size),
    "bert_classifier": Family(
        BERTClassifier, BERTClassifierConfig, "classify",
        lambda c: {"text": c.encoder.vocab_size}, _bert_classifier_size,
        build=lambda c: BERTClassifier(BERT(c.encoder), c.num_classes, c.pooling, c.dropout),
        config_of=_bert_classifier_config),
    "textcnn": Family(TextCNN, TextCNNConfig, "classify", size=_textcnn_size),
}  # fmt: skip


class LoadedModel(NamedTuple):
    """What :func:`load_model` returns: ``model, tokenizer, info = load_model(path)``."""

    model: object
    tokenizer: object  # the "text" tokenizer (None when the file has none, as a translator)
    info: dict  # the record (see the module docstring), config and tokenizers included


def family_of(model) -> str:
    """The registered family name of ``model``."""
    for name, fam in FAMILIES.items():
        if type(model) is fam.model:
            return name
    raise TypeError(f"save_model: {type(model).__name__} is not a registered family "
                    f"({', '.join(FAMILIES)}); add it to minilm.checkpoint.FAMILIES")  # fmt: skip


def task_of(info: dict) -> str:
    """What a model file's record (``load_model(path).info``) is for: "generate",
    "translate" or "classify", from its family.

    >>> task_of({"family": "transformer"}), task_of({"family": "gpt"})
    ('translate', 'generate')
    """
    family = info.get("family") if isinstance(info, dict) else None
    if family not in FAMILIES:
        raise ValueError(f"unknown model family {family!r}; known: {', '.join(FAMILIES)}")
    return FAMILIES[family].task


def save_model(path, model, tokenizers: dict, *, metrics: dict | None = None, step: int = 0,
               labels=None, text: dict | None = None) -> None:  # fmt: skip
    """Write ``model`` with its record (see the module docstring) to ``path``, atomically.
    A classifier needs ``labels``, one name per class in the order of its outputs."""
    from . import __version__

    family = family_of(model)
    if family == "ngram":
        config, tensors = _ngram_state(model)
    else:
        fam = FAMILIES[family]
        config = dataclasses.asdict(fam.config_of(model) if fam.config_of else model.config)
        tensors = model.state_dict()
    if FAMILIES[family].task == "classify" and labels is None:
        raise ValueError(f"save_model: a {family} classifier needs labels=[a name per class]")
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
    naming the file and what is wrong. A translator's tokenizers are in
    ``info["tokenizers"]`` (rebuild them with :func:`minilm.text.tokenizer_from_dict`)."""
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
        fam = FAMILIES[family]
        if family == "ngram":
            model = _ngram_build(record.get("config"), tensors)
            vocab = {"text": len(model.vocab)}
        else:
            model = _build(fam, record.get("config"), tensors, device)
            vocab = fam.vocab(_model_config(fam, model))
        for name, size in vocab.items():
            tok = toks.get(name)
            if tok is None and fam.task != "generate":
                raise ValueError(f"a {fam.task} model needs a {name!r} tokenizer; it has "
                                 f"{sorted(toks) or 'none'}")  # fmt: skip
            if tok is not None and tok.vocab_size != size:
                what = "the tokenizer" if name == "text" else f"the {name} tokenizer"
                key = "vocab_size" if name == "text" else f"{name} vocab_size"
                raise ValueError(f"{what} has {tok.vocab_size} tokens but the model's "
                                 f"{key} is {size}")  # fmt: skip
        if fam.task == "classify":
            _check_labels(record.get("labels"), _model_config(fam, model).num_classes)
        _check_text(record.get("text", {}), min(vocab.values()))
    except (ValueError, TypeError, KeyError) as e:
        raise CheckpointError(f"{path!r}: {e}") from None
    except Exception as e:  # a config that passed the checks but cannot build: still refused
        raise CheckpointError(
            f"{path!r}: its model cannot be built: {type(e).__name__}: {e}"
        ) from None
    return LoadedModel(model, toks.get("text"), record)


def config_of(model):
    """The config dataclass ``model`` (of a registered family) is built from.

    >>> from minilm.models.bert import BERT, BERTClassifier, BERTConfig
    >>> encoder = BERT(BERTConfig(vocab_size=20, max_len=8, n_layer=1, n_head=2, d_model=16))
    >>> config_of(BERTClassifier(encoder, num_classes=3)).num_classes
    3
    """
    return _model_config(FAMILIES[family_of(model)], model)


def _model_config(fam: Family, model):
    return fam.config_of(model) if fam.config_of else model.config


def _check_labels(labels, num_classes: int) -> None:
    if not isinstance(labels, list) or len(labels) != num_classes:
        got = len(labels) if isinstance(labels, list) else type(labels).__name__
        raise ValueError(f"a classifier with {num_classes} classes needs {num_classes} labels, "
                         f"got {got}")  # fmt: skip
    if num_classes > MAX_LABELS or not all(isinstance(x, str) and 0 < len(x) <= 100
                                           for x in labels):  # fmt: skip
        raise ValueError("labels must be names of 1 to 100 characters")
    if len(set(labels)) != len(labels):
        raise ValueError(f"labels must be distinct, got {labels}")


def _check_text(text, vocab: int) -> None:
    """The record's ``text`` entry: how input is made (see the module docstring)."""
    if not isinstance(text, dict):
        raise ValueError("'text' is not a mapping")
    if "stream" in text and type(text["stream"]) is not bool:
        raise ValueError("text.stream must be true or false")
    for key in ("start_id", "stop_id"):
        if key in text and (type(text[key]) is not int or not 0 <= text[key] < vocab):
            raise ValueError(f"text.{key} must be a token id below {vocab}, got {text[key]!r}")
    if "max_len" in text and (type(text["max_len"]) is not int
                              or not 1 <= text["max_len"] < MAX_CONFIG_INT):  # fmt: skip
        raise ValueError(f"text.max_len must be a whole number >= 1, got {text['max_len']!r}")


def _config(cls, d):
    """A config dataclass from a dict, every field checked for its type and size."""
    if not isinstance(d, dict):
        raise ValueError(f"the config is a {type(d).__name__}, not a mapping")
    fields = {f.name: f for f in dataclasses.fields(cls)}
    unknown = sorted(set(d) - set(fields))
    if unknown:
        raise ValueError(f"unknown {cls.__name__} fields {unknown}")
    hints = typing.get_type_hints(cls)
    values = {name: _field(cls.__name__, name, hints[name], v) for name, v in d.items()}
    try:
        config = cls(**values)
    except TypeError as e:  # a required field missing
        raise ValueError(f"{cls.__name__}: {e}") from None
    vocab = getattr(config, "vocab_size", getattr(config, "tgt_vocab_size", None))
    for name in fields:
        if name.endswith("_id") and vocab is not None and getattr(config, name) >= vocab:
            raise ValueError(f"{cls.__name__}.{name} = {getattr(config, name)} is not below "
                             f"vocab_size {vocab}")  # fmt: skip
    return config


def _field(owner: str, name: str, kind, value):
    """One config field's value, checked against its declared type ``kind``."""
    where = f"{owner}.{name}"
    if dataclasses.is_dataclass(kind):
        return _config(kind, value)
    args = typing.get_args(kind)
    if set(args) == {int, type(None)}:  # int | None
        return None if value is None else _field(owner, name, int, value)
    if typing.get_origin(kind) is tuple and args == (int, ...):
        if not isinstance(value, (list, tuple)) or not 1 <= len(value) <= MAX_TUPLE:
            raise ValueError(f"{where} must be a list of 1 to {MAX_TUPLE} ints, got {value!r}")
        return tuple(_field(owner, f"{name}[{i}]", int, v) for i, v in enumerate(value))
    if kind not in (int, float, bool, str):
        raise TypeError(f"{where}: minilm cannot check a field of type {kind}")
    if kind is float and type(value) is int:
        value = float(value)
    if type(value) is not kind:
        raise ValueError(f"{where} must be {kind.__name__}, got {value!r}")
    bound = MAX_LAYERS + 1 if "layer" in name else MAX_CONFIG_INT
    if name == "max_len":
        bound = MAX_SEQUENCE + 1
    if kind is int and not 0 <= value < bound:
        raise ValueError(f"{where} = {value} is out of range")
    if kind is str and len(value) > 100:
        raise ValueError(f"{where} is too long")
    return value


def _build(family: Family, config_dict, tensors: dict, device: str):
    config = _config(family.config, config_dict)
    wanted = family.size(config)
    stored = sum(int(np.prod(t.shape)) for t in tensors.values())
    if wanted > MAX_PARAMETERS or wanted != stored:
        raise ValueError(f"its config describes {wanted:,} parameters but it stores "
                         f"{stored:,}: the config does not match the tensors")  # fmt: skip
    model = (family.build or family.model)(config)
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
