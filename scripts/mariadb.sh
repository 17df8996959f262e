#!/usr/bin/env bash
# A private MariaDB living entirely under one directory.
#
#   scripts/mariadb.sh start  <dir> [port]   (port defaults to 3307)
#   scripts/mariadb.sh stop   <dir>
#   scripts/mariadb.sh status <dir>
#
# Layout under <dir>: data/ (datadir), mysqld.sock, mysqld.pid, mysqld.log,
# socket.path (the socket's path, always written: read it from there; when
# <dir>/mysqld.sock would be too long for a Unix socket it lives in a short
# mktemp dir instead). Listens on 127.0.0.1:<port> only. Never reads
# /etc/mysql (--no-defaults) and never touches the system service.
# Users: root@localhost without password (socket), app/app @localhost and
# @127.0.0.1 with ALL PRIVILEGES; database data_integrity_task (utf8mb4).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

START_TIMEOUT=30   # seconds for the server to answer ping
STOP_TIMEOUT=60    # seconds for it to shut down after SIGTERM
SOCKET_MAX=100     # sun_path is 108 bytes; stay well below

usage() { echo "usage: $0 start|stop|status <dir> [port]" >&2; exit 2; }
say() { echo "mariadb: $*"; }
die() { echo "mariadb: error: $*" >&2; exit 1; }

