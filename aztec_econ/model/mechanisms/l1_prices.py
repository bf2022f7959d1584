"""L1 gas and blob prices per slot: steady, with shocks, mean-reverting, or read from a user's CSV file.

Prices are in gwei (gas) and gwei per blob gas, one value per slot for every L1 block of the slot (assumption: the
proposal, commitment, reveal and proof transactions of a slot see the same prices). L1 costs are paid in ETH and are
kept off the token ledger: they are reported as token equivalents at the slot's token price (docs/outputs.md).

Processes (source: assumption):
- steady: the medians, constant.
- shock: the medians; shocks start at `shocks_per_day` and multiply both prices by `shock_multiplier` for
  `shock_hours` (per slot: `model.timebase`).
- mean_reverting: log prices follow a discrete Ornstein-Uhlenbeck process,
  x' = x + theta (mu - x) + sigma eps, mu = log(median), started at mu (`theory.log_ou_stationary`).
- file: row t (cycled) of the CSV `price_file`, columns `l1_gas_price,blob_price`.

The token's price in ETH moves in the same step (`token_price`; `environment.token`): fixed, or a geometric Brownian
motion started at `eth_per_token`, log price x' = x + (drift - sigma^2 / 2) dt + sigma sqrt(dt) Z with dt the slot's
length in years (exact for GBM at any step; E[price after t years] = start x exp(drift t)); Z from
`Stream.TOKEN_PRICE`, counter slot. Source: assumption.

Parameters are plain data and never read files: `check_price_file` is how a bad price file fails before any work
starts, with a `ParamsError` naming the field, the value and the rule (`simulate`, the CLI and sweep validation call
it).
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from aztec_econ.model.rng import Stream, normal_quantiles, uniforms
from aztec_econ.params import Params, ParamsError

F64 = NDArray[np.float64]
I64 = NDArray[np.int64]
PRICE_COLUMNS = ("l1_gas_price", "blob_price")
PROJECT_ROOT = Path(__file__).resolve().parents[3]


class PriceFileError(ValueError):
    """A malformed price file: the message names the file, the line and the column."""


def resolve(path: str) -> Path:
    """A price file path: absolute, relative to the working directory, or relative to the project root."""
    candidate = Path(path)
    if candidate.is_absolute() or candidate.exists():
        return candidate
    return PROJECT_ROOT / candidate


def read_price_file(path: str) -> F64:
    """The prices of a CSV file as an array (rows x 2: gas price, blob price), validated.

    The header must name `l1_gas_price` and `blob_price` (other columns are ignored); every value must be a finite
    number >= 0; at least one row.
    """
    file = resolve(path)
    if not file.is_file():
        raise PriceFileError(f"{path}: file not found")
    with file.open(newline="") as handle:
        reader = csv.reader(handle)
        header = next(reader, None)
        if header is None:
            raise PriceFileError(f"{file}: line 1: empty file (expected a header {','.join(PRICE_COLUMNS)})")
        names = [h.strip() for h in header]
        missing = [c for c in PRICE_COLUMNS if c not in names]
        if missing:
            raise PriceFileError(
                f"{file}: line 1: header lacks column(s) {', '.join(missing)} (found {names})"
            )
        where = [names.index(c) for c in PRICE_COLUMNS]
        rows: list[list[float]] = []
        for line, row in enumerate(reader, start=2):
            if not row or all(not cell.strip() for cell in row):
                continue
            values = []
            for column, index in zip(PRICE_COLUMNS, where, strict=True):
                cell = row[index].strip() if index < len(row) else ""
                try:
                    value = float(cell)
                except ValueError:
                    raise PriceFileError(
                        f"{file}: line {line}, column {column}: {cell!r} is not a number"
                    ) from None
                if not math.isfinite(value) or value < 0:
                    raise PriceFileError(
                        f"{file}: line {line}, column {column}: {cell!r} must be finite and >= 0"
                    )
                values.append(value)
            rows.append(values)
    if not rows:
        raise PriceFileError(f"{file}: no data rows after the header")
    return np.asarray(rows, dtype=np.float64)


def price_file_problems(params: Params) -> list[str]:
    """The problem with `environment.l1.price_file` as a `ParamsError` line (field, value, rule), or none when it
    is empty or reads as a valid price file."""
    path = params.environment.l1.price_file
    if not path:
        return []
    try:
        read_price_file(path)
    except PriceFileError as err:
        return [f"environment.l1.price_file = {path!r}: {err}"]
    return []


def check_price_file(params: Params, origin: str = "parameters") -> None:
    """Raise a `ParamsError` (from `origin`) if `environment.l1.price_file` names a missing or malformed file."""
    problems = price_file_problems(params)
    if problems:
        raise ParamsError(problems, origin)


@dataclass(frozen=True)
class L1Prices:
    """The slot's L1 prices per run and the state of their process."""

    gas: F64
    """L1 gas price (gwei)."""
    blob: F64
    """Blob gas price (gwei per blob gas)."""
    shock_left: I64
    """Slots the current price shock still lasts (shock process)."""
    eth_per_token: F64
    """The token's price (ETH per token; `token_price`)."""


