"""RANDAO bias: an attacker who proposes some L1 blocks withholds them to change the value a slot's election reads.

Spec (Constraining Randao): "by delaying blocks by an L1 block, it is possible to change the RANDAO value stored";
NOTES.md (RANDAO bias). Parameters: `attacks.randao` (all assumptions).

The attacker. It owns exactly m = round(p x initial keys) of the initial keys (Python's `round`, half to even): in
each run, the m initial keys with the smallest `Stream.ATTACKER` hashes (a seeded uniformly random subset, the same
whatever the strategy). Its keys are ordinary keys: they can go offline and exit like any other.

L1 proposers. Each L1 block b is proposed by the attacker independently with probability beta
(`l1_proposer_share`): a hash of (seed, run, `Stream.L1_PROPOSER`, b).

What the attacker sees. The value stored for height h (h = the RANDAO block of a slot, `randao.election_block`) is
the published value of the block at that height. L1 block numbers have no gaps: if the block meant for height h is
withheld, the next L1 proposer's block takes height h. The attacker can compute in advance the value of any block it
proposes itself, and so the election it would produce, with the model's own election code
(`election.top_eligible`, the very function `p_election` uses, at the slot's eligibility block). It cannot see a
value contributed by an honest proposer. A withheld L1 block forfeits `l1_block_value`.

It counts a value as winning when its key is ranked first among eligible keys. It cannot know which honest keys will
be offline in the slot, so this is exact when keys are always online (the closed form's setting) and conservative
otherwise.

Strategies.
- `none`: honest; the published value stands.
- `reroll` (as the issue states): when the attacker proposes block h and its election would not be won by one of
  its keys, it withholds block h once; height h then gets a fresh value it cannot see in advance (even when the next
  proposer is itself, it does not withhold again). Cost: one L1 block.
- `tail`: the attacker also uses its runs of consecutive L1 blocks around h. Let j >= 1 be the length of its run of
  consecutive proposals ending at h (h and the j - 1 blocks just before it) and k >= 0 the run just after h. It can
  withhold d of these blocks (0 <= d <= k): its remaining blocks shift down, and height h is taken by its own block
  from slot h + d, whose value it knows; which d of the j - 1 + d blocks before that one it withholds changes the
  RANDAO mix that value carries, so each choice yields a distinct value it can evaluate: C(j - 1 + d, d) of them,
  C(j + k, k) in all (d = 0 is the published value). Blocks it proposes before h on their own cannot change the
  value at h without its block after h: withholding them only shifts an honest block onto h. It picks the option
  with the fewest withheld blocks among those its keys win. If none wins, it withholds all k + 1 blocks from h on,
  so the first honest block after them takes height h: a fresh value, the same fresh value `reroll` would get (the
  attacker faces the same unseen randomness either way). So `tail` wins at least every slot `reroll` wins, slot by
  slot, at a cost of up to k + 1 withheld blocks. It looks at most `J_MAX` blocks back and `K_MAX` ahead (compute
  bound; a longer run has probability below beta**4).

Values the attacker's choices produce other than the published one are hashes of (seed, run, `Stream.RANDAO_ALT`,
height, option): distinct, unbiased, and independent of everything else. Withholding shifts later heights too; their
values stay fresh draws, so later elections are unaffected in distribution (a simplification: they are not
re-drawn).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from aztec_econ.model.context import Context
from aztec_econ.model.frozen import evolve
from aztec_econ.model.mechanisms.election import top_eligible
from aztec_econ.model.mechanisms.randao import election_block
from aztec_econ.model.mechanisms.registry import Registry
from aztec_econ.model.rng import Stream, stream_keys_grid, to_unit

if TYPE_CHECKING:
    from aztec_econ.model.state import State

I64 = NDArray[np.int64]
U64 = NDArray[np.uint64]
B = NDArray[np.bool_]

J_MAX = 4
"""Longest run of attacker blocks ending at the RANDAO height that `tail` uses."""
K_MAX = 3
"""Longest run of attacker blocks after the RANDAO height that `tail` uses."""
_OPTION_STRIDE = 64
FRESH = _OPTION_STRIDE - 1
"""Option id of the fresh value an honest proposer contributes (shared by `reroll` and `tail`)."""


def _option_costs() -> NDArray[np.int64]:
    """COSTS[j, o]: blocks withheld by option o for a run of j blocks ending at h (options ordered by cost)."""
    n = math.comb(J_MAX + K_MAX, K_MAX)
    costs = np.full((J_MAX + 1, n), K_MAX + 1, dtype=np.int64)
    for j in range(1, J_MAX + 1):
        o = 0
        for d in range(K_MAX + 1):
            count = math.comb(j - 1 + d, d)
            costs[j, o : o + count] = d
            o += count
    return costs


COSTS = _option_costs()


def attacker_proposes(ctx: Context, blocks: I64) -> B:
    """Whether the attacker proposes each L1 block of `blocks` (runs x len(blocks))."""
    u = to_unit(stream_keys_grid(ctx.keys, Stream.L1_PROPOSER, blocks))
    return u < ctx.params.attacks.randao.l1_proposer_share


def alternative_values(keys: U64, height: int, options: I64) -> U64:
    """The values the attacker's choices put at `height` (rows x len(options)), option ids in [1, 64)."""
    return stream_keys_grid(keys, Stream.RANDAO_ALT, height * _OPTION_STRIDE + options)


