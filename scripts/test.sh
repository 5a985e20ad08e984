#!/usr/bin/env bash
# The test command: sets up .venv and the services, then runs ruff and the whole suite.
#
# The suite runs as four pytest processes side by side, all of which must pass: the unit and
# integration tests; the end-to-end and fault tests (their work is mostly in child processes,
# on the machine's other CPU); the live tests (`-m live`: `trustcycle serve` on the real wall
# clock, waiting for Prefect's scheduler to fire a minute ahead); the cluster tests
# (`-m cluster`: scripts/cluster.sh's server and workers, waiting for flow runs).
# With arguments (`scripts/test.sh tests/unit -k ladder`) it runs just those, in one process.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh
scripts/services.sh
.venv/bin/ruff check .
export TRUSTCYCLE_TEST_PG_URL=${TRUSTCYCLE_TEST_PG_URL:-postgresql+psycopg2://postgres:postgres@127.0.0.1:5432/postgres}
# The throwaway Prefect server of each pytest process keeps its database on that PostgreSQL
# server: twice as fast as a SQLite file for flow-heavy tests (no "database is locked" 503s).
export TRUSTCYCLE_TEST_PREFECT_DB=${TRUSTCYCLE_TEST_PREFECT_DB:-postgres}
mkdir -p var
if [ "$#" -gt 0 ]; then
  exec .venv/bin/python -m pytest -q -p no:cacheprovider "$@"
fi
names=()
pids=()
beside() {  # beside NAME PYTEST-ARGS...: one pytest process in the background, logged
  names+=("$1")
  .venv/bin/python -m pytest -q -p no:cacheprovider "${@:2}" >"var/test-$1.log" 2>&1 &
  pids+=($!)
}
beside live -m live
beside cluster -m cluster
beside e2e -m "not live and not cluster" tests/e2e tests/faults
trap 'kill "${pids[@]}" 2>/dev/null || true' INT TERM
set +e
.venv/bin/python -m pytest -q -p no:cacheprovider -m "not live and not cluster" \
  tests/unit tests/integration
rcs=($?)
for pid in "${pids[@]}"; do
  wait "$pid"
  rcs+=($?)
done
set -e
for name in "${names[@]}"; do
  echo "--- $name tests (var/test-$name.log) ---"
  tail -n 30 "var/test-$name.log"
done
for rc in "${rcs[@]}"; do
  [ "$rc" = 0 ] || exit "$rc"
done
