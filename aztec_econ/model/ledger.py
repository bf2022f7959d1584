"""The token ledger: every token is minted, moved, locked, unlocked, slashed or burned by an explicit posting.

Balances are kept per run and per account (runs x accounts). A `Book` on its own is immutable: `post` returns a new
one. The model's book is one object per slot instead: `new_slot(deferred=True)` opens it on copies of the previous
slot's arrays, and the slot's postings write those copies in place (`post` returns the same book), which saves two
array copies and a new record per posting; the slot's last step closes it (`Book.closed`), so the previous slot's
book, which the recorded states keep, is never written. A step that reads a balance (a view of the book's array)
uses it before its postings, or copies it; `harness.run_step` runs a step on a copy of an open book.
The ledger asserts, for every run,

    initial supply + minted - burned == sum of all accounts (liquid balances + stakes + bonds in escrow)

and that no account is negative, so an accounting error stops the simulation where it happens: after every
posting for a book on its own, and once per slot, after the slot's last posting, for the model's book (`new_slot`
with `deferred=True` opens a slot whose book is checked by `check`, the slot's last step). Every posting's amounts
are checked where they are posted: a negative or non-finite amount is an error at once.

Sequencer keys share one liquid account ("sequencers"): per-key earnings are recovered from the per-slot events
(who proposed, how much was paid), which is far cheaper than a balance per key. Source: assumption (model design).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np
from numpy.typing import NDArray

from aztec_econ.model import kernels, kernels_slot
from aztec_econ.model.columns import Column, Recorder, Segment
from aztec_econ.model.frozen import evolve

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


def liquid(balances: F64) -> F64:
    """Tokens free to move (`LIQUID_ACCOUNTS` and the provers' accounts) of balances (... x accounts)."""
    return balances[..., list(LIQUID_ACCOUNTS)].sum(axis=-1) + balances[..., Account.PROVER0 :].sum(axis=-1)


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


class Posting(NamedTuple):
    """One movement of `amount` tokens per run from `src` to `dst` (None for mint/burn). A named tuple: a slot makes
    about a dozen, and a tuple is built in a quarter of a frozen dataclass's time."""

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
    deferred: bool = False
    """Whether postings leave the conservation and non-negativity check to `check` (once per slot)."""

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

    def new_slot(self, *, deferred: bool = False) -> Book:
        """The same balances with this slot's flow totals reset. `deferred`: a slot's book, on copies of the balances
        and the supply, which its postings write in place and whose check is left to `check` (module docstring)."""
        flows = np.zeros_like(self.flows)
        if deferred:
            return Book(self.balances.copy(), self.supply.copy(), flows, True)
        return evolve(self, flows=flows, deferred=False)

    def copy(self) -> Book:
        """The same book on copies of its arrays: postings to it never write this one's."""
        return Book(self.balances.copy(), self.supply.copy(), self.flows.copy(), self.deferred)

    def closed(self) -> Book:
        """The book with its postings no longer written in place (`deferred` off): what a slot's last step leaves,
        so code that posts to a recorded state's book gets a new book."""
        return evolve(self, deferred=False) if self.deferred else self

    def post(self, *postings: Posting) -> Book:
        """Apply postings in order. Checks each amount, then (unless `deferred`) conservation and non-negativity.
        Each posting is one call of the compiled `kernels_slot.ledger_post`: a book on its own returns a new Book,
        on copies of the balances and flows (and of the supply, once a posting mints or burns); a `deferred` book
        (a slot's, opened by `new_slot`) is written in place and returned."""
        post = kernels_slot.ledger_post
        if self.deferred:
            balances, supply, flows = self.balances, self.supply, self.flows
        else:
            balances, supply, flows = self.balances.copy(), self.supply, self.flows.copy()
        shape = supply.shape
        for p in postings:
            kind, src, dst = p.kind, p.src, p.dst
            amount = np.ascontiguousarray(p.amount, dtype=np.float64)
            if amount.shape != shape:  # a scalar, or an amount to broadcast over the runs
                amount = self._spread(p, amount)
            if src is None:
                if kind is not _MINT:
                    self._raise_for(p, amount)
                if supply is self.supply and not self.deferred:
                    supply = supply.copy()
                s, s_rows = _NO_ACCOUNT, _NO_ROWS
            elif isinstance(src, int):
                s, s_rows = int(src), _NO_ROWS
            else:
                s, s_rows = _PER_RUN, self._rows(p, src, amount)
            if dst is None:
                if kind is not _BURN and kind is not _SLASH:
                    self._raise_for(p, amount)
                if supply is self.supply and not self.deferred:
                    supply = supply.copy()
                d, d_rows = _NO_ACCOUNT, _NO_ROWS
            elif isinstance(dst, int):
                d, d_rows = int(dst), _NO_ROWS
            else:
                d, d_rows = _PER_RUN, self._rows(p, dst, amount)
            if post(balances, flows, supply, int(kind), s, s_rows, d, d_rows, amount):
                self._raise_for(p, amount)
                raise AssertionError(f"ledger_post refused a {kind.name} posting it breaks nothing of")
        if self.deferred:
            return self
        return evolve(self, balances=balances, supply=supply, flows=flows).check()

    def _spread(self, p: Posting, amount: F64) -> F64:
        """`p`'s `amount` (checked first) broadcast over the runs, or numpy's error where it does not broadcast."""
        if not (amount >= 0).all():  # checked as given: over 0 runs a negative amount broadcasts to nothing
            _refuse(p.kind, amount)
        try:
            return np.broadcast_to(amount, self.supply.shape).copy()  # writable: one compiled signature
        except ValueError:
            self._raise_for(p, amount)
            raise

    def _rows(self, p: Posting, account: Index, amount: F64) -> NDArray[np.int64]:
        """`p`'s per-run accounts as an int64 array of one per run (as given where it is one), or numpy's error
        where they do not index the accounts."""
        if isinstance(account, np.ndarray) and account.dtype == _INT64 and account.shape == self.supply.shape:
            return account
        try:  # another integer type, a list, one account for all runs: what numpy's fancy index makes of it
            rows = np.arange(self.balances.shape[1])[account]
            return np.broadcast_to(rows, self.supply.shape).copy()
        except (IndexError, ValueError):
            self._raise_for(p, amount)
            raise

    def _raise_for(self, p: Posting, amount: F64) -> None:
        """Raise what `p` (of `amount`) breaks, in the order it is checked: its amount, its source, its destination,
        its kind. Returns if it breaks none of them."""
        kind = p.kind
        if not (amount >= 0).all():  # NaN and negative amounts both fail it
            _refuse(kind, amount)
        if p.src is None:
            if kind is not _MINT:
                raise AccountingError(f"{kind.name} posting without a source account")
        else:
            self.balance(p.src)  # numpy's IndexError for an account out of range
        if p.dst is None:
            if kind is not _BURN and kind is not _SLASH:
                raise AccountingError(f"{kind.name} posting without a destination account")
        else:
            self.balance(p.dst)
        self.flows[:, kind]  # numpy's IndexError for a kind out of range

    def check(self) -> Book:
        """Assert conservation (which also catches a non-finite amount: it makes a balance or the supply non-finite)
        and that no account is negative, for every run; returns the book. Compiled (`kernels.ledger_balanced`); only
        a book that fails it goes through `_check`, which names what broke."""
        if not kernels.ledger_balanced(np.ascontiguousarray(self.balances), self.supply):
            _check(self.balances, self.supply)
            raise AssertionError("kernels.ledger_balanced refused a book that _check accepts")
        return self


_MINT, _BURN, _SLASH = Flow.MINT, Flow.BURN, Flow.SLASH  # module constants: an enum attribute look-up is slow
_NO_ACCOUNT = kernels_slot.NO_ACCOUNT  # no account (the supply instead)
_PER_RUN = kernels_slot.PER_RUN  # one account per run, from a row array
_INT64 = np.dtype(np.int64)
_NO_ROWS = np.empty(0, dtype=_INT64)  # the row array of a posting to or from one account for all runs


def _refuse(kind: Flow, amount: NDArray[np.float64]) -> None:
    if not np.isfinite(amount).all():
        raise AccountingError(f"{kind.name} posting with a non-finite amount")
    raise AccountingError(f"{kind.name} posting with a negative amount {amount.min()}")


def _check(balances: F64, supply: F64) -> None:
    tolerance = 1e-9 * np.maximum(1.0, np.abs(supply))
    gap = np.abs(balances.sum(axis=1) - supply)
    negative = balances.min() < -tolerance.min() and (balances < -tolerance[:, None]).any()
    if negative or not (gap <= tolerance).all():  # a NaN gap (a non-finite amount) fails it too
        if not (np.isfinite(balances).all() and np.isfinite(supply).all()):
            raise AccountingError("a posting with a non-finite amount reached the ledger")
        if negative:
            run, account = np.argwhere(balances < -tolerance[:, None])[0]
            name = (
                Account(account).name if account < Account.PROVER0 else f"PROVER{account - Account.PROVER0}"
            )
            raise AccountingError(
                f"account {name} would go negative ({balances[run, account]:.6g}) in batch row {run}"
            )
        run = int(np.nanargmax(gap))
        raise AccountingError(
            f"conservation broken in batch row {run}: accounts differ from supply by {gap[run]:.6g}"
        )


def step_check(ctx: Context, s: State) -> dict[str, Any]:
    """The slot's last step: the one conservation and non-negativity check of the slot's postings; closes the
    slot's book (`Book.closed`)."""
    return {"book": s["book"].check().closed()}


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
    first = int(Account.PROVER0)  # an IntEnum plus an array takes a slow path (about 2 us)
    return np.where(self_proved | (prover < 0), int(Account.SEQUENCERS), first + prover).astype(np.int64)


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


def record(ctx: Context, seg: Segment) -> dict[str, NDArray[Any]]:
    balances = seg.field("book", "balances")  # slots x runs x accounts
    flows = seg.field("book", "flows")
    return {
        "slashed": flows[..., Flow.SLASH],
        "minted": flows[..., Flow.MINT],
        "burned": flows[..., Flow.BURN],
        "total_supply": seg.field("book", "supply"),
        "staked": balances[..., Account.STAKES],
        "bonded": balances[..., Account.BONDS],
        "liquid": liquid(balances),
        "balance_market": balances[..., Account.MARKET],
        "balance_sequencers": balances[..., Account.SEQUENCERS],
        "balance_provers": balances[..., Account.PROVER0 :].sum(axis=-1),
        "balance_relays": balances[..., Account.RELAYS],
        "balance_backup": balances[..., Account.BACKUP],
    }


RECORDER = Recorder(COLUMNS, record)
