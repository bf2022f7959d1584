"""The token ledger: every token is minted, moved, locked, unlocked, slashed or burned by an explicit posting.

Balances are kept per run and per account (runs x accounts). A `Book` is immutable: `post` returns a new one.
After every posting the ledger asserts, for every run,

    initial supply + minted - burned == sum of all accounts (liquid balances + stakes + bonds in escrow)

and that no account is negative, so an accounting error stops the simulation where it happens.

Sequencer keys share one liquid account ("sequencers"): per-key earnings are recovered from the per-slot events
(who proposed, how much was paid), which is far cheaper than a balance per key. Source: assumption (model design).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from aztec_econ.model.columns import Column, Recorder

if TYPE_CHECKING:
    from aztec_econ.model.context import Context
    from aztec_econ.model.state import State

F64 = NDArray[np.float64]
Index = int | NDArray[np.int64]


class Account(IntEnum):
    """Fixed accounts; third-party provers follow from `PROVER0` on (one account each)."""

    MARKET = 0  # liquid tokens outside the protocol; registrants' stakes come from here and return here
    SEQUENCERS = 1  # liquid balance of all sequencer keys together
    RELAYS = 2  # proof submitters that are not the prover
    BACKUP = 3  # backup-mode builders
    STAKES = 4  # escrow: sequencer stakes
    BONDS = 5  # escrow: prover bonds
    PROVER0 = 6


LIQUID_ACCOUNTS = (Account.MARKET, Account.SEQUENCERS, Account.RELAYS, Account.BACKUP)


class Flow(IntEnum):
    """Kinds of posting; the per-slot totals of each kind are recorded."""

    MINT = 0  # new tokens (block rewards) into an account
    BURN = 1  # tokens destroyed from an account
    SLASH = 2  # a bond forfeited (also counted in BURN: slashed bonds are burned)
    LOCK = 3  # liquid -> escrow (stake, bond)
    UNLOCK = 4  # escrow -> liquid
    TRANSFER = 5  # liquid -> liquid (payments)


class AccountingError(RuntimeError):
    """A posting broke conservation or drove an account negative."""


@dataclass(frozen=True)
class Posting:
    """One movement of `amount` tokens per run from `src` to `dst` (None for mint/burn)."""

    kind: Flow
    src: Index | None
    dst: Index | None
    amount: NDArray[np.floating[Any]] | float


@dataclass(frozen=True)
class Book:
    """Balances (runs x accounts), supply per run, and this slot's flow totals (runs x flow kinds)."""

    balances: F64
    supply: F64
    flows: F64

    @property
    def n_runs(self) -> int:
        return int(self.supply.size)

    def balance(self, account: Index) -> F64:
        """Balance of one account per run (account may differ per run)."""
        if isinstance(account, int):
            return self.balances[:, account]
        return self.balances[np.arange(self.n_runs), account]

    def prover_balances(self) -> F64:
        return self.balances[:, Account.PROVER0 :]

    def liquid(self) -> F64:
        return self.balances[:, list(LIQUID_ACCOUNTS)].sum(axis=1) + self.prover_balances().sum(axis=1)

    def new_slot(self) -> Book:
        """The same balances with this slot's flow totals reset."""
        return Book(self.balances, self.supply, np.zeros_like(self.flows))

    def post(self, *postings: Posting) -> Book:
        """Apply postings in order; returns a new Book and checks conservation and non-negativity."""
        balances = self.balances.copy()
        supply = self.supply.copy()
        flows = self.flows.copy()
        rows = np.arange(self.n_runs)
        for p in postings:
            amount = np.asarray(p.amount, dtype=np.float64)
            if not np.isfinite(amount).all():  # NaN would pass every comparison below
                raise AccountingError(f"{p.kind.name} posting with a non-finite amount")
            if amount.min(initial=0.0) < 0:
                raise AccountingError(f"{p.kind.name} posting with a negative amount {amount.min()}")
            if p.src is None:
                if p.kind is not Flow.MINT:
                    raise AccountingError(f"{p.kind.name} posting without a source account")
                supply += amount
            elif isinstance(p.src, int):
                balances[:, p.src] -= amount
            else:
                balances[rows, p.src] -= amount
            if p.dst is None:
                if p.kind not in (Flow.BURN, Flow.SLASH):
                    raise AccountingError(f"{p.kind.name} posting without a destination account")
                supply -= amount
                if p.kind is Flow.SLASH:
                    flows[:, Flow.BURN] += amount
            elif isinstance(p.dst, int):
                balances[:, p.dst] += amount
            else:
                balances[rows, p.dst] += amount
            flows[:, p.kind] += amount
        _check(balances, supply)
        return Book(balances, supply, flows)


