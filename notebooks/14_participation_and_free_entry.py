# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.6
#   kernelspec:
#     display_name: Python (aztec-econ)
#     language: python
#     name: aztec-econ
# ---

# %% [markdown]
# # Participation and the free-entry equilibrium
#
# ## Question
# How do participation and the number of sequencer keys respond to the L1 gas price and the block reward, when
# every role decides from what it can know at that moment?
#
# Every role decides from what it can know at that moment (issue 13): a top-ranked key sends its proposal only
# if its chance of winning times the block's expected value to it (net of the prover's price, times the chance the
# slot ends happy) covers the proposal's L1 gas; a backup builder gets ready only if the backup reward plus the fees
# it keeps cover its proving compute and gas; a relay submits only when the submitter's share covers the
# verification gas. This notebook measures proposals, backup blocks and relayed proofs against the L1 gas price, then
# the free-entry count of sequencer keys (where a key's APR equals the reservation yield) against the block reward:
# the simulated solver (`aztec_econ.equilibrium.free_entry`), the closed form `theory.free_entry_count` and the
# dynamic profit-driven entry.

# %% tags=["parameters"]
params_file = None  # parameter file; None: params/baseline.yaml
overrides = {}  # dotted overrides, applied last
slots = 432  # horizon [slots] per gas point: 3 days of ten-minute slots
runs = 3  # Monte Carlo runs per point
seed = None  # root seed; None: the parameter file's
keys = 200  # initial sequencer keys of the gas sweep
gas_prices = [10, 20, 50, 100, 200, 1000]  # steady L1 gas prices swept [gwei]
block_rewards = [50, 100, 200]  # block rewards of the free-entry analysis [tokens]
entry_stake = 1_000_000  # minimum stake of the free-entry analysis [tokens]: few keys keep it fast
entry_slots = 144  # horizon of each solver evaluation [slots]
dynamic_days = 0  # days of the dynamic entry run at the middle reward (0: skipped)

# %% [markdown]
# ## Assumptions
# Parameters whose values the spec leaves open, as used in this run. Every participation rule and the reservation
# yield are assumptions (see `model/mechanisms/participation.py` and ASSUMPTIONS.md).

# %%
from aztec_econ.publish.notebook import answer, as_overrides, assumptions_table, md, pct, setup  # first: plotting set-up
import numpy as np
import pandas as pd
from aztec_econ.analysis import theory
from aztec_econ.equilibrium import free_entry
from aztec_econ.model.mechanisms import prover_market
from aztec_econ.publish import plots
from aztec_econ.publish.glue import glue
from aztec_econ.simulation import simulate

params = setup(
    params_file, {"agents.sequencers.initial": keys, **as_overrides(overrides)}, slots=slots, runs=runs, seed=seed
)
assumptions_table(params)

# %% [markdown]
# ## 1. Participation against the L1 gas price
# Each point is a simulation with a steady gas price (common random numbers: the same seed).

# %%
rows = []
for gas in gas_prices:
    f = simulate(
        params.with_overrides({"environment.l1.process": "steady", "environment.l1.gas_price": float(gas)})
    ).frame
    rows.append(
        {
            "gas": float(gas),
            "proposals": float(f["proposals"].mean()),
            "share_happy": float((f["mode"] == "happy").mean()),
            "share_backup": float((f["mode"] == "backup").mean()),
            "share_skipped": float((f["mode"] == "skipped").mean()),
            "share_relayed": float((f["submitter"] == "relay").mean()),
        }
    )
by_gas = pd.DataFrame(rows)
plots.sweep_lines(
    by_gas,
    "gas",
    {"proposals": "proposals per slot"},
    "Proposals per slot against the L1 gas price",
    "L1 gas price [gwei]",
    "proposals per slot",
    log_x=True,
)
plots.sweep_lines(
    by_gas,
    "gas",
    {
        "share_happy": "happy",
        "share_backup": "backup",
        "share_skipped": "skipped",
        "share_relayed": "relayed proofs",
    },
    "Slot outcomes and relayed proofs against the L1 gas price",
    "L1 gas price [gwei]",
    "share of slots",
    log_x=True,
)
by_gas

# %% [markdown]
# ### Interpretation

# %%
low, high = by_gas.iloc[0], by_gas.iloc[-1]
stop = by_gas[by_gas["proposals"] < 0.05]
md(
    f"At {low.gas:g} gwei keys send {low.proposals:.2f} proposals per slot; at {high.gas:g} gwei {high.proposals:.2f}. "
    + (
        f"Proposing stops from {stop.gas.min():g} gwei: the block's value net of the prover's price no longer "
        "covers the proposal's gas, and the slot goes to backup, which pays only while the reward covers the "
        "backup builder's compute and gas."
        if len(stop)
        else "Proposing pays at every gas price swept."
    )
)
glue("proposals_lowest_gas", float(low.proposals), unit="proposals/slot", description="proposals per slot at the lowest gas price swept")
glue("proposals_highest_gas", float(high.proposals), unit="proposals/slot", description="proposals per slot at the highest gas price swept")
glue("gas_proposing_stops", float(stop.gas.min()) if len(stop) else float("nan"), unit="gwei",
     description="lowest gas price swept at which keys send (almost) no proposals")
