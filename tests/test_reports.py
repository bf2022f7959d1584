"""Reports: failed runs, the index, escaping, figures export, and a real headless browser drawing every chart.

Real papermill, nbconvert, kaleido and Debian chromium; nothing is mocked. The browser tests need
/usr/bin/chromium: they are skipped without it, unless AZTEC_ECON_REQUIRE_BROWSER=1 (set by .ci/run) makes its
absence a failure.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import nbformat
import pytest

from aztec_econ.cli import main
from aztec_econ.publish.glue import GLUE_MIMETYPE, glue, read_glued, to_jsonable
from aztec_econ.publish.index import ReportEntry, read_index, render_index, update_index

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
EVIL_TITLE = '<script>alert("pwned")</script> & <b>co</b>'


# ---------------------------------------------------------------------------------------------------------------------
# glue and index (fast)


def test_glued_values_are_read_back_from_display_outputs() -> None:
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("")
    cell.outputs = [
        nbformat.v4.new_output("display_data", data={GLUE_MIMETYPE: {"name": "a", "value": 1.5}}),
        nbformat.v4.new_output("display_data", data={GLUE_MIMETYPE: {"name": "a", "value": 2.5}}),
        nbformat.v4.new_output("display_data", data={"text/plain": "not glued"}),
    ]
    nb.cells = [cell]
    assert read_glued(nb) == {"a": 2.5}  # the last value of a name wins
    assert read_glued(nbformat.writes(nb).encode()) == {"a": 2.5}


def test_glue_converts_numpy_and_pandas_and_rejects_objects() -> None:
    import numpy as np
    import pandas as pd

    assert to_jsonable({"x": np.float64(0.5), "n": np.int32(3), "nan": float("nan")}) == {
        "x": 0.5,
        "n": 3,
        "nan": None,
    }
    assert to_jsonable(pd.Series([1, 2])) == [1, 2]
    with pytest.raises(TypeError):
        glue("bad", object())


def test_index_escapes_user_text_and_lists_every_report(tmp_path: Path) -> None:
    common: dict[str, Any] = {"notebook": "nb<1>.py", "date": "2026-01-01T00:00:00+00:00"}
    update_index(
        tmp_path, ReportEntry(id="a", name="a", title=EVIL_TITLE, status="ok", html="a b.html", **common)
    )
    update_index(
        tmp_path,
        ReportEntry(
            id="b",
            name="b",
            title="second",
            status="failed",
            parameters={"<p>": "<img src=x onerror=alert(1)>"},
            kpis={"x": 0.25},
            error="ValueError: <boom>",
            **common,
        ),
    )
    page = (tmp_path / "index.html").read_text()
    assert "<script>alert" not in page and "<img src=x" not in page and "<boom>" not in page
    assert "&lt;script&gt;alert(&quot;pwned&quot;)&lt;/script&gt;" in page
    assert 'href="a%20b.html"' in page
    assert [e.id for e in read_index(tmp_path)] == ["a", "b"]
    assert page.count("data-report-id=") == 2
    assert render_index([]).count("no reports yet") == 1


# ---------------------------------------------------------------------------------------------------------------------
# failed notebooks (real papermill runs of a tiny notebook)


@pytest.fixture
def tiny_notebook(tmp_path: Path) -> Path:
    """A notebook with a `fail` parameter: raises in its second cell when True."""
    nb = nbformat.v4.new_notebook()
    params = nbformat.v4.new_code_cell("fail = False")
    params.metadata["tags"] = ["parameters"]
    nb.cells = [
        nbformat.v4.new_markdown_cell("# Tiny"),
        params,
        nbformat.v4.new_code_cell(
            "from aztec_econ.publish.glue import glue\nif fail:\n    raise ValueError('the <tiny> notebook was told to fail')"
        ),
        nbformat.v4.new_code_cell("glue('answer', 42)"),
    ]
    path = tmp_path / "tiny.ipynb"
    nbformat.write(nb, str(path))
    return path


@pytest.mark.slow
def test_failed_run_reports_the_error_and_keeps_the_good_report(tiny_notebook: Path, tmp_path: Path) -> None:
    out = tmp_path / "reports"
    report = ["report", str(tiny_notebook), "--out", str(out), "--title", EVIL_TITLE]
    assert main(report) == 0
    good = (out / "tiny.html").read_bytes()
    assert read_glued(out / "tiny.ipynb") == {"answer": 42}
    assert b"<script>alert" not in good and b"&lt;script&gt;alert" in good  # the header escapes the title

    assert main([*report, "-p", "fail", "true"]) == 1
    assert (out / "tiny.html").read_bytes() == good  # not overwritten
    failed = (out / "tiny.failed.html").read_text()
    assert 'class="aztec-error-banner"' in failed
    banner = failed[failed.index('class="aztec-error-banner"') :]
    assert "ValueError" in banner and "the &lt;tiny&gt; notebook was told to fail" in banner
    assert "raise ValueError(" in banner  # the failing cell's source is shown
    assert failed.index('class="aztec-error-banner"') < failed.index('class="jp-Cell')  # at the top
    entries = {e.id: e for e in read_index(out)}
    assert entries["tiny"].status == "ok" and entries["tiny.failed"].status == "failed"
    assert "ValueError" in (entries["tiny.failed"].error or "")
    index = (out / "index.html").read_text()
    assert 'data-report-id="tiny.failed"' in index and "status-failed" in index
    assert "<script>alert" not in index

    assert main([*report, "-p", "fail", "true", "--overwrite-failed"]) == 1
    assert read_index(out)[0].status == "failed" and [e.id for e in read_index(out)] == ["tiny"]
    assert not (out / "tiny.failed.html").exists()


# ---------------------------------------------------------------------------------------------------------------------
# figures and the browser (on the session's baseline report)


@pytest.mark.slow
@pytest.mark.parametrize("fmt", ["png", "svg"])
def test_figures_export_every_chart_of_a_report(baseline_report: Path, tmp_path: Path, fmt: str) -> None:
    if shutil.which("chromium") is None and not os.environ.get("BROWSER_PATH"):
        pytest.skip("kaleido needs chromium (apt-get install chromium)")
    report = baseline_report / "01_baseline_network_health.html"
    assert main(["figures", str(report), "--format", fmt, "--out", str(tmp_path)]) == 0
    files = sorted(tmp_path.glob(f"*.{fmt}"))
    assert len(files) == 3
    head = files[0].read_bytes()[:200]
    assert head.startswith(b"\x89PNG") if fmt == "png" else b"<svg" in head


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """A headless Debian chromium driven by Playwright (no browser download)."""
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


def page_problems(browser: Any, html_file: Path) -> tuple[list[str], int]:
    """Open `html_file` and return (problems, number of charts): JavaScript errors, console errors, failed requests
    and every plotly chart div without its drawn SVG."""
    page = browser.new_page()
    problems: list[str] = []
    page.on("pageerror", lambda err: problems.append(f"page error: {err}"))
    page.on(
        "console",
        lambda msg: problems.append(f"console {msg.type}: {msg.text}") if msg.type == "error" else None,
    )
    page.on("requestfailed", lambda req: problems.append(f"request failed: {req.url}"))
    page.goto(html_file.resolve().as_uri(), wait_until="load")
    page.wait_for_timeout(500)
    charts = page.locator("div.plotly-graph-div")
    count = charts.count()
    for i in range(count):
        if charts.nth(i).locator("svg.main-svg").count() == 0:
            problems.append(f"chart {i} ({charts.nth(i).get_attribute('id')}) drew no SVG")
    page.close()
    return problems, count


@pytest.mark.slow
def test_report_draws_every_chart_in_a_real_browser_without_errors(
    baseline_report: Path, browser: Any
) -> None:
    problems, charts = page_problems(browser, baseline_report / "01_baseline_network_health.html")
    assert problems == []
    assert charts == 3
    index_problems, _ = page_problems(browser, baseline_report / "index.html")
    assert index_problems == []


@pytest.mark.slow
def test_browser_check_fails_a_report_whose_charts_do_not_draw(
    baseline_report: Path, browser: Any, tmp_path: Path
) -> None:
    page = (baseline_report / "01_baseline_network_health.html").read_text()
    start = page.index('<div class="aztec-econ-plotlyjs"')
    end = page.index("</script></div>", start) + len("</script></div>")
    broken = tmp_path / "broken.html"
    broken.write_text(page[:start] + page[end:])  # plotly.js removed: no chart can draw
    problems, charts = page_problems(browser, broken)
    assert charts == 3
    assert sum("drew no SVG" in p for p in problems) == 3
    assert any("Plotly is not defined" in p for p in problems)


def test_index_json_is_machine_readable(baseline_report: Path) -> None:
    entries = json.loads((baseline_report / "index.json").read_text())
    (entry,) = entries
    assert entry["status"] == "ok" and entry["html"] == "01_baseline_network_health.html"
    assert entry["parameters"] == {"slots": 1440, "runs": 3}
    assert 0 <= entry["kpis"]["share_happy"] <= 1
    assert not any(k.startswith("_") for k in entry["kpis"])


@pytest.mark.slow
def test_a_cell_past_its_timeout_gives_a_failed_result_not_an_exception() -> None:
    from aztec_econ.publish.reports import execute_notebook

    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("import time\ntime.sleep(60)")]
    executed = execute_notebook(nb, timeout=3)
    assert executed.status == "failed"
    assert executed.error and "Timeout" in executed.error
    assert executed.ipynb  # whatever was written comes back


def test_a_report_name_that_could_leave_the_directory_is_refused(tiny_notebook: Path, tmp_path: Path) -> None:
    out = tmp_path / "reports"
    assert main(["report", str(tiny_notebook), "--out", str(out), "--name", "../evil"]) == 2
    assert main(["report", str(tmp_path / "missing.ipynb"), "--out", str(out)]) == 2
    assert not out.exists()
