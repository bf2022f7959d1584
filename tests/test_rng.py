"""Counter-based draws: the compiled hash equals a plain-integer SplitMix64 finaliser."""

from __future__ import annotations

import numpy as np

from aztec_econ.model import rng


def _splitmix_finaliser(x: int) -> int:
    """SplitMix64's finaliser on Python integers (the published constants; an independent reference)."""
    mask = (1 << 64) - 1
    x ^= x >> 30
    x = (x * 0xBF58476D1CE4E5B9) & mask
    x ^= x >> 27
    x = (x * 0x94D049BB133111EB) & mask
    return x ^ (x >> 31)


def test_compiled_mix64_matches_an_integer_reference() -> None:
    words = np.array(
        [0, 1, 2, 0x9E3779B97F4A7C15, (1 << 64) - 1, 1 << 63, 12345678901234567], dtype=np.uint64
    )
    expected = np.array([_splitmix_finaliser(int(w)) for w in words], dtype=np.uint64)
    assert (rng.mix64(words) == expected).all()
    grid = rng.mix64(np.arange(24, dtype=np.uint64).reshape(4, 6) * np.uint64(0x9E3779B97F4A7C15))
    strided = grid[:, ::2].T  # a non-contiguous view keeps its shape and its values
    assert rng.mix64(strided).shape == strided.shape
    expected_strided = [[_splitmix_finaliser(int(w)) for w in row] for row in strided]
    assert (rng.mix64(strided) == np.array(expected_strided, dtype=np.uint64)).all()
    scalar = rng.mix64(np.array(7, dtype=np.uint64))
    assert scalar.shape == () and int(scalar) == _splitmix_finaliser(7)
    before = words.copy()
    rng.mix64(words)
    assert (words == before).all()  # the input is never modified


def test_fused_uniforms_equal_the_two_step_definition() -> None:
    keys = rng.run_keys(2024, np.arange(5, dtype=np.int64))
    base = rng.stream_keys(keys, rng.Stream.SLOT, 17)
    for n, offset in ((0, 0), (1, 0), (9, 3), (40, 1 << 41)):
        fused = rng.unit_bits(base, n, offset)
        assert fused.shape == (5, n)
        assert (fused == rng.to_unit(rng.bits(base, n, offset))).all()
    u = rng.uniforms(keys, rng.Stream.OUTAGES, 3, 1000)
    assert (u >= 0).all() and (u < 1).all()


def test_the_one_pass_stream_uniforms_equal_stream_keys_then_unit_bits() -> None:
    keys = rng.run_keys(7, np.arange(13, dtype=np.int64))
    strided = np.repeat(keys, 2)[::2]  # the same keys, not contiguous: the two-step path
    for stream in (rng.Stream.SLOT, rng.Stream.DEMAND, rng.Stream.L1_PRICES):
        for counter in (0, 1, 52_559, -3, 1 << 62):
            for n, offset in ((0, 0), (1, 0), (3, 0), (34, 5)):
                expected = rng.to_unit(rng.bits(rng.stream_keys(keys, stream, counter), n, offset))
                assert (rng.uniforms(keys, stream, counter, n, offset) == expected).all()
                assert (rng.uniforms(strided, stream, counter, n, offset) == expected).all()
            words = np.array([3, 1 << 63, 0], dtype=np.uint64)
            two_step = rng.unit_bits(rng.stream_keys(keys, stream, counter), 0)  # shape (13, 0)
            assert rng.uniforms_of(keys, stream, counter, words[:0]).shape == two_step.shape
            expected = rng.to_unit(
                rng.mix64(rng.stream_keys(keys, stream, counter)[:, None] + words[None, :])
            )
            assert (rng.uniforms_of(keys, stream, counter, words) == expected).all()
