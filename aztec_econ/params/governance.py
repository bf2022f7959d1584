"""The `governance` section: upgrade votes carried by blocks (support, its ramp, what counts, the attacker's vote)."""

from __future__ import annotations

from typing import Literal

from aztec_econ.params.fields import Group, field


class Governance(Group):
    """Upgrade votes carried by blocks (spec: Voting on upgrades)."""

    support_share: float = field(
        unit="share",
        source="assumption",
        doc="Share of the initial keys (exactly round(share x keys)) signalling support at the start",
        ge=0,
        le=1,
    )
    support_share_end: float = field(
        unit="share",
        source="assumption",
        doc="Support share reached at the end of the ramp (equal to support_share for constant support)",
        ge=0,
        le=1,
    )
    ramp_days: float = field(
        unit="days",
        source="assumption",
        doc="Support moves linearly from support_share to support_share_end over this time (0: at once)",
        ge=0,
    )
    count_backup_blocks: bool = field(
        unit="-",
        source="assumption (spec: votes ride on proposals; backup blocks have none)",
        doc="Whether backup-mode blocks count in a window (as no votes, unless the attacker built them)",
    )
    attacker_vote: Literal["follow", "yes", "no"] = field(
        unit="-",
        source="assumption",
        doc="How the attacker's keys vote: follow (like any key), yes (all support) or no (none supports)",
    )
