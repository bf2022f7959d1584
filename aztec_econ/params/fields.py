"""What every parameter group shares: the pydantic base model, the field helper and tree validation.

- `Group`: the base of every section; frozen, strict, unknown keys rejected.
- `field`: a pydantic field whose description carries its unit and its source (a section of
  `shared/spec/block-production.md`, or "assumption" where the spec leaves the value open; see
  `shared/spec/NOTES.md`).
- `validate_tree`: validate a raw tree into a model, collecting every problem into one `ParamsError` whose lines name
  the field, the value and the rule.
- `number_problem`: the rules every number of every group obeys besides its own bounds (`Group` checks them on every
  field): finite (no `.inf`, `.nan`); at most `MAX_COUNT` in magnitude for an integer and `MAX_AMOUNT` for a real
  number unless the field sets its own upper bound; a real number the field requires to be positive (`gt=0`) at
  least `MIN_POSITIVE` (smaller ones overflow what is divided by them); a text at most `MAX_TEXT` characters.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Iterator, Mapping
from typing import Any, TypeVar

import annotated_types
from pydantic import BaseModel, ConfigDict, Field, ValidationError, ValidationInfo, field_validator

from aztec_econ.params.dotted import lookup
from aztec_econ.params.errors import ParamsError, show_value

M = TypeVar("M", bound=BaseModel)

MAX_COUNT = 10**9
"""Largest magnitude of an integer parameter without an upper bound of its own (slots, keys, L1 blocks, counts);
whether a run of that size fits in memory is checked before it starts (`aztec_econ.simulation.memory_problems`)."""
MAX_AMOUNT = 1e15
"""Largest magnitude of a real parameter without an upper bound of its own (tokens, gas, gwei, days): sums of such
amounts over a long horizon stay finite and exact to well under a token."""
MIN_POSITIVE = 1e-12
"""Smallest value of a real parameter that must be positive (`gt=0`): block time, sizes, prices, rates."""
MAX_TEXT = 4096
"""Longest text parameter (a file path) [characters]."""


class Group(BaseModel):
    """Base of every parameter group: frozen, strict types, unknown keys rejected; every number finite and bounded
    (`number_problem`)."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    @field_validator("*", mode="before")
    @classmethod
    def _sane_number(cls, value: Any, info: ValidationInfo) -> Any:
        field_info = cls.model_fields.get(info.field_name or "")
        if field_info is None:
            return value
        problem = number_problem(value, field_info.metadata, integer=field_info.annotation is int)
        if problem:
            raise ValueError(problem)
        return value


def number_problem(value: Any, constraints: Any = (), *, integer: bool = False) -> str | None:
    """Why `value` breaks the generic rules of a parameter (see the module docstring), or None. `constraints` are
    the field's own (pydantic metadata: `Gt`, `Le`, ...): a field's own upper bound replaces the generic one;
    `integer`: the field is an integer. Lists are checked element by element."""
    if isinstance(value, list | tuple):
        for item in value:
            problem = number_problem(item, constraints, integer=integer)
            if problem:
                return f"every element {problem}"
        return None
    if isinstance(value, str):
        return f"must be at most {MAX_TEXT:,} characters" if len(value) > MAX_TEXT else None
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    if isinstance(value, float) and not math.isfinite(value):
        return "must be a finite number"
    own = list(constraints)
    if any(isinstance(c, annotated_types.Le | annotated_types.Lt) for c in own):
        return None
    if integer and abs(value) > MAX_COUNT:
        return f"must be at most {MAX_COUNT:,} in magnitude (the bound of every integer parameter)"
    if abs(value) > MAX_AMOUNT:
        return f"must be at most {MAX_AMOUNT:g} in magnitude (the bound of every real parameter)"
    positive = any(isinstance(c, annotated_types.Gt) and c.gt == 0 for c in own)
    if positive and isinstance(value, float) and 0 < value < MIN_POSITIVE:
        return f"must be at least {MIN_POSITIVE:g} (the smallest positive real parameter)"
    return None


def field(default: Any = ..., *, unit: str, source: str, doc: str, **constraints: Any) -> Any:
    """A pydantic field whose description carries the unit and the source (spec section or 'assumption')."""
    return Field(
        default,
        description=f"{doc} [{unit}; source: {source}]",
        json_schema_extra={"unit": unit, "source": source},
        **constraints,
    )


