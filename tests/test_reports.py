"""Reports: their top (question, answer, assumptions, headline KPIs), failed runs, the index, escaping, KPI exports,
plotly.js shared per folder, a quiet terminal, figures export, and a real headless browser checking every page.

Real papermill, nbconvert, kaleido and Debian chromium; nothing is mocked. The browser tests need
/usr/bin/chromium: they are skipped without it, unless AZTEC_ECON_REQUIRE_BROWSER=1 (set by .ci/run) makes its
absence a failure (the `browser` fixture and `report_problems` live in conftest.py).
"""

from __future__ import annotations

import csv
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import nbformat
import pytest
from conftest import report_problems

from aztec_econ.cli import main
from aztec_econ.publish.glue import GLUE_MIMETYPE, glue, read_glue_meta, read_glued, to_jsonable
from aztec_econ.publish.headline import describe, headlines, readable
from aztec_econ.publish.index import ReportEntry, read_index, render_index, update_index
from aztec_econ.publish.plots import PLOTLYJS_FILE, get_plotlyjs

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


def test_glue_has_a_plain_text_fallback_and_records_what_a_value_is() -> None:
    from IPython.core.interactiveshell import InteractiveShell

    shell = InteractiveShell.instance()
    shown: list[dict[str, Any]] = []
    shell.display_pub.publish = lambda data, metadata=None, **kw: shown.append(data)  # type: ignore[method-assign]
    try:
        glue("share_happy", 0.9312)
        glue("at_focus", 0.5, kpi="share_backup", qualifier="at the focus point")
        glue("points", 12, unit="points", description="sweep points")
    finally:
        InteractiveShell.clear_instance()
    assert shown[0]["text/plain"] == "share_happy = 93.1%"  # nbconvert can represent every glued output
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("")
    cell.outputs = [nbformat.v4.new_output("display_data", data=d) for d in shown]
    nb.cells = [cell]
    meta = read_glue_meta(nb)
    assert meta["at_focus"] == {"kpi": "share_backup", "qualifier": "at the focus point"}
    assert describe("at_focus", meta["at_focus"]) == (
        "share",
        "share of slots finalized in backup mode (at the focus point)",
    )
    assert [h.text for h in headlines(read_glued(nb), meta)] == ["93.1%", "50%", "12"]
    with pytest.raises(ValueError, match="no declared KPI"):
        glue("x", 1.0, kpi="no_such_kpi")


def test_headline_numbers_are_readable_and_described_from_the_kpi_declarations() -> None:
    assert readable(0.9878588, "share") == "98.8%"
    assert readable(0.0001234, "share") == "0.0123%"
    assert readable(9.878588e-07) == "0.0000009879"  # never an exponent
    assert readable(123456.789, "tokens") == "123,457"
    assert readable(0.05, "share/year") == "5%/year"
    assert readable(True) == "yes" and readable(None) == "n/a" and readable(float("nan")) == "n/a"
    assert describe("share_happy") == ("share", "share of slots finalized on the happy path")
    assert describe("theory_gap_mean_minutes") == (
        "minutes",
        "closed form of the mean time between consecutive finalized blocks",
    )
    assert describe("slashing_events_per_day") == ("slots/day", "slots in which a bond was slashed, per day")
    assert describe("fees_burned_share_first_price") == ("", "")  # no guessing from a name's prefix


def test_notebook_overrides_may_be_yaml_text_and_assumptions_tables_show_the_topic_in_full() -> None:
    from aztec_econ.params import load_params
    from aztec_econ.publish.notebook import as_overrides, assumptions_table

    assert as_overrides("{agents.provers.count: 5}") == {
        "agents.provers.count": 5
    }  # papermill -p passes text
    assert as_overrides(None) == {} and as_overrides("") == {} and as_overrides({"a.b": 1}) == {"a.b": 1}
    with pytest.raises(ValueError, match="expected a mapping"):
        as_overrides("[1, 2]")
    params = load_params()
    table = assumptions_table(
        params, ["agents.backup", "protocol.prover_bond"], swept={"protocol.prover_bond": [1, 2]}
    )
    assert list(table.index) == [
        "protocol.prover_bond",
        "agents.backup.count",
        "agents.backup.ready_probability",
        "agents.backup.proving_time_median_seconds",
        "agents.backup.proving_time_log_sd",
        "agents.backup.proving_cost_per_block",
        "agents.backup.hardware_capital",
    ]
    assert table.loc["protocol.prover_bond", "value"] == "swept: 1, 2 (base 1,000)"
    assert table.loc["agents.backup.count", "unit"] == "builders" and table["source"].str.len().min() > 0
    from aztec_econ.params import assumptions

    every = len(assumptions(params))
    assert every > 90 and len(assumptions_table(params)) == every  # without a topic: every assumption
    with pytest.raises(ValueError, match="names no parameter"):
        assumptions_table(params, ["agents.no_such_group"])


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
    assert not (out / "tiny.failed.html").exists() and not (out / "tiny.failed.kpis.csv").exists()


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


