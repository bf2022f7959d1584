"""The closed forms of the slot's timeline at a parameter set (`aztec_econ.analysis.expectations`, notebook 11): phase
overrides that keep the phases inside the slot, the time a prover has, late proofs, censored backup, mode shares."""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import pandas as pd
import pytest

from aztec_econ.analysis import expectations as analysis
from aztec_econ.analysis import theory
from aztec_econ.params import Params, load_params
from aztec_econ.publish import plots
from aztec_econ.simulation import simulate

BASE = load_params()
FULL = {"environment.demand.tx_per_second": 1.0}  # every block full: the median is the full-block median


def test_phase_overrides_take_the_difference_from_the_slot_the_idle_blocks_or_a_phase() -> None:
    assert analysis.phase_overrides(BASE, "proving", 10) == {
        "protocol.proving_phase_l1_blocks": 10,
        "protocol.slot_l1_blocks": 35,
    }
    assert analysis.phase_overrides(BASE, "proposal", 8) == {
        "protocol.proposal_phase_l1_blocks": 8,
        "protocol.slot_l1_blocks": 53,
    }
    assert analysis.phase_overrides(BASE, "proving", 6, taken_from="idle") == {
        "protocol.proving_phase_l1_blocks": 6
    }
    assert analysis.phase_overrides(BASE, "backup", 4, taken_from="proving") == {
        "protocol.backup_phase_l1_blocks": 4,
        "protocol.proving_phase_l1_blocks": 31,
    }
    for phase, blocks, taken_from in (
        ("proposal", 8, "idle"),
        ("backup", 40, "proving"),
        ("proving", 0, "slot"),
    ):
        with pytest.raises(ValueError):
            analysis.phase_overrides(BASE, phase, blocks, taken_from=taken_from)
    with pytest.raises(ValueError, match="unknown phase"):
        analysis.phase_overrides(BASE, "voting", 3)
    with pytest.raises(ValueError, match="unknown phase"):
        analysis.phase_overrides(BASE, "proving", 3, taken_from="voting")


@pytest.mark.parametrize("slot", [5, 15, 20, 25, 37, 50, 80])
def test_scaled_phases_fit_the_slot_and_keep_every_phase(slot: int) -> None:
    overrides = analysis.scaled_phase_overrides(BASE, slot)
    params = BASE.with_overrides(overrides)  # validates: the phases fit the slot
    assert params.protocol.slot_l1_blocks == slot
    lengths = [overrides[f"protocol.{p}_phase_l1_blocks"] for p in analysis.PHASES]
    assert min(lengths) >= 1 and sum(lengths) <= slot
    if slot == 50:
        assert lengths == [5, 5, 5, 25, 10]
    if slot == 20:
        assert lengths == [2, 2, 2, 10, 4]


def test_scaled_phases_refuse_a_slot_shorter_than_five_blocks() -> None:
    with pytest.raises(ValueError, match="do not fit a slot of 4"):
        analysis.scaled_phase_overrides(BASE, 4)


def test_the_prover_has_from_its_commitment_to_the_proving_deadline_less_the_missing_warning() -> None:
    assert analysis.proof_available_seconds(BASE) == (5 + 5 + 25 - 1) * 12.0
    consolidated = BASE.with_overrides({"protocol.variants.consolidate_proposal_commitment": True})
    assert analysis.proof_available_seconds(consolidated) == (5 + 5 + 5 + 25 - 1) * 12.0
    sidecar = BASE.with_overrides({"protocol.variants.sidecar_phase_order": True})  # reveal, then commitment
    assert analysis.proof_available_seconds(sidecar) == (5 + 25 - 1) * 12.0
    short_lag = BASE.with_overrides({"protocol.randao_lag_l1_blocks": 5})  # 60 s of the 300 s ramp-up
    assert analysis.proof_available_seconds(short_lag) == (5 + 5 + 25 - 1) * 12.0 - 240.0


