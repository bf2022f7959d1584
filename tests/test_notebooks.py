"""Every notebook runs with small parameters on the project kernel (real papermill) and glues sane KPIs; its report
passes every browser check (`conftest.report_problems`) and opens with its question, answer and headline KPIs, each
with a unit and a description.

The baseline notebook (01) is executed once for the whole session by the `baseline_report` fixture (through the
CLI), and its KPIs are read back from the executed notebook.
"""

from __future__ import annotations

import math
import os
import pickle
from pathlib import Path
from typing import Any

import pytest
from conftest import CHROMIUM, NOTEBOOKS, SMALL_NOTEBOOK_PARAMETERS, report_problems

from aztec_econ.analysis import expectations as analysis
from aztec_econ.analysis import theory
from aztec_econ.params import load_params
from aztec_econ.publish.glue import ANSWER_GLUE, PARAMS_GLUE, read_glued
from aztec_econ.publish.headline import headlines
from aztec_econ.publish.reports import ExecutedNotebook, execute_notebook, publish_executed, render_html

pytestmark = pytest.mark.slow

PARAMS = load_params(
    overrides={"sim.slots": SMALL_NOTEBOOK_PARAMETERS["slots"], "sim.runs": SMALL_NOTEBOOK_PARAMETERS["runs"]}
)
N_SLOTS = PARAMS.sim.slots * PARAMS.sim.runs


def test_every_notebook_is_tested() -> None:
    tested = {"00_how_to", "01_baseline_network_health", "02_registration_and_exit_queues"}
    tested |= {"03_rewards_bonds_and_slashing", "10_sweep_analysis"}
    tested |= {"04_randao_bias", "05_l1_censorship", "06_governance_upgrade_votes"}
    tested |= {"07_fee_mechanisms", "08_prover_market_and_profitability", "09_confirmation_times"}
    tested |= {"11_sensitivity", "12_mechanism_search", "13_phase_lengths"}
    tested |= {"20_explorer"}
    tested |= {"14_participation_and_free_entry"}
    assert {p.stem for p in NOTEBOOKS.glob("*.py")} == tested


def _run(name: str, **extra: Any) -> ExecutedNotebook:
    """Execute notebook `name` with `SMALL_NOTEBOOK_PARAMETERS` and the notebook's own `extra` parameters."""
    parameters = {**SMALL_NOTEBOOK_PARAMETERS, **extra}
    executed = execute_notebook(NOTEBOOKS / f"{name}.py", parameters)
    assert executed.ok, executed.error
    assert executed.params["sim.slots"] == parameters["slots"]  # the injected parameters reached the model
    warnings = [
        out.get("text", "")
        for cell in executed.notebook.cells
        for out in cell.get("outputs", [])
        if out.get("name") == "stderr" and "Warning" in out.get("text", "")
    ]
    assert not warnings, f"{name} shows warnings to readers: {warnings}"
    travelled = pickle.loads(pickle.dumps(executed))  # as from a Dask worker: the notebook travels as bytes
    assert travelled.kpis == executed.kpis and read_glued(travelled.ipynb) == executed.kpis
    check_report(executed, name)
    return executed


_BROWSER: list[Any] = []
"""The session's browser (conftest's `browser` fixture), set for every test here when chromium is installed."""


@pytest.fixture(autouse=True)
def _session_browser(request: pytest.FixtureRequest) -> None:
    _BROWSER.clear()
    if Path(CHROMIUM).exists() or os.environ.get("AZTEC_ECON_REQUIRE_BROWSER") == "1":
        _BROWSER.append(request.getfixturevalue("browser"))  # one Playwright per session: it owns the loop


