#!/usr/bin/env bash
# Many trusts on Prefect's distributed parts, on this machine: PostgreSQL, a Prefect server
# on PostgreSQL (its own database), a process work pool, N workers each in a directory of
# its own (as separate machines would be), and the partners' portal.
#
#   scripts/cluster.sh start     # start everything; writes $CLUSTER_DIR/env (sourceable)
#   scripts/cluster.sh stop      # stop what `start` started, by the pids it recorded
#   scripts/cluster.sh status    # one line per process: running or not
#
# Settings (environment; defaults in brackets):
#   CLUSTER_DIR [var/cluster]         pid files, logs, env, one working directory per worker
#   CLUSTER_NAME [trustcycle_cluster] prefix of the two databases: <name>_prefect, <name>_app
#   CLUSTER_PG [postgresql://postgres:postgres@127.0.0.1:5432/postgres]  an admin login
#   CLUSTER_PORT [4200]               the Prefect API's port (0: any free port)
#   CLUSTER_POOL [trustcycle]         the process work pool
#   CLUSTER_WORKERS [2]               how many `prefect worker start` processes
#   CLUSTER_WORKER_LIMIT              if set, each worker's --limit (flow runs at once)
#   CLUSTER_TRUSTS                    if set, `trustcycle deploy --trusts` it once the pool is up
#   CLUSTER_REPOSITORY, CLUSTER_BRANCH  with CLUSTER_TRUSTS: the git repository workers clone
#   CLUSTER_PORTAL_PORT [8080]        the portal (started only when TRUSTCYCLE_PORTAL_SECRET is
#   CLUSTER_PORTAL_CONFIG             set; its trust's folder, default the first under
#                                     CLUSTER_TRUSTS, else config)
# Passed to the workers as they are: TRUSTCYCLE_SMTP_*, TRUSTCYCLE_SIGNOFF, PREFECT_* (e.g.
# PREFECT_WORKER_QUERY_SECONDS, PREFECT_FLOWS_HEARTBEAT_FREQUENCY).
#
# Code reaches a worker as the installed trustcycle package (this checkout's .venv; on real
# machines a package or an image); configuration as a git clone of CLUSTER_REPOSITORY made
# by each flow run (Prefect's git_clone pull step), or else the trusts folder's own path.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
PY=$ROOT/.venv/bin/python
DIR=$(realpath -m "${CLUSTER_DIR:-var/cluster}")
NAME=${CLUSTER_NAME:-trustcycle_cluster}
PG=${CLUSTER_PG:-postgresql://postgres:postgres@127.0.0.1:5432/postgres}
POOL=${CLUSTER_POOL:-trustcycle}
WORKERS=${CLUSTER_WORKERS:-2}

log() { echo "cluster: $*"; }

running() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

# Start a command in its own session (its pid is its process group), logging to $2.log.
spawn() {
  local name=$1 cwd=$2
  shift 2
  (cd "$cwd" && PYTHONUNBUFFERED=1 exec setsid "$@" </dev/null >>"$DIR/$name.log" 2>&1) &
  echo $! >"$DIR/$name.pid"
}

wait_for() {  # wait_for WHAT SECONDS COMMAND...
  local what=$1 seconds=$2
  shift 2
  local deadline=$((SECONDS + seconds))
  until "$@" >/dev/null 2>&1; do
    [ $SECONDS -lt $deadline ] || { log "$what not up after ${seconds}s"; return 1; }
    sleep 0.5
  done
}

start_postgres() {
  if ! "$PY" - "$PG" <<'EOF' >/dev/null 2>&1
import sys, psycopg2
psycopg2.connect(sys.argv[1].replace("+psycopg2", ""), connect_timeout=3).close()
EOF
  then
    ver=$(ls /etc/postgresql 2>/dev/null | sort -n | tail -1)
    [ -n "$ver" ] || { log "PostgreSQL is not installed (scripts/services.sh installs it)"; exit 1; }
    pg_ctlcluster --skip-systemctl-redirect "$ver" main start
  fi
  # The two databases, created once: Prefect's own and trustcycle's (every trust's).
  "$PY" - "$PG" "${NAME}_prefect" "${NAME}_app" <<'EOF'
import sys, time, psycopg2
url, names = sys.argv[1].replace("+psycopg2", ""), sys.argv[2:]
deadline = time.monotonic() + 30
while True:
    try:
        conn = psycopg2.connect(url, connect_timeout=3)
        break
    except psycopg2.OperationalError:
        if time.monotonic() > deadline:
            raise SystemExit("cluster: PostgreSQL does not answer at CLUSTER_PG")
        time.sleep(0.5)
conn.autocommit = True
with conn.cursor() as cur:
    for name in names:
        cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,))
        if cur.fetchone() is None:
            cur.execute(f'CREATE DATABASE "{name}"')
conn.close()
EOF
}

db_url() {  # db_url DRIVER DATABASE: the admin URL pointed at DATABASE with DRIVER
  "$PY" -c 'import sys; from sqlalchemy import make_url
u = make_url(sys.argv[1]); print(u.set(drivername=sys.argv[2], database=sys.argv[3]).render_as_string(hide_password=False))' "$PG" "$1" "$2"
}

