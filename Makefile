# Two commands do all the set-up on a fresh clone: `make demo` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
FK := $(BIN)/fangkong
PORT ?= 8000
EMPLOYEES ?= 20000

.PHONY: install demo test test-postgres lint format check clean

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	@touch $@

install: $(BIN)/.installed

## make demo: virtualenv, install, migrate, load the demo group, serve on 127.0.0.1:$(PORT)
demo: install
	$(FK) demo --employees $(EMPLOYEES) --port $(PORT)

## make test: the whole suite on the configured database (SQLite unless DATABASE_URL is set)
test: install
	$(FK) check --fail-level WARNING
	$(FK) makemigrations --check --dry-run
	$(BIN)/pytest

## make test-postgres: the suite on the local PostgreSQL
test-postgres: install
	DATABASE_URL=$${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/test} $(BIN)/pytest

lint: install
	$(BIN)/ruff check fangkong tests scripts
	$(BIN)/ruff format --check fangkong tests scripts
	$(BIN)/mypy fangkong

format: install
	$(BIN)/ruff format fangkong tests scripts
	$(BIN)/ruff check --fix fangkong tests scripts

check: lint test

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
