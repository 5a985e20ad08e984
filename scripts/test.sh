#!/usr/bin/env bash
# The test command: sets up .venv and the services, then runs ruff and the whole suite.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh
scripts/services.sh
.venv/bin/ruff check .
export TRUSTCYCLE_TEST_PG_URL=${TRUSTCYCLE_TEST_PG_URL:-postgresql+psycopg2://postgres:postgres@127.0.0.1:5432/postgres}
exec .venv/bin/python -m pytest -q "$@"
