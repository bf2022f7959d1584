"""The allocator's settings (`aztec_econ.allocator`): set once per process where the C library is glibc, and by every
simulation before it allocates."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest

from aztec_econ.allocator import USER_SETTINGS


def _glibc() -> bool:
    try:
        return (os.confstr("CS_GNU_LIBC_VERSION") or "").startswith("glibc")
    except (ValueError, OSError, AttributeError):
        return False


def _run(code: str, env: dict[str, str]) -> str:
    """`code`'s output in a fresh interpreter with environment `env` (the thresholds are process-wide)."""
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        check=True,
        timeout=300,
        env=env,
    )
    return done.stdout.strip()


@pytest.mark.skipif(not _glibc(), reason="the thresholds are glibc's")
def test_after_a_simulation_freed_memory_stays_with_the_process() -> None:
    """Before any simulation, freeing a 64 MB array hands its pages back to the kernel (above glibc's largest
    dynamic mmap threshold, 32 MiB); once a simulation has set the thresholds, the process keeps them for reuse."""
    env = {k: v for k, v in os.environ.items() if k not in USER_SETTINGS and k != "GLIBC_TUNABLES"}
    out = _run(
        """
        import os
        import numpy as np
        from aztec_econ.allocator import THRESHOLD_BYTES, keep_freed_memory

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
        applied = keep_freed_memory()
        print(round(before), round(after), applied == keep_freed_memory(), applied.get("trim") == THRESHOLD_BYTES)
        """,
        env,
    )
    before, after, same, trim = out.split()
    if trim != "True":
        pytest.skip(f"this glibc refused the trim threshold: {out}")
    assert float(before) < 8 and float(after) > 56 and same == "True", out


@pytest.mark.skipif(not _glibc(), reason="the thresholds are glibc's")
@pytest.mark.parametrize(
    "setting",
    [("MALLOC_TRIM_THRESHOLD_", "131072"), ("GLIBC_TUNABLES", "glibc.malloc.trim_threshold=131072")],
)
def test_a_users_own_malloc_settings_are_left_alone(setting: tuple[str, str]) -> None:
    name, value = setting
    out = _run(
        """
        from aztec_econ.allocator import keep_freed_memory
        print(keep_freed_memory())
        """,
        {**os.environ, name: value},
    )
    assert out == "{}"


def test_other_c_libraries_are_left_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    """Where `os.confstr` does not know glibc's name (macOS, musl: ValueError) or does not exist (Windows), nothing
    is set and nothing fails."""
    from aztec_econ import allocator

    def unknown(name: str) -> str:
        raise ValueError(f"unrecognized configuration name {name!r}")

    monkeypatch.setattr(allocator.os, "confstr", unknown)
    assert allocator._set_thresholds() == {}
    monkeypatch.delattr(allocator.os, "confstr")
    assert allocator._set_thresholds() == {}