free_port() {
  "$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

start() {
  mkdir -p "$DIR"
  if running "$DIR/server.pid"; then log "already running ($DIR/server.pid): stop it first"; exit 1; fi
  # A start that fails half way (a trust refused by deploy, a server that never answers)
  # stops what it had started: nothing is left running without a way to find it.
  trap 'log "start failed: stopping what was started"; stop' ERR
  start_postgres
  port=${CLUSTER_PORT:-4200}
  [ "$port" != 0 ] || port=$(free_port)
  api="http://127.0.0.1:$port/api"
  app_db=$(db_url postgresql+psycopg2 "${NAME}_app")
  mkdir -p "$DIR/server"
  PREFECT_HOME="$DIR/server" \
  PREFECT_SERVER_DATABASE_CONNECTION_URL=$(db_url postgresql+asyncpg "${NAME}_prefect") \
  PREFECT_SERVER_ANALYTICS_ENABLED=false PREFECT_API_URL="$api" \
    spawn server "$DIR/server" "$ROOT/.venv/bin/prefect" server start --host 127.0.0.1 --port "$port"
  wait_for "the Prefect server ($DIR/server.log)" 120 curl -fsS "$api/health"
  {
    echo "export PREFECT_API_URL=$api"
    echo "export TRUSTCYCLE_DATABASE_URL='$app_db'"
    echo "export CLUSTER_POOL=$POOL"
  } >"$DIR/env"
  export PREFECT_API_URL=$api TRUSTCYCLE_DATABASE_URL=$app_db
  "$ROOT/.venv/bin/prefect" work-pool inspect "$POOL" >/dev/null 2>&1 \
    || "$ROOT/.venv/bin/prefect" work-pool create "$POOL" --type process >/dev/null
  if [ -n "${CLUSTER_TRUSTS:-}" ]; then
    args=(deploy --pool "$POOL" --trusts "$CLUSTER_TRUSTS")
    [ -z "${CLUSTER_REPOSITORY:-}" ] || args+=(--repository "$CLUSTER_REPOSITORY")
    [ -z "${CLUSTER_BRANCH:-}" ] || args+=(--branch "$CLUSTER_BRANCH")
    [ -z "${PREFECT_FLOWS_HEARTBEAT_FREQUENCY:-}" ] || args+=(--heartbeat "$PREFECT_FLOWS_HEARTBEAT_FREQUENCY")
    "$ROOT/.venv/bin/trustcycle" "${args[@]}"
  fi
  for i in $(seq 1 "$WORKERS"); do
    # A directory of its own, as another machine would have: the flow runs' scratch space.
    mkdir -p "$DIR/worker-$i"
    spawn "worker-$i" "$DIR/worker-$i" "$ROOT/.venv/bin/prefect" worker start \
      --pool "$POOL" --type process --name "worker-$i" ${CLUSTER_WORKER_LIMIT:+--limit "$CLUSTER_WORKER_LIMIT"}
  done
  if [ -n "${TRUSTCYCLE_PORTAL_SECRET:-}" ]; then
    portal_config=${CLUSTER_PORTAL_CONFIG:-}
    if [ -z "$portal_config" ] && [ -n "${CLUSTER_TRUSTS:-}" ]; then
      portal_config=$(dirname "$(ls -d "$CLUSTER_TRUSTS"/*/trust.yaml | head -1)")
    fi
    portal_config=$(realpath "${portal_config:-config}")
    portal_port=${CLUSTER_PORTAL_PORT:-8080}
    mkdir -p "$DIR/portal"
    spawn portal "$DIR/portal" "$ROOT/.venv/bin/trustcycle" portal --config "$portal_config" \
      --port "$portal_port" --upload-dir "$DIR/portal/uploads"
    echo "export CLUSTER_PORTAL_URL=http://127.0.0.1:$portal_port/" >>"$DIR/env"
  fi
  log "server $api (log $DIR/server.log), pool $POOL, $WORKERS workers; env in $DIR/env"
}

stop_one() {  # SIGTERM the process group, then SIGKILL what is left after 20 s
  local pidfile=$1 pid
  [ -f "$pidfile" ] || return 0
  pid=$(cat "$pidfile")
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 40); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
  fi
  kill -KILL -- "-$pid" 2>/dev/null || true
  rm -f "$pidfile"
}

stop() {
  [ -d "$DIR" ] || return 0
  stop_one "$DIR/portal.pid"
  for pidfile in "$DIR"/worker-*.pid; do [ -e "$pidfile" ] && stop_one "$pidfile"; done
  stop_one "$DIR/server.pid"
  log "stopped"
}

status() {
  for pidfile in "$DIR"/*.pid; do
    [ -e "$pidfile" ] || continue
    name=$(basename "$pidfile" .pid)
    if running "$pidfile"; then echo "$name: running (pid $(cat "$pidfile"))"; else echo "$name: not running"; fi
  done
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) status ;;
  *) echo "usage: scripts/cluster.sh start|stop|status" >&2; exit 2 ;;
esac
