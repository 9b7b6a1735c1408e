"""A long-running server's memory: glibc's allocator and Python's collector, set up once.

By default glibc raises its mmap threshold each time a large block is freed (up to 32 MB),
so after one big curve every array below that size comes from a heap arena, one arena per
thread (Streamlit runs each session's script in its own thread); freed, those stay with the
process, fragmented, and a server's RSS stays near its peak long after the sessions that
needed it are gone. A fixed 1 MB threshold keeps every array of a megabyte or more in its
own mapping, returned to the system when freed; a few arenas keep the rest compact.

Python's full garbage collection walks every object, torch's included: about 0.2 s with
the whole server held up, at any allocation. Objects that exist once the libraries are
loaded live as long as the server, so they are moved out of the collector's sight
(``gc.freeze``): full collections then take about a millisecond.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
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


def tune_process() -> bool:
    """Set memory up for a server (once per process): load the libraries the pages use,
    freeze what exists then, and tune glibc's allocator (False where it is not glibc)."""
    global _tuned
    with _done:
        if _tuned:
            return _LIBC is not None
        import pandas  # noqa: F401  (loaded now, so that their objects are frozen too)

        import schedlab.engine.curve  # noqa: F401  (torch)
        import schedlab.present.plot  # noqa: F401  (plotly)

        gc.freeze()
        if _LIBC is not None:
            _LIBC.mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD)
            _LIBC.mallopt(_M_ARENA_MAX, ARENAS)
        _tuned = True
        return _LIBC is not None


def give_back() -> None:
    """Return the heap's free pages to the system (after a large computation)."""
    if _LIBC is not None:
        _LIBC.malloc_trim(0)