@pytest.mark.slow
def test_report_passes_every_browser_check_and_its_top_reads_question_answer_assumptions_kpis(
    baseline_report: Path, browser: Any, tmp_path: Path
) -> None:
    page = baseline_report / "01_baseline_network_health.html"
    problems, charts = report_problems(browser, page, screenshot=tmp_path / "top.png")
    assert problems == []
    assert charts == 3
    assert (tmp_path / "top.png").read_bytes()[:4] == b"\x89PNG"
    index_problems, _ = report_problems(browser, baseline_report / "index.html")
    assert index_problems == []
    html = page.read_text()
    order = ["<h2", "Question", "Answer", "Assumptions", "Headline KPIs", "Setup", "Analysis 1", "Appendix"]
    positions = [html.index(marker, html.index('class="aztec-header"')) for marker in order[1:]]
    assert positions == sorted(positions)  # the report opens with its question, answer, assumptions and KPIs
    top = html[: html.index("Setup")]
    assert "agents.provers.failure_probability" in top and "probability" in top  # the topic's own, with units
    assert "98." in top or "99." in top  # the happy share as a percentage in the headline table
    assert "share of slots finalized on the happy path" in top  # its declared description
    header = html[html.index('class="aztec-header"') : html.index("</header>")]
    assert "1,440 slots (10 days) x 3 runs, seed 20240216" in header
    assert "slots = 1,440; runs = 3" in header
    appendix = html[html.index("Appendix") :]
    from aztec_econ.analysis.kpis import KPIS
    from aztec_econ.params import assumptions, load_params

    assert "<details>" in appendix and f"Every KPI of the run ({len(KPIS)})" in appendix
    every = len(assumptions(load_params()))  # all of them, not pandas' first and last five
    assert f"Every assumption of the run ({every}" in appendix
    assert not re.search(r"<td>-[\d.,]+% to", appendix)  # no share's interval starts below 0


@pytest.mark.slow
def test_reports_share_one_plotly_js_per_folder_and_the_notebook_does_not_carry_it(
    baseline_report: Path,
) -> None:
    page = (baseline_report / "01_baseline_network_health.html").read_text()
    assert page.count(f'<script src="{PLOTLYJS_FILE}"') == 1 and get_plotlyjs()[:2000] not in page
    library = baseline_report / PLOTLYJS_FILE
    assert library.stat().st_size > 3_000_000
    assert len(page) < 1_500_000  # was about 5 MB with plotly.js inline
    assert (baseline_report / "01_baseline_network_health.ipynb").stat().st_size < 1_500_000
    assert "Plotly.newPlot" in page


@pytest.mark.slow
def test_browser_check_fails_a_report_whose_charts_do_not_draw(
    baseline_report: Path, browser: Any, tmp_path: Path
) -> None:
    page = (baseline_report / "01_baseline_network_health.html").read_text()
    broken = tmp_path / "broken.html"
    broken.write_text(page.replace(f'src="{PLOTLYJS_FILE}"', 'src="missing-plotly.js"'))  # no chart can draw
    problems, charts = report_problems(browser, broken)
    assert charts == 3
    assert sum("drew no SVG" in p for p in problems) == 3
    assert any("Plotly is not defined" in p for p in problems)
    assert any("request failed" in p and "missing-plotly.js" in p for p in problems)


@pytest.mark.slow
def test_browser_check_catches_unnamed_traces_scientific_notation_and_truncated_tables(
    browser: Any, tmp_path: Path
) -> None:
    bad = tmp_path / "bad.html"
    bad.write_text(
        "<html><body><section class='aztec-headline'><table><tr><td class='aztec-value'>9.878588e-01</td></tr>"
        "</table></section><table><tr><td>...</td></tr></table><p>90 rows × 4 columns</p>"
        "<svg><text class='legendtext'>trace 0</text></svg><div style='width:3000px'>wide</div></body></html>"
    )
    problems, _ = report_problems(browser, bad)
    assert any("scientific notation" in p for p in problems)
    assert any("truncated table" in p for p in problems)
    assert any("unnamed legend entry: 'trace 0'" in p for p in problems)
    assert any("wider" in p for p in problems)