def _run_lengths(flags: B, centre: int) -> tuple[I64, I64]:
    """Per row: the run of True ending at column `centre` (j) and the run right after it (k)."""
    before = flags[:, : centre + 1][:, ::-1]
    j = np.where(before.all(axis=1), before.shape[1], np.argmin(before, axis=1))
    after = flags[:, centre + 1 :]
    k = np.where(after.all(axis=1), after.shape[1], np.argmin(after, axis=1)) if after.shape[1] else 0 * j
    return j.astype(np.int64), np.asarray(k, dtype=np.int64)


def bias(ctx: Context, attacker: B, registry: Registry, slot: int, published: U64) -> tuple[U64, I64]:
    """The RANDAO value slot `slot`'s election reads after the attacker's choice, and the L1 blocks it withheld.

    `published` is the honest value of the slot's RANDAO block (`randao.randao_value`).
    """
    p = ctx.params
    strategy = p.attacks.randao.strategy
    withheld = np.zeros(ctx.n_runs, dtype=np.int64)
    if strategy == "none" or p.attacks.randao.l1_proposer_share == 0 or not attacker.any():
        return published, withheld
    h = election_block(slot, ctx.slot_l1_blocks, p.protocol.randao_lag_l1_blocks)
    back, ahead = (J_MAX, K_MAX) if strategy == "tail" else (1, 0)
    flags = attacker_proposes(ctx, np.arange(h - back + 1, h + ahead + 1, dtype=np.int64))
    rows = np.flatnonzero(flags[:, back - 1])
    if rows.size == 0:
        return published, withheld
    j, k = _run_lengths(flags[rows], back - 1)
    n_options = np.array([math.comb(int(a + b), int(b)) for a, b in zip(j, k, strict=True)], dtype=np.int64)
    width = int(n_options.max())
    values = np.empty((rows.size, width), dtype=np.uint64)
    values[:, 0] = published[rows]
    if width > 1:
        values[:, 1:] = alternative_values(ctx.keys[rows], h, np.arange(1, width, dtype=np.int64))
    valid = np.arange(width)[None, :] < n_options[:, None]
    r_idx, o_idx = np.nonzero(valid)
    block = slot * ctx.slot_l1_blocks
    best = top_eligible(values[r_idx, o_idx], registry, block, 1, ctx.domain_bits, ctx.window, rows[r_idx])[
        :, 0
    ]
    won = np.zeros((rows.size, width), dtype=bool)
    won[r_idx, o_idx] = (best >= 0) & attacker[rows[r_idx], np.maximum(best, 0)]
    any_win = won.any(axis=1)
    first = np.argmax(won, axis=1)
    fresh = alternative_values(ctx.keys[rows], h, np.array([FRESH], dtype=np.int64))[:, 0]
    chosen = np.where(any_win, values[np.arange(rows.size), first], fresh)
    cost = np.where(any_win, COSTS[np.minimum(j, J_MAX), first], k + 1)
    value = published.copy()
    value[rows] = chosen
    withheld[rows] = cost
    return value, withheld


def step_randao_bias(ctx: Context, s: State) -> dict[str, Any]:
    """The attacker's choice of the slot's RANDAO value (`bias`), when the RANDAO attack is on."""
    if ctx.params.attacks.randao.strategy == "none":
        return {}
    adv = s["adversary"]
    randao, withheld = bias(ctx, adv.attacker, s["registry"], s["slot"], s["randao"])
    return {"randao": randao, "adversary": evolve(adv, withheld=withheld)}