def check_report(executed: ExecutedNotebook, name: str) -> None:
    """The notebook's report: an answer, every headline KPI described, and every browser check passed."""
    assert isinstance(executed.kpis.get(ANSWER_GLUE), str) and executed.kpis[ANSWER_GLUE].strip()
    undescribed = [
        h.name for h in headlines(executed.kpis, executed.kpi_meta) if not (h.unit and h.description)
    ]
    assert not undescribed, f"{name} glues KPIs without a unit or description: {undescribed}"
    if not _BROWSER:
        return
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        publish_executed(Path(tmp), name, executed, name=name, title=name, notebook=name, parameters={})
        problems, _ = report_problems(
            _BROWSER[0], Path(tmp) / f"{name}.html", screenshot=Path(tmp) / "top.png"
        )
    assert problems == [], f"{name}'s report: {problems}"


def _is_share(value: Any) -> bool:
    return isinstance(value, float) and 0.0 <= value <= 1.0


def test_how_to_runs_and_glues_a_share() -> None:
    kpis = _run("00_how_to").kpis
    assert _is_share(kpis["share_happy"])


def test_baseline_shares_and_gaps_agree_with_theory(baseline_report: Path) -> None:
    check_report(
        ExecutedNotebook.from_ipynb(baseline_report / "01_baseline_network_health.ipynb"), "01_baseline"
    )
    kpis = read_glued(baseline_report / "01_baseline_network_health.ipynb")
    assert kpis[PARAMS_GLUE]["sim.runs"] == PARAMS.sim.runs
    expected = analysis.expected_mode_shares(PARAMS)
    assert math.isclose(sum(kpis[f"share_{m}"] for m in analysis.MODE_NAMES), 1.0, abs_tol=1e-9)
    for mode in analysis.MODE_NAMES:
        assert _is_share(kpis[f"share_{mode}"])
        assert kpis[f"theory_share_{mode}"] == pytest.approx(expected[mode])
        assert abs(kpis[f"share_{mode}"] - expected[mode]) <= theory.proportion_tolerance(
            expected[mode], N_SLOTS
        )
    assert 0 < kpis["finalized_per_day"] <= PARAMS.protocol.slots_per_day
    assert kpis["gap_mean_minutes"] == pytest.approx(kpis["theory_gap_mean_minutes"], rel=0.02)
    assert kpis["gap_p90_minutes"] >= kpis["gap_mean_minutes"]


def test_queues_follow_littles_law_and_keys_wait_the_entry_period() -> None:
    kpis = _run("02_registration_and_exit_queues").kpis
    expected = analysis.expected_queues(PARAMS)
    for column in ("queued_sequencers", "exiting_sequencers"):
        assert kpis[f"theory_{column}"] == pytest.approx(expected[column])
        # a few days of 3 runs: the queue is Poisson(14), its time average varies by a few keys
        assert abs(kpis[f"mean_{column}"] - expected[column]) <= 0.5 * expected[column]
    assert kpis["mean_entry_wait_days"] == pytest.approx(PARAMS.protocol.entry_period_days, abs=1e-6)
    assert kpis["mean_exit_wait_days"] == pytest.approx(PARAMS.protocol.exit_delay_days, abs=1e-6)
    assert kpis["active_start"] == PARAMS.agents.sequencers.initial


def test_rewards_follow_the_split_and_slashing_its_closed_form() -> None:
    kpis = _run("03_rewards_bonds_and_slashing").kpis
    split = PARAMS.protocol.reward_split
    happy = sum(kpis[f"{k}_per_day"] for k in ("reward_sequencers", "reward_provers", "reward_submitters"))
    assert kpis["reward_sequencers_per_day"] / happy == pytest.approx(split.sequencer)
    assert kpis["reward_provers_per_day"] / happy == pytest.approx(split.prover)
    assert 0.0 < kpis["theory_gini_luck_only"] < kpis["gini_sequencer_rewards"] < 1.0
    per_day = PARAMS.protocol.slots_per_day
    p = kpis["theory_slashing_events_per_day"] / per_day
    assert p == pytest.approx(analysis.expected_slashing_probability(PARAMS))
    assert abs(kpis["slashing_events_per_day"] / per_day - p) <= theory.proportion_tolerance(p, N_SLOTS)
    assert kpis["supply_growth_pct_per_year"] > 0
    assert all(_is_number(kpis[f"apr_{role}"]) for role in ("sequencers", "provers", "relays", "backup"))


