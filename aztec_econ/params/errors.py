"""The error of the parameter layer, `ParamsError`, and how a value is shown in its messages."""

from __future__ import annotations

from typing import Any


class ParamsError(ValueError):
    """Invalid parameters: each line names the field, the value and the rule it breaks."""

    def __init__(self, problems: list[str], origin: str = "parameters") -> None:
        self.problems = problems
        super().__init__(f"invalid {origin}:\n" + "\n".join(f"  - {p}" for p in problems))


def show_value(value: Any) -> str:
    """A value as a problem message shows it: its `repr`, cut to 60 characters (`name = value: rule`)."""
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."