def test_late_proofs_follow_the_lognormal_at_the_typical_block() -> None:
    full = BASE.with_overrides({**FULL, "protocol.proving_phase_l1_blocks": 1})
    assert analysis.expected_block_mana(full) == BASE.protocol.block_capacity
    assert analysis.expected_proving_median(full) == BASE.agents.provers.proving_time_median_seconds
    # 120 s from the commitment to the deadline against a 120 s median: a coin flip
    assert analysis.expected_proof_late(full) == pytest.approx(0.5)
    empty = full.with_overrides({"environment.demand.tx_per_second": 0.0})
    assert analysis.expected_proving_median(empty) == 60.0
    assert analysis.expected_proof_late(empty) == pytest.approx(
        theory.proof_late_probability(120.0, 60.0, 0.3)
    )
    shorter = [
        analysis.expected_proof_late(full.with_overrides({"protocol.proving_phase_l1_blocks": n}))
        for n in (1, 5, 25)
    ]
    assert shorter[0] > shorter[1] > shorter[2]


def test_the_shortest_proving_phase_is_the_first_to_meet_the_target() -> None:
    full = BASE.with_overrides(FULL)
    blocks = analysis.shortest_proving_phase(full, 0.01)
    assert blocks is not None

    def late(n: int) -> float:
        return analysis.expected_proof_late(full.with_overrides(analysis.phase_overrides(full, "proving", n)))

    assert late(blocks) <= 0.01 < late(blocks - 1)
    assert analysis.shortest_proving_phase(full, 1e-12, longest=3) is None


def test_backup_skip_counts_late_builders_and_censored_blocks() -> None:
    b = BASE.agents.backup
    late = theory.proof_late_probability(10 * 12.0, b.proving_time_median_seconds, b.proving_time_log_sd)
    assert analysis.expected_backup_skip(BASE) == pytest.approx(
        (1 - b.ready_probability * (1 - late)) ** b.count
    )
    fast = BASE.with_overrides(
        {
            "agents.backup.proving_time_median_seconds": 1.0,
            "attacks.censorship.builder_share": 0.6,
            "attacks.censorship.phases": ["backup"],
        }
    )
    assert analysis.expected_backup_skip(fast) == pytest.approx(
        theory.backup_skip_probability(b.count, b.ready_probability, 0.6, 10)
    )
    prebuilt = fast.with_overrides({"attacks.censorship.prebuilt_backup": True})
    assert math.isnan(analysis.expected_backup_skip(prebuilt))


def test_mode_shares_combine_the_happy_path_censorship_late_proofs_and_backup() -> None:
    params = BASE.with_overrides(
        {
            **analysis.DEADLINE_SETTING,
            **FULL,
            "protocol.proving_phase_l1_blocks": 3,
            "attacks.censorship.builder_share": 0.5,
            "attacks.censorship.phases": ["proposal", "backup"],
        }
    )
    out = analysis.expected_deadlines(params)
    late = analysis.expected_proof_late(params)
    censored = theory.fully_censored_probability(0.5, 5)
    assert out["theory_share_proof_late"] == late and out["theory_share_proposal_censored"] == censored
    assert out["theory_share_happy"] == pytest.approx((1 - censored) * (1 - late))
    assert sum(out[f"theory_share_{m}"] for m in analysis.MODE_NAMES) == pytest.approx(1.0)
    assert out["theory_share_skipped"] == pytest.approx(
        (1 - out["theory_share_happy"]) * out["theory_backup_skip"]
    )
    finalized = 1 - out["theory_share_skipped"]
    assert out["theory_finalized_per_day"] == pytest.approx(144 * finalized)
    assert out["theory_gap_mean_minutes"] == pytest.approx(10 / finalized)
    assert out["theory_happy_per_day"] == pytest.approx(144 * out["theory_share_happy"])
    assert out["theory_backup_reward_factor"] == 1.0
    # the baseline's failures scale the happy path as `expected_mode_shares` does
    baseline = analysis.expected_deadlines(BASE)
    happy = analysis.expected_mode_shares(BASE)["happy"] * (1 - baseline["theory_share_proof_late"])
    assert baseline["theory_share_happy"] == pytest.approx(happy)
    # censored commitments are not covered
    covered = params.with_overrides({"attacks.censorship.phases": ["commitment"]})
    assert math.isnan(analysis.expected_deadlines(covered)["theory_share_happy"])


