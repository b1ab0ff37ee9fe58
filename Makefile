# The whole developer loop. `make demo` and `make test` work on a fresh machine.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

SERVERS := .cache/servers
SERVERS_STAMP := $(SERVERS)/.installed
WHEELS := .cache/wheels

.PHONY: demo test check bench lint format clean servers system-packages

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

# The real third-party servers the judge tests start (pyproject's test-servers group), in their
# own virtualenv: litellm[proxy] pins a rich that Textual can't use. llama-cpp-python builds
# llama.cpp from source, several minutes on 2 cores: its wheel is kept in .cache/wheels, so only
# the first run pays (`make clean` keeps it).
$(SERVERS_STAMP): pyproject.toml
	$(PYTHON) -m venv $(SERVERS)
	$(SERVERS)/bin/pip install --quiet --upgrade pip
	CMAKE_BUILD_PARALLEL_LEVEL=2 $(SERVERS)/bin/pip wheel --quiet --no-deps \
		--find-links $(WHEELS) --wheel-dir $(WHEELS) 'llama-cpp-python==0.3.36'
	$(SERVERS)/bin/pip install --quiet --find-links $(WHEELS) --group test-servers
	touch $(SERVERS_STAMP)

servers: $(SERVERS_STAMP)

## Open the app on the bundled sample project (a fresh database each time).
demo: $(STAMP)
	$(BIN)/tui-annotate demo

## What the suite needs from the system (OpenSSH for the SSH test); nothing to do once there.
system-packages:
	sh scripts/ensure-system-packages.sh

## The whole test suite.
test: $(STAMP) $(SERVERS_STAMP) system-packages
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
