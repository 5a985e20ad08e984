#!/usr/bin/env bash
# Creates .venv and installs trustcycle with its pinned dependencies. Idempotent and quick
# when nothing changed (a stamp records the hash of the files that define the install).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
stamp=.venv/.trustcycle-installed
want=$(cat pyproject.toml constraints.txt | sha256sum | cut -d' ' -f1)
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  .venv/bin/python -m pip install -q --upgrade pip >/dev/null 2>&1 || true
  .venv/bin/python -m pip install -q -c constraints.txt -e '.[test]' 2>&1 \
    | { grep -vE '^WARNING: Location|BuildBackendWarning|^ +|^$' || true; }
  echo "$want" > "$stamp"
fi