def test_decay_leaves_backup_blocks_what_the_blocks_since_the_proving_phase_opened_leave() -> None:
    decayed = BASE.with_overrides({"protocol.variants.reward_decay_per_l1_block": 0.02})
    # the backup phase opens at block 40, 25 blocks after the proving phase
    assert analysis.expected_deadlines(decayed)["theory_backup_reward_factor"] == pytest.approx(1 - 0.02 * 25)


def test_expected_table_evaluates_the_closed_forms_at_each_point() -> None:
    points = [analysis.phase_overrides(BASE, "proving", n) for n in (2, 4)]
    table = analysis.expected_table(BASE, points)
    assert table["protocol.proving_phase_l1_blocks"].tolist() == [2, 4]
    assert table["slots_per_day"].tolist() == pytest.approx([7200 / 27, 7200 / 29])
    assert table["theory_share_proof_late"].tolist() == [
        analysis.expected_proof_late(BASE.with_overrides(p)) for p in points
    ]


def test_deadline_outcomes_pool_late_proofs_and_skipped_backup_slots(
    make_params: Callable[..., Params],
) -> None:
    params = make_params(
        **{
            k.replace(".", "__"): v
            for k, v in {**analysis.DEADLINE_SETTING, **analysis.FREE_PROVERS, **FULL}.items()
        },
        protocol__proving_phase_l1_blocks=1,
        sim__slots=200,
        sim__runs=2,
    )
    traj = simulate(params)
    out = analysis.deadline_outcomes(traj)
    frame = traj.frame
    committed = frame["commitment_l1_block"] >= 0
    assert out["proofs"] == committed.sum() == 400  # nothing fails by chance: every slot is committed
    assert out["share_proof_late"] == frame["proof_late"].mean()
    failed = frame["mode"] != "happy"
    assert out["backup_slots"] == failed.sum()
    assert out["share_skipped_in_backup"] == (frame.loc[failed, "mode"] == "skipped").mean()
    expected = analysis.expected_proof_late(params)
    assert abs(out["share_proof_late"] - expected) <= theory.proportion_tolerance(expected, 400)
    assert out["share_proof_late_ci"] == pytest.approx(
        1.96 * math.sqrt(expected * (1 - expected) / 400), rel=0.2
    )
    done = frame["finalized_l1_block"] >= 0
    minutes = ((frame["finalized_l1_block"] - frame["l1_block"])[done] * 12 / 60).mean()
    assert out["finalization_minutes_mean"] == pytest.approx(minutes)


def test_points_agreeing_counts_rows_within_the_sampling_tolerance() -> None:
    table = pd.DataFrame(
        {
            "share": [0.50, 0.60, np.nan, 0.1],
            "theory": [0.50, 0.50, 0.5, 0.1],
            "n": [10_000, 10_000, 10_000, 0],
        }
    )
    assert analysis.points_agreeing(table, "share", "theory", "n") == (1, 2)
    per_day = analysis.with_per_day(
        pd.DataFrame({"share_happy": [0.5], "share_happy_ci": [0.1], "slots_per_day": [144.0]})
    )
    assert per_day[["happy_per_day", "happy_per_day_ci"]].iloc[0].tolist() == [72.0, 14.4]


def test_grouped_bars_draw_one_named_series_per_group_in_the_frames_category_order() -> None:
    frame = pd.DataFrame(
        {
            "L": [25, 6, 25, 6],
            "decay": [0.0, 0.0, 0.04, 0.04],
            "price": [1.0, 90.0, 2.0, 95.0],
            "price_ci": 1.0,
        }
    )
    fig = plots.grouped_bars(
        frame,
        "L",
        "price",
        "t",
        "proving phase",
        "tokens",
        group="decay",
        labels={0.0: "none"},
        x_labels={6: "six"},
    )
    assert [t.name for t in fig.data] == ["none (simulated)", "0.04 (simulated)"]
    assert list(fig.data[0].x) == ["25", "six"] and list(fig.layout.xaxis.categoryarray) == ["25", "six"]
    assert fig.layout.barmode == "group" and list(fig.data[1].error_y.array) == [1.0, 1.0]
    modes = plots.grouped_bars(frame, "L", {"price": "price"}, "t", "x", "y", colours=["#000000"])
    assert modes.data[0].marker.color == "#000000"
    with pytest.raises(ValueError):
        plots.grouped_bars(frame, "L", {"price": "p"}, "t", "x", "y", group="decay")
