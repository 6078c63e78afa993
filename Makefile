SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint unit bench soak screenshots format clean

$(STAMP): pyproject.toml
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/leadbridge run

test: lint $(STAMP)
	$(BIN)/pytest -q

unit: $(STAMP)
	$(BIN)/pytest -q tests/unit

lint: $(STAMP)
	$(BIN)/ruff check leadbridge tests bench
	$(BIN)/ruff format --check leadbridge tests bench
	$(BIN)/mypy
	$(BIN)/lint-imports

format: $(STAMP)
	$(BIN)/ruff check --fix leadbridge tests bench
	$(BIN)/ruff format leadbridge tests bench

bench: $(STAMP)
	$(BIN)/python -m bench

# The console's pages, photographed in headless Chromium for docs/console.md.
screenshots: $(STAMP)
	LEADBRIDGE_SCREENSHOTS=docs/console $(BIN)/pytest -q tests/acceptance/browser/test_console_tour.py

SOAK_RUNS ?= 150
SOAK_SEED ?= 1
soak: $(STAMP)
	$(BIN)/python -m bench.soak --runs $(SOAK_RUNS) --seed $(SOAK_SEED)

clean:
	rm -rf $(VENV) .leadbridge .mypy_cache .ruff_cache .pytest_cache
