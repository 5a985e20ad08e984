#!/usr/bin/env bash
# Mutation testing of the rules that matter (scripts/mutation.py): on a copy of the work
# tree, at the lowest priority, so the tree you work in is never touched. Slow: not in CI.
#   scripts/mutation.sh                 # every module
#   scripts/mutation.sh links chase     # some of them
# Ends with `killed K of N`.
set -euo pipefail
cd "$(dirname "$0")/.."
here=$(pwd)
copy=$(mktemp -d /tmp/trustcycle-mutation.XXXXXX)
trap 'rm -rf "$copy"' EXIT
git ls-files -co --exclude-standard -z | tar --null -cf - -T - | tar -xf - -C "$copy"
export PYTHONPATH="$copy" PYTHONDONTWRITEBYTECODE=1
export TRUSTCYCLE_TEST_PG_URL=${TRUSTCYCLE_TEST_PG_URL:-postgresql+psycopg2://postgres:postgres@127.0.0.1:5432/postgres}
cd "$copy"
"$here/.venv/bin/python" -c 'import sys, trustcycle; sys.exit(not trustcycle.__file__.startswith(sys.argv[1]))' "$copy" \
  || { echo "trustcycle is not imported from the copy" >&2; exit 1; }
nice -n 19 "$here/.venv/bin/python" scripts/mutation.py "$@" | tee "$here/var/mutation.txt"
