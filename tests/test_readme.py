"""The README points at files that exist and lists every notebook (the style guide: no pointers to missing files)."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text()


def test_every_file_the_readme_names_exists() -> None:
    named = set(
        re.findall(r"(?<![\w/.])((?:params|notebooks|docs|benchmarks)/[\w./-]+\.(?:yaml|py|md))", README)
    )
    assert named, "the README names no files?"
    placeholders = re.compile(r"[A-Z]{2}")  # notebooks/NN_topic.py is a pattern, not a file
    missing = sorted(p for p in named if not placeholders.search(p) and not (ROOT / p).exists())
    assert missing == []


def test_the_readme_lists_every_notebook() -> None:
    listed = set(re.findall(r"^\| `(\d\d_\w+)` \|", README, flags=re.MULTILINE))
    assert listed == {p.stem for p in (ROOT / "notebooks").glob("*.py")}
