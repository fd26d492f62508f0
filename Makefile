# Warmpath: the two commands are `make run` and `make test`. Everything else is detail.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
export WARMPATH_PORT := $(PORT)

.PHONY: run test lint fmt check-deploy clean help bench bench-sqlite trust

help:
	@echo "make run    start Warmpath (web + Celery worker + beat) on SQLite, demo data included"
	@echo "make test   run the whole test suite, one process per CPU (TEST_WORKERS=0: in one process;"
	@echo "            PostgreSQL/Redis when DATABASE_URL/CELERY_BROKER_URL are set)"
	@echo "make lint   ruff and the import contracts (docs/architecture.md)"
	@echo "make bench  Warmpath at scale: pages, API, scan, load on the large data set, against their budgets"
	@echo "make bench-sqlite  the same pages on SQLite (the default engine), same rows and budgets"
	@echo "make trust  faults and load on throwaway servers: PostgreSQL restarted, Redis stopped, two beats,"
	@echo "            a worker killed, SMTP refusing, 50 reps for 60 s (TRUST_ARGS=--quick: shorter)"

# The virtualenv is rebuilt only when the requirements change. The development requirements
# include Faker, which the demo data of `make run` (demo/, seed_demo) needs.
$(BIN)/.installed: requirements.txt requirements-dev.txt
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Warmpath needs Python 3.11 or newer")'
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	@touch $@

run: $(BIN)/.installed
	@mkdir -p var
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py setup_periodic_tasks
	$(BIN)/python manage.py seed_demo
	@echo "Starting Warmpath at http://127.0.0.1:$(PORT)/ (web, Celery worker and beat) ..."
	@# The Procfile under honcho; Ctrl-C stops every process cleanly (config/devserver.py).
	@PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/python -m config.devserver

# axe-core, which the accessibility tests inject into the pages (tests/browser/package.json),
# from the npm registry with the machine's npm; installed again only when the lock changes.
AXE := tests/browser/node_modules/axe-core/axe.min.js
# Without npm (a laptop without Node.js) the accessibility tests skip and say why; in CI
# they fail instead.
$(AXE): tests/browser/package.json tests/browser/package-lock.json
	@if command -v npm >/dev/null; then \
		cd tests/browser && npm ci --no-audit --no-fund && touch $(CURDIR)/$@; \
	else \
		echo "npm not found: the accessibility tests will be skipped (axe-core comes from npm)"; \
	fi

# The suite runs in TEST_WORKERS processes at once (pytest-xdist), one per CPU by default;
# each has its own test database (test_<name>_gw0, _gw1, ...). TEST_WORKERS=0 runs it in
# one process, as before (quicker for a few tests: PYTEST_ARGS="-k login"; --pdb does it
# by itself). The tests that start processes run one at a time (tests/conftest.py).
TEST_WORKERS ?= auto

test: $(BIN)/.installed $(AXE)
	$(BIN)/pytest -n $(TEST_WORKERS) $(PYTEST_ARGS)

# ruff, then the direction of dependencies (.importlinter, docs/architecture.md).
lint: $(BIN)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

fmt: $(BIN)/.installed
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# Warmpath at scale (not part of `make test`): the large data set in the PostgreSQL
# database warmpath_bench (created and seeded once, then reused), every page, API list and
# write, the reminder scan, the reverse search and 32 connections against gunicorn, checked
# against their budgets; exits non-zero naming any offender. BENCH_ARGS=--quick: shorter.
# BENCH_ARGS=--sqlite (or `make bench-sqlite`): the pages on SQLite, the engine `make run`
# uses, in var/bench.sqlite3, a copy of warmpath_bench made once (run `make bench` first).
bench: $(BIN)/.installed
	$(BIN)/python bench/run.py $(BENCH_ARGS)

bench-sqlite: $(BIN)/.installed
	$(BIN)/python bench/run.py --sqlite $(BENCH_ARGS)

# Faults and load (not part of `make test`: about four minutes). Its own throwaway
# PostgreSQL cluster and Redis on free ports under a temporary folder (never the machine's
# 5432/6379), a local SMTP server, gunicorn, Celery worker and beat with production
# settings: PostgreSQL restarted, two beats at once, Redis stopped, a worker killed
# mid-send, an SMTP server refusing, 50 reps for 60 s. Prints requests, errors, lost
# writes, duplicates and p95 per scenario; exits non-zero naming any that failed.
# TRUST_ARGS=--quick: shorter outages and 15 s of load; TRUST_ARGS="--only redis smtp".
trust: $(BIN)/.installed
	$(BIN)/python -m trust $(TRUST_ARGS)

clean:
	rm -rf var .pytest_cache tests/browser/node_modules
