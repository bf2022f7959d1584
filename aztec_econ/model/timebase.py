"""Exogenous processes in physical time, converted once to the model's time step (one slot).

Demand, its shocks, transaction expiry and L1 price dynamics are parameters per second, hour or day, so changing
the slot length changes how often the model looks at the world, not the world (ARCHITECTURE.md, Time). Conversions
(exact for the processes as modelled):
- Poisson arrivals: rate per slot = tx_per_second x slot seconds;
- shock starts, a Poisson process per day: chance per slot = 1 - exp(-shocks_per_day x slot days);
- durations in hours and expiry in minutes: whole slots (durations rounded, at least one; expiry rounded up);
- log-price Ornstein-Uhlenbeck with rate k per hour and volatility s per sqrt(hour), sampled every h hours:
  x' = x + (1 - exp(-k h)) (median - x) + s sqrt((1 - exp(-2 k h)) / (2 k)) eps, so its stationary standard
  deviation s / sqrt(2 k) and its autocorrelation per hour do not depend on h.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from aztec_econ.params import Params

MAX_EXPIRY_SLOTS = 256
"""The mempool keeps at most this many ages (memory grows with it)."""


@dataclass(frozen=True)
class PerSlot:
    """The exogenous parameters per slot."""

    slot_seconds: float
    tx_rate: float
    """Mean arrivals per slot at the start (before the trend)."""
    demand_shock_probability: float
    demand_shock_slots: int
    expiry_slots: int
    l1_reversion: float
    """Share of the log-price gap to the median closed per slot."""
    l1_volatility: float
    """Standard deviation of the log-price innovation per slot."""
    l1_shock_probability: float
    l1_shock_slots: int


def _chance(rate_per_day: float, slot_seconds: float) -> float:
    return -math.expm1(-rate_per_day * slot_seconds / 86_400.0)


def _slots(hours: float, slot_seconds: float) -> int:
    return max(1, round(hours * 3600.0 / slot_seconds))


def expiry_slots(params: Params) -> int:
    """Slots a transaction waits at most before it expires: expiry_minutes rounded up to whole slots (1 to 256)."""
    slot = params.protocol.slot_seconds
    return min(
        MAX_EXPIRY_SLOTS, max(1, math.ceil(params.environment.demand.expiry_minutes * 60.0 / slot - 1e-9))
    )


def per_slot(params: Params) -> PerSlot:
    """The exogenous processes' parameters per slot of `params`."""
    slot = params.protocol.slot_seconds
    d = params.environment.demand
    l1 = params.environment.l1
    h = slot / 3600.0
    k = l1.reversion_per_hour
    return PerSlot(
        slot_seconds=slot,
        tx_rate=d.tx_per_second * slot,
        demand_shock_probability=_chance(d.shocks_per_day, slot),
        demand_shock_slots=_slots(d.shock_hours, slot),
        expiry_slots=expiry_slots(params),
        l1_reversion=-math.expm1(-k * h),
        l1_volatility=l1.volatility_per_hour * math.sqrt(-math.expm1(-2.0 * k * h) / (2.0 * k)),
        l1_shock_probability=_chance(l1.shocks_per_day, slot),
        l1_shock_slots=_slots(l1.shock_hours, slot),
    )
