"""Free-entry equilibrium: the count of sequencer keys (or provers) at which the marginal one earns the reservation
yield (issue 13, part 5).

`free_entry(params, role)` simulates the parameters at fixed counts (no entry or exit during a run) with common
random numbers (the same seed at every count, so the APR curve is smooth in the count) and bisects on the count until
the role's mean APR (`analysis.tables.agent_table`: per run, profit over the capital committed, averaged over the runs;
for provers also over the provers, the marginal prover being a typical one) crosses `environment.reservation_yield`.
Counts are integers; the count returned interpolates the APR linearly between the two that bracket the crossing.
The confidence interval is the pair of counts where APR - 1.96 SE and APR + 1.96 SE cross the yield, SE the
run-to-run standard error of the mean APR at each count (0 with deterministic rewards: the interval is the point).

Assumptions: the APR falls with the count (the rewards are a pool shared by one ticket per key; for provers the
auction competes the price down), so a single crossing exists; with identical provers a second-price auction pays
their cost plus risk from two provers on, so the provers' free-entry count is about one (competition, not entry,
removes their rent). The closed form for identical keys and deterministic rewards is `theory.free_entry_count`.
Layer: analysis (it runs simulations and reads the agent table).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import numpy as np

from aztec_econ.analysis.tables import agent_table
from aztec_econ.params import Params
from aztec_econ.simulation import simulate

Role = Literal["sequencers", "provers"]
ROLES: tuple[str, ...] = ("sequencers", "provers")
Z = 1.96  # two-sided 95% normal quantile
MAX_COUNT = 100_000
"""Largest count the search tries before it gives up (the APR still exceeds the yield)."""


@dataclass(frozen=True)
class Equilibrium:
    """The free-entry count of a role."""

    role: str
    count: float
    """Count where the mean APR equals the reservation yield (interpolated between integers)."""
    apr: float
    """Mean APR at the count (interpolated; share/year)."""
    low: float
    """Lower end of the 95% interval of the count: where APR - 1.96 SE crosses the yield."""
    high: float
    """Upper end: where APR + 1.96 SE crosses the yield."""
    reservation_yield: float
    evaluations: dict[int, tuple[float, float]]
    """Every count simulated: (mean APR, its standard error)."""


def count_field(role: str) -> str:
    """The parameter holding the role's count."""
    if role == "sequencers":
        return "agents.sequencers.initial"
    if role == "provers":
        return "agents.provers.count"
    raise ValueError(f"role must be one of {', '.join(ROLES)}, not {role!r}")


def role_apr(params: Params, role: str, count: int) -> tuple[float, float]:
    """(mean APR, its run-to-run standard error) of `role` with `count` keys or provers held fixed."""
    overrides: dict[str, object] = {count_field(role): int(count)}
    if role == "sequencers":  # a fixed count: no entry or exit during the run
        overrides.update(
            {
                "agents.sequencers.profit_driven_entry_exit": False,
                "agents.sequencers.registrations_per_day": 0.0,
                "agents.sequencers.exits_per_day": 0.0,
            }
        )
    table = agent_table(simulate(params.with_overrides(overrides)))
    name = "sequencer" if role == "sequencers" else "prover"
    per_run = table[table["role"] == name].groupby("run")["apr"].mean().to_numpy(dtype=np.float64)
    mean = float(per_run.mean())
    se = float(per_run.std(ddof=1) / np.sqrt(per_run.size)) if per_run.size > 1 else 0.0
    return mean, se


def _crossing(curve: Callable[[int], float], target: float, start: int) -> float:
    """Count where the falling `curve` (of integer counts >= 1) crosses `target`: bracket by doubling, bisect to
    neighbouring integers, interpolate linearly. 1 when it is below the target already at one; raises ValueError
    when it stays above up to `MAX_COUNT`."""
    lo, hi = 1, max(2, start)
    if curve(lo) <= target:
        return 1.0
    while curve(hi) > target:
        lo, hi = hi, 2 * hi
        if hi > MAX_COUNT:
            raise ValueError(
                f"the APR stays above the reservation yield {target:g} up to {MAX_COUNT:,} (no entry limit)"
            )
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if curve(mid) > target:
            lo = mid
        else:
            hi = mid
    a, b = curve(lo), curve(hi)
    return float(lo + (a - target) / (a - b)) if a != b else float(lo)


def free_entry(params: Params, role: str) -> Equilibrium:
    """The free-entry count of `role` (`sequencers` or `provers`) under `params` (module docstring)."""
    count_field(role)  # rejects an unknown role
    start = params.agents.sequencers.initial if role == "sequencers" else params.agents.provers.count
    cache: dict[int, tuple[float, float]] = {}

    def evaluate(n: int) -> tuple[float, float]:
        if n not in cache:
            cache[n] = role_apr(params, role, n)
        return cache[n]

    y = params.environment.reservation_yield
    count = _crossing(lambda n: evaluate(n)[0], y, start)
    high = _crossing(lambda n: evaluate(n)[0] + Z * evaluate(n)[1], y, max(2, round(count)))
    low = _crossing(lambda n: evaluate(n)[0] - Z * evaluate(n)[1], y, max(2, round(count)))
    lo = int(np.floor(count))
    a = evaluate(lo)[0]
    b = evaluate(lo + 1)[0] if count > lo else a
    apr = a + (count - lo) * (b - a)
    return Equilibrium(role, count, float(apr), low, high, y, dict(sorted(cache.items())))
