"""Text preparation: Unicode normalization and a cleaning pipeline of named steps.

One visible text has many encodings. ``é`` is one code point (U+00E9) or two
(``e`` + U+0301, a combining acute accent); ``ﬁ`` (U+FB01) is a ligature of ``f``
and ``i``; ``１`` (U+FF11) is a full-width ``1``. A tokenizer that sees code points
treats each spelling as a different word, so text is put in one form first.
Unicode defines four normalization forms (UAX #15):

- **NFC** (canonical composition): canonically equivalent sequences, ones that
  mean and look the same, become one, composed where possible. ``e`` + U+0301
  becomes ``é``. Nothing visible changes, so it is always safe.
- **NFKC** (compatibility composition): NFC, and *compatibility* characters become
  their plain equivalent: ligatures (``ﬁ`` -> ``fi``), full-width forms
  (``１２`` -> ``12``), superscripts (``²`` -> ``2``), the no-break spaces
  (U+00A0, U+202F -> space). It loses distinctions (``x²`` becomes ``x2``); for
  word-level models of plain prose that is usually what you want.
- NFD and NFKD are the decomposed versions; :func:`strip_accents` uses NFD.

:func:`normalize` does the steps most models need, in a fixed order:
Unicode form, then accents, then case, then whitespace. :class:`Pipeline`
chains *named* steps (each a small function ``str -> str`` below) so that
cleaning is written down, shown step by step (:meth:`Pipeline.trace`) and
changed by name; :data:`CLEAN` is the course's default, in this order:

1. :func:`strip_tags` (``<br />`` -> space), before the entities are decoded, so
   an escaped ``&lt;b&gt;`` stays text;
2. :func:`unescape_html` (``&amp;`` -> ``&``, ``&eacute;`` -> ``é``);
3. :func:`repair_cp1252` (``\\x96`` -> ``–``: text that was cp1252 but was read as
   Latin-1; the bundled imdb sentences have such dashes and ellipses);
4. :func:`nfkc`;
5. :func:`remove_control` (controls and invisible format characters);
6. :func:`mask_urls`, :func:`mask_emails`, :func:`mask_numbers`, in that order, so
   the digits of a URL are not masked on their own;
7. :func:`lowercase`;
8. :func:`collapse_whitespace`.

:func:`normalize` is idempotent (``normalize(normalize(s)) == normalize(s)``, a
tested property). :data:`CLEAN` is not: decoding entities twice decodes
``&amp;amp;`` twice. Clean raw text once.
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Callable, Iterable

__all__ = ["FORMS", "normalize", "nfc", "nfkc", "strip_accents", "lowercase",
           "collapse_whitespace", "remove_control", "repair_cp1252", "strip_tags",
           "unescape_html", "mask_urls", "mask_emails", "mask_numbers", "Pipeline",
           "CLEAN", "clean"]  # fmt: skip

FORMS = ("NFC", "NFKC", "NFD", "NFKD")


def normalize(text: str, form: str | None = "NFC", lower: bool = False,
              strip_accents: bool = False, whitespace: bool = True) -> str:  # fmt: skip
    """``text`` in one Unicode form, optionally without accents and lowercased,
    with its whitespace collapsed. The steps, in order:

    1. Unicode normalization to ``form`` (``"NFC"``, ``"NFKC"``, ``"NFD"`` or
       ``"NFKD"``; ``None`` skips it: see the module docstring);
    2. ``strip_accents``: decompose (NFD), drop the combining marks, recompose
       (``"café"`` -> ``"cafe"``, ``"Ångström"`` -> ``"Angstrom"``);
    3. ``lower``: ``str.lower`` (``"ß"`` stays ``"ß"``; ``str.casefold`` would
       make it ``"ss"``, which is for matching, not for text you read);
    4. ``whitespace``: every run of whitespace (any character ``str.isspace``
       accepts: tabs, newlines, U+00A0, ...) becomes one space, and the ends are
       stripped.

    Lowercasing can leave text that is no longer in ``form`` (``"İ"`` lowercases
    to ``"i"`` + a combining dot), so when step 2 or 3 changed something, step 1
    runs again at the end: the result is always in ``form``, and normalizing it
    again changes nothing.

    >>> normalize("Cafe\\u0301  au\\tlait\\n")  # e + combining acute -> é (U+00E9)
    'Café au lait'
    >>> normalize("ﬁnal １２ km²", form="NFKC")  # ligature, full width, superscript
    'final 12 km2'
    >>> normalize("Crème Brûlée", lower=True, strip_accents=True)
    'creme brulee'
    """
    if form is not None and form not in FORMS:
        raise ValueError(f"normalize: form must be one of {FORMS} or None, got {form!r}")
    if not isinstance(text, str):
        raise TypeError(f"normalize: text must be a str, got {type(text).__name__}")
    out = text if form is None else unicodedata.normalize(form, text)
    before = out
    if strip_accents:
        out = _strip_accents(out)
    if lower:
        out = out.lower()
    if form is not None and out != before:
        out = unicodedata.normalize(form, out)
    if whitespace:
        out = collapse_whitespace(out)
    return out


def _strip_accents(text: str) -> str:  # a private name: normalize's argument hides the public one
    marks_apart = unicodedata.normalize("NFD", text)
    return nfc("".join(c for c in marks_apart if not unicodedata.combining(c)))


# --- the cleaning steps: each a function str -> str ---------------------


def nfc(text: str) -> str:
    """Unicode NFC: canonical composition (``e`` + U+0301 -> ``é``); nothing visible changes.

    >>> nfc("e\\u0301") == "\\u00e9"
    True
    """
    return unicodedata.normalize("NFC", text)


def nfkc(text: str) -> str:
    """Unicode NFKC: NFC plus compatibility folding (``ﬁ`` -> ``fi``, ``１`` -> ``1``,
    no-break spaces -> space).

    >>> nfkc("ﬁle №１")
    'file No1'
    """
    return unicodedata.normalize("NFKC", text)


def strip_accents(text: str) -> str:
    """Drop combining marks (accents, cedillas, ...) after an NFD decomposition; NFC result.

    Letters that are not a base letter plus a mark stay: ``ø``, ``ł``, ``ß``.

    >>> strip_accents("Ça coûte 5 € à Łódź, Søren")
    'Ca coute 5 € a Łodz, Søren'
    """
    return _strip_accents(text)


def lowercase(text: str) -> str:
    """``str.lower``, then NFC again (lowercasing ``İ`` gives ``i`` + U+0307).

    >>> lowercase("The BEST Café")
    'the best café'
    """
    return unicodedata.normalize("NFC", text.lower())


def collapse_whitespace(text: str) -> str:
    """Each run of whitespace (``str.isspace``: tab, newline, U+00A0, U+3000, ...)
    becomes one space; leading and trailing whitespace goes.

    >>> collapse_whitespace("  a \\t b\\n\\n c\\u00a0d ")
    'a b c d'
    """
    return " ".join(text.split())


# Zero-width joiner and non-joiner: format characters that scripts (Persian,
# Hindi) and emoji sequences need, so they are kept.
_KEEP_FORMAT = {"\u200c", "\u200d"}


def remove_control(text: str) -> str:
    """Drop control characters (category Cc) other than whitespace, and invisible
    format characters (Cf: soft hyphen, zero-width space, byte-order mark, bidi
    marks) other than the zero-width joiner and non-joiner.

    Run :func:`repair_cp1252` first if the text may hold cp1252 punctuation read as
    Latin-1: here those are C1 controls, and they would be dropped.

    >>> remove_control("a\\x00b\\u200bc\\u00add\\te\\n")
    'abcd\\te\\n'
    """
    return "".join(c for c in text if not _invisible(c))


def _invisible(c: str) -> bool:
    cat = unicodedata.category(c)
    return (cat == "Cc" and not c.isspace()) or (cat == "Cf" and c not in _KEEP_FORMAT)


def _cp1252(match: re.Match) -> str:
    try:
        return bytes([ord(match.group())]).decode("cp1252")
    except UnicodeDecodeError:  # 0x81, 0x8D, 0x8F, 0x90, 0x9D mean nothing in cp1252
        return match.group()


def repair_cp1252(text: str) -> str:
    """Read the C1 controls U+0080..U+009F as the cp1252 characters they were.

    Windows' cp1252 puts punctuation where Latin-1 has invisible C1 controls
    (byte 0x96 is an en dash in cp1252, a control in Latin-1). Text saved as
    cp1252 and read as Latin-1 (then written out as UTF-8) carries those controls
    where its dashes, quotes and ellipses were. Real text almost never holds a C1
    control, so reading each one as cp1252 is safe; the five bytes cp1252 leaves
    undefined stay as they are.

    >>> repair_cp1252("bad \\x96 very bad\\x85 \\x93ok\\x94")
    'bad – very bad… “ok”'
    """
    return re.sub("[\x80-\x9f]", _cp1252, text)


def strip_tags(text: str) -> str:
    """Replace each HTML/XML tag (``<br />``, ``<p class="x">``, ``</b>``) by a space.

    A tag here is ``<`` + a letter, ``/`` or ``!`` + anything up to ``>``, so
    ``a < b`` and ``<3`` are left alone. (It is not an HTML parser: a ``>`` inside an
    attribute ends the tag early.)

    >>> strip_tags("Great.<br /><br />Would buy <b>again</b>; 1 < 2 <3")
    'Great.  Would buy  again ; 1 < 2 <3'
    """
    return re.sub(r"</?[A-Za-z!][^<>]*>", " ", text)


def unescape_html(text: str) -> str:
    """Decode HTML character references: ``&amp;`` -> ``&``, ``&#39;`` -> ``'``,
    ``&eacute;`` -> ``é``, ``&nbsp;`` -> U+00A0 (:func:`html.unescape`, HTML5 rules).

    >>> unescape_html("feels &amp; looks; caf&eacute; &#39;ok&#x27; AT&T")
    "feels & looks; café 'ok' AT&T"
    """
    return html.unescape(text)


# A URL: a scheme or "www.", then no spaces, ending on a character that is not
# sentence punctuation ("see http://x.org." keeps its full stop).
URL_PATTERN = r"(?:https?://|www\.)[^\s<>\"']*[^\s<>\"'.,;:!?)\]}]"
EMAIL_PATTERN = r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+"
# A number standing alone (not part of a word like "2nd" or "mp3"), with its
# thousands separators and decimals: 7, 1,000, 3.5, 10/10 is two numbers.
NUMBER_PATTERN = r"(?<!\w)\d+(?:[.,]\d+)*(?!\w)"


def mask_urls(text: str, mask: str = "<url>") -> str:
    """Replace each URL (``http://``, ``https://`` or ``www.``) by ``mask``.

    >>> mask_urls("see https://example.org/a?b=1. Or www.x.com!")
    'see <url>. Or <url>!'
    """
    return re.sub(URL_PATTERN, mask, text)


def mask_emails(text: str, mask: str = "<email>") -> str:
    """Replace each e-mail address by ``mask``.

    >>> mask_emails("write to ann.lee+spam@mail.example.com today")
    'write to <email> today'
    """
    return re.sub(EMAIL_PATTERN, mask, text)


def mask_numbers(text: str, mask: str = "<num>") -> str:
    """Replace each stand-alone number (``7``, ``1,000``, ``3.5``) by ``mask``; digits
    inside a word (``2nd``, ``mp3``) stay. ``\\d`` is Unicode's: ``٣`` is a digit too.

    >>> mask_numbers("I give it 10/10, 3.5 stars, 1,000 times; the 2nd mp3")
    'I give it <num>/<num>, <num> stars, <num> times; the 2nd mp3'
    """
    return re.sub(NUMBER_PATTERN, mask, text)


# --- a pipeline of named steps ----------------------------------------


class Pipeline:
    """Named steps ``str -> str`` applied in order.

    ``steps``: functions (named by their ``__name__``) or ``(name, function)`` pairs.
    Call the pipeline on a string; :meth:`trace` shows the text after every step;
    :meth:`describe` lists the steps with the first line of each docstring;
    :meth:`without` and :meth:`then` give a new pipeline with steps removed or added.

    >>> p = Pipeline([unescape_html, ("mask", mask_numbers), collapse_whitespace])
    >>> p("I paid  &pound;20 ")
    'I paid £<num>'
    >>> p.names
    ['unescape_html', 'mask', 'collapse_whitespace']
    >>> for name, text in p.trace("x &amp; 1 "):
    ...     print(f"{name:20} {text!r}")
    input                'x &amp; 1 '
    unescape_html        'x & 1 '
    mask                 'x & <num> '
    collapse_whitespace  'x & <num>'
    >>> p.without("mask")("1 &lt; 2")
    '1 < 2'
    """

    def __init__(self, steps: Iterable[Callable[[str], str] | tuple[str, Callable[[str], str]]]):
        self.steps: list[tuple[str, Callable[[str], str]]] = []
        for step in steps:
            name, fn = step if isinstance(step, tuple) else (getattr(step, "__name__", ""), step)
            if not callable(fn) or not isinstance(name, str) or not name:
                raise TypeError(f"Pipeline: a step is a function or a (name, function) pair, "
                                f"got {step!r}")  # fmt: skip
            if name in self.names:
                raise ValueError(f"Pipeline: two steps are named {name!r}; name them apart "
                                 f"with (name, function) pairs")  # fmt: skip
            self.steps.append((name, fn))

    @property
    def names(self) -> list[str]:
        return [name for name, _ in self.steps]

    def __call__(self, text: str) -> str:
        return self.trace(text)[-1][1]

    def trace(self, text: str) -> list[tuple[str, str]]:
        """``[("input", text), (step name, text after it), ...]``."""
        if not isinstance(text, str):
            raise TypeError(f"Pipeline: text must be a str, got {type(text).__name__}")
        out = [("input", text)]
        for name, fn in self.steps:
            text = fn(text)
            if not isinstance(text, str):
                raise TypeError(f"Pipeline: step {name!r} returned a {type(text).__name__}, "
                                f"not a str")  # fmt: skip
            out.append((name, text))
        return out

    def without(self, *names: str) -> Pipeline:
        """This pipeline less the steps called ``names``."""
        unknown = [n for n in names if n not in self.names]
        if unknown:
            raise ValueError(f"Pipeline: no step named {', '.join(map(repr, unknown))}; "
                             f"the steps are {self.names}")  # fmt: skip
        return Pipeline([s for s in self.steps if s[0] not in names])

    def then(self, *steps) -> Pipeline:
        """This pipeline with ``steps`` (as for the constructor) appended."""
        return Pipeline([*self.steps, *steps])

    def describe(self) -> str:
        """One line per step: its number, name, and the first line of its docstring."""
        lines = []
        for i, (name, fn) in enumerate(self.steps, 1):
            doc = (fn.__doc__ or "").strip().split("\n")[0]
            lines.append(f"{i}. {name}: {doc}")
        return "\n".join(lines)

    def __repr__(self) -> str:
        return f"Pipeline({self.names})"


CLEAN = Pipeline([strip_tags, unescape_html, repair_cp1252, nfkc, remove_control, mask_urls,
                  mask_emails, mask_numbers, lowercase, collapse_whitespace])  # fmt: skip


def clean(text: str) -> str:
    """:data:`CLEAN` applied to ``text`` (see the module docstring for each step and why
    the order).

    >>> clean("It's practically perfect \\x96 a ﬁne film.<br />10/10 &amp; more: www.imdb.com")
    "it's practically perfect – a fine film. <num>/<num> & more: <url>"
    """
    return CLEAN(text)
