"""Give the memory a large batch used back to the system, where the C library allows (glibc);
keep what a long-running process loads once out of the garbage collector's way.

By default glibc serves a large block (a feed's body, a batch's rows) from an mmap only until
the first such block is freed; then it raises that threshold and serves the next ones from its
heaps, which it keeps when they are freed. After a 10 MB archive the bot held a hundred megabytes
it no longer used. So large blocks always get an mmap of their own (freed at once), and after a
large batch the heaps give back their free pages. Elsewhere both are no-ops.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import gc

M_MMAP_THRESHOLD = -3  # mallopt parameter (malloc.h)
MMAP_THRESHOLD_BYTES = 128 * 1024  # glibc's own starting value, now kept


@functools.cache
def _libc() -> ctypes.CDLL | None:
    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name) if name else None
    except OSError:
        return None
    if libc is None or not hasattr(libc, "malloc_trim") or not hasattr(libc, "mallopt"):
        return None  # not glibc
    return libc


def keep_large_blocks_apart() -> None:
    """Large blocks from an mmap of their own, whatever was freed before."""
    libc = _libc()
    if libc is not None:
        libc.mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD_BYTES)


def give_back_free_memory() -> None:
    """Return the heaps' free pages to the system (a few milliseconds)."""
    libc = _libc()
    if libc is not None:
        libc.malloc_trim(0)


def keep_startup_objects() -> None:
    """Move every object made so far out of the collector's generations, for good.

    Called once the reference data is loaded (the gazetteer and topic tables: tens of thousands
    of dicts, tuples and compiled patterns that live as long as the process), so that each full
    collection, which a large batch of items sets off, no longer walks them all.
    """
    gc.freeze()
