"""Dotted parameter names (`protocol.reward_split.prover`) over nested parameter trees.

Shared by parameter files (`base:` chains, `--set` overrides) and sweep files (axes and overrides): `flatten` turns a
tree into dotted names, `apply_dotted` writes dotted names into a tree, `deep_merge` lays one tree over another and
`lookup` reads one dotted name.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterator, Mapping
from typing import Any

from aztec_econ.params.errors import ParamsError, show_value


def flatten(tree: Mapping[str, Any], prefix: str = "") -> Iterator[tuple[str, Any]]:
    """(dotted name, value) of every leaf of a nested mapping, in order; `prefix` is put before every name."""
    for key, value in tree.items():
        if isinstance(value, Mapping):
            yield from flatten(value, f"{prefix}{key}.")
        else:
            yield f"{prefix}{key}", value


def apply_dotted(tree: dict[str, Any], overrides: Mapping[str, Any]) -> None:
    """Set each dotted name of `overrides` in `tree`, in place.

    Every group on a name's path must already be a mapping in `tree` (the leaf itself may be new: unknown leaves are
    caught when the tree is validated). Raises one `ParamsError` (origin "overrides") listing every name whose path
    is not a parameter group, with the nearest group as a hint.
    """
    problems = []
    for dotted, value in overrides.items():
        parts = dotted.split(".")
        node = tree
        for i, part in enumerate(parts[:-1]):
            child = node.get(part)
            if not isinstance(child, dict):
                where = ".".join(parts[: i + 1])
                hint = difflib.get_close_matches(
                    part, [k for k, v in node.items() if isinstance(v, dict)], n=1
                )
                problems.append(
                    f"{dotted} = {show_value(value)}: '{where}' is not a parameter group"
                    + (f" (did you mean '{'.'.join([*parts[:i], hint[0]])}'?)" if hint else "")
                )
                break
            node = child
        else:
            node[parts[-1]] = value
    if problems:
        raise ParamsError(problems, "overrides")


def deep_merge(target: dict[str, Any], source: Mapping[str, Any]) -> None:
    """Lay `source` over `target`, in place: mappings merge key by key, anything else replaces."""
    for key, value in source.items():
        if isinstance(value, Mapping) and isinstance(target.get(key), dict):
            deep_merge(target[key], value)
        else:
            target[key] = value


def lookup(tree: Mapping[str, Any], dotted: str) -> Any:
    """The value at a dotted name of a nested mapping, or None where the path does not exist."""
    node: Any = tree
    for part in dotted.split("."):
        if not isinstance(node, Mapping) or part not in node:
            return None
        node = node[part]
    return node
