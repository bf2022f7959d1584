"""Closed-form results the simulation is held to (tests) and that notebooks draw beside it.

Each function states its assumptions; where they hold, the simulation must agree within a tolerance derived from the
standard error of the simulated estimate (`proportion_tolerance`).
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import NDArray


def election_win_share(keys_held: int, eligible_keys: int) -> float:
    """Share of slots a party holding m of N eligible keys wins under an unbiased beacon: m / N.

    Scores are one per key and not stake-weighted (spec: Block production 1; NOTES.md), and the top-ranked key is a
    uniformly random eligible key, so each key wins 1/N of the slots with a proposal.
    """
    if not 0 <= keys_held <= eligible_keys or eligible_keys == 0:
        raise ValueError(f"need 0 <= m <= N and N > 0, got m={keys_held}, N={eligible_keys}")
    return keys_held / eligible_keys


def mean_slots_between_wins(eligible_keys: int) -> float:
    """Mean number of slots between two wins of one key: N (wins are a Bernoulli(1/N) sequence, geometric gaps)."""
    return float(eligible_keys)


def no_proposal_probability(offline_probability: float, proposers_per_slot: int) -> float:
    """Chance that none of the K top-ranked keys proposes: q**K (keys offline independently; at least K eligible)."""
    return offline_probability**proposers_per_slot


def commitment_probability(
    self_prove_probability: float, unavailable_probability: float, provers: int
) -> float:
    """Chance a winner secures a prover commitment, when every balance covers the bond.

    It proves itself with probability s; otherwise it needs at least one of P provers to quote (each absent with
    probability u): s + (1 - s) * (1 - u**P).
    """
    return self_prove_probability + (1 - self_prove_probability) * (1 - unavailable_probability**provers)


def happy_path_probability(
    offline_probability: float,
    proposers_per_slot: int,
    self_prove_probability: float,
    unavailable_probability: float,
    provers: int,
    reveal_failure_probability: float,
    proof_failure_probability: float,
) -> float:
    """Chance a slot is finalized on the happy path: every step succeeds independently.

    (1 - q**K) * commitment * (1 - reveal failure) * (1 - proof failure).
    """
    return (
        (1 - no_proposal_probability(offline_probability, proposers_per_slot))
        * commitment_probability(self_prove_probability, unavailable_probability, provers)
        * (1 - reveal_failure_probability)
        * (1 - proof_failure_probability)
    )


def backup_success_probability(builders: int, ready_probability: float) -> float:
    """Chance at least one of B backup builders is ready when backup opens: 1 - (1 - r)**B."""
    return 1 - (1 - ready_probability) ** builders


def mode_shares(happy: float, backup_success: float) -> dict[str, float]:
    """Long-run shares of slots per mode, given the happy-path and backup-success probabilities."""
    return {
        "happy": happy,
        "backup": (1 - happy) * backup_success,
        "skipped": (1 - happy) * (1 - backup_success),
    }


def proportion_tolerance(p: float, n: int, z: float = 4.0) -> float:
    """Tolerance for a simulated proportion of n independent trials: z standard errors, sqrt(p (1 - p) / n).

    z = 4 makes a false failure a 1-in-16,000 event for a correct model at a fixed seed.
    """
    if n <= 0:
        raise ValueError("n must be positive")
    return z * math.sqrt(max(p * (1 - p), 0.0) / n)


# ---------------------------------------------------------------------------------------------------------------------
# Attacks and governance (issue 4)


def reroll_attacker_share(l1_proposer_share: float, key_share: float) -> float:
    """Share of slots an attacker with key share a wins under `reroll`, proposing each L1 block with probability beta.

    Setting: every key online, no registrations or exits, so an election is won by a uniformly random key and the
    attacker wins a fresh RANDAO value with probability a = m / N (`election_win_share`); the attacker's prediction
    (its key is ranked first) is then exact.

    Derivation. Condition on who proposes the slot's RANDAO block h.
    - Probability 1 - beta: an honest proposer publishes; the attacker wins with probability a.
    - Probability beta: the attacker sees the election the published value gives. With probability a its key wins
      and it publishes. With probability 1 - a it withholds, and height h takes a fresh value it cannot see,
      independent of the first: it wins with probability a. So it wins with a + (1 - a) a.
    Total: (1 - beta) a + beta (a + (1 - a) a) = a (1 + beta (1 - a)).
    The gain over the honest share is beta a (1 - a), largest at a = 1/2; withheld blocks per slot:
    `reroll_withheld_per_slot`.
    """
    _check_probability("l1_proposer_share", l1_proposer_share)
    _check_probability("key_share", key_share)
    a = key_share
    return a * (1 + l1_proposer_share * (1 - a))


def reroll_withheld_per_slot(l1_proposer_share: float, key_share: float) -> float:
    """L1 blocks withheld per slot under `reroll`: beta (1 - a) (it withholds when it proposes h and would lose)."""
    _check_probability("l1_proposer_share", l1_proposer_share)
    _check_probability("key_share", key_share)
    return l1_proposer_share * (1 - key_share)


def censoring_stay_probability(builder_share: float, autocorrelation: float) -> float:
    """P(censoring | previous censoring) of the two-state chain with stationary share c and lag-1 correlation rho:
    c + rho (1 - c)."""
    _check_probability("builder_share", builder_share)
    if not 0 <= autocorrelation < 1:
        raise ValueError(f"autocorrelation must be in [0, 1), got {autocorrelation}")
    return builder_share + autocorrelation * (1 - builder_share)


def fully_censored_probability(
    builder_share: float, phase_blocks: int, autocorrelation: float = 0.0
) -> float:
    """Chance that every L1 block of a phase of P blocks is censoring, so an honest transaction cannot land.

    Independent blocks (rho = 0): c**P. Markov chain in its stationary law: the first block censors with probability
    c, each next one stays censoring with probability s = c + rho (1 - c): c s**(P - 1). Both fall as P grows
    (s <= 1), so a longer proposal phase never raises it.
    """
    if phase_blocks < 1:
        raise ValueError(f"phase_blocks must be >= 1, got {phase_blocks}")
    stay = censoring_stay_probability(builder_share, autocorrelation)
    return builder_share * stay ** (phase_blocks - 1)


def inclusion_delay_mean(
    builder_share: float, autocorrelation: float = 0.0, phase_blocks: int | None = None
) -> float:
    """Mean delay, in L1 blocks from the phase's first block, until an honest transaction lands (the number of
    censoring blocks before the first open one).

    D = 0 with probability 1 - c; D = d >= 1 with probability c s**(d - 1) (1 - s), s = c + rho (1 - c) (the chain
    leaves the censoring state with probability 1 - s = (1 - c)(1 - rho)). Without a deadline
    E[D] = c / (1 - s) = c / ((1 - c)(1 - rho)). With a phase of P blocks, the delay of the transactions that land
    in it: E[D | D < P] = sum_{d < P} d P(D = d) / (1 - c s**(P - 1)).
    """
    c = builder_share
    stay = censoring_stay_probability(c, autocorrelation)
    if phase_blocks is None:
        if c == 1:
            return math.inf
        return c / (1 - stay)
    if c == 1:
        raise ValueError("with builder_share 1 no transaction ever lands")
    total = sum(d * c * stay ** (d - 1) * (1 - stay) for d in range(1, phase_blocks))
    return total / (1 - fully_censored_probability(c, phase_blocks, autocorrelation))


def vote_pass_probability(blocks: int, support: float, threshold: float) -> float:
    """Chance a window of n counted blocks passes (yes > threshold x n) when each block's proposer supports with
    probability s independently: the binomial tail sum_{y > theta n} C(n, y) s**y (1 - s)**(n - y).

    Holds when nothing fails (every slot yields a counted block) and support is constant: each slot's winner is a
    uniformly random key (fresh RANDAO per slot), so with exactly m of N keys supporting, s = m / N.
    """
    if blocks < 1:
        raise ValueError(f"blocks must be >= 1, got {blocks}")
    _check_probability("support", support)
    first = math.floor(threshold * blocks) + 1
    return float(
        sum(
            math.comb(blocks, y) * support**y * (1 - support) ** (blocks - y)
            for y in range(first, blocks + 1)
        )
    )


def _check_probability(name: str, value: float) -> None:
    if not 0 <= value <= 1:
        raise ValueError(f"{name} must be in [0, 1], got {value}")


def mean_slots_between_blocks(finalized_probability: float) -> float:
    """Mean number of slots from one finalized block to the next: 1 / f (each slot finalizes independently with
    probability f = happy + backup share, so the gaps are geometric)."""
    if not 0 < finalized_probability <= 1:
        raise ValueError(f"need 0 < f <= 1, got {finalized_probability}")
    return 1.0 / finalized_probability


def queue_length(arrivals_per_day: float, wait_days: float) -> float:
    """Mean number of keys waiting out a fixed delay (Little's law, L = lambda * W): arrivals per day x days waited.

    Holds for the entry queue (registrations, entry period) and the exit queue (exit signals, exit delay) when no
    churn limit adds waiting and the arrival rate is constant.
    """
    return arrivals_per_day * wait_days


def slashing_probability(
    proposal_probability: float,
    commitment_probability: float,
    reveal_failure_probability: float,
    proof_failure_probability: float,
    slash_on_missed_reveal: bool,
) -> float:
    """Chance a slot slashes a prover bond: a commitment is made (a proposal landed, then a prover committed) and
    then the block is not finalized on the happy path, by a missed reveal (if that slashes) or a failed proof.

    Spec (Block production 2-4): the bond is slashed 'if the block is not finalized'; balances assumed to cover bonds.
    """
    reveal = reveal_failure_probability if slash_on_missed_reveal else 0.0
    after_commit = reveal + (1 - reveal_failure_probability) * proof_failure_probability
    return proposal_probability * commitment_probability * after_commit


def poisson_gini(mean: float, tail: float = 1e-12) -> float:
    """Gini coefficient of a Poisson(mean) count: the inequality of wins among equal keys that is luck alone.

    With N keys each winning a slot with probability 1/N, a key's wins over S slots are about Poisson(S / N).
    Computed from the pmf: G = E|X - Y| / (2 mean) for independent X, Y.
    """
    if mean <= 0:
        raise ValueError("mean must be positive")
    from scipy import stats

    k = np.arange(0, int(stats.poisson.isf(tail, mean)) + 2)
    pmf = stats.poisson.pmf(k, mean)
    cdf = np.cumsum(pmf)
    # E|X - Y| = 2 * sum_k F(k) (1 - F(k)) for integer-valued X, Y
    return float(2 * np.sum(cdf * (1 - cdf)) / (2 * mean))


def poisson_lorenz(mean: float, tail: float = 1e-12) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Lorenz curve (population share, reward share) of a Poisson(mean) count, at the jumps of its cdf."""
    if mean <= 0:
        raise ValueError("mean must be positive")
    from scipy import stats

    k = np.arange(0, int(stats.poisson.isf(tail, mean)) + 2)
    pmf = stats.poisson.pmf(k, mean)
    population = np.concatenate([[0.0], np.cumsum(pmf)])
    share = np.concatenate([[0.0], np.cumsum(k * pmf)]) / mean
    return population, np.minimum(share, 1.0)


# ---------------------------------------------------------------------------------------------------------------------
# Economics (issue 3)


def base_fee_after_blocks(
    base_fee: float, utilisation: float, blocks: int, target: float, max_change: float
) -> float:
    """Base fee after `blocks` blocks of constant `utilisation` under the EIP-1559 rule of `mechanisms.fees`:
    b (1 + max_change x step)**n, step = (u - t) / (1 - t) above the target t, (u - t) / t below. Full blocks with
    t = 1/2 and max_change = 1/8: x 1.125 per block (x 3.247 after ten)."""
    step = (utilisation - target) / (1 - target) if utilisation >= target else (utilisation - target) / target
    return base_fee * (1 + max_change * step) ** blocks


def eip1559_equilibrium_base_fee(
    tx_rate: float,
    tx_size: float,
    capacity: float,
    target_utilisation: float,
    bid_high: float,
    priority_fee: float = 0.0,
) -> float:
    """Steady-state base fee under a constant linear demand curve: Poisson arrivals of `tx_rate` per block, bids
    uniform on [0, bid_high] per unit, transactions that do not get in leave (expiry of one slot).

    A transaction gets in when its value covers base fee + priority fee p. The base fee is stationary where the
    expected block uses the target: tx_rate x size x (1 - (b + p) / bid_high) = target x capacity, so
    b* = bid_high (1 - target x capacity / (tx_rate x size)) - p, and 0 when demand at the priority fee alone is
    below the target (the base fee decays to its floor).
    """
    demand = tx_rate * tx_size
    if demand <= 0:
        return 0.0
    return max(0.0, bid_high * (1 - target_utilisation * capacity / demand) - priority_fee)


def log_ou_stationary(median: float, reversion: float, volatility: float) -> tuple[float, float]:
    """Stationary mean and variance of the log price of `l1_prices`' mean-reverting process
    x' = x + theta (mu - x) + sigma eps: mean mu = log(median), variance sigma**2 / (theta (2 - theta))."""
    if not 0 < reversion <= 1:
        raise ValueError(f"reversion must be in (0, 1], got {reversion}")
    return math.log(median), volatility**2 / (reversion * (2 - reversion))


def net_inflation(issued: float, burned: float, opening_supply: float) -> float:
    """Net supply inflation over a period: (issuance - burns) / opening supply. Fees and MEV paid to producers move
    tokens without changing supply; a full fee burn makes producers' fee revenue zero and every fee a burn."""
    return (issued - burned) / opening_supply


def proof_late_probability(available_seconds: float, median_seconds: float, log_sd: float) -> float:
    """Chance a proof misses its deadline when proving takes a lognormal time (median, log-standard deviation) and
    `available_seconds` pass from the start of proving to the deadline block (one prover, no hard faults, no
    censorship, no empty L1 slots): P(D > available) = 1 - Phi((ln available - ln median) / log_sd)."""
    if median_seconds <= 0:
        raise ValueError(f"median_seconds must be positive, got {median_seconds}")
    if available_seconds <= 0:
        return 1.0
    if log_sd == 0:
        return float(median_seconds > available_seconds)
    z = (math.log(available_seconds) - math.log(median_seconds)) / log_sd
    return 0.5 * math.erfc(z / math.sqrt(2.0))


def backup_skip_probability(
    builders: int, ready_probability: float, censored_share: float, blocks: int
) -> float:
    """Chance a slot in backup mode is skipped when each of `builders` takes part with `ready_probability`, is ready
    before the backup phase's first block, and every one of the phase's `blocks` L1 blocks is independently built by
    a censoring builder (who keeps honest backup submissions out) with `censored_share`:
    (1 - q)^K + (1 - (1 - q)^K) c^B."""
    _check_probability("ready_probability", ready_probability)
    _check_probability("censored_share", censored_share)
    nobody = (1.0 - ready_probability) ** builders
    return nobody + (1.0 - nobody) * censored_share**blocks


def prover_break_even_price(
    cost: float, l1_sure: float, l1_on_success: float, success: float, bond: float, reward: float
) -> float:
    """A committed prover's break-even price (tokens): the price q at which its expected profit
    p (q + R) - cost - l1_sure - p l1_on_success - (1 - p) B is zero, (cost + l1_sure + (1 - p) B) / p + l1_on_success
    - R. `l1_sure`: L1 gas it pays for sure (its commitment), `l1_on_success`: L1 gas it pays when it succeeds and
    submits (the verification x its submission share), both in tokens. Negative when R exceeds cost and risk."""
    if not 0 < success <= 1:
        raise ValueError(f"need 0 < success <= 1, got {success}")
    return (cost + l1_sure + (1.0 - success) * bond) / success + l1_on_success - reward


def second_price_auction(
    bids: NDArray[np.float64] | list[float],
    availability: float,
    reserve: float,
    bargaining_power: float = 1.0,
) -> tuple[float, float, float]:
    """A sealed-bid second-price auction with a reserve r among P bidders, each present independently with
    probability a (`prover_market`): (chance somebody wins, expected price given a win, expected winning bid given a
    win).

    Sort the bids b_(0) <= ... <= b_(P-1). The lowest present bidder i wins if b_(i) <= r and pays min(r, b_(j)), j the
    next present one (r if none), never more than the bargaining point b_(i) + beta (r - b_(i)) (beta
    `bargaining_power`; 1: the plain auction): P(first present = i, next present = j) = a^2 (1 - a)^(j - 1), and
    P(first present = i, nobody after) = a (1 - a)^(P - 1). Exact for fixed bids and reserve (no self-proving option,
    a constant block value). With evenly spaced costs and everybody present, the price is the second-lowest bid:
    with many bidders it tends to the lowest bid (the cost plus risk of the cheapest)."""
    b = np.sort(np.asarray(bids, dtype=np.float64))
    _check_probability("availability", availability)
    n = b.size
    win = price = winning = 0.0
    for i in range(n):
        if b[i] > reserve:
            break
        first = availability * (1.0 - availability) ** i
        cap = b[i] + bargaining_power * (reserve - b[i])
        win += first
        winning += first * b[i]
        for j in range(i + 1, n):
            both = first * availability * (1.0 - availability) ** (j - i - 1)
            price += both * min(cap, b[j])
        price += first * (1.0 - availability) ** (n - 1 - i) * cap
    if win == 0:
        return 0.0, float("nan"), float("nan")
    return win, price / win, winning / win


def free_entry_count(
    annual_rewards: float, capital_per_key: float, reservation_yield: float, cost_per_key_per_year: float
) -> float:
    """Free-entry count of a role whose rewards are a fixed pool shared equally (one ticket per key): the N* where
    each key's return (R / N* - c) / K equals the reservation yield y, N* = R / (K y + c). `annual_rewards` R
    (tokens/year, the role's revenue less its costs that do not grow with the count), `capital_per_key` K (tokens),
    `cost_per_key_per_year` c (tokens/year). Source: textbook free entry (issue 13); the simulation's counterpart is
    `aztec_econ.equilibrium.free_entry`."""
    denominator = capital_per_key * reservation_yield + cost_per_key_per_year
    if denominator <= 0:
        raise ValueError("capital x yield + cost per key must be positive for a finite free-entry count")
    return annual_rewards / denominator
