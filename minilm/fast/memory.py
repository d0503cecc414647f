"""Reusing freed memory instead of asking the kernel for fresh pages.

glibc's ``malloc`` hands every block over 32 MB to the kernel with ``mmap`` and
gives it back on ``free``; the next block of that size is new memory, which the
kernel zeroes page by page as it is first touched. A training step makes the
same big arrays every time (a (B, H, T, T) attention array, a (B, T, 4C)
activation: 100 MB each for the standard char-GPT), so each of them cost about
19 ms of zeroing against 4 ms to fill reused memory, and the standard GPT's
CPU step spent 5-7 s of its 16 s in the kernel (``sys`` time, ~98,000 page
faults a step). With every block served from the heap and freed memory kept
for reuse (``mallopt(M_MMAP_MAX, 0)`` and a 2 GB trim threshold) the same step
takes 9-10 s, with 0.01-0.2 s of ``sys`` time (measured with
``resource.getrusage`` around each step; ``bench gpt`` shows the ratio).

The price: memory a process freed stays with it (its resident size keeps the
peak of its working set) until it exits. The setting is made once, when minilm
is imported with the fast layer on (``MINILM_FUSED`` not 0), on Linux with
glibc only; :func:`minilm.fast.disabled` does not undo it (it changes no
numbers, only where memory comes from).
"""

from __future__ import annotations

import ctypes
import platform

_M_TRIM_THRESHOLD, _M_MMAP_MAX = -1, -4
kept = False  # whether the setting was made in this process


def keep_freed_memory() -> bool:
    """Serve every allocation from the heap and keep freed memory for reuse
    (glibc only); True if the setting was made."""
    global kept
    if kept:
        return True
    if platform.system() != "Linux" or platform.libc_ver()[0] != "glibc":
        return False
    try:
        libc = ctypes.CDLL(None)
        kept = bool(libc.mallopt(_M_MMAP_MAX, 0)) and bool(
            libc.mallopt(_M_TRIM_THRESHOLD, 2**31 - 1)
        )
    except (OSError, AttributeError):  # pragma: no cover - a libc without mallopt
        kept = False
    return kept
