"""The parameter model: one frozen, validated structure for everything a simulation depends on.

Every field carries its unit and its source (a section of `shared/spec/block-production.md`, or "assumption" where the
spec leaves the value open; see `shared/spec/NOTES.md`). Values live in `params/baseline.yaml`; other files extend it
with `base: baseline.yaml` and override what they change. Bad input fails before anything runs with a message naming
the field, the value and the rule (`ParamsError`).

Groups: `sim` (horizon, runs, seed), `protocol` (what governance chooses), `environment` (exogenous), `agents`
(behaviour of sequencers, provers, relays and backup builders), `attacks` (adversaries), `governance` (upgrade votes).

Modules, by job (import from here; nothing here imports the model):
- `fields`: the base model of every group, the `field` helper (unit, source) and tree validation;
- `errors`: `ParamsError`, `show_value`;  `dotted`: dotted names over trees (`flatten`, `apply_dotted`, ...);
- `sim`, `protocol`, `environment`, `agents`, `attacks`, `governance`: one per section of the schema;
- `root`: the top-level `Params` and the rules that relate sections;
- `loading`: YAML files with `base:` chains (UTF-8, duplicate keys rejected), overrides, `load_params` /
  `parse_params`;
- `docs`: `describe_fields`, `assumptions`, ASSUMPTIONS.md and the JSON Schema;  `units`: unit aliases for hints.
"""

from aztec_econ.params.agents import Agents, BackupBuilders, Operators, Provers, Relays, Sequencers
from aztec_econ.params.attacks import Attacks, CensorshipAttack, RandaoAttack
from aztec_econ.params.docs import (
    assumptions,
    assumptions_markdown,
    describe_fields,
    field_infos,
    json_schema,
)
from aztec_econ.params.dotted import apply_dotted, deep_merge, flatten, lookup
from aztec_econ.params.environment import L1, Demand, Environment
from aztec_econ.params.errors import ParamsError, show_value
from aztec_econ.params.fields import Group, field, validate_tree
from aztec_econ.params.governance import Governance
from aztec_econ.params.loading import (
    BASELINE,
    PROJECT_ROOT,
    load_params,
    load_tree,
    parse_override,
    parse_params,
    parse_yaml,
    read_yaml_file,
    yaml_problem,
)
from aztec_econ.params.protocol import SECONDS_PER_DAY, BaseFee, L1Gas, Protocol, RewardSplit, Variants
from aztec_econ.params.root import Params
from aztec_econ.params.sim import Sim

__all__ = [
    "BASELINE",
    "L1",
    "PROJECT_ROOT",
    "SECONDS_PER_DAY",
    "Agents",
    "Attacks",
    "BackupBuilders",
    "BaseFee",
    "CensorshipAttack",
    "Demand",
    "Environment",
    "Governance",
    "Group",
    "L1Gas",
    "Operators",
    "Params",
    "ParamsError",
    "Protocol",
    "Provers",
    "RandaoAttack",
    "Relays",
    "RewardSplit",
    "Sequencers",
    "Sim",
    "Variants",
    "apply_dotted",
    "assumptions",
    "assumptions_markdown",
    "deep_merge",
    "describe_fields",
    "field",
    "field_infos",
    "flatten",
    "json_schema",
    "load_params",
    "load_tree",
    "lookup",
    "parse_override",
    "parse_params",
    "parse_yaml",
    "read_yaml_file",
    "show_value",
    "validate_tree",
    "yaml_problem",
]
