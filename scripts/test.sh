#!/usr/bin/env bash
# The test command: sets up .venv and the services, then runs ruff and the whole suite.
#
# The live tests (`-m live`: `trustcycle serve` on the real wall clock, waiting for
# Prefect's scheduler to fire a minute ahead) and the cluster tests (`-m cluster`:
# scripts/cluster.sh's server and workers, waiting for flow runs) spend most of their time
# waiting, so they run in a second pytest process beside the rest; both must pass. Extra
# arguments go to both.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh
scripts/services.sh
.venv/bin/ruff check .
export TRUSTCYCLE_TEST_PG_URL=${TRUSTCYCLE_TEST_PG_URL:-postgresql+psycopg2://postgres:postgres@127.0.0.1:5432/postgres}
mkdir -p var
live_log=var/test-live.log
.venv/bin/python -m pytest -q -m "live or cluster" -p no:cacheprovider "$@" >"$live_log" 2>&1 &
live=$!
trap 'kill "$live" 2>/dev/null || true' INT TERM
set +e
.venv/bin/python -m pytest -q -m "not live and not cluster" "$@"
main=$?
wait "$live"
live_rc=$?
set -e
echo "--- live and cluster tests (${live_log}) ---"
tail -n 40 "$live_log"
# 5: no test selected (the arguments chose none of that kind).
[ "$main" = 0 ] || [ "$main" = 5 ] || exit "$main"
[ "$live_rc" = 0 ] || [ "$live_rc" = 5 ] || exit "$live_rc"
