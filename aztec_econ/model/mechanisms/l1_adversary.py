"""The L1 adversary's policy: the attacker's RANDAO choice (`randao_attack`) and the slot's censoring L1 blocks
(`censorship`), written to the `adversary` state (`adversary.Adversary`) and the RANDAO value the election reads.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from aztec_econ.model.context import Context
from aztec_econ.model.mechanisms.adversary import Adversary, censoring
from aztec_econ.model.mechanisms.censorship import plan_censorship
from aztec_econ.model.mechanisms.randao import p_randao
from aztec_econ.model.mechanisms.randao_attack import bias


def p_randao_and_adversary(
    params: dict[str, Any], substep: int, history: Any, s: dict[str, Any]
) -> dict[str, Any]:
    """The published RANDAO value (`randao.p_randao`), which the attacker may replace; the censoring flags of the
    slot's L1 blocks. One cadCAD block for both: a block costs ~20 us per slot even when the attacks are off."""
    ctx: Context = params["ctx"]
    adv: Adversary = s["adversary"]
    slot: int = s["slot"]
    randao = p_randao(params, substep, history, s)["randao"]
    changes: dict[str, Any] = {}
    if ctx.params.attacks.randao.strategy != "none":
        randao, changes["withheld"] = bias(ctx, adv.attacker, s["registry"], slot, randao)
    if censoring(ctx):
        plan = adv.plan
        first = slot * ctx.slot_l1_blocks
        if plan is None or first >= plan.first_block + plan.censored.shape[1]:
            plan = plan_censorship(ctx, slot, None if plan is None else plan.last)
        offset = first - plan.first_block
        changes["plan"] = plan
        changes["censored"] = plan.censored[:, offset : offset + ctx.slot_l1_blocks]
    return {"randao": randao, "adversary": replace(adv, **changes) if changes else adv}
