#!/usr/bin/env bash
# The test command: sets up .venv and the services, then runs ruff and the whole suite.
#
# The live tests (`-m live`: `trustcycle serve` on the real wall clock, waiting for
# Prefect's scheduler to fire a minute ahead) and the cluster tests (`-m cluster`:
# scripts/cluster.sh's server and workers, waiting for flow runs) spend most of their time
# waiting, so each runs in its own pytest process beside the rest; all must pass. Extra
# arguments go to every one.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh
scripts/services.sh
.venv/bin/ruff check .
export TRUSTCYCLE_TEST_PG_URL=${TRUSTCYCLE_TEST_PG_URL:-postgresql+psycopg2://postgres:postgres@127.0.0.1:5432/postgres}
mkdir -p var
# The live and cluster tests mostly wait (for Prefect's scheduler, for workers): each runs
# in its own pytest process beside the rest; every one must pass.
pids=()
for kind in live cluster; do
  .venv/bin/python -m pytest -q -m "$kind" -p no:cacheprovider "$@" >"var/test-$kind.log" 2>&1 &
  pids+=($!)
done
trap 'kill "${pids[@]}" 2>/dev/null || true' INT TERM
set +e
.venv/bin/python -m pytest -q -m "not live and not cluster" "$@"
main=$?
rcs=()
for pid in "${pids[@]}"; do
  wait "$pid"
  rcs+=($?)
done
set -e
for kind in live cluster; do
  echo "--- $kind tests (var/test-$kind.log) ---"
  tail -n 30 "var/test-$kind.log"
done
# 5: no test selected (the arguments chose none of that kind).
for rc in "$main" "${rcs[@]}"; do
  [ "$rc" = 0 ] || [ "$rc" = 5 ] || exit "$rc"
done
