#!/usr/bin/env bash
# A private three-node MariaDB Galera cluster on loopback, living entirely
# under one directory (issue 22). As scripts/mariadb.sh for one server: never
# reads /etc/mysql (--no-defaults), never touches the system service.
#
#   scripts/galera.sh start            bootstrap node 1, join 2 and 3, wait for 3 Synced
#   scripts/galera.sh stop             stop 3, 2, 1 (node 1 last: it may bootstrap next time)
#   scripts/galera.sh status           each node's pid, port and wsrep state
#   scripts/galera.sh kill N           SIGKILL node N (1-3)
#   scripts/galera.sh restart N        start node N again (it joins; IST or SST), wait for Synced
#   scripts/galera.sh wait             wait until the cluster has 3 members, all Synced
#   scripts/galera.sh url              the DATABASE_URL naming the three nodes
#
# Environment: GALERA_DIR (default .run/galera), GALERA_PORT (default 3311).
# Node N (1-3) uses, all on 127.0.0.1 only:
#   SQL   GALERA_PORT + 10*(N-1)       (3311, 3321, 3331)
#   gcomm GALERA_PORT + 10*(N-1) + 1   (group communication)
#   IST   GALERA_PORT + 10*(N-1) + 2   (incremental state transfer)
#   SST   GALERA_PORT + 10*(N-1) + 3   (rsync state transfer)
# Layout under GALERA_DIR: nodeN/{data,tmp,mysqld.sock,mysqld.pid,mysqld.log},
# nodeN/socket.path (the socket's path: read it from there).
# Users: root@localhost without password (socket), app/app @localhost and
# @127.0.0.1 with ALL PRIVILEGES; database data_integrity_task.
#
# Two traps this script avoids (both met in issue 22): state transfer by
# rsync fails when the nodes run as root ("cannot stat destination ... in
# rsync_sst: Permission denied"), so as root the nodes run as the `mysql`
# user and their folders are its own; and mariadb-install-db runs that share
# one tmpdir fail (ERROR 1051), so each node has its own tmp/.
#
# Failure detection: evs.suspect_timeout is PT3S (Galera's default is PT5S):
# a killed node stalls the writes of the others until it is declared dead,
# and the server's read timeout (db/db.c) must outlast that stall. On loopback
# a shorter suspicion is safe; across a real network keep the default and
# see docs/scaling.md, "A Galera cluster".
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

DIR="${GALERA_DIR:-.run/galera}"
BASE="${GALERA_PORT:-3311}"
NODES=3
START_TIMEOUT=120  # seconds for a node to be Synced (SST included)
STOP_TIMEOUT=60
SOCKET_MAX=100
SUSPECT_TIMEOUT=PT3S
declare -A NODE_PID=()   # pids of the nodes this run started

