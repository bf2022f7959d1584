"""The allocator's settings (`aztec_econ.allocator`): set once per process where the C library is glibc, and by every
simulation before it allocates."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest


def _glibc() -> bool:
    try:
        return (os.confstr("CS_GNU_LIBC_VERSION") or "").startswith("glibc")
    except (ValueError, OSError, AttributeError):
        return False


def _run(code: str) -> str:
    """`code`'s output in a fresh interpreter (the thresholds are process-wide)."""
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, check=True, timeout=300
    )
    return done.stdout.strip()


@pytest.mark.skipif(not _glibc(), reason="the thresholds are glibc's")
def test_after_a_simulation_freed_memory_stays_with_the_process() -> None:
    """Before any simulation, freeing a 64 MB array hands its pages back to the kernel (above glibc's largest
    dynamic mmap threshold, 32 MiB); once a simulation has set the thresholds, the process keeps them for reuse."""
    out = _run(
        """
        import os
        import numpy as np
        from aztec_econ.allocator import keep_freed_memory

        def kept_mb() -> float:
            page = os.sysconf("SC_PAGE_SIZE")
            def resident() -> int:
                with open("/proc/self/statm") as f:
                    return int(f.read().split()[1]) * page
            block = np.ones(1 << 23)  # 64 MB, every page touched
            held = resident()
            del block
            return (resident() - held + (1 << 26)) / 1e6  # of the 64 MB, what the process still holds

        from aztec_econ.params import load_params
        from aztec_econ.simulation import simulate
        before = kept_mb()
        simulate(load_params(overrides={"sim.slots": 2, "sim.runs": 2}))
        after = kept_mb()
        print(round(before), round(after), keep_freed_memory(), keep_freed_memory())
        """
    )
    before, after, *applied = out.split()
    assert float(before) < 8 and float(after) > 56, out
    assert applied == ["True", "True"]
