"""Giving the heap back after a burst: the first list of every kind parses pages of JSON that are garbage a
moment later, and glibc keeps the freed pages mapped, so the process's RSS would stay at the peak of that
burst (docs/operations.md, "Memory")."""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
import os
from pathlib import Path


def release_free_heap() -> bool:
    """Collect garbage, then ask the C allocator to return free pages to the system; False where the C
    library has no ``malloc_trim`` (not glibc)."""
    gc.collect()
    name = ctypes.util.find_library("c")
    if name is None:
        return False
    trim = getattr(ctypes.CDLL(name), "malloc_trim", None)
    if trim is None:
        return False
    trim(0)
    return True


def resident_bytes() -> int | None:
    """The process's resident set size (Linux ``/proc/self/statm``); None where it cannot be read."""
    try:
        return int(Path("/proc/self/statm").read_text().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return None
