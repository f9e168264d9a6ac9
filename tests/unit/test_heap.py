"""The heap release after the first lists (docs/operations.md, "Memory")."""

from __future__ import annotations

import ctypes.util

from lattice_controller._kits.heap import release_free_heap


def test_release_free_heap_trims_where_glibc_is_present() -> None:
    garbage = [bytearray(4096) for _ in range(2048)]
    del garbage
    has_trim = ctypes.util.find_library("c") is not None and hasattr(
        ctypes.CDLL(ctypes.util.find_library("c")), "malloc_trim"
    )
    assert release_free_heap() is has_trim
