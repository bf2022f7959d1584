"""Reading parameters: YAML files with `base:` inheritance, dotted overrides, validation into `Params`.

Values live in `params/baseline.yaml`; other files extend it with `base: baseline.yaml` and override what they change.
Bad input fails before anything runs with a `ParamsError` naming the field, the value and the rule.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from aztec_econ.params.dotted import apply_dotted, deep_merge
from aztec_econ.params.errors import ParamsError
from aztec_econ.params.fields import validate_tree
from aztec_econ.params.root import Params

PROJECT_ROOT = Path(__file__).resolve().parents[2]
BASELINE = PROJECT_ROOT / "params" / "baseline.yaml"


def load_params(path: str | Path = BASELINE, overrides: Mapping[str, Any] | None = None) -> Params:
    """Load a YAML parameter file (following `base:` chains), apply dotted overrides, validate.

    `overrides` maps dotted names to values, e.g. `{"protocol.prover_bond": 20}`.
    """
    tree = load_tree(path)
    if overrides:
        apply_dotted(tree, overrides)
    return parse_params(tree, origin=str(path))


def load_tree(path: str | Path, _seen: tuple[Path, ...] = ()) -> dict[str, Any]:
    """The raw parameter tree of a YAML file with its `base:` chain merged (the file wins over its base)."""
    path = Path(path).resolve()
    if path in _seen:
        chain = " -> ".join(str(p) for p in (*_seen, path))
        raise ParamsError([f"base: circular inheritance ({chain})"], origin=str(path))
    if not path.is_file():
        raise ParamsError([f"file {path}: does not exist"], origin=str(path))
    try:
        data = yaml.safe_load(path.read_text()) or {}
    except yaml.YAMLError as err:
        raise ParamsError([f"file {path}: not valid YAML ({err})"], origin=str(path)) from err
    if not isinstance(data, dict):
        raise ParamsError(
            [f"file {path}: the top level must be a mapping, not {type(data).__name__}"], origin=str(path)
        )
    base = data.pop("base", None)
    if base is None:
        return data
    if not isinstance(base, str):
        raise ParamsError([f"base = {base!r}: must be a file name"], origin=str(path))
    merged = load_tree(path.parent / base, (*_seen, path))
    deep_merge(merged, data)
    return merged


def parse_params(tree: Mapping[str, Any], origin: str = "parameters") -> Params:
    """Validate a parameter tree into `Params`, collecting every problem into one `ParamsError`."""
    return validate_tree(Params, tree, origin)


def parse_override(text: str) -> tuple[str, Any]:
    """Parse a CLI override `dotted.name=value`; the value is read as YAML (numbers, booleans, lists)."""
    if "=" not in text:
        raise ParamsError([f"--set {text!r}: expected dotted.name=value"])
    name, _, raw = text.partition("=")
    try:
        value = yaml.safe_load(raw) if raw.strip() else raw
    except yaml.YAMLError:
        value = raw
    return name.strip(), value
