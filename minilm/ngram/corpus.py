"""The bundled corpora as sentences of tokens, for n-gram models.

- ``names``: each name is a sentence of characters.
- ``tinyshakespeare``: each non-blank line is a sentence, of characters or of
  words (:func:`minilm.text.split_words`, case kept).
- ``sentiment``: each review sentence, of characters or words (labels dropped).

:data:`DEFAULT_MIN_COUNT` is 2 for words: words seen once in training become
``<unk>``, so ``<unk>`` is estimated from real counts like any word. With
``min_count=1`` its probability comes only from smoothing, and each method
hands it a very different share of the mass (backoff gives it all the
discounted unigram mass), which makes test perplexities with unknown words
incomparable across methods.
"""

from __future__ import annotations

from ..data import load_split, split_text
from ..text import split_words

NGRAM_CORPORA = ("names", "tinyshakespeare", "sentiment")
DEFAULT_LEVEL = {"names": "char", "tinyshakespeare": "word", "sentiment": "word"}
DEFAULT_MIN_COUNT = {"char": 1, "word": 2}


def corpus_sentences(name: str, split: str = "train", level: str | None = None) -> list:
    """Sentences of one split; ``level`` is "char" or "word" (default per corpus, above).

    >>> corpus_sentences("names", "val")[:2]
    ['lillianah', 'chyanne']
    >>> corpus_sentences("tinyshakespeare", "test")[0][:4]
    ['As', 'shall', 'with', 'either']
    """
    if name not in NGRAM_CORPORA:
        raise KeyError(f"no n-gram sentences for corpus {name!r}; use one of {NGRAM_CORPORA}")
    level = level or DEFAULT_LEVEL[name]
    if level not in ("char", "word"):
        raise ValueError(f"level must be 'char' or 'word', got {level!r}")
    data = load_split(name, split)
    if name == "names":
        if level == "word":
            raise ValueError("names are single words: use level='char'")
        return data
    lines = data.split("\n") if name == "tinyshakespeare" else [s for s, _ in data]
    lines = [line for line in lines if line.strip()]
    return lines if level == "char" else [split_words(line) for line in lines]


def text_sentences(text: str, split: str = "train", level: str | None = None,
                   split_by: str | None = None) -> list:  # fmt: skip
    """Sentences of one split of your own text (:func:`minilm.data.split_text`): each
    line of a "lines" text, or each non-blank line of running text; of characters
    (the default for lines) or of words (the default for running text).

    >>> text = "\\n".join(f"name{i}" for i in range(40))
    >>> text_sentences(text, "test")
    ['name15', 'name31']
    """
    parts = split_text(text, split_by)
    level = level or ("char" if parts.rule == "lines" else "word")
    if level not in ("char", "word"):
        raise ValueError(f"level must be 'char' or 'word', got {level!r}")
    data = parts[split]
    lines = data if parts.rule == "lines" else [line for line in data.split("\n") if line.strip()]
    return lines if level == "char" else [split_words(line) for line in lines]