# Notebooks 04-06 sweep parameters: each point simulates `slots x runs` of SMALL_NOTEBOOK_PARAMETERS in the closed-form
# setting (their default), so their KPIs are checked against closed forms recomputed here.
SWEEP_SLOTS = N_SLOTS


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def test_randao_bias_matches_the_reroll_closed_form_and_tail_does_better() -> None:
    kpis = _run(
        "04_randao_bias",
        key_share=0.2,
        betas=[0.0, 0.5],
        strategies=["reroll", "tail"],
        key_shares=[0.5],
        beta_focus=0.5,
        lags=[32, 64],  # both at least the provers' ramp-up (300 s = 25 L1 blocks)
    ).kpis
    assert all(_is_number(v) for k, v in kpis.items() if not k.startswith("_"))
    a, beta = kpis["attacker_key_share"], kpis["beta_max"]
    assert (a, beta) == (0.2, 0.5)
    share = theory.reroll_attacker_share(beta, a)
    assert kpis["theory_attacker_share_reroll"] == pytest.approx(share)
    assert a < kpis["attacker_share_reroll"] < 1.0
    assert abs(kpis["attacker_share_reroll"] - share) <= theory.proportion_tolerance(share, SWEEP_SLOTS)
    assert kpis["attacker_share_tail"] >= kpis["attacker_share_reroll"]
    withheld = theory.reroll_withheld_per_slot(beta, a)
    assert kpis["theory_withheld_per_slot_reroll"] == pytest.approx(withheld)
    assert abs(kpis["withheld_per_slot_reroll"] - withheld) <= theory.proportion_tolerance(
        withheld, SWEEP_SLOTS
    )
    assert kpis["reroll_points_agreeing"] == 1.0 and kpis["key_share_points_agreeing"] == 1.0
    # a withheld block is worth about a x the sequencer reward (10 tokens) < the L1 block value (50): a net loss
    value = PARAMS.attacks.randao.l1_block_value
    assert 0 < kpis["extra_revenue_per_withheld_block_reroll"] < value
    assert kpis["net_gain_per_day_reroll"] < 0
    assert kpis["max_gain_points"] == pytest.approx(
        100 * beta / 4, abs=100 * theory.proportion_tolerance(0.5, SWEEP_SLOTS)
    )
    # once the lag covers the provers' ramp-up it does not change the attacker's share in this model
    assert 0 <= kpis["lag_share_spread"] <= 2 * theory.proportion_tolerance(share, SWEEP_SLOTS)


def test_censorship_matches_the_fully_censored_closed_forms_and_a_longer_phase_helps() -> None:
    c, rho = 0.8, 0.5
    kpis = _run(
        "05_l1_censorship",
        builder_shares=[0.4, c],
        autocorrelation=rho,
        attacker_key_share=0.0,
        builder_share_focus=0.6,
        phase_lengths=[2, 5, 10],
    ).kpis
    assert kpis["builder_share_max"] == c
    phase = PARAMS.protocol.proposal_phase_l1_blocks
    for key, r in (("independent", 0.0), ("markov", rho)):
        expected = theory.fully_censored_probability(c, phase, r)
        assert kpis[f"theory_share_proposal_censored_{key}"] == pytest.approx(expected)
        assert _is_share(kpis[f"share_proposal_censored_{key}"])
        assert abs(kpis[f"share_proposal_censored_{key}"] - expected) <= theory.proportion_tolerance(
            expected, SWEEP_SLOTS
        )
        assert kpis[f"points_agreeing_{key}"] == 1.0
        assert kpis[f"phase_sweep_never_rises_{key}"] is True
        assert kpis[f"phase_long_share_censored_{key}"] < kpis[f"phase_short_share_censored_{key}"]
    assert theory.fully_censored_probability(c, phase) == pytest.approx(c**phase)
    # no attacker keys, a pre-built backup, no honest backup builder: every fully censored phase opens backup mode,
    # which the colluding party wins when a colluding builder builds a backup-phase block, else the slot is skipped
    censored = kpis["share_proposal_censored_markov"]
    assert kpis["share_backup_at_max_c"] == pytest.approx(kpis["attacker_share_at_max_c"])
    assert kpis["share_backup_at_max_c"] + kpis["share_skipped_at_max_c"] == pytest.approx(censored)
    expected = kpis["theory_attacker_share_at_max_c"]
    assert abs(kpis["attacker_share_at_max_c"] - expected) <= theory.proportion_tolerance(expected, N_SLOTS)
    delay = theory.inclusion_delay_mean(c, rho, phase)
    assert kpis["theory_inclusion_delay_mean_at_max_c"] == pytest.approx(delay)
    assert kpis["inclusion_delay_mean_at_max_c"] == pytest.approx(delay, rel=0.1)