def _check(balances: F64, supply: F64) -> None:
    tolerance = 1e-9 * np.maximum(1.0, np.abs(supply))
    if balances.min() < -tolerance.min() and (negative := balances < -tolerance[:, None]).any():
        run, account = np.argwhere(negative)[0]
        name = Account(account).name if account < Account.PROVER0 else f"PROVER{account - Account.PROVER0}"
        raise AccountingError(
            f"account {name} would go negative ({balances[run, account]:.6g}) in batch row {run}"
        )
    gap = np.abs(balances.sum(axis=1) - supply)
    if (gap > tolerance).any():
        run = int(np.argmax(gap))
        raise AccountingError(
            f"conservation broken in batch row {run}: accounts differ from supply by {gap[run]:.6g}"
        )


def genesis_book(n_runs: int, opening: dict[int, float], n_provers: int, prover_balance: float) -> Book:
    """The opening balances: supply is exactly what the accounts hold."""
    balances = np.zeros((n_runs, Account.PROVER0 + n_provers))
    for account, amount in opening.items():
        balances[:, account] = amount
    balances[:, Account.PROVER0 :] = prover_balance
    return Book(balances, balances.sum(axis=1), np.zeros((n_runs, len(Flow))))


def bond_owner(prover: NDArray[np.int64], self_proved: NDArray[np.bool_]) -> NDArray[np.int64]:
    """The ledger account that posted each run's bond: the prover's, or the sequencers' when self-proved.

    Runs without a commitment post nothing; they are pointed at the sequencers' account so the index stays valid.
    """
    return np.where(self_proved | (prover < 0), int(Account.SEQUENCERS), Account.PROVER0 + prover).astype(
        np.int64
    )


COLUMNS: tuple[Column, ...] = (
    Column(
        "slashed",
        "tokens",
        "prover bond slashed (and burned) in the slot: a failed proof, or a missed reveal with "
        "`protocol.slash_bond_on_missed_reveal`",
    ),
    Column("minted", "tokens", "tokens minted in the slot"),
    Column("burned", "tokens", "tokens burned in the slot: slashed bonds, burned fees and burned MEV"),
    Column("total_supply", "tokens", "opening supply + minted - burned"),
    Column("staked", "tokens", "sequencer stakes in escrow"),
    Column(
        "bonded",
        "tokens",
        "prover bonds in escrow at the end of the slot (bonds are released or slashed within their slot, so this "
        "is 0 unless a mechanism keeps one open)",
    ),
    Column("liquid", "tokens", "all liquid balances: market, sequencers, provers, relays, backup builders"),
    Column(
        "balance_market",
        "tokens",
        "liquid tokens outside the protocol (users pay fees from here, new stakes come from here, released "
        "stakes return here)",
    ),
    Column("balance_sequencers", "tokens", "liquid balance of all sequencer keys together"),
    Column("balance_provers", "tokens", "liquid balance of all third-party provers together"),
    Column("balance_relays", "tokens", "liquid balance of relays"),
    Column(
        "balance_backup",
        "tokens",
        "liquid balance of backup builders (the attacker's pre-built backup rewards included)",
    ),
)
"""The ledger's flows in the slot and balances at its end."""


def record(ctx: Context, s: State) -> dict[str, NDArray[Any]]:
    book = s["book"]
    balances = book.balances
    return {
        "slashed": book.flows[:, Flow.SLASH],
        "minted": book.flows[:, Flow.MINT],
        "burned": book.flows[:, Flow.BURN],
        "total_supply": book.supply,
        "staked": balances[:, Account.STAKES],
        "bonded": balances[:, Account.BONDS],
        "liquid": book.liquid(),
        "balance_market": balances[:, Account.MARKET],
        "balance_sequencers": balances[:, Account.SEQUENCERS],
        "balance_provers": book.prover_balances().sum(axis=1),
        "balance_relays": balances[:, Account.RELAYS],
        "balance_backup": balances[:, Account.BACKUP],
    }


RECORDER = Recorder(COLUMNS, record)
