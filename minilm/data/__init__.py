"""Bundled corpora, their fixed splits, the task datasets (summarization, QA,
dialogue: :mod:`minilm.data.tasks`), batching helpers, text augmentation
(:mod:`minilm.data.augment`) and k-fold cross-validation (:mod:`minilm.data.cv`).

>>> from minilm.data import load_split, available_corpora
>>> available_corpora()
['tinyshakespeare', 'names', 'sentiment', 'eng-fra']
>>> load_split("names", "val")[:3]
['lillianah', 'chyanne', 'athreya']
"""

from .augment import augment, augment_dataset, random_deletion, random_swap
from .batching import classification_batches, lm_batch, lm_batches, pad_batch
from .corpora import available_corpora, load_text
from .cv import CVResult, cross_validate, kfold, paired_difference
from .records import load_names, load_sentiment, load_translation
from .splits import SPLITS, load_split
from .tasks import load_dialogue, load_qa, load_summarization, split_sentences
from .text import TextSplits, read_text_file, split_rule, split_text

__all__ = [
    "available_corpora",
    "load_text",
    "load_names",
    "load_sentiment",
    "load_translation",
    "load_summarization",
    "load_qa",
    "load_dialogue",
    "split_sentences",
    "load_split",
    "SPLITS",
    "read_text_file",
    "split_text",
    "split_rule",
    "TextSplits",
    "lm_batch",
    "lm_batches",
    "pad_batch",
    "classification_batches",
    "random_deletion",
    "random_swap",
    "augment",
    "augment_dataset",
    "kfold",
    "cross_validate",
    "CVResult",
    "paired_difference",
]