def test_vote_pass_probability_follows_the_binomial_and_the_attackers_stance() -> None:
    support, days = 0.55, 0.25
    kpis = _run(
        "06_governance_upgrade_votes",
        window_days=days,
        support_shares=[0.45, support, 0.65],
        support_focus=support,
        window_grid=[0.5],
        attacker_key_share=0.2,
        attacker_beta=0.5,
    ).kpis
    assert all(_is_share(v) for k, v in kpis.items() if k.startswith(("pass_share", "theory_pass_share")))
    threshold = PARAMS.protocol.upgrade_vote_threshold
    blocks = round(days * PARAMS.protocol.slots_per_day)
    expected = theory.vote_pass_probability(blocks, support, threshold)
    assert kpis["support_at_focus"] == support
    assert kpis["theory_pass_share"] == pytest.approx(expected)
    windows = N_SLOTS // blocks
    assert abs(kpis["pass_share"] - expected) <= theory.proportion_tolerance(expected, windows)
    assert kpis["support_points_agreeing"] == 1.0 and kpis["window_points_agreeing"] == 1.0
    # support above the threshold: longer windows pass more often, 7 days almost surely
    assert kpis["theory_pass_share_longest_window"] > expected
    assert kpis["theory_pass_share_spec_window"] > 0.99
    assert (
        kpis["pass_share_attacker_opposes"]
        < kpis["pass_share_attacker_follows"]
        < kpis["pass_share_attacker_supports"]
    )
    assert kpis["pass_share_attacker_follows"] == kpis["pass_share"]  # the focus point, simulated twice
    # winning more slots by RANDAO bias strengthens either stance
    assert kpis["pass_share_reroll_opposes"] <= kpis["pass_share_attacker_opposes"]
    assert kpis["pass_share_reroll_supports"] >= kpis["pass_share_attacker_supports"]


def test_sweep_analysis_runs_a_small_sweep_and_finds_the_deciding_parameter(tmp_path: Path) -> None:
    import yaml

    sweep = tmp_path / "lhs.yaml"  # 12 points: the notebook's default file has 40
    sweep.write_text(
        yaml.safe_dump(
            {
                "name": "lhs",
                "base": str(NOTEBOOKS.parent / "params" / "baseline.yaml"),
                "overrides": {"agents.sequencers.initial": 50},
                "sample": {"n": 12, "bounds": {"agents.provers.failure_probability": [0.0, 0.3]}},
            }
        )
    )
    parameters = {"sweep_file": str(sweep), "slots": 144, "runs": 2}
    executed = execute_notebook(NOTEBOOKS / "10_sweep_analysis.py", parameters)
    assert executed.ok, executed.error
    assert not [o for c in executed.notebook.cells for o in c.get("outputs", []) if o.get("name") == "stderr"]
    check_report(executed, "10_sweep_analysis")
    kpis = executed.kpis
    assert kpis["points"] == 12 and 0 < kpis["points_passing"] < 12
    assert kpis["deciding_parameter"] == "agents.provers.failure_probability"


