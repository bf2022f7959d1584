"""Compiled kernels that sum floats: numpy's pairwise summation reproduced bit for bit, and the late-arrival value."""

from __future__ import annotations

import numpy as np
import pytest

from aztec_econ.model import kernels


@pytest.mark.parametrize("n", [*range(0, 40), 64, 127, 128, 129, 135, 200, 255, 256, 257, 1000, 4099])
def test_compiled_sums_equal_numpys_to_the_last_bit(n: int) -> None:
    rng = np.random.default_rng(n)
    x = rng.standard_normal((6, n)) * 10.0 ** rng.integers(-8, 8, (6, n))  # magnitudes that expose the order
    sums = np.array([kernels._pairwise_sum(row, 0, n) for row in x])
    np.testing.assert_array_equal(sums, x.sum(axis=1))


def _late_value_numpy(
    rate: np.ndarray, seconds: np.ndarray, spare: np.ndarray, value: np.ndarray
) -> np.ndarray:
    """`market.expected_late_value`'s sum as the model computed it in numpy before it was compiled."""
    per_bucket = rate[:, None, None] * seconds[None, :, None] / value.shape[1]
    before = np.arange(value.shape[1])[None, None, :] * per_bucket
    taken = np.clip(spare[:, None, None] - before, 0.0, per_bucket)
    return np.asarray((taken * value[:, None, :]).sum(axis=2), dtype=np.float64)


@pytest.mark.parametrize("buckets", [1, 7, 8, 16, 17, 130, 256])
def test_the_compiled_late_value_equals_the_numpy_expression(buckets: int) -> None:
    rng = np.random.default_rng(buckets)
    runs = 40
    rate = rng.random(runs) * 3.0
    rate[0] = 0.0
    seconds = np.linspace(0.0, 600.0, 12)
    spare = rng.integers(0, 400, runs).astype(np.float64)
    value = np.ascontiguousarray(np.sort(rng.random((runs, buckets)) * 1e-3, axis=1)[:, ::-1])
    expected = _late_value_numpy(rate, seconds, spare, value)
    np.testing.assert_array_equal(kernels.late_value(rate, seconds, spare, value), expected)
    assert (expected[1:, -1] > 0).any() and (expected[0] == 0).all()