def validate_tree(model: type[M], tree: Mapping[str, Any], origin: str = "parameters") -> M:
    """Validate a raw tree into `model`, collecting every problem into one `ParamsError`.

    Unknown keys are reported first (with the nearest known name as a hint); then pydantic's errors, each rewritten as
    `dotted.name = value: rule`.
    """
    problems = list(_unknown_key_problems(tree, model))
    if problems:
        raise ParamsError(problems, origin)
    try:
        return model.model_validate(tree)
    except ValidationError as err:
        raise ParamsError([_describe(e, tree) for e in err.errors()], origin) from None


RENAMED: dict[str, str] = {
    "environment.demand.tx_rate_per_slot": "environment.demand.tx_per_second (transactions per second)",
    "environment.demand.shock_probability": "environment.demand.shocks_per_day (demand shocks per day)",
    "environment.demand.shock_slots": "environment.demand.shock_hours (hours a demand shock lasts)",
    "environment.demand.expiry_slots": "environment.demand.expiry_minutes (minutes until a transaction expires)",
    "environment.l1.volatility": "environment.l1.volatility_per_hour (log-price standard deviation per hour)",
    "environment.l1.reversion": "environment.l1.reversion_per_hour (mean-reversion rate per hour)",
    "environment.l1.shock_probability": "environment.l1.shocks_per_day (price shocks per day)",
    "environment.l1.shock_slots": "environment.l1.shock_hours (hours a price shock lasts)",
    "agents.sequencers.operating_cost_per_day": (
        "agents.operators.hardware_cost_per_key_per_day (ETH/day per eligible key) and "
        "agents.operators.fixed_cost_per_day (ETH/day per operator): operators own the keys"
    ),
}
"""Parameters that were renamed: old name -> new. Issue 12 moved exogenous processes to physical time (per second,
day or hour instead of per slot); issue 13 split the sequencers' operating cost between keys and operators."""

MOVED: dict[str, str] = {
    "environment.l1.eth_per_token": "environment.token.eth_per_token (the token price is a process, "
    "`environment.token.process`)",
    "agents.sequencers.target_apr": "environment.reservation_yield (share/year: the return capital earns "
    "elsewhere; profit-driven entry and exit aim at it)",
    "agents.provers.margin": "nothing: removed, prover prices come from a second-price auction (`prover_market`); "
    "competition sets the mark-up",
}
"""Parameters that were moved or removed (issue 13): old name -> what to use instead."""


def _unknown_key_problems(tree: Any, model: type[BaseModel], prefix: str = "") -> Iterator[str]:
    if not isinstance(tree, Mapping):
        return
    fields = model.model_fields
    for key, value in tree.items():
        if f"{prefix}{key}" in RENAMED:
            yield (f"{prefix}{key} = {show_value(value)}: renamed: use {RENAMED[f'{prefix}{key}']}")
            continue
        if f"{prefix}{key}" in MOVED:
            yield f"{prefix}{key} = {show_value(value)}: moved or removed: use {MOVED[f'{prefix}{key}']}"
            continue
        if key not in fields:
            hint = difflib.get_close_matches(str(key), list(fields), n=1, cutoff=0.6)
            suggestion = f" (did you mean '{prefix}{hint[0]}'?)" if hint else f" (known: {', '.join(fields)})"
            yield f"{prefix}{key} = {show_value(value)}: unknown parameter{suggestion}"
            continue
        sub = fields[key].annotation
        if isinstance(sub, type) and issubclass(sub, BaseModel):
            yield from _unknown_key_problems(value, sub, f"{prefix}{key}.")


def _describe(error: Mapping[str, Any], tree: Mapping[str, Any]) -> str:
    loc = ".".join(str(part) for part in error.get("loc", ()))
    message = str(error.get("msg", "invalid")).removeprefix("Value error, ")
    if not loc:  # model-level rule: the message already names field and value
        return message
    if error.get("type") == "missing":
        return f"{loc}: missing (every parameter must be set; see params/baseline.yaml)"
    return f"{loc} = {show_value(error.get('input', lookup(tree, loc)))}: {message}"