def test_fee_mechanisms_share_demand_burn_as_specified_and_reach_the_base_fee_equilibrium() -> None:
    # 5 mechanisms + 1 equilibrium run + 5 x 2 demand points: 5 days each
    kpis = _run("07_fee_mechanisms", demand_rates=[0.05, 0.3], slots=720).kpis
    assert kpis["same_demand_across_mechanisms"] is True
    assert kpis["fees_burned_share_first_price"] == 0.0 and kpis["fees_burned_share_mev_burn"] == 0.0
    assert kpis["fees_burned_share_full_burn"] == pytest.approx(1.0)
    assert 0.0 < kpis["fees_burned_share_base_fee_burn"] < 1.0
    # burning every fee can only lower the sequencers' return at the same demand and the same bids
    assert kpis["apr_sequencers_full_burn"] < kpis["apr_sequencers_first_price"]
    # EIP-1559 users pay the base fee, first-price users shade their bids: EIP-1559 leaves them less surplus
    assert kpis["user_surplus_base_fee_burn"] < kpis["user_surplus_first_price"]
    assert kpis["fee_cost_coverage_full_burn"] == 0.0
    assert kpis["best_surplus_at_top_demand"] in (
        "first_price",
        "full_burn",
        "mev_burn",
        "base_fee_burn",
        "cost_based",
    )
    simulated, expected = kpis["base_fee_equilibrium_simulated"], kpis["base_fee_equilibrium_theory"]
    assert expected > 0 and abs(simulated - expected) / expected < 0.1


def test_prover_market_commitments_fall_with_the_bond_and_the_agent_table_adds_up() -> None:
    kpis = _run(
        "08_prover_market_and_profitability", bonds=[100, 50000], prover_counts=[1, 10], cheap_costs=[5, 60]
    ).kpis
    # competition: more provers, a lower price, near the second-price closed form
    assert kpis["auction_price_most_provers"] < kpis["auction_price_one_prover"]
    assert kpis["auction_price_most_provers"] == pytest.approx(
        kpis["auction_theory_price_most_provers"], rel=0.15
    )
    assert kpis["share_negative_cheapest_cost"] > 0.5
    assert all(_is_number(kpis[f"apr_{role}"]) for role in ("sequencers", "provers", "relays", "backup"))
    assert kpis["commitments_never_rise_with_bond"] is True
    assert kpis["share_third_party_lowest_bond"] > kpis["share_third_party_highest_bond"]
    assert kpis["agent_table_adds_up"] is True
    # self-proving takes slots from third-party provers
    assert kpis["share_third_party_self_prove_when_able"] < kpis["share_third_party_cheapest"]
    assert all(
        _is_share(kpis[f"share_backup_{s}"]) for s in ("cheapest", "most_reliable", "self_prove_when_able")
    )


def test_confirmation_stages_are_ordered_and_finality_adds_its_l1_blocks() -> None:
    kpis = _run("09_confirmation_times", demand_rates=[0.05, 0.25]).kpis
    assert kpis["confirmation_stages_ordered"] is True
    assert kpis["finality_gap_minutes"] == pytest.approx(kpis["finality_theory_minutes"], abs=0.5)
    assert kpis["p99_finality_high_demand"] > kpis["p99_finality_low_demand"]


