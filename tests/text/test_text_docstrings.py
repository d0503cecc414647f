"""The runnable examples in the docstrings of the text, data, n-gram, info and metrics modules."""

import doctest
import importlib

import pytest

MODULES = [
    "minilm.data", "minilm.data.batching", "minilm.data.corpora", "minilm.data.records",
    "minilm.data.splits", "minilm.text", "minilm.text.vocab", "minilm.text.char",
    "minilm.text.word", "minilm.text.bpe", "minilm.text.bpe_train", "minilm.ngram",
    "minilm.ngram.counts", "minilm.ngram.model", "minilm.ngram.smoothing", "minilm.info",
    "minilm.metrics", "minilm.bench",
]  # fmt: skip


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.failed == 0
