#!/usr/bin/env bash
# Rewrite the initial migration from the models. Only valid while nothing has
# been released: once a migration has shipped, add a new one instead
# (`flask --app wsgi db revision -m "..."`).
set -euo pipefail
cd "$(dirname "$0")/.."
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
rm -f migrations/versions/*_initial_schema.py
RELAIS_ENV=development RELAIS_INSTANCE_PATH="$scratch" .venv/bin/flask --app wsgi db revision -m "initial schema" >/dev/null 2>&1
.venv/bin/ruff check --fix -q migrations/versions || true
.venv/bin/ruff format -q migrations/versions
ls migrations/versions