def test_phase_lengths_match_the_deadline_and_censorship_closed_forms() -> None:
    slots = 720  # 12 simulations of 5 days x 3 runs
    kpis = _run(
        "13_phase_lengths",
        slots=slots,
        proving_phases=[1, 6],
        slot_lengths=[20, 50],
        deadline_windows=[6, 25],
        decays=[0.0, 0.04],
        proposal_phases=[1, 5],
        backup_builder_shares=[0.9],
        backup_phases=[1, 4],
    ).kpis
    assert all(_is_number(v) for k, v in kpis.items() if not k.startswith("_"))
    n = slots * SMALL_NOTEBOOK_PARAMETERS["runs"]
    params = load_params(
        overrides={
            **analysis.DEADLINE_SETTING,
            "environment.demand.tx_per_second": 1.0,
            "agents.sequencers.initial": 200,
        }
    )

    def close(simulated: float, expected: float, trials: float) -> bool:
        return abs(simulated - expected) <= theory.proportion_tolerance(expected, int(trials))

    # 1. a 1-block proving phase leaves the prover 120 s for a 120 s median proof: half the proofs are late
    assert kpis["proving_phase_shortest"] == 1.0
    assert kpis["theory_share_proof_late_shortest"] == pytest.approx(0.5)
    assert kpis["proofs_shortest"] == n  # every slot is committed when provers take the risk at no price
    assert close(kpis["share_proof_late_shortest"], 0.5, kpis["proofs_shortest"])
    assert close(kpis["share_happy_shortest_proving"], kpis["theory_share_happy_shortest_proving"], n)
    assert kpis["proving_points_agreeing"] == 1.0
    assert kpis["shortest_proving_phase_for_target"] == analysis.shortest_proving_phase(params, 0.01) == 12
    assert kpis["finalized_per_day_shortest_proving"] > kpis["finalized_per_day_longest_proving"]
    # 2. the slot length, phases scaled
    short = params.with_overrides(analysis.scaled_phase_overrides(params, 20))
    expected = analysis.expected_deadlines(short)
    assert kpis["theory_share_happy_shortest_slot"] == pytest.approx(expected["theory_share_happy"])
    assert close(kpis["share_happy_shortest_slot"], expected["theory_share_happy"], n)
    per_day = short.protocol.slots_per_day
    skipped = expected["theory_share_skipped"]
    assert abs(kpis["finalized_per_day_shortest_slot"] - expected["theory_finalized_per_day"]) <= (
        per_day * theory.proportion_tolerance(skipped, n)
    )
    assert kpis["slot_points_agreeing"] == 1.0
    assert kpis["finalized_per_day_longest_slot"] == pytest.approx(PARAMS.protocol.slots_per_day)
    # 3. an enforced short deadline: provers charge for the bond at risk and often decline; a decaying reward
    # raises prices, cuts issuance and leaves the proofs' timing alone
    assert kpis["price_enforced_tightest"] > 10 * max(kpis["price_enforced_widest"], 1.0)
    assert kpis["commitments_enforced_tightest"] < 1.0
    assert kpis["share_happy_enforced_tightest"] < kpis["share_happy_enforced_widest"] == 1.0
    assert kpis["issuance_enforced_widest"] == pytest.approx(PARAMS.protocol.block_reward * 144 * 365)
    assert kpis["issuance_decay_widest"] < kpis["issuance_enforced_widest"]
    assert kpis["price_decay_widest"] >= kpis["price_enforced_widest"]
    assert kpis["share_happy_decay_widest"] == 1.0
    assert kpis["finalization_minutes_decay_widest"] == pytest.approx(
        kpis["finalization_minutes_enforced_widest"]
    )
    # 4. a longer proposal phase against censoring builders: c^P
    c = kpis["censoring_builder_share"]
    assert kpis["theory_share_proposal_censored_shortest"] == pytest.approx(c)
    assert kpis["theory_share_proposal_censored_longest"] == pytest.approx(c**5)
    for key in ("shortest", "longest"):
        assert close(kpis[f"share_proposal_censored_{key}"], kpis[f"theory_share_proposal_censored_{key}"], n)
    assert close(kpis["share_happy_longest_proposal"], kpis["theory_share_happy_longest_proposal"], n)
    assert kpis["proposal_points_agreeing"] == 1.0
    # 5. censored backup submissions: (1 - q)^K + (1 - (1 - q)^K) c^B
    b = PARAMS.agents.backup
    assert kpis["backup_builder_share_max"] == 0.9
    assert kpis["theory_backup_skip_shortest"] == pytest.approx(
        theory.backup_skip_probability(b.count, 0.3, 0.9, 1)
    )
    assert kpis["theory_backup_skip_longest"] == pytest.approx(
        theory.backup_skip_probability(b.count, 0.3, 0.9, 4)
    )
    assert kpis["theory_backup_skip_uncensored"] == pytest.approx(0.7**5)
    assert kpis["backup_slots_shortest"] == n  # no prover: every slot goes to backup
    for key in ("shortest", "longest"):
        assert close(kpis[f"share_skipped_in_backup_{key}"], kpis[f"theory_backup_skip_{key}"], n)
    assert kpis["backup_points_agreeing"] == 1.0


