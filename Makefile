# Quick start: `make run` (set-up, demo data, server) and `make test`.
PY ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: venv run test test-services lint fmt migrate demo

venv: $(STAMP)

$(STAMP): pyproject.toml
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
