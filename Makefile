# The commands a person needs. Everything installs into .venv/ from pyproject.toml.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
PORT   ?= 8000
HOST   ?= 127.0.0.1

# axe-core, the accessibility checker the browser tests load into the page (npm, locked).
BROWSER_TESTS := tests/e2e/browser
AXE := $(BROWSER_TESTS)/node_modules/axe-core/axe.min.js

.PHONY: run test lint unit bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

run: $(STAMP)
	mkdir -p data
	$(BIN)/invoicegate migrate
	$(BIN)/invoicegate serve --host $(HOST) --port $(PORT) --demo

lint: $(STAMP)
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/lint-imports

$(AXE): $(BROWSER_TESTS)/package.json $(BROWSER_TESTS)/package-lock.json
	@if command -v npm >/dev/null; then \
	  npm ci --prefix $(BROWSER_TESTS) --no-audit --no-fund --loglevel=error && touch $(AXE); \
	else echo "npm not found: the browser tests will skip (CI=true: fail) without axe-core"; fi

test: lint $(AXE)
	$(BIN)/pytest

unit: $(STAMP)
	$(BIN)/pytest tests/unit

bench: $(STAMP)
	bash bench/run.sh

clean:
	rm -rf $(VENV) data .pytest_cache .mypy_cache .ruff_cache test-artifacts $(BROWSER_TESTS)/node_modules
