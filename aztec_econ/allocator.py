"""The C allocator's settings for simulations: freed memory kept for reuse instead of handed back to the kernel.

A simulation frees and allocates arrays of runs x keys (8 MB for 1,000 runs x 1,000 keys) and runs x slots every
slot and every segment. glibc's malloc serves requests above its mmap threshold (128 KiB, raised dynamically up to
32 MiB) with fresh pages from the kernel and gives them back when they are freed, and it trims freed memory at the top
of its heap; every page handed back costs a page fault and a zeroed page when it is used again. On this project's
machines (a virtual machine that reports freed pages to its host) a fresh page costs about 1 ms per MB (measured: a
new 4.2 MB array filled in 4.3 ms, a reused one in 0.07 ms), so 1,000 runs x 288 slots of the baseline simulated at
6.8-7.1 ms per slot by default and 5.1-5.7 with both thresholds raised (one pinned core, alternating rounds);
100 runs x 5,256 slots, whose arrays stay under the thresholds, did not change (0.77-0.80 ms per slot either way).

`keep_freed_memory` raises both thresholds to 1 GiB: arrays up to that size come from the heap, and up to that much
free memory at its top is kept. The cost: a process keeps the memory it freed (its resident size stays near its
peak until it exits; the memory is reused by the next simulation). Source: glibc `mallopt(3)`; the values are an
assumption, measured as above. Other C libraries (macOS, musl) are left as they are.
"""

from __future__ import annotations

import ctypes
import os

THRESHOLD_BYTES = 1 << 30
"""The mmap and trim thresholds set (bytes): 1 GiB (glibc takes an int; its most is 2 GiB - 1)."""

_M_TRIM_THRESHOLD = -1  # glibc's <malloc.h>
_M_MMAP_THRESHOLD = -3

_applied: bool | None = None


def keep_freed_memory() -> bool:
    """Raise glibc's mmap and trim thresholds to `THRESHOLD_BYTES` for this process, once (later calls return the
    first answer). Returns whether they are set: False where the C library is not glibc or refuses the values."""
    global _applied
    if _applied is None:
        _applied = _set_thresholds()
    return _applied


def _set_thresholds() -> bool:
    try:
        glibc = os.confstr("CS_GNU_LIBC_VERSION") or ""  # "glibc 2.36"; absent elsewhere
    except (ValueError, OSError, AttributeError):
        glibc = ""
    if not glibc.startswith("glibc"):
        return False
    try:
        mallopt = ctypes.CDLL(None).mallopt  # the process's own C library
    except (OSError, AttributeError):
        return False
    mallopt.argtypes = (ctypes.c_int, ctypes.c_int)
    mallopt.restype = ctypes.c_int
    return all(mallopt(option, THRESHOLD_BYTES) == 1 for option in (_M_MMAP_THRESHOLD, _M_TRIM_THRESHOLD))