glue("share_backup_highest_gas", float(high.share_backup), kpi="share_backup", qualifier="the highest gas price swept")

# %% [markdown]
# ## 2. Free entry of sequencer keys against the block reward
# Deterministic rewards (no demand, no failures, identical provers, negligible gas) so the closed form applies:
# N* = annual rewards to the keys / (stake x reservation yield + running cost per key per year).

# %%
DETERMINISTIC = {
    "sim.slots": entry_slots,
    "sim.runs": 2,
    "protocol.minimum_stake": float(entry_stake),
    "environment.circulating_supply": 1e10,
    "environment.demand.tx_per_second": 0.0,
    "environment.l1.process": "steady",
    "environment.l1.gas_price": 1e-6,
    "environment.l1.blob_price": 1e-6,
    "environment.l1.missed_block_probability": 0.0,
    "agents.provers.cost_spread": 0.0,
    "agents.provers.failure_probability": 0.0,
    "agents.provers.unavailable_probability": 0.0,
    "agents.provers.proving_time_log_sd": 0.0,
    "agents.relays.submission_share": 0.0,
    "agents.sequencers.offline_probability": 0.0,
    "agents.sequencers.self_prove_probability": 0.0,
    "agents.sequencers.reveal_failure_probability": 0.0,
    "agents.operators.outage_rate_per_day": 0.0,
    "agents.operators.fixed_cost_per_day": 0.0,
    "agents.operators.key_distribution": "equal",
    "agents.operators.count": 1,
    "agents.sequencers.initial": 20,
}
entry_rows = []
for reward in block_rewards:
    p = params.with_overrides({**DETERMINISTIC, "protocol.block_reward": float(reward)})
    eq = free_entry(p, "sequencers")
    price = prover_market.bids(p, np.array([p.environment.l1.gas_price])).price[0, 0]
    annual = (reward * p.protocol.reward_split.sequencer - price) * 365.0 * p.protocol.slots_per_day
    cost = p.agents.operators.hardware_cost_per_key_per_day * 365.0 / p.environment.token.eth_per_token
    closed = theory.free_entry_count(annual, p.protocol.minimum_stake, p.environment.reservation_yield, cost)
    entry_rows.append(
        {"reward": float(reward), "solver": eq.count, "closed_form": closed, "low": eq.low, "high": eq.high}
    )
entry = pd.DataFrame(entry_rows)
plots.sweep_lines(
    entry,
    "reward",
    {"solver": "solver (simulated APR = yield)"},
    "Free-entry count of sequencer keys against the block reward",
    "block reward [tokens]",
    "keys",
    theory={"closed form R / (K y + c)": (list(entry["reward"]), list(entry["closed_form"]))},
)
entry

# %%
if dynamic_days:
    mid = block_rewards[len(block_rewards) // 2]
    target = float(entry.loc[entry["reward"] == mid, "solver"].iloc[0])
    p = params.with_overrides(
        {
            **DETERMINISTIC,
            "protocol.block_reward": float(mid),
            "sim.slots": int(dynamic_days * params.protocol.slots_per_day),
            "agents.sequencers.initial": max(1, int(target // 2)),
            "agents.sequencers.profit_driven_entry_exit": True,
            "agents.sequencers.registrations_per_day": 3.0,
            "agents.sequencers.exits_per_day": 3.0,
        }
    )
    counts = simulate(p).frame.groupby("slot")["active_sequencers"].mean()
    late = float(counts.iloc[len(counts) * 3 // 5 :].mean())
    glue("dynamic_late_count", late, unit="keys", description="mean key count over the last 40% of the dynamic entry run")
    glue("dynamic_target", target, unit="keys", description="the solver's free-entry count the dynamic run aims at")
    md(
        f"Dynamic entry from {int(target // 2)} keys: mean count over the last 40% of {dynamic_days} days {late:.1f}, solver {target:.1f}."
    )

# %% [markdown]
# ### Interpretation

# %%
worst = float((entry["solver"] / entry["closed_form"] - 1).abs().max())
md(
    f"The solver's count grows with the block reward as the closed form does; the largest gap is {pct(worst, 2)}. "
    "A higher reward draws keys until each earns the reservation yield on its stake again: the reward buys "
    "participation (more keys, more decentralisation by count), not a higher return."
)
glue("free_entry_largest_gap", worst, unit="share", description="largest relative gap between the solver's and the closed form's free-entry count")
glue("free_entry_count_middle_reward", float(entry["solver"].iloc[len(entry) // 2]), unit="keys",
     description="free-entry count of sequencer keys at the middle block reward (solver)")

# %%
answer(
    f"Keys send {low.proposals:.2f} proposals per slot at {low.gas:g} gwei and {high.proposals:.2f} at {high.gas:g} "
    "gwei"
    + (f"; proposing stops from **{stop.gas.min():g} gwei**" if len(stop) else "")
    + f". The free-entry count of keys rises with the block reward as the closed form N* = R / (K y + c) says (largest "
    f"gap {pct(worst, 2)}): a higher reward buys more keys, not a higher return."
)
