# CMER — the two commands: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PG_URL ?= postgres://cmer:cmer@127.0.0.1:5432/cmer
# Port of `make demo`, e.g. `make demo PORT=8001` when 8000 is taken.
PORT ?= 8000
# Extra pytest arguments, e.g. `make test PYTEST_ARGS="-x -k auth"`.
PYTEST_ARGS ?=
# pytest-xdist workers for the tests without a browser ("auto": one per core).
PYTEST_WORKERS ?= auto
# pytest-xdist workers for the browser tests: each has its own test database, live server on a
# free port and Chromium; the browser tests spend much of their time waiting on the browser.
PYTEST_BROWSER_WORKERS ?= 2
# The tests without a browser in parallel, then the browser tests (two at a time by default).
# Exit 5 (nothing selected, e.g. by -k) is not a failure.
# The slow tests come first (tests/conftest.py); xdist hands them out 2 at a time rather than a
# quarter of the suite to the first worker, so they spread over the workers.
PYTEST_PARALLEL = $(BIN)/pytest -n $(PYTEST_WORKERS) --maxschedchunk=2 -m "not e2e" $(PYTEST_ARGS) || [ $$? -eq 5 ]
PYTEST_BROWSER = $(BIN)/pytest -n $(PYTEST_BROWSER_WORKERS) --maxschedchunk=1 -m e2e $(PYTEST_ARGS) || [ $$? -eq 5 ]
export CMER_DEBUG ?= 1
# BROWSER=0 leaves the browser tests out of `make test`: CI runs them once, on PostgreSQL (.ci/run).
BROWSER ?= 1

# Benchmarks of docs/performance.md on PostgreSQL (own database cmer_bench_<SCALE>); not tests.
# Options of bench/run.py, e.g. `make bench BENCH_ARGS="--only P1,P9 --p9-long"`.
SCALE ?= 1
BENCH_ARGS ?=

.PHONY: bench demo test test-pg test-e2e test-fast lint lint-types lint-other venv ci clean

# --no-compile: pip would byte-compile every module of every package (scipy's thousands among
# them), 22 of the 57 s of a fresh install; Python compiles the few that are imported, once.
$(BIN)/.installed: requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip==26.3
	$(BIN)/pip install -q --no-compile -r requirements-dev.txt
	touch $@

venv: $(BIN)/.installed

demo: venv
	$(BIN)/python manage.py migrate --noinput -v0
	CMER_DEMO=1 $(BIN)/python manage.py seed_demo
	@echo ""
	@echo "CMER demo: open http://127.0.0.1:$(PORT) and log in with an account above."
	@echo "Password for all demo accounts: demo-cmer-2026 — second-factor code: 000000 (demo only)."
	CMER_DEMO=1 $(BIN)/python manage.py runserver 127.0.0.1:$(PORT)

# The whole suite on the embedded SQLite database (browser tests included).
test: venv
	$(PYTEST_PARALLEL)
	$(if $(filter 1,$(BROWSER)),$(PYTEST_BROWSER))

# The same suite on PostgreSQL (DATABASE_URL overrides PG_URL; see scripts/setup-postgres.sh).
test-pg: venv
	export DATABASE_URL=$${DATABASE_URL:-$(PG_URL)}; $(PYTEST_PARALLEL)
	export DATABASE_URL=$${DATABASE_URL:-$(PG_URL)}; $(PYTEST_BROWSER)

# Browser tests only / everything but the browser tests.
test-e2e: venv
	$(PYTEST_BROWSER)

test-fast: venv
	$(PYTEST_PARALLEL)

# What CI runs: system packages, PostgreSQL, lint, both suites.
ci:
	bash .ci/run

# The type checker (the slowest check, cold in a fresh clone) runs beside the others, each on a
# core; --output-sync prints each group's output whole.
lint: venv
	$(MAKE) -j2 --output-sync=target lint-types lint-other

lint-types:
	# Settings refuse to load without a secret unless CMER_DEBUG=1 (exported above); the type
	# checker only imports them, it serves nothing.
	CMER_DEBUG=1 $(BIN)/mypy --warn-unused-ignores cmer

lint-other:
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python manage.py makemigrations --check --dry-run
	$(BIN)/bandit -q -c pyproject.toml -r cmer
	# deploy/: systemd-analyze verify and nginx -t (a few seconds); publiccode.yml against its schema.
	bash scripts/check-deploy.sh
	$(BIN)/python scripts/check_publiccode.py

bench: venv
	$(BIN)/python bench/run.py --scale $(SCALE) $(BENCH_ARGS)

clean:
	rm -rf $(VENV) db.sqlite3* artifacts .pytest_cache
