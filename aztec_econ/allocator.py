"""The C allocator's settings for simulations: freed memory kept for reuse instead of handed back to the kernel.

A simulation frees and allocates arrays of runs x keys (8 MB for 1,000 runs x 1,000 keys) and runs x slots every
slot and every segment. glibc's malloc serves requests above its mmap threshold (128 KiB, raised dynamically up to
32 MiB) with fresh pages from the kernel and gives them back when they are freed, and it trims freed memory at the top
of its heap; every page handed back costs a page fault and a zeroed page when it is used again. On this project's
machines (a virtual machine that reports freed pages to its host) a fresh page costs about 1 ms per MB (measured: a
new 4.2 MB array filled in 4.3 ms, a reused one in 0.07 ms), so 1,000 runs x 288 slots of the baseline simulated at
6.4-7.1 ms per slot by default (one round 11.9) and 5.1-5.5 with both thresholds raised (one pinned core,
alternating rounds);
100 runs x 5,256 slots, whose arrays stay under the thresholds, did not change (0.77-0.80 ms per slot either way).

`keep_freed_memory` raises both thresholds to 1 GiB (the mmap threshold to 32 MiB where an older glibc refuses more):
arrays up to that size come from the heap, and up to 1 GiB of free memory at its top is kept. The cost: a process
keeps the memory it freed (its resident size stays near its peak until it exits; the next simulation reuses it).
Where the user set glibc's malloc themselves (`MALLOC_MMAP_THRESHOLD_`, `MALLOC_TRIM_THRESHOLD_`, `MALLOC_TOP_PAD_` or
a `glibc.malloc` tunable in `GLIBC_TUNABLES`; e.g. `MALLOC_TRIM_THRESHOLD_=131072` for glibc's default) nothing is changed, and
other C libraries (macOS, musl, Windows) are left as they are. Source: glibc `mallopt(3)`; the values are an
assumption, measured as above.
"""

from __future__ import annotations

import os

THRESHOLD_BYTES = 1 << 30
"""The trim threshold, and the mmap threshold where glibc takes it (bytes): 1 GiB (glibc takes an int)."""

FALLBACK_MMAP_BYTES = 32 << 20
"""The mmap threshold where glibc refuses `THRESHOLD_BYTES` (older versions cap it at half their 64 MiB heap)."""

USER_SETTINGS = ("MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_", "MALLOC_TOP_PAD_")
"""Environment variables through which a user sets glibc's malloc themselves: any of them (or a `glibc.malloc`
tunable in `GLIBC_TUNABLES`) leaves it as it is."""

_M_TRIM_THRESHOLD = -1  # glibc's <malloc.h>
_M_MMAP_THRESHOLD = -3

_applied: dict[str, int] | None = None


def keep_freed_memory() -> dict[str, int]:
    """Raise glibc's trim and mmap thresholds for this process, once (later calls return the first answer). Returns
    the thresholds set, {"trim": bytes, "mmap": bytes} (those glibc accepted); empty where the C library is not glibc,
    the user set malloc's options (`USER_SETTINGS`) or glibc refused them."""
    global _applied
    if _applied is None:
        _applied = _set_thresholds()
    return dict(_applied)


def _is_glibc() -> bool:
    try:
        return (os.confstr("CS_GNU_LIBC_VERSION") or "").startswith("glibc")  # "glibc 2.36"
    except (ValueError, OSError, AttributeError):  # not a name here (macOS, musl) or no confstr (Windows)
        return False


def _set_thresholds() -> dict[str, int]:
    user_set = any(name in os.environ for name in USER_SETTINGS)
    if not _is_glibc() or user_set or "glibc.malloc" in os.environ.get("GLIBC_TUNABLES", ""):
        return {}
    try:
        import ctypes

        mallopt = ctypes.CDLL(None).mallopt  # the process's own C library
    except (ImportError, OSError, AttributeError):
        return {}
    mallopt.argtypes = (ctypes.c_int, ctypes.c_int)
    mallopt.restype = ctypes.c_int
    applied: dict[str, int] = {}
    if mallopt(_M_TRIM_THRESHOLD, THRESHOLD_BYTES) == 1:
        applied["trim"] = THRESHOLD_BYTES
    for size in (THRESHOLD_BYTES, FALLBACK_MMAP_BYTES):
        if mallopt(_M_MMAP_THRESHOLD, size) == 1:
            applied["mmap"] = size
            break
    return applied
