"""The explorer (notebooks/20_explorer.py, aztec_econ.publish.explorer): its levers rerun the simulation, and in a
real JupyterLab page (headless Debian chromium) moving a control changes the KPI table and the chart."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from conftest import NOTEBOOKS

from aztec_econ.params import PROJECT_ROOT, load_params
from aztec_econ.publish.explorer import LEVERS, Explorer

SMALL = {"sim.slots": 144, "sim.runs": 2, "agents.sequencers.initial": 100}


def test_moving_a_lever_reruns_the_simulation_with_the_same_seed() -> None:
    explorer = Explorer(load_params(overrides=SMALL))
    before = explorer.summary.loc["share_happy", "mean"]
    seed = explorer.params.sim.seed
    after = explorer.set("environment.l1.gas_price", 200.0).loc["share_happy", "mean"]
    assert after < before  # ten times the gas: provers' quotes exceed what blocks are worth
    assert explorer.params.environment.l1.gas_price == 200.0 and explorer.params.sim.seed == seed
    again = explorer.set("environment.l1.gas_price", 20.0).loc["share_happy", "mean"]
    assert again == before  # common random numbers: back to the start, the same result
    assert 'data-explorer-kpi="share_happy"' in explorer.kpi_html()
    assert [t.name for t in explorer.figure().data] and all(t.name for t in explorer.figure().data)
    with pytest.raises(KeyError):
        explorer.set("no.such.lever", 1)


def test_the_widget_has_a_control_per_lever_and_a_move_redraws() -> None:
    pytest.importorskip("ipywidgets")
    explorer = Explorer(load_params(overrides=SMALL))
    box = explorer.widget
    controls = box.children[: len(LEVERS)]
    assert [c.description for c in controls] == [lever.label for lever in LEVERS]
    table = box.children[len(LEVERS) + 1]
    before = table.value
    controls[0].value = 200.0  # what moving the gas slider does
    assert explorer.values["environment.l1.gas_price"] == 200.0 and table.value != before


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.slow
def test_moving_a_control_in_a_real_jupyterlab_page_changes_the_table_and_the_chart(
    tmp_path: Path, browser: Any
) -> None:
    pytest.importorskip("ipywidgets")
    import jupytext
    import nbformat

    from aztec_econ.publish.reports import ensure_kernel

    ensure_kernel()
    nb = jupytext.read(NOTEBOOKS / "20_explorer.py")
    for cell in nb.cells:
        if "parameters" in cell.metadata.get("tags", []):
            cell.source = cell.source.replace("slots = 288", "slots = 144").replace(
                "keys = 200", "keys = 100"
            )
    nbformat.write(nb, str(tmp_path / "explorer.ipynb"))
    port, token = _free_port(), "aztec-econ-test"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(PROJECT_ROOT), os.environ.get("PYTHONPATH", "")])}
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "jupyterlab",
            "--no-browser",
            "--ServerApp.ip=127.0.0.1",
            f"--ServerApp.port={port}",
            f"--IdentityProvider.token={token}",
            f"--ServerApp.root_dir={tmp_path}",
            "--allow-root",
            "--LabApp.expose_app_in_browser=True",  # window.jupyterapp: run cells by command, as a user's menu does
        ],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=open(tmp_path / "server.log", "w"),  # noqa: SIM115 - closed with the process
    )
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.5)
        _drive(browser, f"http://127.0.0.1:{port}/lab/tree/explorer.ipynb?token={token}", tmp_path)
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()


def _drive(browser: Any, url: str, tmp_path: Path) -> None:
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    errors: list[str] = []
    page.on("pageerror", lambda err: errors.append(str(err)))
    page.goto(url, wait_until="domcontentloaded")
    page.wait_for_selector(".jp-Notebook", timeout=120_000)
    page.wait_for_function(
        "() => { const w = window.jupyterapp && window.jupyterapp.shell.currentWidget;"
        " const k = w && w.sessionContext && w.sessionContext.session && w.sessionContext.session.kernel;"
        " return k && k.status === 'idle'; }",
        timeout=120_000,
    )
    page.evaluate("() => window.jupyterapp.commands.execute('notebook:run-all-cells')")
    kpi = page.locator(".aztec-explorer [data-explorer-kpi='share_happy']")
    kpi.wait_for(timeout=180_000)
    chart = page.locator(".aztec-explorer .js-plotly-plot g.point path").first
    chart.wait_for(timeout=60_000)
    before, bar_before = kpi.inner_text(), chart.get_attribute("d")
    page.screenshot(path=str(tmp_path / "explorer-before.png"))
    handle = page.locator(".aztec-lever-environment-l1-gas_price .noUi-handle")
    handle.scroll_into_view_if_needed()
    box = handle.bounding_box()
    track = page.locator(".aztec-lever-environment-l1-gas_price .noUi-target").bounding_box()
    assert box is not None and track is not None
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.mouse.down()
    page.mouse.move(track["x"] + track["width"] - 1, box["y"] + box["height"] / 2, steps=10)
    page.mouse.up()
    page.wait_for_function(
        "([selector, old]) => { const e = document.querySelector(selector); return e && e.innerText !== old; }",
        arg=[".aztec-explorer [data-explorer-kpi='share_happy']", before],
        timeout=180_000,
    )
    after = kpi.inner_text()
    page.locator(".aztec-explorer .js-plotly-plot g.point path").first.wait_for(timeout=60_000)
    page.wait_for_timeout(1000)
    bar_after = page.locator(".aztec-explorer .js-plotly-plot g.point path").first.get_attribute("d")
    page.screenshot(path=str(tmp_path / "explorer-after.png"))
    status = page.locator(".aztec-explorer .aztec-explorer-status").inner_text()
    page.close()
    assert "L1 gas price [gwei] 200" in status
    assert float(after.rstrip("%")) < float(before.rstrip("%"))  # the happy share fell with the gas price
    assert bar_after != bar_before  # and the chart was redrawn
    assert errors == []
