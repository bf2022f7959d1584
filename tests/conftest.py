"""Shared fixtures: small, fast parameter sets built from the baseline; the baseline report; a real headless browser
and the checks every report page must pass in it (`report_problems`)."""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from aztec_econ.params import Params, load_params

SMALL: dict[str, Any] = {"sim.slots": 300, "sim.runs": 3, "agents.sequencers.initial": 200}


@pytest.fixture
def make_params() -> Callable[..., Params]:
    """Baseline parameters with small defaults, updated by keyword overrides written with '__' for '.'."""

    def make(**overrides: Any) -> Params:
        merged = dict(SMALL)
        merged.update({k.replace("__", "."): v for k, v in overrides.items()})
        return load_params(overrides=merged)

    return make


NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"
SMALL_NOTEBOOK_PARAMETERS: dict[str, Any] = {"slots": 1440, "runs": 3}
"""Small runs for notebook tests: 10 days x 3 runs (the notebooks' defaults take about 10 s each)."""


@pytest.fixture(scope="session")
def baseline_report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The baseline report (notebooks/01) built through the CLI with small parameters; returns the reports dir."""
    from aztec_econ.cli import main

    out = tmp_path_factory.mktemp("reports")
    argv = ["report", str(NOTEBOOKS / "01_baseline_network_health.py"), "--out", str(out)]
    for name, value in SMALL_NOTEBOOK_PARAMETERS.items():
        argv += ["-p", name, str(value)]
    assert main(argv) == 0
    return out


CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
VIEWPORT = {"width": 1280, "height": 1000}
_SCIENTIFIC = re.compile(r"\d(?:\.\d+)?e[+-]?\d", re.IGNORECASE)


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """A headless Debian chromium driven by Playwright (no browser download). Skipped without /usr/bin/chromium,
    unless AZTEC_ECON_REQUIRE_BROWSER=1 (set by .ci/run) makes its absence a failure."""
    if not Path(CHROMIUM).exists():
        if os.environ.get("AZTEC_ECON_REQUIRE_BROWSER") == "1":
            pytest.fail(f"{CHROMIUM} is required (apt-get install chromium)")
        pytest.skip(f"{CHROMIUM} not installed")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


_PAGE_FACTS = r"""() => {
  const text = (e) => (e.innerText || e.textContent || "").trim();
  const tables = Array.from(document.querySelectorAll("table"));
  const headline = Array.from(document.querySelectorAll(".aztec-headline td.aztec-value")).map(text);
  const legends = Array.from(document.querySelectorAll(".legendtext")).map(text);
  const truncated = tables.filter((t) => Array.from(t.querySelectorAll("td, th")).some((c) => text(c) === "..." ||
    text(c) === "…")).length;
  const body = document.body.innerText;
  const rowsCols = /\d+ rows × \d+ columns/.test(body);
  return {headline, legends, truncated, rowsCols, scrollWidth: document.documentElement.scrollWidth,
          width: window.innerWidth, charts: document.querySelectorAll("div.plotly-graph-div").length,
          drawn: Array.from(document.querySelectorAll("div.plotly-graph-div")).map(
            (d) => d.querySelector("svg.main-svg") !== null)};
}"""


def report_problems(browser: Any, html_file: Path, screenshot: Path | None = None) -> tuple[list[str], int]:
    """Open `html_file` in `browser` and return (problems, number of charts). Problems: JavaScript and console
    errors, failed requests, charts that drew no SVG, tables truncated by pandas, headline values in scientific
    notation, legend entries without a name ("trace 0"), a page wider than the window. With `screenshot`, the top
    of the page is saved there (PNG)."""
    page = browser.new_page(viewport=VIEWPORT)
    problems: list[str] = []
    page.on("pageerror", lambda err: problems.append(f"page error: {err}"))
    page.on(
        "console",
        lambda msg: problems.append(f"console {msg.type}: {msg.text}") if msg.type == "error" else None,
    )
    page.on("requestfailed", lambda req: problems.append(f"request failed: {req.url}"))
    page.goto(html_file.resolve().as_uri(), wait_until="load")
    page.wait_for_timeout(500)
    facts = page.evaluate(_PAGE_FACTS)
    if screenshot is not None:
        page.screenshot(path=str(screenshot))
    page.close()
    problems += [f"chart {i} drew no SVG" for i, ok in enumerate(facts["drawn"]) if not ok]
    if facts["truncated"] or facts["rowsCols"]:
        problems.append(f"{facts['truncated']} truncated table(s) (pandas '...' or 'N rows x M columns')")
    problems += [
        f"headline value in scientific notation: {v!r}" for v in facts["headline"] if _SCIENTIFIC.search(v)
    ]
    problems += [
        f"unnamed legend entry: {v!r}" for v in facts["legends"] if not v or re.fullmatch(r"trace \d+", v)
    ]
    if facts["scrollWidth"] > facts["width"]:
        problems.append(
            f"the page is wider ({facts['scrollWidth']} px) than the window ({facts['width']} px)"
        )
    return problems, int(facts["charts"])
