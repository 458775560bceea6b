# Relais — build, run and test.
#
# Every target works from a fresh checkout: it creates what it needs (.venv,
# node_modules, static/vendor) and skips what is already up to date. Stamp files
# live inside the directories they describe, so deleting .venv or static/vendor
# is enough to force a rebuild.

SHELL := /bin/bash

# Prefer Python 3.11 (the version we target); fall back to whatever python3 is.
PYTHON ?= $(shell command -v python3.11 2>/dev/null || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
FLASK  := $(BIN)/flask --app wsgi
PYTEST := $(BIN)/pytest -n 2 -p no:cacheprovider

VENV_STAMP   := $(VENV)/.stamp-venv
VENDOR       := static/vendor
ASSETS_STAMP := $(VENDOR)/.stamp-assets

# Use sudo only when we are not root and sudo exists (CI containers run as root).
SUDO := $(shell [ "$$(id -u)" -ne 0 ] && command -v sudo >/dev/null && echo sudo)

.PHONY: venv assets translations chromium migrate demo run test lint bench clean distclean i18n-extract

# --- Python ------------------------------------------------------------------

venv: $(VENV_STAMP)

$(VENV_STAMP): requirements.txt requirements-dev.txt constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -r requirements-dev.txt -c constraints.txt
	touch $@

# --- Front-end assets (vendored from npm, never from a CDN) ------------------

# Only the files the templates load. The icons CSS loads its fonts from
# url("fonts/…"), relative to itself, so fonts/ sits next to it.
assets: $(ASSETS_STAMP)

$(ASSETS_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund
	rm -rf $(VENDOR)
	mkdir -p $(VENDOR)/bootstrap $(VENDOR)/bootstrap-icons
	cp node_modules/bootstrap/dist/css/bootstrap.min.css $(VENDOR)/bootstrap/
	cp node_modules/bootstrap/dist/js/bootstrap.bundle.min.js $(VENDOR)/bootstrap/
	cp node_modules/bootstrap-icons/font/bootstrap-icons.min.css $(VENDOR)/bootstrap-icons/
	cp -R node_modules/bootstrap-icons/font/fonts $(VENDOR)/bootstrap-icons/
	touch $@

# --- Translations --------------------------------------------------------------

# Cheap enough to run every time; does nothing until a .po file exists.
translations: venv
	@if compgen -G 'translations/*/LC_MESSAGES/*.po' >/dev/null; then \
		$(BIN)/pybabel compile -d translations -f; \
	else \
		echo "translations: no .po files yet, nothing to compile"; \
	fi

# --- Browser for the Playwright journeys (tests/browser) -----------------------

# Debian's chromium package; tests/browser/conftest.py uses /usr/bin/chromium
# rather than a Playwright-downloaded browser.
chromium:
	@if [ ! -x /usr/bin/chromium ]; then \
		$(SUDO) apt-get update && \
		$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y chromium; \
	fi

# --- Running the portal locally ------------------------------------------------

# The app reads RELAIS_ENV to pick development settings (local database, no
# production secrets required). Override from the environment if needed.
migrate demo run: export RELAIS_ENV ?= development

migrate: venv
	$(FLASK) db upgrade

# `demo load` is idempotent, so running it on every `make run` is safe.
demo: migrate
	$(FLASK) demo load

# FLASK_DEBUG is deliberately not set: no Werkzeug debugger, even locally.
# E-mailed links point at the port actually served unless RELAIS_BASE_URL says otherwise.
run: venv assets translations migrate demo
	export RELAIS_BASE_URL=$${RELAIS_BASE_URL:-http://127.0.0.1:$${PORT:-5000}}; \
	$(FLASK) demo logins && \
	$(FLASK) run --host 127.0.0.1 --port $${PORT:-5000}

# --- Quality -------------------------------------------------------------------

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# The suite runs twice, once per database. Both runs always happen (so one
# failure does not hide the other); the target fails if either failed.
test: venv assets translations chromium
	$(MAKE) lint
	@status=0; \
	echo "=== tests on SQLite ==="; \
	RELAIS_TEST_DATABASE=sqlite $(PYTEST) || status=1; \
	echo "=== tests on PostgreSQL ==="; \
	if .ci/services; then \
		RELAIS_TEST_DATABASE=postgresql $(PYTEST) || status=1; \
	else \
		echo "PostgreSQL/Redis unavailable: PostgreSQL run skipped" >&2; status=1; \
	fi; \
	exit $$status

bench: venv
	@if [ -f bench/run.py ]; then $(BIN)/python bench/run.py; else echo "no benchmarks yet"; fi

# --- Cleaning ------------------------------------------------------------------

# Build output only: keeps .venv and instance/ (your local database).
clean:
	rm -rf $(VENDOR) node_modules test-artifacts .pytest_cache .ruff_cache
	rm -f translations/*/LC_MESSAGES/*.mo
	find . -path ./$(VENV) -prune -o -name __pycache__ -type d -exec rm -rf {} +

# Everything `make` can recreate, including the virtualenv.
distclean: clean
	rm -rf $(VENV)

# --- Translations: after adding strings, extract them and merge into each .po ---

i18n-extract: venv
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext -k lazy_pgettext:1c,2 --project=Relais --no-location --sort-output -o translations/messages.pot .
	$(BIN)/pybabel update -i translations/messages.pot -d translations --no-fuzzy-matching
