# Two commands do all set-up: `make run` and `make test`; `make demo` shows it all offline.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export AGGREGATOR_TEST_PG_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/test

.PHONY: run test check bench install clean services demo

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	mkdir -p db feeds
	$(BIN)/aggregator run

demo: $(STAMP)
	$(BIN)/python demo/run.py

services:
	@bash scripts/ensure-services.sh

test: $(STAMP) services
	@bash scripts/ensure-chromium.sh || echo "WARNING: chromium unavailable; browser tests will skip"
	@bash scripts/ensure-nginx.sh || echo "WARNING: nginx unavailable; the reverse-proxy tests will skip"
	$(BIN)/python -m pytest --cov=aggregator --cov-report=term:skip-covered -q

check: $(STAMP)
	$(BIN)/ruff check aggregator tests benchmarks demo scheduler.py
	$(BIN)/ruff format --check aggregator tests benchmarks demo scheduler.py
	$(BIN)/mypy
	$(BIN)/lint-imports

bench: $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[test,bench]'
	@bash scripts/ensure-nginx.sh || echo "WARNING: nginx unavailable; the farm falls back to Python's server"
	$(BIN)/python benchmarks/run_all.py --write-readme

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .coverage
