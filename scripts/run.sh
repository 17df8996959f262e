#!/usr/bin/env bash
# make run: install what is missing, start a private MariaDB under
# .run/mariadb (127.0.0.1:3307), build, and run the server in the foreground.
# Ctrl-C / SIGTERM stops the server and then the database.
#
# Environment: HOST (127.0.0.1), PORT (5000), JWT_SECRET_KEY (unset: APP_ENV=
# development and a random key), RUN_DB_PORT (3307); any other variable of
# `build/integrity-server --help` is passed through. DATABASE_URL is always
# set to the private database.
# RUN_CLUSTER=1 (make run-cluster): the database is instead the three-node
# Galera cluster of scripts/galera.sh (.run/galera, GALERA_PORT 3311), and
# DATABASE_URL lists its three nodes.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

DB_DIR=.run/mariadb
DB_PORT="${RUN_DB_PORT:-3307}"
SERVER_PID=
CLEANED=0

# shellcheck disable=SC2317  # called from the EXIT trap
cleanup() {
  [[ $CLEANED == 1 ]] && return 0
  CLEANED=1
  if [[ -n "$SERVER_PID" ]] && kill -0 "$SERVER_PID" 2>/dev/null; then
    echo "run: stopping the server (pid $SERVER_PID)"
    kill -TERM "$SERVER_PID" 2>/dev/null || true
    local i
    for ((i = 0; i < 200; i++)); do           # 20 s to finish in-flight requests
      kill -0 "$SERVER_PID" 2>/dev/null || break
      sleep 0.1
    done
    if kill -0 "$SERVER_PID" 2>/dev/null; then
      echo "run: server still running after 20 s; killing it" >&2
      kill -KILL "$SERVER_PID" 2>/dev/null || true
    fi
    wait "$SERVER_PID" 2>/dev/null || true
  fi
  if [[ "${RUN_CLUSTER:-0}" == 1 ]]; then
    scripts/galera.sh stop || true
  else
    scripts/mariadb.sh stop "$DB_DIR" || true
  fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

scripts/deps.sh run
if [[ "${RUN_CLUSTER:-0}" == 1 ]]; then
  DB_DIR=.run/galera
  scripts/galera.sh start
  DATABASE_URL="$(scripts/galera.sh url)"
  DB_PORT="${GALERA_PORT:-3311} (3 nodes)"
else
  scripts/mariadb.sh start "$DB_DIR" "$DB_PORT"
  SOCK="$(cat "$DB_DIR/socket.path")"
  DATABASE_URL="mysql://app:app@localhost:$DB_PORT/data_integrity_task?socket=$SOCK"
fi
export DATABASE_URL
scripts/build.sh release

export HOST="${HOST:-127.0.0.1}"
export PORT="${PORT:-5000}"
if [[ -z "${JWT_SECRET_KEY:-}" ]]; then
  export APP_ENV=development
  echo "run: JWT_SECRET_KEY is not set: APP_ENV=development, so the server makes a random key (tokens die with it)"
fi

scheme=http
[[ -n "${TLS_CERT:-}" && -n "${TLS_KEY:-}" ]] && scheme=https
probe_host="$HOST"
case "$probe_host" in
  0.0.0.0|'::'|'[::]'|'') probe_host=127.0.0.1 ;;
  *:*) [[ "$probe_host" == \[* ]] || probe_host="[$probe_host]" ;;
esac
URL="$scheme://$probe_host:$PORT"

echo "run: starting build/integrity-server on $HOST:$PORT (database: $DB_DIR, port $DB_PORT)"
build/integrity-server &
SERVER_PID=$!

# Say so once it answers /healthz (bounded; the server itself keeps going).
up=0
for ((i = 0; i < 300; i++)); do
  kill -0 "$SERVER_PID" 2>/dev/null || break
  if curl -fsSk -o /dev/null --max-time 2 "$URL/healthz" 2>/dev/null; then up=1; break; fi
  sleep 0.2
done
if [[ $up == 1 ]]; then
  echo "run: Integrity API is up at $URL  (Ctrl-C stops it and the database)"
elif kill -0 "$SERVER_PID" 2>/dev/null; then
  echo "run: server started but $URL/healthz does not answer yet; still waiting on it" >&2
fi

rc=0
wait "$SERVER_PID" || rc=$?
SERVER_PID=
echo "run: server exited with status $rc"
exit "$rc"
