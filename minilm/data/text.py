"""A user's own text file: read it safely, split it the way the course splits its corpora.

Reading (:func:`read_text_file`):

- The file must be UTF-8 (a leading byte-order mark is dropped). Any other
  encoding is refused with the byte offset of the first bad byte, so you can
  find it, or convert the file (``iconv -f latin1 -t utf-8 in.txt > out.txt``).
- Windows and old Mac line ends (``\\r\\n``, ``\\r``) become ``\\n``.
- An empty file (or one of only whitespace) is an error, and so is a file over
  :data:`MAX_TEXT_BYTES` (it would not fit a laptop's model anyway).

Splitting (:func:`split_text`), deterministic and 90/5/5 (train/val/test):

- **lines** (``by="lines"``): for text made of short independent records, one
  per line, such as a list of names or words. The non-empty lines are shuffled
  with ``numpy.random.default_rng(0)`` and cut 90/5/5; each split is a list of
  lines, and models see each line as its own sequence. Chosen automatically
  when the text has at least :data:`MIN_LINES` lines, no blank line, and no
  line longer than :data:`MAX_RECORD_CHARS` characters.
- **blocks** (``by="blocks"``): for everything else, running text such as a
  book. Train is the first 90% of the characters, val the next 5%, test the
  last 5%; each cut moves forward to just after the next newline, so no line is
  cut in two. Each split is one string. (This is how tinyshakespeare is split.)

Both rules need enough text for every split to be non-empty: at least
:data:`MIN_LINES` lines, or :data:`MIN_CHARS` characters with a newline in the
last 5%.
"""

from __future__ import annotations

from pathlib import Path

from ..backend import np

__all__ = ["read_text_file", "split_text", "split_rule", "TextSplits",
           "MAX_TEXT_BYTES", "MIN_LINES", "MIN_CHARS", "MAX_RECORD_CHARS"]  # fmt: skip

MAX_TEXT_BYTES = 1 << 30  # 1 GiB
MIN_LINES = 20  # 5% of 20 lines is one line for val and one for test
MIN_CHARS = 200
MAX_RECORD_CHARS = 100
SEED = 0
FRACTIONS = (0.90, 0.05, 0.05)


def read_text_file(path) -> str:
    """The text of a UTF-8 file, with ``\\n`` line ends (see the module docstring).

    >>> import tempfile, os
    >>> p = os.path.join(tempfile.mkdtemp(), "t.txt")
    >>> _ = open(p, "wb").write(b"caf\\xc3\\xa9\\r\\nok\\r\\n")
    >>> read_text_file(p)
    'café\\nok\\n'
    >>> _ = open(p, "wb").write(b"caf\\xe9\\n")
    >>> read_text_file(p)
    Traceback (most recent call last):
    ...
    ValueError: ...t.txt is not UTF-8: byte 0xe9 at offset 3 ... (iconv -f latin1 -t utf-8 ...)
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"no such file: {str(path)!r}")
    if path.is_dir():
        raise IsADirectoryError(f"{str(path)!r} is a folder; name a text file")
    size = path.stat().st_size
    if size > MAX_TEXT_BYTES:
        raise ValueError(f"{path} is {size / 2**20:,.0f} MiB; minilm reads text files up to "
                         f"{MAX_TEXT_BYTES >> 20:,} MiB: cut it (head -c ...) first")  # fmt: skip
    data = path.read_bytes()
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise ValueError(
            f"{path} is not UTF-8: byte 0x{data[e.start]:02x} at offset {e.start} "
            f"cannot be decoded ({e.reason}). Convert the file to UTF-8, e.g. "
            f"(iconv -f latin1 -t utf-8 {path.name} > {path.stem}-utf8{path.suffix})"
        ) from None
    text = text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    if not text.strip():
        raise ValueError(f"{path} is empty: a language model needs some text to learn from")
    return text


def split_rule(text: str) -> str:
    """``"lines"`` or ``"blocks"``: the rule :func:`split_text` uses by default.

    >>> split_rule("\\n".join(["emma", "olivia", "ava"] * 10))
    'lines'
    >>> split_rule("A long line of prose. " * 10 + "\\n\\nAnd a second paragraph.\\n")
    'blocks'
    """
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines = lines[:-1]
    records = (len(lines) >= MIN_LINES and all(line.strip() for line in lines)
               and max(map(len, lines)) <= MAX_RECORD_CHARS)  # fmt: skip
    return "lines" if records else "blocks"


class TextSplits(dict):
    """``{"train", "val", "test"}`` -> a list of lines (rule ``"lines"``) or a string
    (rule ``"blocks"``); :attr:`rule` says which."""

    rule: str

    def __init__(self, parts: dict, rule: str):
        super().__init__(parts)
        self.rule = rule


def split_text(text: str, by: str | None = None, name: str = "the text") -> TextSplits:
    """Deterministic 90/5/5 train/val/test split of ``text`` by ``"lines"`` or
    ``"blocks"`` (default: :func:`split_rule`); see the module docstring.

    >>> s = split_text("\\n".join(f"name{i}" for i in range(40)))
    >>> s.rule, len(s["train"]), len(s["val"]), len(s["test"])
    ('lines', 36, 2, 2)
    >>> s = split_text("".join(f"line {i} of a story\\n\\n" for i in range(100)))
    >>> s.rule, s["test"].split()[:2]
    ('blocks', ['line', '96'])
    """
    by = by or split_rule(text)
    if by == "lines":
        lines = [line for line in text.split("\n") if line.strip()]
        if len(lines) < MIN_LINES:
            raise ValueError(f"{name} has {len(lines)} non-empty lines; splitting by lines needs "
                             f"at least {MIN_LINES} (one each for val and test)")  # fmt: skip
        order = np.random.default_rng(SEED).permutation(len(lines))
        a = int(round(len(lines) * FRACTIONS[0]))
        b = a + int(round(len(lines) * FRACTIONS[1]))
        parts = {"train": order[:a], "val": order[a:b], "test": order[b:]}
        return TextSplits({k: [lines[i] for i in v] for k, v in parts.items()}, "lines")
    if by != "blocks":
        raise ValueError(f"split by 'lines' or 'blocks', not {by!r}")
    if len(text) < MIN_CHARS:
        raise ValueError(f"{name} has {len(text)} characters; splitting it into train, val and "
                         f"test needs at least {MIN_CHARS}")  # fmt: skip
    cuts = []
    for frac in (FRACTIONS[0], FRACTIONS[0] + FRACTIONS[1]):
        i = text.find("\n", int(len(text) * frac))
        cuts.append(len(text) if i < 0 else i + 1)
    a, b = cuts
    parts = {"train": text[:a], "val": text[a:b], "test": text[b:]}
    empty = [k for k, v in parts.items() if not v.strip()]
    if empty:
        raise ValueError(
            f"{name}: the {' and '.join(empty)} split would be empty (the cuts move to the next "
            "newline, and the last 10% has too few of them); use a longer text, or more lines"
        )
    return TextSplits(parts, "blocks")
