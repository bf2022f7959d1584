"""Reading parameters: YAML files with `base:` inheritance, dotted overrides, validation into `Params`.

Values live in `params/baseline.yaml`; other files extend it with `base: baseline.yaml` and override what they change.
Bad input fails before anything runs with a `ParamsError` naming the field, the value and the rule.

Files are read as UTF-8 (`aztec_econ.files.read_text`) with a strict YAML reader (`parse_yaml`): a key given twice in
one mapping is an error, not a silent overwrite. Errors about a file name the file, the line and the rule, never
its contents: a YAML error gives its position and the problem, not the offending line, and a top-level key that is
not a parameter section is named without its value (a `base:` pointing at some other file shows nothing of it).
"""

from __future__ import annotations

import difflib
from collections.abc import Hashable, Mapping
from pathlib import Path
from typing import Any

import yaml

from aztec_econ.files import InputFileError, read_text
from aztec_econ.params.dotted import apply_dotted, deep_merge
from aztec_econ.params.errors import ParamsError
from aztec_econ.params.fields import validate_tree
from aztec_econ.params.root import Params

PROJECT_ROOT = Path(__file__).resolve().parents[2]
BASELINE = PROJECT_ROOT / "params" / "baseline.yaml"


class DuplicateKeyError(yaml.MarkedYAMLError):
    """A key appears twice in one YAML mapping."""


class _StrictLoader(yaml.SafeLoader):
    """`yaml.SafeLoader` that rejects a key given twice in one mapping (merge keys `<<` may still be overridden)."""


def _construct_mapping(loader: yaml.SafeLoader, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
    seen: dict[Any, int] = {}
    for key_node, _ in node.value:
        if key_node.tag == "tag:yaml.org,2002:merge":
            continue
        key = loader.construct_object(key_node, deep=True)
        if not isinstance(key, Hashable):
            continue  # SafeLoader reports unhashable keys itself
        if key in seen:
            raise DuplicateKeyError(
                problem=f"key {str(key)[:60]!r} appears twice in this mapping (first on line {seen[key]})",
                problem_mark=key_node.start_mark,
            )
        seen[key] = key_node.start_mark.line + 1
    return yaml.SafeLoader.construct_mapping(loader, node, deep=deep)


_StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def parse_yaml(text: str) -> Any:
    """YAML text as Python data (safe types only); a key given twice in one mapping raises `yaml.YAMLError`."""
    return yaml.load(text, Loader=_StrictLoader)


def yaml_problem(err: yaml.YAMLError) -> str:
    """A YAML error as a problem line: its position and what is wrong, without quoting the text."""
    if isinstance(err, yaml.MarkedYAMLError):
        mark = err.problem_mark or err.context_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark is not None else ""
        what = err.problem or err.context or "invalid YAML"
        return f"not valid YAML ({where}{what})"
    return "not valid YAML"


def read_yaml_file(
    path: str | Path, origin: str | None = None, error: type[ParamsError] = ParamsError
) -> Any:
    """The data of a YAML file, read as UTF-8 with the strict reader; problems raise `error` naming the file."""
    origin = origin or str(path)
    try:
        text = read_text(path)
    except InputFileError as err:
        raise error([str(err)], origin) from None
    try:
        return parse_yaml(text)
    except yaml.YAMLError as err:
        raise error([f"file {path}: {yaml_problem(err)}"], origin) from None


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
    data = read_yaml_file(path) or {}
    if not isinstance(data, dict):
        raise ParamsError(
            [f"file {path}: the top level must be a mapping, not {type(data).__name__}"], origin=str(path)
        )
    unknown = [key for key in data if key != "base" and key not in Params.model_fields]
    if unknown:
        raise ParamsError([_unknown_section(path, key) for key in unknown], origin=str(path))
    base = data.pop("base", None)
    if base is None:
        return data
    if not isinstance(base, str):
        raise ParamsError([f"file {path}: base: must be a file name (a text)"], origin=str(path))
    merged = load_tree(path.parent / base, (*_seen, path))
    deep_merge(merged, data)
    return merged


def _unknown_section(path: Path, key: Any) -> str:
    """A top-level key of a parameter file that is no section, named without its value."""
    sections = list(Params.model_fields)
    hint = difflib.get_close_matches(str(key), sections, n=1, cutoff=0.6)
    known = f"did you mean '{hint[0]}'?" if hint else f"known: base, {', '.join(sections)}"
    return f"file {path}: {str(key)[:60]!r}: not a parameter section ({known}; values are not shown)"


def parse_params(tree: Mapping[str, Any], origin: str = "parameters") -> Params:
    """Validate a parameter tree into `Params`, collecting every problem into one `ParamsError`."""
    return validate_tree(Params, tree, origin)


def parse_override(text: str) -> tuple[str, Any]:
    """Parse a CLI override `dotted.name=value`; the value is read as YAML (numbers, booleans, lists)."""
    if "=" not in text:
        raise ParamsError([f"--set {text[:60]!r}: expected dotted.name=value"])
    name, _, raw = text.partition("=")
    try:
        value = parse_yaml(raw) if raw.strip() else raw
    except yaml.YAMLError as err:
        if isinstance(err, DuplicateKeyError):
            raise ParamsError([f"--set {name.strip()}: {yaml_problem(err)}"]) from None
        value = raw
    return name.strip(), value
