"""Corpora as records: names, labelled sentences, translation pairs."""

from __future__ import annotations

from .corpora import SENTIMENT_SOURCES, load_text


def load_names() -> list[str]:
    """The 32,033 names, in file order (duplicates kept).

    >>> names = load_names()
    >>> len(names), names[0]
    (32033, 'emma')
    """
    return load_text("names").split("\n")


def load_sentiment(source: str | None = None) -> list[tuple[str, int]]:
    """``(sentence, label)`` pairs, label 1 positive and 0 negative.

    The files are ``sentence<TAB>label`` lines; they are split on the last tab
    and nothing else is parsed (quotes are text: see the data README), and
    trailing spaces are stripped (the imdb file ends every sentence with two).
    Order: amazon, imdb, yelp, each in file order.

    >>> rows = load_sentiment()
    >>> len(rows), sum(label for _, label in rows)
    (3000, 1500)
    >>> load_sentiment("yelp")[0]
    ('Wow... Loved this place.', 1)
    """
    sources = SENTIMENT_SOURCES if source is None else (source,)
    rows = []
    for s in sources:
        for line in load_text("sentiment", s).split("\n"):
            if line:
                sentence, label = line.rsplit("\t", 1)
                rows.append((sentence.rstrip(" "), int(label)))
    return rows


def load_translation() -> list[tuple[str, str]]:
    """``(english, french)`` pairs from the bundled eng-fra subset, in file order.

    The text is as stored: French keeps its narrow no-break spaces (U+202F) and
    no-break spaces (U+00A0) before ``!?:;``; tokenizers decide what to do with them.

    >>> pairs = load_translation()
    >>> len(pairs), pairs[0]
    (21839, ('Go.', 'Va !'))
    """
    rows = []
    for line in load_text("eng-fra").split("\n"):
        if line:
            en, fr = line.split("\t")
            rows.append((en, fr))
    return rows