def test_index_json_is_machine_readable(baseline_report: Path) -> None:
    entries = json.loads((baseline_report / "index.json").read_text())
    (entry,) = entries
    assert entry["status"] == "ok" and entry["html"] == "01_baseline_network_health.html"
    assert entry["parameters"] == {"slots": 1440, "runs": 3}
    assert entry["run"] == {"slots": 1440, "days": 10.0, "runs": 3, "seed": 20240216}
    assert 0 <= entry["kpis"]["share_happy"] <= 1
    assert not any(k.startswith("_") for k in entry["kpis"])
    assert not (
        baseline_report / ".index.lock"
    ).exists()  # the lock is on the directory, no file stays behind


def test_every_report_and_the_index_export_their_headline_kpis(baseline_report: Path) -> None:
    stem = baseline_report / "01_baseline_network_health"
    rows = json.loads(Path(f"{stem}.kpis.json").read_text())
    happy = next(r for r in rows if r["name"] == "share_happy")
    assert happy["unit"] == "share" and happy["text"].endswith("%") and 0 < happy["value"] <= 1
    assert all(r["unit"] and r["description"] for r in rows)
    with open(f"{stem}.kpis.csv", newline="") as handle:
        table = list(csv.DictReader(handle))
    assert [r["name"] for r in table] == [r["name"] for r in rows]
    assert float(table[0]["value"]) == rows[0]["value"]
    combined = json.loads((baseline_report / "index.kpis.json").read_text())
    assert {r["report"] for r in combined} == {"01_baseline_network_health"} and len(combined) == len(rows)
    assert (
        (baseline_report / "index.kpis.csv").read_text().startswith("report,name,value,text,unit,description")
    )
    index = (baseline_report / "index.html").read_text()
    assert 'href="index.kpis.csv"' in index and 'href="01_baseline_network_health.kpis.json"' in index
    assert "1,440 slots (10 days)" in index and "seed 20240216" in index


@pytest.mark.slow
def test_a_cell_past_its_timeout_gives_a_failed_result_not_an_exception() -> None:
    from aztec_econ.publish.reports import execute_notebook

    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("import time\ntime.sleep(60)")]
    executed = execute_notebook(nb, timeout=3)
    assert executed.status == "failed"
    assert executed.error and "Timeout" in executed.error
    assert executed.ipynb  # whatever was written comes back


@pytest.mark.slow
def test_the_report_command_is_quiet_and_a_self_contained_page_embeds_plotly_js(
    tiny_notebook: Path, tmp_path: Path
) -> None:
    out = tmp_path / "reports"
    env = {**os.environ, "PYTHONWARNINGS": "default"}
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "aztec_econ.cli",
            "report",
            str(tiny_notebook),
            "--out",
            str(out),
            "--self-contained",
        ],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr.splitlines() == [f"report: {out / 'tiny.html'}  (index: {out / 'index.html'})"]
    assert result.stdout == ""  # no kernel TCP warning, no mimetype warning, nothing else
    page = (out / "tiny.html").read_text()
    assert "Plotly=" in page or "plotly.js v" in page  # the library is inline
    assert not (out / PLOTLYJS_FILE).exists()
    assert sorted(p.name for p in out.iterdir()) == [
        "index.html",
        "index.json",
        "index.kpis.csv",
        "index.kpis.json",
        "tiny.html",
        "tiny.ipynb",
        "tiny.kpis.csv",
        "tiny.kpis.json",
    ]  # no lock file


def test_a_report_name_that_could_leave_the_directory_is_refused(tiny_notebook: Path, tmp_path: Path) -> None:
    out = tmp_path / "reports"
    assert main(["report", str(tiny_notebook), "--out", str(out), "--name", "../evil"]) == 2
    assert main(["report", str(tmp_path / "missing.ipynb"), "--out", str(out)]) == 2
    assert not out.exists()


@pytest.mark.slow
def test_the_kernels_own_output_stays_off_the_terminal_and_a_failed_run_reports_it(
    capfd: pytest.CaptureFixture[str],
) -> None:
    from aztec_econ.publish.reports import execute_notebook

    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_code_cell('import sys\nprint("a kernel log line", file=sys.__stderr__, flush=True)'),
        nbformat.v4.new_code_cell("raise ValueError('boom')"),
    ]
    executed = execute_notebook(nb)
    captured = capfd.readouterr()
    assert "a kernel log line" not in captured.err + captured.out  # e.g. jupyter_client's shutdown interrupt
    assert executed.status == "failed" and executed.error is not None
    assert executed.error.endswith(
        "kernel log (last lines):\na kernel log line"
    )  # not the shutdown interrupt's
