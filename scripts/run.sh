#!/usr/bin/env bash
# The main job on the embedded default: SQLite under var/, mail to var/out/mail/,
# Prefect's local ephemeral server. Extra arguments go to `trustcycle simulate`.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh
.venv/bin/trustcycle simulate --year 2026 --out var/out "$@"
scripts/draft_pdfs.sh var/out/drafts
