# Qinghu: `make run` and `make test` do all the set-up themselves.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
# Test processes (pytest-xdist): one per core; each gets its own PostgreSQL database beside TEST_DATABASE_URL.
TEST_WORKERS ?= auto
HAS_FRONTEND := $(wildcard frontend/package.json)

# `make fuzz`: the spec fuzzing of `make test` at length (examples per operation and principal, stateful steps).
FUZZ_EXAMPLES ?= 25
FUZZ_STEPS ?= 300

.PHONY: install run test mutation test-backend fuzz audit lint format openapi migrate seed-demo frontend-install frontend-build frontend-client clean

install: $(VENV)/.installed $(if $(HAS_FRONTEND),frontend/dist/index.html)

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

frontend/node_modules/.installed: frontend/package.json frontend/package-lock.json
	cd frontend && npm ci --no-audit --no-fund
	touch $@

frontend-install: frontend/node_modules/.installed

frontend/dist/index.html: frontend/node_modules/.installed $(shell find frontend/src frontend/index.html frontend/vite.config.ts -type f 2>/dev/null)
	cd frontend && npm run build

frontend-build: frontend/dist/index.html

run: install
	$(BIN)/qinghu migrate
	$(BIN)/qinghu seed-demo --if-empty
	$(BIN)/qinghu serve --host $(HOST) --port $(PORT)

migrate: $(VENV)/.installed
	$(BIN)/qinghu migrate

seed-demo: $(VENV)/.installed
	$(BIN)/qinghu seed-demo

# The SQLite half with coverage of backend/ (reported, docs/testing.md), then the PostgreSQL half when
# TEST_DATABASE_URL is set (the tests that touch a database, again).
# Coverage costs about two thirds more CPU (docs/testing.md): `make test COVERAGE=0` leaves it out.
COVERAGE ?= 1
test: install
	QINGHU_TEST_DATABASES=sqlite $(BIN)/pytest -n $(TEST_WORKERS) $(if $(filter 1,$(COVERAGE)),--cov --cov-report=term)
	$(if $(TEST_DATABASE_URL),QINGHU_TEST_DATABASES=postgresql $(BIN)/pytest -n $(TEST_WORKERS))
	$(if $(HAS_FRONTEND),cd frontend && npm run test:unit)

fuzz: install
	QINGHU_FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) QINGHU_FUZZ_STEPS=$(FUZZ_STEPS) QINGHU_FUZZ_ALL_PRINCIPALS=1 \
		$(BIN)/pytest tests/test_fuzz.py -n $(TEST_WORKERS)

# Known vulnerabilities in the installed Python and npm packages, less those accepted in audit-allowlist.toml.
# AUDIT_STRICT=1 also fails when a vulnerability service cannot be reached.
audit: install
	$(BIN)/python .ci/audit.py $(if $(AUDIT_STRICT),--strict)

# Mutation testing (mutmut, docs/testing.md): hours, not minutes; never part of `make test`. Each mutant runs
# the tests that call the function it changes, on SQLite. `make mutation MUTANTS='backend.audit*'` for a part.
MUTANTS ?=
mutation: install
	QINGHU_TEST_DATABASES=sqlite $(BIN)/mutmut run $(MUTANTS)
	$(BIN)/mutmut results

lint: $(VENV)/.installed $(if $(HAS_FRONTEND),frontend/node_modules/.installed)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	$(BIN)/mypy
	$(if $(HAS_FRONTEND),cd frontend && npm run lint)

format: $(VENV)/.installed
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

openapi: $(VENV)/.installed
	$(BIN)/qinghu openapi
	$(if $(HAS_FRONTEND),$(MAKE) frontend-client)

frontend-client: frontend/node_modules/.installed
	cd frontend && npm run generate:client

clean:
	rm -rf $(VENV) frontend/node_modules frontend/dist
