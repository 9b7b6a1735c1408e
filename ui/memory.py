"""Memory a long-running server gives back: glibc's allocator, tuned once per process.

By default glibc raises its mmap threshold each time a large block is freed (up to 32 MB),
so after one big curve every array below that size comes from a heap arena, one arena per
thread (Streamlit runs each session's script in its own thread); freed, those stay with the
process, fragmented, and a server's RSS stays near its peak long after the sessions that
needed it are gone. A fixed 1 MB threshold keeps every array of a megabyte or more in its
own mapping, returned to the system when freed; a few arenas keep the rest compact.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import threading

MMAP_THRESHOLD = 1 << 20  # bytes: larger blocks are mapped on their own
ARENAS = 2  # heap arenas shared by every thread
_M_MMAP_THRESHOLD, _M_ARENA_MAX = -3, -8  # mallopt's parameter numbers (malloc.h)
_done = threading.Lock()
_tuned = False


def _libc():
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
    except OSError:
        return None
    return libc if hasattr(libc, "mallopt") and hasattr(libc, "malloc_trim") else None


_LIBC = _libc()  # None where the C library is not glibc (musl, macOS): nothing to tune


def tune_allocator() -> bool:
    """Set the allocator up for a server (once per process); False where not glibc."""
    global _tuned
    with _done:
        if _LIBC is None or _tuned:
            return _tuned
        _LIBC.mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD)
        _LIBC.mallopt(_M_ARENA_MAX, ARENAS)
        _tuned = True
        return True


def give_back() -> None:
    """Return the heap's free pages to the system (after a large computation)."""
    if _LIBC is not None:
        _LIBC.malloc_trim(0)
