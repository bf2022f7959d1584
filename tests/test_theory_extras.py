"""Closed forms added for the notebooks: geometric gaps, Little's law queues, slashing, luck-only inequality."""

from __future__ import annotations

import numpy as np
import pytest

from aztec_econ.analysis import expectations as analysis
from aztec_econ.analysis import theory
from aztec_econ.analysis.kpis import gini
from aztec_econ.params import load_params


def test_poisson_gini_matches_the_gini_of_a_large_poisson_sample() -> None:
    sample = np.random.default_rng(7).poisson(8.5, size=200_000).astype(float)
    assert theory.poisson_gini(8.5) == pytest.approx(gini(sample), abs=0.002)


def test_poisson_lorenz_runs_from_origin_to_one_below_equality() -> None:
    population, share = theory.poisson_lorenz(3.0)
    assert population[0] == share[0] == 0.0
    assert population[-1] == pytest.approx(1.0) and share[-1] == pytest.approx(1.0)
    assert np.all(share <= population + 1e-12) and np.all(np.diff(population) >= 0)


def test_lorenz_points_of_equal_values_is_the_diagonal() -> None:
    population, share = analysis.lorenz_points(np.ones(1000))
    assert np.allclose(population, share) and len(population) <= 401


def test_queue_length_and_gaps_are_rate_times_delay_and_one_over_f() -> None:
    assert theory.queue_length(2.0, 7.0) == 14.0
    assert theory.mean_slots_between_blocks(0.5) == 2.0
    with pytest.raises(ValueError):
        theory.mean_slots_between_blocks(0.0)


def test_slashing_probability_counts_missed_reveals_only_when_they_slash() -> None:
    with_reveal = theory.slashing_probability(1.0, 1.0, 0.1, 0.0, slash_on_missed_reveal=True)
    without = theory.slashing_probability(1.0, 1.0, 0.1, 0.0, slash_on_missed_reveal=False)
    assert with_reveal == pytest.approx(0.1) and without == 0.0
    assert theory.slashing_probability(0.5, 0.5, 0.0, 0.2, slash_on_missed_reveal=True) == pytest.approx(0.05)


def test_expected_mode_shares_sum_to_one() -> None:
    shares = analysis.expected_mode_shares(load_params())
    assert sum(shares.values()) == pytest.approx(1.0)
