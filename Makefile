# Two commands do all the set-up on a fresh clone: `make demo` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
FK := $(BIN)/fangkong
PORT ?= 8000
EMPLOYEES ?= 20000

.PHONY: install browser-deps demo test test-postgres test-browser lint format check clean

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	@touch $@

install: $(BIN)/.installed fangkong/static/vendor/echarts/echarts.min.js

# Apache ECharts from the npm registry (package.json + package-lock.json), copied into the
# git-ignored fangkong/static/vendor/ that Django serves; npm ci runs again only when the lockfile moves.
node_modules/.package-lock.json: package-lock.json
	@command -v npm >/dev/null || [ "$$(id -u)" != 0 ] || (apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >/dev/null)
	@command -v npm >/dev/null || { echo "install: npm is needed for the dashboard's charts: apt-get install nodejs npm"; exit 1; }
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

fangkong/static/vendor/echarts/echarts.min.js: node_modules/.package-lock.json
	mkdir -p $(@D)
	cp node_modules/echarts/dist/echarts.min.js node_modules/echarts/LICENSE $(@D)/

# Debian's chromium and a CJK font for the browser tests (Playwright drives /usr/bin/chromium; it
# downloads no browser of its own). Skipped with a hint when not root; those tests then skip.
browser-deps:
	@if [ -x /usr/bin/chromium ] && [ -f /usr/share/fonts/truetype/wqy/wqy-microhei.ttc ] && command -v pdftotext >/dev/null; then :; \
	elif [ "$$(id -u)" = 0 ]; then \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-wqy-microhei poppler-utils) >/dev/null \
	  || echo "browser-deps: apt-get failed; browser tests will skip"; \
	else echo "browser-deps: run 'sudo apt-get install chromium fonts-wqy-microhei poppler-utils' for the browser and PDF tests"; fi

## make demo: virtualenv, install, migrate, load the demo group, serve on 127.0.0.1:$(PORT)
demo: install
	$(FK) demo --employees $(EMPLOYEES) --port $(PORT)

## make test: the whole suite on the configured database (SQLite unless DATABASE_URL is set)
test: install browser-deps
	$(FK) check --fail-level WARNING
	$(FK) makemigrations --check --dry-run
	$(BIN)/pytest

## make test-postgres: the suite on the local PostgreSQL
test-postgres: install
	DATABASE_URL=$${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/test} $(BIN)/pytest

## make test-browser: only the browser tests (Playwright + Debian chromium)
test-browser: install browser-deps
	$(BIN)/pytest -m browser

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