[[ $# -ge 2 && $# -le 3 ]] || usage
cmd="$1"
mkdir -p "$2"
DIR="$(cd "$2" && pwd)"
PORT="${3:-3307}"
[[ "$PORT" =~ ^[0-9]+$ ]] || die "port must be a number: $PORT"

DATA="$DIR/data"
PIDFILE="$DIR/mysqld.pid"
LOG="$DIR/mysqld.log"
SOCKFILE="$DIR/socket.path"
INITMARK="$DIR/.initialised"
USER_NAME="$(id -un)"

find_bin() {
  local b
  for b in "$@"; do
    if command -v "$b" >/dev/null 2>&1; then command -v "$b"; return 0; fi
    if [[ -x "/usr/sbin/$b" ]]; then echo "/usr/sbin/$b"; return 0; fi
    if [[ -x "/usr/bin/$b" ]]; then echo "/usr/bin/$b"; return 0; fi
  done
  die "none of '$*' found (run scripts/deps.sh run)"
}

# pid of our running server, or nothing. Checks that the pid really is a
# mariadbd/mysqld (pids get reused).
running_pid() {
  [[ -f "$PIDFILE" ]] || return 1
  local pid comm
  pid="$(tr -dc '0-9' < "$PIDFILE")"
  [[ -n "$pid" ]] || return 1
  kill -0 "$pid" 2>/dev/null || return 1
  comm="$(cat "/proc/$pid/comm" 2>/dev/null || true)"
  [[ "$comm" == mariadbd || "$comm" == mysqld ]] || return 1
  echo "$pid"
}

socket_path() {
  if [[ -f "$SOCKFILE" ]]; then cat "$SOCKFILE"; else echo "$DIR/mysqld.sock"; fi
}

# Choose the socket path for a new start and record it in socket.path.
choose_socket() {
  local sock="$DIR/mysqld.sock"
  if [[ ${#sock} -gt $SOCKET_MAX ]]; then
    local tmp
    tmp="$(mktemp -d "${TMPDIR:-/tmp}/itdb.XXXXXX")"
    sock="$tmp/mysqld.sock"
    [[ ${#sock} -le $SOCKET_MAX ]] || die "cannot find a short enough socket path"
    say "socket path under $DIR is too long; using $sock"
  fi
  echo "$sock" > "$SOCKFILE"
}

# Remove a fallback socket directory (only one we made: /…/itdb.XXXXXX).
cleanup_socket_dir() {
  [[ -f "$SOCKFILE" ]] || return 0
  local sock d
  sock="$(cat "$SOCKFILE")"
  d="$(dirname "$sock")"
  if [[ "$d" != "$DIR" && "$(basename "$d")" == itdb.* && -d "$d" ]]; then
    rm -f "$sock" "$d/mysqld.sock.lock"
    rmdir "$d" 2>/dev/null || true
  fi
}

admin() { "$ADMIN" --no-defaults --socket="$(socket_path)" -uroot "$@"; }
sql() { "$CLIENT" --no-defaults --socket="$(socket_path)" -uroot "$@"; }

init_datadir() {
  if [[ -f "$INITMARK" && -d "$DATA/mysql" ]]; then return 0; fi
  if [[ -e "$DATA" ]]; then
    say "removing half-initialised $DATA"
    rm -rf "$DATA"
  fi
  say "initialising $DATA"
  mkdir -p "$DATA"
  if ! "$INSTALL_DB" --no-defaults --datadir="$DATA" --user="$USER_NAME" \
        --auth-root-authentication-method=normal --skip-test-db \
        --skip-name-resolve >"$DIR/install-db.log" 2>&1; then
    tail -n 30 "$DIR/install-db.log" >&2 || true
    die "mariadb-install-db failed (log: $DIR/install-db.log)"
  fi
  touch "$INITMARK"
}

provision() {
  # mariadb-install-db also makes root@<hostname>, which skip-name-resolve
  # ignores with a warning on every connection: drop it.
  sql -N -e "SELECT CONCAT('DROP USER ', QUOTE(User), '@', QUOTE(Host), ';')
             FROM mysql.user WHERE User = 'root'
             AND Host NOT IN ('localhost', '127.0.0.1', '::1')" | sql
  sql <<'SQL'
CREATE USER IF NOT EXISTS 'app'@'localhost' IDENTIFIED BY 'app';
CREATE USER IF NOT EXISTS 'app'@'127.0.0.1' IDENTIFIED BY 'app';
ALTER USER 'app'@'localhost' IDENTIFIED BY 'app';
ALTER USER 'app'@'127.0.0.1' IDENTIFIED BY 'app';
GRANT ALL PRIVILEGES ON *.* TO 'app'@'localhost';
GRANT ALL PRIVILEGES ON *.* TO 'app'@'127.0.0.1';
CREATE DATABASE IF NOT EXISTS data_integrity_task
  CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
FLUSH PRIVILEGES;
SQL
}

do_start() {
  MARIADBD="$(find_bin mariadbd mysqld)"
  INSTALL_DB="$(find_bin mariadb-install-db mysql_install_db)"
  ADMIN="$(find_bin mariadb-admin mysqladmin)"
  CLIENT="$(find_bin mariadb mysql)"

  local pid
  if pid="$(running_pid)"; then
    local cur
    cur="$(sql -N -e 'SELECT @@port')" || die "running (pid $pid) but not answering"
    if [[ "$cur" != "$PORT" ]]; then
      die "already running on port $cur (asked for $PORT); run: $0 stop $DIR"
    fi
    say "already running (pid $pid, port $cur, socket $(socket_path))"
    provision
    return 0
  fi
  rm -f "$PIDFILE"
  cleanup_socket_dir
  init_datadir
  choose_socket
  local sock
  sock="$(socket_path)"
  rm -f "$sock"

  say "starting on 127.0.0.1:$PORT (dir $DIR)"
  # setsid: its own session, so a Ctrl-C in the terminal does not reach it;
  # whoever started it stops it with 'stop'.
  # pool-of-threads: MariaDB's thread pool runs the statements of all
  # connections on about one thread per core (thread_pool_size) instead of a
  # thread per connection. The server holds one connection per busy worker
  # thread, all of them short statements: with a thread each, 16 connections
  # are 16 more runnable threads on the cores the server and its clients use,
  # and the tail of every request grows (bench/findings.md, "MariaDB's thread
  # pool": p99 of GET /products/<id> 3 ms against 11-31 ms).
  setsid "$MARIADBD" --no-defaults \
    --user="$USER_NAME" \
    --datadir="$DATA" \
    --socket="$sock" \
    --pid-file="$PIDFILE" \
    --log-error="$LOG" \
    --port="$PORT" \
    --bind-address=127.0.0.1 \
    --skip-name-resolve \
    --performance-schema=OFF \
    --innodb-buffer-pool-size=64M \
    --innodb-flush-log-at-trx-commit=2 \
    --character-set-server=utf8mb4 \
    --collation-server=utf8mb4_unicode_ci \
    --max-connections=500 \
    --thread-handling=pool-of-threads \
    --skip-log-bin \
    </dev/null >>"$LOG" 2>&1 &
  local bgpid=$!

  local waited=0
  until admin ping >/dev/null 2>&1; do
    if ! kill -0 "$bgpid" 2>/dev/null; then
      tail -n 30 "$LOG" >&2 || true
      cleanup_socket_dir
      die "mariadbd exited during start-up (log: $LOG)"
    fi
    if [[ $waited -ge $((START_TIMEOUT * 10)) ]]; then
      tail -n 30 "$LOG" >&2 || true
      kill "$bgpid" 2>/dev/null || true
      die "mariadbd did not answer within ${START_TIMEOUT}s (log: $LOG)"
    fi
    sleep 0.1
    waited=$((waited + 1))
  done
  provision
  say "up: pid $(running_pid || echo "$bgpid"), port $PORT, socket $sock"
}

do_stop() {
  local pid
  if ! pid="$(running_pid)"; then
    say "not running ($DIR)"
    rm -f "$PIDFILE"
    cleanup_socket_dir
    return 0
  fi
  say "stopping pid $pid"
  kill -TERM "$pid" 2>/dev/null || true
  local waited=0
  while kill -0 "$pid" 2>/dev/null; do
    if [[ $waited -ge $((STOP_TIMEOUT * 10)) ]]; then
      echo "mariadb: pid $pid still alive after ${STOP_TIMEOUT}s; sending SIGKILL" >&2
      kill -KILL "$pid" 2>/dev/null || true
      sleep 0.5
      break
    fi
    sleep 0.1
    waited=$((waited + 1))
  done
  rm -f "$PIDFILE"
  cleanup_socket_dir
  say "stopped"
}

do_status() {
  local pid
  if pid="$(running_pid)"; then
    say "running (pid $pid, socket $(socket_path), dir $DIR)"
  else
    say "not running ($DIR)"
    return 3
  fi
}

case "$cmd" in
  start)  do_start ;;
  stop)   do_stop ;;
  status) do_status ;;
  *)      usage ;;
esac
