# The whole developer loop. `make demo` and `make test` work on a fresh machine.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test check bench lint format clean system-packages

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

## Open the app on the bundled sample project (a fresh database each time).
demo: $(STAMP)
	$(BIN)/tui-annotate demo

## What the suite needs from the system (OpenSSH for the SSH test); nothing to do once there.
system-packages:
	sh scripts/ensure-system-packages.sh

## The whole test suite.
test: $(STAMP) system-packages
	$(BIN)/pytest

## Lint, format check, types and the layering contracts: the pre-merge loop.
check: $(STAMP)
	$(BIN)/ruff check tui_annotate tests bench
	$(BIN)/ruff format --check tui_annotate tests bench
	$(BIN)/mypy
	$(BIN)/lint-imports

## Speed figures (printed, never asserted).
bench: $(STAMP)
	$(BIN)/python -m bench

format: $(STAMP)
	$(BIN)/ruff format tui_annotate tests bench
	$(BIN)/ruff check --fix tui_annotate tests bench

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
