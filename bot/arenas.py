"""Give the C allocator's freed memory back to the system after a big transient load.

Loading the search index reads 100,000 nominations in batches: their rows and texts are
freed once indexed, but glibc keeps the freed pages in its heap, and the resident set stays
some 25 MB above what the process holds (``bench/memory.py``). ``malloc_trim(0)`` returns
them. Other C libraries (musl, macOS) have no such call, and nothing is done there.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import platform
from collections.abc import Callable
from functools import cache


@cache
def _malloc_trim() -> Callable[[int], int] | None:
    """Return glibc's ``malloc_trim``, or None on another C library."""
    if platform.system() != "Linux" or platform.libc_ver()[0] != "glibc":
        return None
    try:
        trim: Callable[[int], int] = ctypes.CDLL(ctypes.util.find_library("c")).malloc_trim
    except (OSError, AttributeError):
        return None
    return trim


def release_freed_memory() -> bool:
    """Return the heap's free pages to the system; False where the C library cannot."""
    trim = _malloc_trim()
    if trim is None:
        return False
    trim(0)
    return True
