# WhatsApp CDMX — `make run` starts the demo, `make test` runs the whole suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PG_TEST_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/postgres
PYTEST_ARGS ?=

.PHONY: run test test-sqlite test-postgres lint bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.dev-installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@ $(VENV)/.installed

run: $(VENV)/.installed
	$(BIN)/cdmx demo

# The suite on SQLite, then on PostgreSQL. scripts/test-services makes sure PostgreSQL and
# Chromium are there (installing or starting them when it can) and says loudly when not;
# under CI=true a missing one fails the run.
test: $(VENV)/.dev-installed
	@scripts/test-services
	$(MAKE) --no-print-directory test-sqlite
	@if [ -f .test-services/postgres ]; then $(MAKE) --no-print-directory test-postgres; fi

test-sqlite: $(VENV)/.dev-installed
	@echo "== test suite on SQLite =="
	$(BIN)/python -m pytest $(PYTEST_ARGS)

test-postgres: $(VENV)/.dev-installed
	@echo "== test suite on PostgreSQL =="
	CDMX_TEST_DATABASE_URL=$(PG_TEST_URL) $(BIN)/python -m pytest $(PYTEST_ARGS)

lint: $(VENV)/.dev-installed
	$(BIN)/ruff check cdmx tests scripts
	$(BIN)/ruff format --check cdmx tests
	$(BIN)/mypy

bench: $(VENV)/.dev-installed
	$(BIN)/python scripts/bench

clean:
	rm -rf $(VENV) .test-services test-artifacts .pytest_cache
