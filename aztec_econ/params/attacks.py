"""The `attacks` section: adversaries (RANDAO bias, L1 censorship); the attacker's keys collude in every attack."""

from __future__ import annotations

from typing import Literal

from aztec_econ.params.fields import Group, field


class RandaoAttack(Group):
    """An attacker biasing the RANDAO value an election reads (spec: Constraining Randao; NOTES.md, RANDAO bias).

    See `model.mechanisms.randao_attack` for the strategies.
    """

    sequencer_share: float = field(
        unit="share",
        source="assumption",
        doc="Share p of the initial keys the attacker owns (exactly round(p x initial keys) of them)",
        ge=0,
        le=1,
    )
    l1_proposer_share: float = field(
        unit="probability",
        source="assumption",
        doc="Chance beta that the attacker proposes a given L1 block (independently per block)",
        ge=0,
        le=1,
    )
    strategy: Literal["none", "reroll", "tail"] = field(
        unit="-",
        source="assumption",
        doc="none: honest; reroll: withhold the election's RANDAO block when it would lose; tail: also use runs "
        "of consecutive L1 blocks it proposes",
    )
    l1_block_value: float = field(
        unit="tokens",
        source="assumption",
        doc="Proposer reward and fees an L1 proposer forfeits per withheld L1 block (valued in tokens)",
        ge=0,
    )


class CensorshipAttack(Group):
    """Censoring L1 builders (spec: Backup mode, 'Known potential issue: L1 censorship'; NOTES.md)."""

    builder_share: float = field(
        unit="probability",
        source="assumption (aztec-gddt measured ~63% of post-Dencun blocks from builders it labelled censoring)",
        doc="Stationary chance c that an L1 block is built by a censoring builder",
        ge=0,
        le=1,
    )
    autocorrelation: float = field(
        unit="-",
        source="assumption",
        doc="rho: lag-1 autocorrelation of the censored/uncensored two-state Markov chain (0 = independent)",
        ge=0,
        lt=1,
    )
    phases: list[Literal["proposal", "commitment", "reveal", "proof", "backup"]] = field(
        unit="-",
        source="assumption",
        doc="Which honest transactions censoring builders keep out: proposals, prover commitments, reveals, proofs, "
        "backup submissions",
    )
    prebuilt_backup: bool = field(
        unit="-",
        source="spec: Backup mode ('they could have a block pre-built and proven')",
        doc="The colluding party keeps a proven block ready and wins backup mode whenever it opens",
    )


class Attacks(Group):
    """Adversaries. The attacker's keys (`randao.sequencer_share`) are the colluding party in every attack."""

    randao: RandaoAttack
    censorship: CensorshipAttack