def l1_step(
    keys: NDArray[np.uint64],
    slot: int,
    previous: L1Prices | None,
    process: str,
    gas_median: float,
    blob_median: float,
    volatility: float,
    reversion: float,
    shock_probability: float,
    shock_multiplier: float,
    shock_slots: int,
    table: F64 | None,
    eth_per_token: F64,
) -> L1Prices:
    """The prices of `slot` from the previous slot's (None at genesis). Draws: `Stream.L1_PRICES`, counter slot."""
    runs = keys.size
    zeros = np.zeros(runs, dtype=np.int64)
    if process == "mean_reverting" and table is None and previous is not None:  # the common case first
        u = uniforms(keys, Stream.L1_PRICES, slot, 3)
        eps = normal_quantiles(u[:, 1:3], 1e-300)
        return L1Prices(
            _ou(previous.gas, gas_median, reversion, volatility, eps[:, 0]),
            _ou(previous.blob, blob_median, reversion, volatility, eps[:, 1]),
            zeros,
            eth_per_token,
        )
    if table is not None:
        row = table[slot % table.shape[0]]
        return L1Prices(np.full(runs, row[0]), np.full(runs, row[1]), zeros, eth_per_token)
    gas0, blob0 = np.full(runs, gas_median), np.full(runs, blob_median)
    if process == "steady":
        return L1Prices(gas0, blob0, zeros, eth_per_token)
    u = uniforms(keys, Stream.L1_PRICES, slot, 3)
    if process == "shock":
        left = zeros if previous is None else previous.shock_left
        active = (left > 0) | (u[:, 0] < shock_probability)
        left = np.where(left > 0, left - 1, np.where(active, shock_slots - 1, 0))
        factor = np.where(active, shock_multiplier, 1.0)
        return L1Prices(gas0 * factor, blob0 * factor, left, eth_per_token)
    return L1Prices(gas0, blob0, zeros, eth_per_token)  # mean_reverting: started at the median


def _ou(price: F64, median: float, theta: float, sigma: float, eps: F64) -> F64:
    """One log-OU step (module docstring): exp(x + theta (mu - x) + sigma eps) with x = log(price), mu =
    log(median); the logarithm and the exponential in numpy, the step between them compiled
    (`kernels_economy.log_ou_step`, imported here: reading results never loads the compiler)."""
    import aztec_econ.model.kernels_economy as kernels_economy  # the module: a third of a from-import's time, every slot

    if median <= 0:
        return np.zeros_like(price)
    x = np.log(np.maximum(price, 1e-300))
    return np.exp(kernels_economy.log_ou_step(x, float(theta), math.log(median), float(sigma), eps))


YEAR_SECONDS = 365.0 * 86_400.0


def token_price(
    keys: NDArray[np.uint64],
    slot: int,
    previous: F64 | None,
    process: str,
    start: float,
    drift_per_year: float,
    volatility_per_year: float,
    slot_seconds: float,
) -> F64:
    """The token's price in ETH in `slot` (module docstring); `previous`: the last slot's (None at genesis, which
    starts at `start`). Draws: `Stream.TOKEN_PRICE`, counter slot."""
    runs = keys.size
    if previous is None or process == "fixed":
        return np.full(runs, start)
    dt = slot_seconds / YEAR_SECONDS
    u = uniforms(keys, Stream.TOKEN_PRICE, slot, 1)[:, 0]
    z = normal_quantiles(u, 1e-300)
    step = (drift_per_year - 0.5 * volatility_per_year**2) * dt + volatility_per_year * math.sqrt(dt) * z
    return np.asarray(previous * np.exp(step), dtype=np.float64)
