"""The free-entry solver (`aztec_econ.equilibrium`) against its closed form, the dynamic entry against the solver,
and the command line.

Deterministic rewards (no demand, no failures, identical provers, no outages, negligible L1 gas): the APR at each count
is exact, its standard error 0, so the solver must match `theory.free_entry_count` to within the interpolation
between integer counts (2%). The dynamic entry is random only through its Poisson registrations and exits.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from aztec_econ.analysis import theory
from aztec_econ.equilibrium import free_entry
from aztec_econ.model.mechanisms import prover_market
from aztec_econ.params import BASELINE, Params
from aztec_econ.simulation import simulate

DETERMINISTIC: dict[str, Any] = {
    "sim__slots": 144,
    "sim__runs": 2,
    "environment__demand__tx_per_second": 0.0,
    "environment__l1__process": "steady",
    "environment__l1__gas_price": 1e-6,
    "environment__l1__blob_price": 1e-6,
    "environment__l1__missed_block_probability": 0.0,
    "agents__provers__cost_spread": 0.0,
    "agents__provers__failure_probability": 0.0,
    "agents__provers__unavailable_probability": 0.0,
    "agents__provers__proving_time_log_sd": 0.0,
    "agents__relays__submission_share": 0.0,
    "agents__sequencers__offline_probability": 0.0,
    "agents__sequencers__self_prove_probability": 0.0,
    "agents__sequencers__reveal_failure_probability": 0.0,
    "agents__operators__outage_rate_per_day": 0.0,
    "agents__operators__fixed_cost_per_day": 0.0,
    "agents__operators__key_distribution": "equal",
    "agents__operators__count": 1,
}


def closed_form(params: Params) -> float:
    """N* = annual rewards to the keys / (stake x yield + running cost per key per year), the rewards being the
    sequencer's share less the (deterministic) prover price in every slot."""
    pr = params.protocol
    price = prover_market.bids(params, np.array([params.environment.l1.gas_price])).price[0, 0]
    slots_per_year = 365.0 * pr.slots_per_day
    annual = (pr.block_reward * pr.reward_split.sequencer - price) * slots_per_year
    eth = params.environment.token.eth_per_token
    cost = params.agents.operators.hardware_cost_per_key_per_day * 365.0 / eth
    return theory.free_entry_count(annual, pr.minimum_stake, params.environment.reservation_yield, cost)


def test_the_solver_matches_the_closed_form_with_deterministic_rewards(
    make_params: Callable[..., Params],
) -> None:
    params = make_params(**DETERMINISTIC)
    eq = free_entry(params, "sequencers")
    expected = closed_form(params)
    assert eq.count == pytest.approx(expected, rel=0.02)
    assert eq.apr == pytest.approx(params.environment.reservation_yield, abs=1e-3)
    assert eq.low == pytest.approx(eq.count) and eq.high == pytest.approx(eq.count)  # no run-to-run noise
    # a higher yield, fewer keys
    dearer = free_entry(params.with_overrides({"environment.reservation_yield": 0.10}), "sequencers")
    assert dearer.count == pytest.approx(
        closed_form(dearer_params := params.with_overrides({"environment.reservation_yield": 0.10})), rel=0.02
    )
    assert dearer.count < eq.count and dearer_params.environment.reservation_yield == 0.10


def test_the_interval_covers_the_count_with_random_rewards(make_params: Callable[..., Params]) -> None:
    params = make_params(sim__slots=144, sim__runs=3, protocol__minimum_stake=1_000_000.0)
    eq = free_entry(params, "sequencers")
    assert eq.low <= eq.count <= eq.high
    assert all(se > 0 for _, se in eq.evaluations.values())


def test_the_provers_free_entry_count_is_small_under_price_competition(
    make_params: Callable[..., Params],
) -> None:
    """Identical provers in a second-price auction earn their cost plus risk from two on: no rent to cover the
    capital's yield, so about one prover enters."""
    params = make_params(**DETERMINISTIC)
    eq = free_entry(params, "provers")
    assert 1.0 <= eq.count < 2.0


def test_unknown_role_is_rejected(make_params: Callable[..., Params]) -> None:
    with pytest.raises(ValueError, match="role must be one of"):
        free_entry(make_params(), "relays")


@pytest.mark.slow
def test_dynamic_entry_converges_to_the_solvers_count(make_params: Callable[..., Params]) -> None:
    """Profit-driven entry from half the free-entry count: after 60 days the mean count over the last 40 is within
    10% of the solver's N*, and it never overshoots it by more than the Poisson noise (20%)."""
    small = {**DETERMINISTIC, "protocol__minimum_stake": 1_000_000.0, "environment__circulating_supply": 1e10}
    target = free_entry(make_params(**small), "sequencers").count
    params = make_params(
        **{**small, "sim__slots": 144 * 100},
        agents__sequencers__initial=int(target // 2),
        agents__sequencers__profit_driven_entry_exit=True,
        agents__sequencers__registrations_per_day=3.0,
        agents__sequencers__exits_per_day=3.0,
    )
    frame = simulate(params).frame
    counts = frame.groupby("slot")["active_sequencers"].mean()
    late = counts[counts.index >= 144 * 60].mean()
    assert late == pytest.approx(target, rel=0.10)
    assert counts.max() < 1.2 * target


def test_cli_equilibrium_prints_the_count_and_fails_in_one_line() -> None:
    sets = [  # floats written out: YAML reads 1e-06 as text
        f"{k.replace('__', '.')}={format(v, 'f') if isinstance(v, float) else v}"
        for k, v in DETERMINISTIC.items()
    ]
    args = [arg for s in sets for arg in ("--set", s)]
    result = subprocess.run(
        [sys.executable, "-m", "aztec_econ.cli", "equilibrium", str(BASELINE), "--role", "sequencers", *args],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    assert "count" in result.stdout and "95% interval" in result.stdout
    bad = subprocess.run(
        [
            sys.executable,
            "-m",
            "aztec_econ.cli",
            "equilibrium",
            str(BASELINE),
            "--role",
            "sequencers",
            "--set",
            "environment.reservation_yield=oops",
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert bad.returncode == 2 and "Traceback" not in bad.stderr
    assert len(bad.stderr.strip().splitlines()) <= 3
