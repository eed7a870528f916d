# Growth Manager: the two commands are `make run` and `make test`; everything else is a step.
SHELL := /bin/bash
PYTHON ?= python3
UV_VERSION := 0.13.8
UV := $(shell command -v uv 2>/dev/null)
ifeq ($(UV),)
UV := $(HOME)/.local/bin/uv
endif
VENV := .venv
BIN := $(VENV)/bin
SUDO := $(shell [ "$$(id -u)" = "0" ] || echo sudo)

.PHONY: help install install-dev system-deps services run test test-sqlite test-postgres lint format bench clean

help:  ## Show the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-14s %s\n", $$1, $$2}'

$(UV):
	@echo "==> Installing uv $(UV_VERSION) with pip"
	$(PYTHON) -m pip install --user --quiet "uv==$(UV_VERSION)"

install: $(UV)  ## Install the product (from uv.lock)
	$(UV) sync --locked --no-dev --extra distributed

install-dev: $(UV)  ## Install the product with test and dev tools (from uv.lock)
	$(UV) sync --locked --all-extras

# A supervisor stops `make run` by signalling make's PID. GNU make passes SIGTERM on to the
# recipe's process and waits for it, so that process must be `growth-manager run` itself (exec,
# never a shell left in between that would swallow the signal); run then stops its children.
run: install  ## Install, migrate and run everything on one machine; prints the URL
	exec $(BIN)/growth-manager run

system-deps:  ## Debian packages the tests need (Chromium for browser tests)
	@if ! command -v chromium >/dev/null 2>&1; then \
		echo "==> Installing Debian chromium"; \
		$(SUDO) apt-get update -q && $(SUDO) apt-get install -y -q chromium; \
	fi

services:  ## Make sure the machine's PostgreSQL and Redis are up
	@bash scripts/ensure-services.sh

lint: install-dev  ## ruff check, ruff format --check, mypy --strict
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

test: install-dev system-deps services lint  ## Install everything and run the whole suite (SQLite, then PostgreSQL)
	$(MAKE) --no-print-directory test-sqlite
	$(MAKE) --no-print-directory test-postgres

test-sqlite:  ## The whole suite on SQLite, browser tests included
	$(BIN)/pytest --db=sqlite

test-postgres:  ## The database-backed suite again on PostgreSQL
	$(BIN)/pytest --db=postgres -m "not e2e" --ignore=tests/sandbox

migration: install-dev  ## New migration from the models: make migration m="what changed"
	$(BIN)/python -c 'import sys; from alembic import command; from growth_manager.config import get_settings; from growth_manager.migrate import alembic_config; command.revision(alembic_config(get_settings()), message=sys.argv[1], autogenerate=True)' "$(m)"
	$(BIN)/ruff format src/growth_manager/migrations
	$(BIN)/ruff check --fix --quiet src/growth_manager/migrations

format: install-dev  ## Format the code
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench: install-dev  ## Benchmarks: print figures and ratios (installs Debian's wrk for bench/api.py)
	@if ! command -v wrk >/dev/null 2>&1; then \
		echo "==> Installing Debian wrk"; \
		$(SUDO) apt-get update -q && $(SUDO) apt-get install -y -q wrk; \
	fi
	@for script in bench/*.py; do echo "==> $$script"; $(BIN)/python $$script || exit 1; done

clean:  ## Remove the virtualenv and caches (not your data)
	rm -rf $(VENV) .mypy_cache .ruff_cache