say() { echo "galera: $*"; }
die() { echo "galera: error: $*" >&2; exit 1; }
usage() { sed -n '6,14p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2; exit 2; }

[[ "$BASE" =~ ^[0-9]+$ && "$BASE" -ge 1024 && "$BASE" -le 65500 ]] || die "bad GALERA_PORT: $BASE"
mkdir -p "$DIR"
DIR="$(cd "$DIR" && pwd)"

find_bin() {
  local b
  for b in "$@"; do
    if command -v "$b" >/dev/null 2>&1; then command -v "$b"; return 0; fi
    if [[ -x "/usr/sbin/$b" ]]; then echo "/usr/sbin/$b"; return 0; fi
  done
  die "none of '$*' found (run scripts/deps.sh run)"
}
MARIADBD="$(find_bin mariadbd mysqld)"
INSTALL_DB="$(find_bin mariadb-install-db mysql_install_db)"
CLIENT="$(find_bin mariadb mysql)"
PROVIDER=/usr/lib/galera/libgalera_smm.so
[[ -f "$PROVIDER" ]] || die "$PROVIDER missing: install galera-4 (scripts/deps.sh run)"
command -v rsync >/dev/null 2>&1 || die "rsync missing (scripts/deps.sh run)"

# As root the nodes run as mysql (see above); otherwise as whoever runs this.
if [[ "$(id -u)" -eq 0 ]]; then RUN_USER=mysql; else RUN_USER="$(id -un)"; fi

sql_port()   { echo $((BASE + 10 * ($1 - 1))); }
gcomm_port() { echo $((BASE + 10 * ($1 - 1) + 1)); }
ist_port()   { echo $((BASE + 10 * ($1 - 1) + 2)); }
sst_port()   { echo $((BASE + 10 * ($1 - 1) + 3)); }
ndir()       { echo "$DIR/node$1"; }

cluster_address() {
  local n list=""
  for n in $(seq 1 "$NODES"); do list+="${list:+,}127.0.0.1:$(gcomm_port "$n")"; done
  echo "gcomm://$list"
}

socket_path() {
  local d; d="$(ndir "$1")"
  if [[ -f "$d/socket.path" ]]; then cat "$d/socket.path"; else echo "$d/mysqld.sock"; fi
}

choose_socket() {
  local d sock; d="$(ndir "$1")"; sock="$d/mysqld.sock"
  if [[ ${#sock} -gt $SOCKET_MAX ]]; then
    local tmp; tmp="$(mktemp -d "${TMPDIR:-/tmp}/itgal.XXXXXX")"
    chown "$RUN_USER" "$tmp"
    sock="$tmp/mysqld.sock"
  fi
  echo "$sock" > "$d/socket.path"
}

sql() { local n=$1; shift; "$CLIENT" --no-defaults --socket="$(socket_path "$n")" -uroot "$@"; }

running_pid() {
  local f pid comm; f="$(ndir "$1")/mysqld.pid"
  [[ -f "$f" ]] || return 1
  pid="$(tr -dc '0-9' < "$f")"
  [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null || return 1
  comm="$(cat "/proc/$pid/comm" 2>/dev/null || true)"
  [[ "$comm" == mariadbd || "$comm" == mysqld ]] || return 1
  echo "$pid"
}

# wsrep_local_state_comment and wsrep_cluster_size of node N ("" if it does not answer).
node_state() {
  sql "$1" -N -B -e "SHOW GLOBAL STATUS WHERE Variable_name IN
    ('wsrep_local_state_comment', 'wsrep_cluster_size', 'wsrep_cluster_status')" 2>/dev/null |
    awk '{v[$1]=$2} END {if (NR) print v["wsrep_local_state_comment"], v["wsrep_cluster_size"], v["wsrep_cluster_status"]}'
}

init_node() {
  local n=$1 d; d="$(ndir "$n")"
  mkdir -p "$d/tmp"
  if [[ ! -f "$d/.initialised" ]]; then
    rm -rf "$d/data"
    mkdir -p "$d/data"
    if [[ $n -eq 1 ]]; then
      chown -R "$RUN_USER" "$d"
      say "initialising node 1's data"
      if ! TMPDIR="$d/tmp" "$INSTALL_DB" --no-defaults --datadir="$d/data" --user="$RUN_USER" \
          --tmpdir="$d/tmp" --auth-root-authentication-method=normal --skip-test-db \
          --skip-name-resolve >"$d/install-db.log" 2>&1; then
        tail -n 30 "$d/install-db.log" >&2 || true
        die "mariadb-install-db failed (log: $d/install-db.log)"
      fi
    fi
    # Nodes 2 and 3 start empty: their first join copies node 1 (SST).
    touch "$d/.initialised"
  fi
  chown -R "$RUN_USER" "$d"
}

# start_node N bootstrap(0|1)
start_node() {
  local n=$1 boot=$2 d; d="$(ndir "$n")"
  if running_pid "$n" >/dev/null; then say "node $n already running"; return 0; fi
  init_node "$n"
  rm -f "$d/mysqld.pid"
  choose_socket "$n"
  local sock; sock="$(socket_path "$n")"
  rm -f "$sock"
  local addr; addr="$(cluster_address)"
  local extra=()
  if [[ $boot -eq 1 ]]; then
    extra+=(--wsrep-new-cluster)
    # Started alone after everything stopped: this node's state is taken as
    # the cluster's (stop shuts it down last, so it has the latest commits).
    [[ -f "$d/data/grastate.dat" ]] &&
      sed -i 's/^safe_to_bootstrap: 0/safe_to_bootstrap: 1/' "$d/data/grastate.dat"
  fi
  say "starting node $n on 127.0.0.1:$(sql_port "$n")$([[ $boot -eq 1 ]] && echo ' (bootstrap)')"
  setsid "$MARIADBD" --no-defaults \
    --user="$RUN_USER" \
    --datadir="$d/data" --tmpdir="$d/tmp" \
    --socket="$sock" --pid-file="$d/mysqld.pid" --log-error="$d/mysqld.log" \
    --port="$(sql_port "$n")" --bind-address=127.0.0.1 \
    --skip-name-resolve --performance-schema=OFF \
    --innodb-buffer-pool-size=48M --innodb-log-file-size=48M \
    --innodb-flush-log-at-trx-commit=2 --innodb-autoinc-lock-mode=2 \
    --character-set-server=utf8mb4 --collation-server=utf8mb4_unicode_ci \
    --max-connections=500 --thread-handling=pool-of-threads \
    --binlog-format=ROW --default-storage-engine=InnoDB \
    --wsrep-on=ON --wsrep-provider="$PROVIDER" \
    --wsrep-cluster-name=integrity --wsrep-cluster-address="$addr" \
    --wsrep-node-name="node$n" --wsrep-node-address="127.0.0.1:$(gcomm_port "$n")" \
    --wsrep-node-incoming-address="127.0.0.1:$(sql_port "$n")" \
    --wsrep-sst-method=rsync --wsrep-sst-receive-address="127.0.0.1:$(sst_port "$n")" \
    --wsrep-slave-threads=2 \
    --wsrep-provider-options="gmcast.listen_addr=tcp://127.0.0.1:$(gcomm_port "$n");ist.recv_addr=127.0.0.1:$(ist_port "$n");gcache.size=32M;evs.suspect_timeout=$SUSPECT_TIMEOUT;evs.inactive_timeout=PT6S;evs.keepalive_period=PT0.5S;evs.inactive_check_period=PT0.5S" \
    "${extra[@]}" \
    </dev/null >>"$d/mysqld.log" 2>&1 &
  NODE_PID[$n]=$!
}

# Wait until node N answers and is Synced.
wait_synced() {
  local n=$1 waited=0 st
  while :; do
    st="$(node_state "$n" || true)"
    [[ "$st" == Synced* ]] && return 0
    if [[ $waited -ge $((START_TIMEOUT * 10)) ]]; then
      tail -n 30 "$(ndir "$n")/mysqld.log" >&2 || true
      die "node $n not Synced within ${START_TIMEOUT}s (state: ${st:-no answer})"
    fi
    # $! of setsid: the node itself (setsid execs it, not being a group leader)
    if [[ -n "${NODE_PID[$n]:-}" ]] && ! kill -0 "${NODE_PID[$n]}" 2>/dev/null; then
      tail -n 30 "$(ndir "$n")/mysqld.log" >&2 || true
      die "node $n exited during start-up (log: $(ndir "$n")/mysqld.log)"
    fi
    sleep 0.1
    waited=$((waited + 1))
  done
}

wait_cluster() {
  local n waited=0 all
  while :; do
    all=1
    for n in $(seq 1 "$NODES"); do
      [[ "$(node_state "$n" || true)" == "Synced $NODES Primary" ]] || all=0
    done
    [[ $all -eq 1 ]] && return 0
    [[ $waited -lt $((START_TIMEOUT * 10)) ]] || die "the cluster has not 3 Synced members after ${START_TIMEOUT}s"
    sleep 0.1
    waited=$((waited + 1))
  done
}

provision() {
  sql 1 -N -e "SELECT CONCAT('DROP USER ', QUOTE(User), '@', QUOTE(Host), ';')
             FROM mysql.user WHERE User = 'root'
             AND Host NOT IN ('localhost', '127.0.0.1', '::1')" | sql 1
  sql 1 <<'SQL'
CREATE USER IF NOT EXISTS 'app'@'localhost' IDENTIFIED BY 'app';
CREATE USER IF NOT EXISTS 'app'@'127.0.0.1' IDENTIFIED BY 'app';
GRANT ALL PRIVILEGES ON *.* TO 'app'@'localhost';
GRANT ALL PRIVILEGES ON *.* TO 'app'@'127.0.0.1';
CREATE DATABASE IF NOT EXISTS data_integrity_task
  CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
SQL
}

# A start or restart that fails stops the nodes it started (their pid files
# may not exist yet, so `stop` would not find them).
# shellcheck disable=SC2317  # called from the EXIT trap
stop_started_on_failure() {
  local rc=$? n
  [[ $rc -eq 0 ]] && return 0
  for n in "${!NODE_PID[@]}"; do
    kill -KILL "${NODE_PID[$n]}" 2>/dev/null && say "node $n stopped (the start failed)"
  done
  return $rc
}
trap stop_started_on_failure EXIT

do_start() {
  local n any=0 t0=$SECONDS
  for n in $(seq 1 "$NODES"); do running_pid "$n" >/dev/null && any=1; done
  if [[ $any -eq 0 ]]; then
    start_node 1 1
    wait_synced 1
    provision
  fi
  for n in $(seq 1 "$NODES"); do
    if ! running_pid "$n" >/dev/null; then
      start_node "$n" 0
      wait_synced "$n"   # one joiner at a time: one donor, one SST
    fi
  done
  wait_cluster
  say "up: $NODES nodes Synced in $((SECONDS - t0)) s; DATABASE_URL=$(do_url)"
}

stop_node() {
  local n=$1 pid waited=0
  if ! pid="$(running_pid "$n")"; then return 0; fi
  say "stopping node $n (pid $pid)"
  kill -TERM "$pid" 2>/dev/null || true
  while kill -0 "$pid" 2>/dev/null; do
    if [[ $waited -ge $((STOP_TIMEOUT * 10)) ]]; then
      kill -KILL "$pid" 2>/dev/null || true
      break
    fi
    sleep 0.1
    waited=$((waited + 1))
  done
  rm -f "$(ndir "$n")/mysqld.pid"
}

do_stop() {
  local n
  for n in $(seq "$NODES" -1 1); do stop_node "$n"; done
  say "stopped"
}

do_status() {
  local n pid rc=0
  for n in $(seq 1 "$NODES"); do
    if pid="$(running_pid "$n")"; then
      say "node $n: pid $pid, 127.0.0.1:$(sql_port "$n"), $(node_state "$n" || echo 'not answering')"
    else
      say "node $n: not running"
      rc=3
    fi
  done
  return $rc
}

do_kill() {
  local n=$1 pid
  pid="$(running_pid "$n")" || die "node $n is not running"
  kill -KILL "$pid"
  while kill -0 "$pid" 2>/dev/null; do sleep 0.05; done
  say "node $n killed (pid $pid)"
}

do_restart() {
  local n=$1 t0=$SECONDS
  stop_node "$n"
  start_node "$n" 0
  wait_synced "$n"
  say "node $n Synced in $((SECONDS - t0)) s"
}

do_url() {
  local n list=""
  for n in $(seq 1 "$NODES"); do list+="${list:+,}127.0.0.1:$(sql_port "$n")"; done
  echo "mysql://app:app@$list/data_integrity_task"
}

node_arg() {
  [[ "${1:-}" =~ ^[1-3]$ ]] || die "node must be 1, 2 or 3"
  echo "$1"
}

case "${1:-}" in
  start)   do_start ;;
  stop)    do_stop ;;
  status)  do_status ;;
  kill)    do_kill "$(node_arg "${2:-}")" ;;
  restart) do_restart "$(node_arg "${2:-}")" ;;
  wait)    wait_cluster ;;
  url)     do_url ;;
  *)       usage ;;
esac
