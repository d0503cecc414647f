"""The bundled corpora: where they live and how to read them as text.

The files ship inside the package (``minilm/data/corpora/``) and are found with
:mod:`importlib.resources`, so they work from a source checkout, a wheel or a
zip. Nothing is ever downloaded. Sources and licenses are in
``corpora/ATTRIBUTION.md``.
"""

from __future__ import annotations

import os
from importlib import resources

from .text import read_text_file

# corpus name -> (file, one-line description)
CORPORA = {
    "tinyshakespeare": ("tinyshakespeare.txt", "1.1M characters of Shakespeare (char LM)"),
    "names": ("names.txt", "32,033 lowercase US baby names, one per line (char LM)"),
    "sentiment": ("sentiment", "3,000 review sentences labelled 0/1 (amazon, imdb, yelp)"),
    "eng-fra": ("eng-fra-short.txt", "21,839 short English-French pairs (translation)"),
}
SENTIMENT_SOURCES = ("amazon", "imdb", "yelp")
_SENTIMENT_FILES = {
    "amazon": "amazon_cells_labelled.txt",
    "imdb": "imdb_labelled.txt",
    "yelp": "yelp_labelled.txt",
}


def available_corpora() -> list[str]:
    """The names :func:`load_text` and friends accept.

    >>> available_corpora()
    ['tinyshakespeare', 'names', 'sentiment', 'eng-fra']
    """
    return list(CORPORA)


def check_corpus(name: str) -> str:
    """Return ``name`` if it is a bundled corpus, else raise a ``KeyError`` listing them."""
    if name not in CORPORA:
        listing = ", ".join(f"{k!r} ({v[1]})" for k, v in CORPORA.items())
        raise KeyError(f"unknown corpus {name!r}; the bundled corpora are: {listing}")
    return name


def _read(*parts: str) -> str:
    path = resources.files("minilm.data") / "corpora"
    for part in parts:
        path = path / part
    return path.read_bytes().decode("utf-8")


def load_text(name, source: str | None = None) -> str:
    """The raw text of a bundled corpus, exactly as stored (UTF-8 decoded), or of
    your own file.

    ``name`` is a bundled corpus name (:func:`available_corpora`) or a path (a
    ``str`` that is not a corpus name, or any ``os.PathLike``): your file is read
    by :func:`minilm.data.text.read_text_file` (UTF-8 only, line ends made
    ``\n``; a clear error for another encoding, an empty file or a missing one).
    A bundled name wins over a file of the same name: write ``./names`` or
    ``Path("names")`` for the file.

    ``source`` picks one of the sentiment files ("amazon", "imdb", "yelp"); without
    it the three are concatenated in that order.

    >>> text = load_text("tinyshakespeare")
    >>> len(text), text[:9]
    (1115394, 'First Cit')
    >>> load_text("names").split("\\n")[:3]
    ['emma', 'olivia', 'ava']
    """
    if isinstance(name, os.PathLike) or (isinstance(name, str) and name not in CORPORA):
        if source is not None:
            raise ValueError("`source` is for the bundled 'sentiment' corpus only, not a file")
        if isinstance(name, str) and not os.path.exists(name):
            listing = ", ".join(CORPORA)
            raise FileNotFoundError(f"{name!r} is neither a file nor a bundled corpus "
                                    f"({listing})")  # fmt: skip
        return read_text_file(name)
    file = CORPORA[check_corpus(name)][0]
    if name == "sentiment":
        sources = SENTIMENT_SOURCES if source is None else (source,)
        for s in sources:
            if s not in _SENTIMENT_FILES:
                raise KeyError(f"unknown sentiment source {s!r}; use one of {SENTIMENT_SOURCES}")
        return "".join(_read(file, _SENTIMENT_FILES[s]) for s in sources)
    if source is not None:
        raise ValueError(f"corpus {name!r} has no sources; `source` is for 'sentiment' only")
    return _read(file)
