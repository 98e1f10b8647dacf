# WhatsApp CDMX — `make run` starts the demo, `make test` runs the whole suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PG_TEST_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/postgres
PYTEST_ARGS ?=

.PHONY: run test test-sqlite test-postgres lint bench bench-search bench-routing bench-reports clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.dev-installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[dev,aws]'
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

# ruff, mypy (strict on cdmx/), and import-linter's contracts for the layers (pyproject.toml).
lint: $(VENV)/.dev-installed
	$(BIN)/ruff check cdmx tests scripts
	$(BIN)/ruff format --check cdmx tests
	$(BIN)/mypy
	$(BIN)/lint-imports

# Benchmarks (docs/capacity.md): SQLite, then PostgreSQL when it answers at PG_BENCH_URL.
# Installs Debian's wrk when missing. BENCH_ARGS passes options, e.g. BENCH_ARGS="--only e2e".
PG_BENCH_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/cdmx_bench
BENCH_ARGS ?=
bench: $(VENV)/.installed
	@command -v wrk >/dev/null 2>&1 || { echo "installing Debian's wrk..."; \
	  apt-get install -y -q wrk >/dev/null 2>&1 || \
	  { apt-get update -q >/dev/null 2>&1 && apt-get install -y -q wrk >/dev/null 2>&1; } || true; }
	$(BIN)/python scripts/bench $(BENCH_ARGS)
	@if $(BIN)/python -c "import psycopg; psycopg.connect('host=127.0.0.1 port=5432 user=postgres dbname=postgres', connect_timeout=3).close()" 2>/dev/null; then \
	  $(BIN)/python scripts/bench --db $(PG_BENCH_URL) $(BENCH_ARGS); \
	else echo "bench: no PostgreSQL at 127.0.0.1:5432 -- the PostgreSQL run is skipped"; fi

# Search over a seeded corpus of 1,000,000 messages (docs/capacity.md), SQLite then PostgreSQL.
PG_SERVER_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/postgres
SEARCH_ARGS ?=
bench-search: $(VENV)/.installed
	$(BIN)/python scripts/bench_search.py $(SEARCH_ARGS)
	@if $(BIN)/python -c "import psycopg; psycopg.connect('host=127.0.0.1 port=5432 user=postgres dbname=postgres', connect_timeout=3).close()" 2>/dev/null; then \
	  $(BIN)/python scripts/bench_search.py --db $(PG_SERVER_URL) $(SEARCH_ARGS); \
	else echo "bench-search: no PostgreSQL at 127.0.0.1:5432 -- the PostgreSQL run is skipped"; fi

# Routing with 500 agents and 50,000 open conversations, and the inbox list over 100,000
# (docs/capacity.md), SQLite then PostgreSQL (a scratch database cdmx_bench_routing).
ROUTING_ARGS ?=
bench-routing: $(VENV)/.installed
	$(BIN)/python scripts/bench_routing.py $(ROUTING_ARGS)
	@if $(BIN)/python -c "import psycopg; psycopg.connect('host=127.0.0.1 port=5432 user=postgres dbname=postgres', connect_timeout=3).close()" 2>/dev/null; then \
	  $(BIN)/python scripts/bench_routing.py --db $(PG_SERVER_URL) $(ROUTING_ARGS); \
	else echo "bench-routing: no PostgreSQL at 127.0.0.1:5432 -- the PostgreSQL run is skipped"; fi

# Reports over a year: 200,000 conversations (1,000,000 messages' worth of reporting rows),
# the summary by agent and by day and the conversations CSV (docs/capacity.md), SQLite then
# PostgreSQL (a scratch database cdmx_reports_bench).
REPORTS_ARGS ?=
bench-reports: $(VENV)/.installed
	$(BIN)/python scripts/bench_reports.py $(REPORTS_ARGS)
	@if $(BIN)/python -c "import psycopg; psycopg.connect('host=127.0.0.1 port=5432 user=postgres dbname=postgres', connect_timeout=3).close()" 2>/dev/null; then \
	  $(BIN)/python scripts/bench_reports.py --db $(PG_SERVER_URL) $(REPORTS_ARGS); \
	else echo "bench-reports: no PostgreSQL at 127.0.0.1:5432 -- the PostgreSQL run is skipped"; fi

clean:
	rm -rf $(VENV) .test-services test-artifacts .pytest_cache
