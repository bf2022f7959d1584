# aztec-econ: every target creates and uses the local virtual environment by itself.
PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
KERNEL := aztec-econ
LAB_ROOT := $(if $(filter 0,$(shell id -u)),--allow-root,)

.PHONY: run report simulate notebooks test lint typecheck pytest bench bench-speed bench-scaleout bench-sweep lab lock assumptions outputs-doc clean

$(STAMP): pyproject.toml requirements.lock
	@command -v $(PYTHON) >/dev/null || { echo "needs $(PYTHON) (set PYTHON=...)"; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -c requirements.lock -e '.[dev]'
	$(BIN)/python -m compileall -q aztec_econ  # bytecode the editable install lacks (PYTHONDONTWRITEBYTECODE: every import would compile)
	$(BIN)/python -m ipykernel install --sys-prefix --name $(KERNEL) --display-name "Python (aztec-econ)" >/dev/null
	touch $@

## main job: the baseline report (notebooks/01) and the report index, from scratch
run: report

## reports/01_baseline_network_health.html and reports/index.html (open them in any browser, offline)
report: $(STAMP)
	$(BIN)/aztec-econ report notebooks/01_baseline_network_health.py --out reports
	@echo "open reports/index.html"

## the baseline simulation's KPIs in the terminal
simulate: $(STAMP)
	$(BIN)/aztec-econ simulate params/baseline.yaml

## notebooks/*.py (jupytext percent scripts, committed) <-> notebooks/*.ipynb (local, ignored by git)
notebooks: $(STAMP)
	$(BIN)/jupytext --sync notebooks/*.py

## every check CI runs
test: lint typecheck pytest

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy

pytest: $(STAMP)
	$(BIN)/pytest -q -n auto

bench: $(STAMP)
	$(BIN)/python benchmarks/bench_core.py

## speed of the model (issue 16): ms per slot, memory, keys, CLI start-up (add ARGS="--compare REV" for ratios)
bench-speed: $(STAMP)
	$(BIN)/python benchmarks/bench_speed.py $(ARGS)

## one simulation's runs on a local Dask cluster of 1 and 2 workers: speed-up and identical results
bench-scaleout: $(STAMP)
	$(BIN)/python benchmarks/bench_scaleout.py $(ARGS)

## sweep throughput with 1 and 2 local workers, overhead per point
bench-sweep: $(STAMP)
	$(BIN)/python benchmarks/bench_sweep.py

## JupyterLab on the notebooks (as root, e.g. in a container, with --allow-root: Jupyter refuses root otherwise)
lab: notebooks
	$(BIN)/jupyter lab notebooks/ $(LAB_ROOT)

## regenerate ASSUMPTIONS.md (a test checks it is current)
assumptions: $(STAMP)
	$(BIN)/aztec-econ params doc > ASSUMPTIONS.md

## regenerate docs/outputs.md from the column and KPI declarations (a test checks it is current)
outputs-doc: $(STAMP)
	$(BIN)/aztec-econ docs outputs > docs/outputs.md

## refresh the pinned lock from the current environment
lock: $(STAMP)
	$(BIN)/python -m pip freeze --exclude-editable | grep -v '^aztec-econ' > requirements.lock

clean:
	rm -rf $(VENV) reports build .pytest_cache .mypy_cache .ruff_cache .hypothesis