def test_sensitivity_screens_then_ranks_and_the_control_parameter_has_no_effect() -> None:
    # 2 Morris trajectories of 10 points, then a Sobol' design of 8 x 4 points, 8 hours each: a fast, coarse run
    kpis = _run("11_sensitivity", slots=48, runs=2, trajectories=2, keep=2, sobol_n=8).kpis
    assert kpis["screened_parameters"] == 9
    assert (
        kpis["control_mu_star"] == 0.0
    )  # common random numbers: a parameter a KPI ignores moves it not at all
    kept = kpis["kept_parameters"]
    assert len(kept) == 2 and "governance.ramp_days" not in kept
    assert kpis["morris_top_attacker_net_gain"] == "attacks.randao.l1_proposer_share"
    for kpi in ("share_backup", "gap_mean_minutes", "apr_sequencers", "attacker_net_gain"):
        assert kpis[f"sobol_top_{kpi}"] in kept and _is_number(kpis[f"sobol_st_top_{kpi}"])
    assert 0 <= kpis["stages_agree"] <= 4


def test_mechanism_search_chooses_a_feasible_design_on_the_pareto_front() -> None:
    # one NSGA-II generation of 10 trials of 3 runs x 2 days
    kpis = _run("12_mechanism_search", slots=288, runs=3, trials=10).kpis
    assert kpis["trials"] == 10 and kpis["status"] == "ok"
    assert 1 <= kpis["pareto"] <= kpis["feasible"] <= 10
    assert 20.0 <= kpis["chosen_protocol.block_reward"] <= 200.0
    assert _is_share(kpis["chosen_share_happy"]) and kpis["chosen_issuance_per_year"] > 0
    assert kpis["chosen_apr_sequencers_ci_low"] >= 0.0  # the study's constraint holds for the chosen design


def test_explorer_runs_without_a_browser_and_its_report_shows_the_starting_point() -> None:
    executed = _run("20_explorer", slots=144, keys=100)
    kpis = executed.kpis
    assert _is_share(kpis["share_happy"]) and _is_share(kpis["share_third_party_commitments"])
    html = render_html(executed)
    assert "Interactive controls: they need a running kernel" in html  # the widget view, replaced
    assert "unpkg" not in html and "widget-state" not in html  # no widget manager from a CDN


def test_papermill_command_line_overrides_may_be_yaml_text(tmp_path: Path) -> None:
    import subprocess
    import sys

    import jupytext
    import nbformat

    from aztec_econ.publish.reports import ensure_kernel

    ensure_kernel()
    source = tmp_path / "09.ipynb"
    nbformat.write(jupytext.read(NOTEBOOKS / "09_confirmation_times.py"), str(source))
    out = tmp_path / "out.ipynb"
    command = [sys.executable, "-m", "papermill", str(source), str(out), "--cwd", str(NOTEBOOKS.parent)]
    command += [
        "-p",
        "overrides",
        "{agents.provers.count: 5}",
        "-p",
        "slots",
        "144",
        "-y",
        "demand_rates: [30, 60]",
    ]
    result = subprocess.run(command, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-2000:]
    assert read_glued(out)[PARAMS_GLUE]["agents.provers.count"] == 5  # papermill passed the mapping as text


def test_participation_stops_at_high_gas_and_free_entry_matches_its_closed_form() -> None:
    kpis = _run(
        "14_participation_and_free_entry", slots=288, gas_prices=[20, 200], block_rewards=[100, 200]
    ).kpis
    assert all(_is_number(v) for k, v in kpis.items() if not k.startswith("_") and not math.isnan(v))
    assert kpis["proposals_lowest_gas"] > 2.5 and kpis["proposals_highest_gas"] < 0.05
    assert kpis["gas_proposing_stops"] == 200.0
    assert kpis["free_entry_largest_gap"] < 0.02
