# Quick start: `make run` (set-up, demo data, server) and `make test`.
# Python: the newest of these that runs and is at least 3.11 (a pyenv shim for a version
# that is not selected exits non-zero, so it is skipped); or name one: make PY=python3.12.
PYTHONS := python3.13 python3.12 python3.11 python3
ifeq ($(origin PY), undefined)
PY := $(shell for py in $(PYTHONS); do \
	$$py -c 'import sys; sys.exit(sys.version_info < (3, 11))' >/dev/null 2>&1 && { echo $$py; break; }; \
	done)
endif
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: venv run test test-services lint fmt migrate demo docs

venv: $(STAMP)

$(STAMP): pyproject.toml
	@if [ ! -x $(BIN)/python ] && [ -z "$(PY)" ]; then \
		echo "Synapse needs Python 3.11, 3.12 or 3.13, and none of $(PYTHONS) is one."; \
		echo "Install one (Debian/Ubuntu: apt-get install python3 python3-venv; or pyenv,"; \
		echo "python.org), or name it: make run PY=/path/to/python3.12"; \
		exit 1; \
	fi
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e ".[dev]"
	touch $(STAMP)

migrate: venv
	DJANGO_DEBUG=1 $(BIN)/python manage.py migrate --noinput

demo: migrate
	DJANGO_DEBUG=1 $(BIN)/python manage.py seed_demo --if-empty --snapshots

run: demo
	DJANGO_DEBUG=1 $(BIN)/python manage.py runserver 127.0.0.1:8000

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

fmt: venv
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

test: lint
	$(BIN)/pytest

# docs/kpis.md and docs/data-exchange.md from the KPI declarations and import schemas.
docs: venv
	DJANGO_DEBUG=1 $(BIN)/python manage.py kpi_docs
	$(BIN)/python -m tests.permission_docs

# The same suite on PostgreSQL with Redis as broker; the tests marked ``services`` start
# a real ``celery -A synapse worker`` on the test database (.ci/run starts both servers).
# The browser tests already ran in ``make test``.
SERVICES_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/synapse_ci
SERVICES_BROKER_URL ?= redis://127.0.0.1:6379/15

test-services: venv
	DATABASE_URL=$(SERVICES_DATABASE_URL) CELERY_BROKER_URL=$(SERVICES_BROKER_URL) \
		$(BIN)/pytest -p no:cacheprovider -m "not browser"

# Scale benchmark (issue 7, docs/performance.md): SCALE=small|medium|large on a scratch
# database, flushed first (--reset): BENCH_DATABASE_URL=postgres://.../synapse_bench for PostgreSQL.
SCALE ?= small
BENCH_DATABASE_URL ?= sqlite:///bench-data/bench-$(SCALE).sqlite3
.PHONY: bench
bench: venv
	mkdir -p bench-data
	DATABASE_URL=$(BENCH_DATABASE_URL) $(BIN)/python manage.py bench --scale $(SCALE) --reset
