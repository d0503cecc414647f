"""Progress bars for long work: a live tqdm bar on a terminal, plain lines elsewhere.

tqdm redraws its bar with carriage returns, which a terminal or a notebook turns
into one changing line, but which fill a log file (``minilm tour > log``, CI)
with thousands of overwritten copies. :func:`progress_bar` gives the usual bar
when standard error is a terminal or runs in Jupyter, and otherwise a
:class:`LineProgress`: the same text, one newline-ended line at most every
``LINE_INTERVAL`` seconds, plus the final state.

>>> import io
>>> log = io.StringIO()
>>> for _ in progress_bar(range(3), desc="work", file=log):
...     pass
>>> log.getvalue().count("\\r"), log.getvalue().splitlines()[-1].startswith("work: 100%")
(0, True)
"""

from __future__ import annotations

import sys
import time

from tqdm import tqdm

__all__ = ["progress_bar", "LineProgress", "LINE_INTERVAL"]

LINE_INTERVAL = 15.0  # seconds between lines when the output is not a terminal


class LineProgress(tqdm):
    """A tqdm that writes whole lines (no carriage returns), at most one per
    ``LINE_INTERVAL`` seconds, and always the last state when it closes."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("ascii", True)  # a log file may not be read as UTF-8
        self._next_line_t = 0.0  # the first update prints at once
        self._printed_n = None
        super().__init__(*args, **kwargs)

    def display(self, msg=None, pos=None):
        if msg == "":  # tqdm clearing the line: nothing was drawn in place
            return False
        now = time.monotonic()
        if msg is None and now < self._next_line_t:
            return True
        self._next_line_t = now + LINE_INTERVAL
        self._printed_n = self.n
        self.fp.write((self.__str__() if msg is None else msg) + "\n")
        self.fp.flush()
        return True

    def clear(self, nolock=False):
        """Nothing to clear: no line is drawn in place (tqdm.write calls this)."""

    def close(self):
        if not self.disable and self._printed_n != self.n:
            self._next_line_t = 0.0
            self.display()
        self.leave = False  # the last line is printed: tqdm must not clear or repeat it
        super().close()


def _in_jupyter() -> bool:
    """True inside a Jupyter kernel (which draws carriage returns in place)."""
    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython is not None else None
    return shell is not None and hasattr(shell, "kernel")


def _live(file) -> bool:
    if _in_jupyter():
        return True
    isatty = getattr(file, "isatty", None)
    return bool(isatty and isatty())


def progress_bar(iterable=None, *, enabled: bool = True, file=None, **kwargs):
    """``tqdm(iterable, **kwargs)`` that suits where its output goes (see the module
    docstring); ``enabled=False`` shows nothing."""
    file = sys.stderr if file is None else file
    kwargs.setdefault("dynamic_ncols", True)
    cls = tqdm if _live(file) else LineProgress
    return cls(iterable, disable=not enabled, file=file, **kwargs)
