#!/usr/bin/env bash
# bench/cluster.sh - the Galera section of `make bench` (issue 22): the API on
# a three-node MariaDB Galera cluster beside the API on one MariaDB, in the
# same run, and what a node's death costs.
#
# bench/run.sh calls it after its single-server scenarios (BENCH_CLUSTER=0
# skips it); it also runs alone, with the same environment:
#   bench/cluster.sh                  figures into .run/bench/cluster.md
#   BENCH_QUICK=1 bench/cluster.sh    2-second runs, 1 each: checks the script
#                                     only; .run/bench-quick/cluster.md
# Never writes docs/: bench/report.py puts the section into docs/benchmarks.md
# when bench/run.sh writes it.
#
# Two set-ups, one after the other, each with a fresh database, the Release
# server (build-release/, built when missing) and the same client side as
# run.sh (the user bench_owner through the real flow, 100 products through
# POST /products, 64 /login users in SQL; bench/wrk/*.lua; wrk -t2 -c16):
#   one      one MariaDB (scripts/mariadb.sh, .run/mariadb-bench-one), over
#            TCP on 127.0.0.1 like the cluster's nodes
#   cluster  three Galera nodes (scripts/galera.sh, GALERA_DIR
#            .run/galera-bench, GALERA_PORT 3811: SQL 3811/3821/3831) and ONE
#            server process whose DATABASE_URL lists the three nodes, node 1
#            first: every request goes through node 1, nodes 2 and 3 apply
#            its writes (what replication costs, not read scale-out).
# Each: GET /products (100 rows), GET /products/<id>, POST /products,
# PUT /products/<id>, POST /login; BENCH_RUNS runs of BENCH_DURATION s each.
# Then, on the cluster: bench/cluster_kill.py, 8 clients of plain POSTs and
# GETs, node 1 (the server's) SIGKILLed after 5 s, restarted 10 s later, 5 s
# more load once Synced; 503s, other 5xx, writes lost, checksums.
#
# Environment: BENCH_QUICK, BENCH_DURATION, BENCH_RUNS as bench/run.sh;
#   BENCH_OUT             output folder (run.sh sets it; default .run/bench,
#                         .run/bench-quick with BENCH_QUICK=1)
#   BENCH_GALERA_PORT     first GALERA_PORT to try (3811; then +30 until all
#                         twelve ports are free)
#   BENCH_ONE_DB_PORT, BENCH_CLUSTER_PORT   first port to try for the single
#                         MariaDB / the server (3801 / 5801)
# Output: $OUT/cluster.jsonl (one JSON line per wrk run and the node kill),
# $OUT/cluster-meta.json, $OUT/cluster.md (the section alone), raw output in
# $OUT/raw/cluster-*. Exit status 0 when it ran, whatever the figures.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

DURATION="${BENCH_DURATION:-10}"
RUNS="${BENCH_RUNS:-3}"
QUICK="${BENCH_QUICK:-0}"
KILL_BEFORE=5 KILL_DOWN=10 KILL_AFTER=5 KILL_WORKERS=8 KILL_MAX=300000
WARMUP=3
if [[ "$QUICK" == 1 ]]; then
  DURATION=2
  RUNS=1
  KILL_BEFORE=3 KILL_DOWN=5 KILL_AFTER=3 KILL_MAX=50000
  WARMUP=1
fi
OUT="${BENCH_OUT:-}"
if [[ -z "$OUT" ]]; then
  OUT=.run/bench
  [[ "$QUICK" == 1 ]] && OUT=.run/bench-quick
fi
case "$OUT" in docs|docs/*|./docs*) echo "bench/cluster: refusing to write into $OUT" >&2; exit 2 ;; esac
RAW="$OUT/raw"
RESULTS="$OUT/cluster.jsonl"
META="$OUT/cluster-meta.json"
LOG_DIR="$OUT/cluster"
ONE_DIR=.run/mariadb-bench-one
export GALERA_DIR=.run/galera-bench
BUILD=build-release
SERVER_BIN="$BUILD/integrity-server"
PASSWORD="bench-password-1"
JWT_KEY="bench-jwt-key-0123456789abcdef0123456789abcdef"   # bench only
LOGIN_POOL=64
LOGIN_QUEUE_SECONDS=5
WRK_TIMEOUT=10
PY=/usr/bin/python3

SERVER_PID=
HELPER_PID=
ONE_STARTED=0
CLUSTER_STARTED=0
CLEANED=0
DB_PIDS=()

say() { echo "bench: cluster: $*"; }
die() { echo "bench: cluster: error: $*" >&2; exit 1; }
# shellcheck source=bench/lib.sh
source "$ROOT/bench/lib.sh"

for c in wrk curl jq zbarimg oathtool mariadb ss rsync; do
  command -v "$c" > /dev/null 2>&1 || die "$c is missing (bench/run.sh or scripts/deps.sh installs it)"
done
[[ -f /usr/lib/galera/libgalera_smm.so ]] || die "galera-4 is missing (scripts/deps.sh run)"

# ---- clean-up: only what this script started -----------------------------------------------


stop_server() {
  [[ -n "$SERVER_PID" ]] || return 0
  stop_pid "$SERVER_PID" 30
  SERVER_PID='' HELPER_PID=''
}

# A node of this script's cluster still running after `galera.sh stop`: one that
# an interrupted `galera.sh restart` was starting has no pid file yet. Found by
# its data folder (this script's own), stopped by pid.
# shellcheck disable=SC2317  # called from the trap
sweep_nodes() {
  local d p pid
  d="$(cd "$GALERA_DIR" 2>/dev/null && pwd)" || return 0
  for p in /proc/[0-9]*; do
    [[ "$(tr '\0' ' ' 2>/dev/null < "$p/cmdline")" == *" --datadir=$d/node"[123]"/data "* ]] || continue
    pid=${p#/proc/}
    say "stopping node pid $pid (no pid file)"
    stop_pid "$pid" 30
  done
}

# shellcheck disable=SC2317  # called from the trap
cleanup() {
  local rc=$?
  [[ $CLEANED == 1 ]] && return 0
  CLEANED=1
  if [[ -n "${KILL_PID:-}" ]]; then   # the driver and a galera.sh kill/restart it runs
    kill -TERM -- "-$KILL_PID" 2>/dev/null || true
    stop_pid "$KILL_PID" 5
  fi
  stop_server
  [[ $ONE_STARTED == 1 ]] && { scripts/mariadb.sh stop "$ONE_DIR" > /dev/null 2>&1 || true; }
  if [[ $CLUSTER_STARTED == 1 ]]; then
    scripts/galera.sh stop > /dev/null 2>&1 || true
    sweep_nodes
  fi
  if [[ $rc -ne 0 && -f "$META" ]]; then
    jq -c --arg p "$(cat "$OUT/cluster.phase" 2>/dev/null || echo '?')" \
      '. + {status: "failed", failed_in: $p}' "$META" > "$META.tmp" && mv "$META.tmp" "$META"
  fi
  return "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---- helpers (as in bench/run.sh) ---------------------------------------------------------------

# A GALERA_PORT whose twelve ports (SQL, gcomm, IST, SST of three nodes) are free.
free_galera_base() {
  local b=$1 n k busy
  for ((; b < $1 + 600; b += 30)); do
    busy=0
    for n in 0 1 2; do
      for k in 0 1 2 3; do
        ss -Htln "( sport = :$((b + 10 * n + k)) )" | grep -q . && busy=1
      done
    done
    [[ $busy == 0 ]] && { echo "$b"; return 0; }
  done
  die "no free ports for the cluster from $1"
}

phase() { echo "$1" > "$OUT/cluster.phase"; }

CLK_TCK=$(getconf CLK_TCK)
server_ticks() {
  local t
  t=$(proc_ticks "$SERVER_PID")
  [[ -n "$HELPER_PID" ]] && t=$((t + $(proc_ticks "$HELPER_PID")))
  echo "$t"
}
db_ticks() { # all MariaDB processes of the set-up measured (one, or the three nodes)
  local p t=0
  for p in "${DB_PIDS[@]}"; do t=$((t + $(proc_ticks "$p"))); done
  echo "$t"
}
cpu_snap() { echo "$(busy_ticks) $(server_ticks) $(db_ticks) $(date +%s.%N)"; }
QUIET_BUDGET="${BENCH_QUIET_BUDGET:-120}"
[[ "$QUICK" == 1 ]] && QUIET_BUDGET="${BENCH_QUIET_BUDGET:-20}"

# measure SETUP NAME RUN SCRIPT PATH [VAR=value ...]: one wrk run (-t2 -c16).
measure() {
  local setup=$1 name=$2 run=$3 script=$4 path=$5
  shift 5
  local out="$RAW/cluster-$setup-$name-r$run.txt" json s0 s1 cpu
  wait_quiet
  phase "$setup-$name-r$run"
  : > "$LOG_DIR/server-$setup.log"
  s0=$(cpu_snap)
  timed "$OUT/cluster-client.cpu" env BENCH_WRK_DIR="$ROOT/bench/wrk" BENCH_THREADS=2 \
    BENCH_TOKEN="$TOKEN" "$@" \
    wrk -t2 -c16 -d"${DURATION}s" --timeout "${WRK_TIMEOUT}s" --latency \
    -s "bench/wrk/$script" "$BASE$path" > "$out" 2>&1
  s1=$(cpu_snap)
  cpu=$(cpu_split "$s0" "$s1" "$(cat "$OUT/cluster-client.cpu")")
  json=$(sed -n 's/^BENCHJSON //p' "$out")
  [[ -n "$json" ]] || { cat "$out" >&2; die "wrk printed no result for $setup $name (see $out)"; }
  jq -c --arg c "$setup" --arg s "$name" --argjson r "$run" --argjson cpu "$cpu" \
    --arg load "$(cut -d' ' -f1-3 /proc/loadavg)" \
    '. + {config: $c, scenario: $s, conc: 16, run: $r, loadavg: $load} + $cpu' \
    <<< "$json" >> "$RESULTS"
  jq -r '"bench: cluster:   \(.config) \(.scenario) run \(.run): \(.rps|floor) req/s, p99 \(.p99_ms) ms, "
         + "status>=400: \(.status_ge_400), cores server/db/wrk/other \(.cpu_server)/\(.cpu_db)/"
         + "\(.cpu_client)/\(.cpu_other)"' <<< "$(tail -n1 "$RESULTS")"
}

# start_server SETUP URL: the Release server on $PORT, ready (the database answers).
start_server() {
  local setup=$1 url=$2 i
  BASE="http://127.0.0.1:$PORT"
  : > "$LOG_DIR/server-$setup.log"
  env DATABASE_URL="$url" JWT_SECRET_KEY="$JWT_KEY" HOST=127.0.0.1 PORT="$PORT" BCRYPT_COST=12 \
    JWT_EXPIRES_SECONDS=86400 LOGIN_MAX_FAILURES=1000 LOGIN_CHALLENGE_SECONDS=86400 \
    LOGIN_QUEUE_SECONDS="$LOGIN_QUEUE_SECONDS" "$SERVER_BIN" \
    >> "$LOG_DIR/server-$setup.log" 2> "$LOG_DIR/server-$setup.err" &
  SERVER_PID=$!
  for ((i = 0; i < 600; i++)); do
    curl -sf "$BASE/readyz" > /dev/null 2>&1 && break
    kill -0 "$SERVER_PID" 2>/dev/null || { cat "$LOG_DIR/server-$setup.err" >&2; die "the server exited"; }
    sleep 0.1
  done
  curl -sf "$BASE/readyz" > /dev/null || die "the server on $BASE is not ready (database: $url)"
  HELPER_PID=$(tr -s ' ' '\n' < "/proc/$SERVER_PID/task/$SERVER_PID/children" 2>/dev/null | head -n1)
}

# prepare SETUP: the user through the real flow, 100 products through POST, the
# /login pool in SQL; sets TOKEN, ID_FIRST, ID_STEP, LIST_BYTES.
prepare() {
  local setup=$1 ids
  TOKEN=$(owner_token "$BASE" "$LOG_DIR/qr-$setup.png")
  seed_products "$BASE" "$TOKEN"
  curl -sf "$BASE/products" -H "Authorization: Bearer $TOKEN" > "$LOG_DIR/list-$setup.json"
  LIST_BYTES=$(wc -c < "$LOG_DIR/list-$setup.json")
  # The ids: 1..100 on one server; on Galera each node hands out ids stepping by
  # the cluster's size (wsrep_auto_increment_control), so get.lua and put.lua get
  # the first id and the step.
  ids=$(jq -c '[.[].id]' "$LOG_DIR/list-$setup.json")
  read -r ID_FIRST ID_STEP < <(jq -r '"\(.[0]) \(.[1] - .[0])"' <<< "$ids")
  jq -e --argjson f "$ID_FIRST" --argjson s "$ID_STEP" \
    'length == 100 and (to_entries | all(.value == $f + .key * $s))' <<< "$ids" > /dev/null \
    || die "the 100 products' ids are not evenly spaced: $ids"
  sqlroot "INSERT INTO users (username, password_hash, totp_secret, totp_enrolled)
    SELECT CONCAT('bl', LPAD(seq, 6, '0')), (SELECT password_hash FROM users WHERE username = 'bench_owner'),
           'JBSWY3DPEHPK3PXP', 1 FROM seq_0_to_$((LOGIN_POOL - 1))"
  say "$setup: bench_owner through the real flow, 100 products (ids $ID_FIRST + k*$ID_STEP, list $LIST_BYTES bytes), $LOGIN_POOL /login users"
  env BENCH_WRK_DIR="$ROOT/bench/wrk" BENCH_TOKEN="$TOKEN" \
    wrk -t2 -c16 -d"${WARMUP}s" -s bench/wrk/get.lua "$BASE/products" > /dev/null 2>&1 || true
}

# scenarios SETUP: the five request kinds, reads first (POST grows the table).
scenarios() {
  local setup=$1 r
  local ids=(BENCH_ID_MAX=100 BENCH_ID_FIRST="$ID_FIRST" BENCH_ID_STEP="$ID_STEP")
  say "$setup: GET /products, GET /products/<id>, POST, PUT, /login (c=16, $RUNS x ${DURATION}s)"
  for ((r = 1; r <= RUNS; r++)); do measure "$setup" list "$r" get.lua /products; done
  for ((r = 1; r <= RUNS; r++)); do measure "$setup" get_id "$r" get.lua / "${ids[@]}"; done
  for ((r = 1; r <= RUNS; r++)); do measure "$setup" post "$r" post.lua /products; done
  for ((r = 1; r <= RUNS; r++)); do measure "$setup" put "$r" put.lua / "${ids[@]}"; done
  for ((r = 1; r <= RUNS; r++)); do
    measure "$setup" login "$r" login.lua / BENCH_USER_PREFIX=bl BENCH_POOL=$LOGIN_POOL \
      BENCH_PASSWORD=$PASSWORD
  done
  # logins a wrk run leaves in flight hold their queue place until done or
  # LOGIN_QUEUE_SECONDS have passed (see run.sh's drain_logins)
  sleep $((LOGIN_QUEUE_SECONDS + 2))
}

# ---- set-up -----------------------------------------------------------------------------------

mkdir -p "$OUT" "$RAW" "$LOG_DIR"
rm -f "$RESULTS" "$META" "$OUT/cluster.md" "$RAW"/cluster-* "$LOG_DIR"/*
START_S=$(date +%s)
if [[ ! -x "$SERVER_BIN" || -z "${BENCH_FROM_RUN:-}" ]]; then
  # alone: build (a no-op when build-release/ is current); run.sh has just built it
  say "building $BUILD (Release)"
  { cmake -S . -B "$BUILD" -DCMAKE_BUILD_TYPE=Release -DINTEGRITY_TESTS=OFF \
      && cmake --build "$BUILD" -j"$(nproc)" --target integrity-server; } > "$LOG_DIR/build.log" 2>&1 \
    || { tail -n 30 "$LOG_DIR/build.log" >&2; die "build failed"; }
fi
ONE_DB_PORT=$(free_port "${BENCH_ONE_DB_PORT:-3801}")
PORT=$(free_port "${BENCH_CLUSTER_PORT:-5801}")
GALERA_PORT=$(free_galera_base "${BENCH_GALERA_PORT:-3811}")
export GALERA_PORT
jq -n --arg start "$(date -u +%Y-%m-%dT%H:%M:%SZ)" --arg rev "$(git rev-parse --short HEAD 2>/dev/null || echo unknown)" \
  --argjson d "$DURATION" --argjson r "$RUNS" --argjson q "$QUICK" --argjson gp "$GALERA_PORT" \
  --argjson op "$ONE_DB_PORT" --arg gd "$GALERA_DIR" --arg od "$ONE_DIR" \
  --argjson kb "$KILL_BEFORE" --argjson kd "$KILL_DOWN" --argjson ka "$KILL_AFTER" \
  --argjson kw "$KILL_WORKERS" --argjson lp "$LOGIN_POOL" \
  '{start: $start, git_rev: $rev, duration: $d, runs: $r, quick: $q, galera_port: $gp,
    galera_dir: $gd, one_db_port: $op, one_dir: $od, kill_before: $kb, kill_down: $kd,
    kill_after: $ka, kill_workers: $kw, login_pool: $lp, status: "running"}' > "$META"
meta() { jq -c "$@" "$META" > "$META.tmp" && mv "$META.tmp" "$META"; }

# ---- 1. one server ------------------------------------------------------------------------------

phase one-start
scripts/mariadb.sh stop "$ONE_DIR" > /dev/null 2>&1 || true
ONE_STARTED=1
scripts/mariadb.sh start "$ONE_DIR" "$ONE_DB_PORT" > "$LOG_DIR/mariadb-one.log" 2>&1 \
  || { cat "$LOG_DIR/mariadb-one.log" >&2; die "MariaDB did not start"; }
SOCK=$(cat "$ONE_DIR/socket.path")
DB_PIDS=("$(tr -dc '0-9' < "$ONE_DIR/mysqld.pid")")
sqlroot() { mariadb --no-defaults --socket="$SOCK" -uroot -N -B data_integrity_task -e "$1"; }
mariadb --no-defaults --socket="$SOCK" -uroot -e "DROP DATABASE IF EXISTS data_integrity_task;
  CREATE DATABASE data_integrity_task CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"
start_server one "mysql://app:app@127.0.0.1:$ONE_DB_PORT/data_integrity_task"
say "one: MariaDB on 127.0.0.1:$ONE_DB_PORT (TCP), server pid $SERVER_PID on $BASE"
prepare one
meta --argjson b "$LIST_BYTES" '. + {list_bytes_one: $b}'
scenarios one
stop_server
scripts/mariadb.sh stop "$ONE_DIR" > /dev/null 2>&1 || true
ONE_STARTED=0

# ---- 2. the cluster -------------------------------------------------------------------------------

phase cluster-start
# a fresh cluster: the folder is this script's own (a run stopped hard may have left nodes)
scripts/galera.sh stop > /dev/null 2>&1 || true
rm -rf "$GALERA_DIR"
mkdir -p "$GALERA_DIR"
chmod 755 "$GALERA_DIR"   # as root the nodes run as mysql
CLUSTER_STARTED=1
t0=$(date +%s.%N)
scripts/galera.sh start > "$LOG_DIR/galera-start.log" 2>&1 \
  || { tail -n 30 "$LOG_DIR/galera-start.log" >&2; die "the cluster did not start"; }
CL_START_S=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN {printf "%.1f", b - a}')
SOCKS=()
DB_PIDS=()
for n in 1 2 3; do
  SOCKS+=("$(cat "$GALERA_DIR/node$n/socket.path")")
  DB_PIDS+=("$(tr -dc '0-9' < "$GALERA_DIR/node$n/mysqld.pid")")
done
SOCK=${SOCKS[0]}
mariadb --no-defaults --socket="$SOCK" -uroot -e "DROP DATABASE IF EXISTS data_integrity_task;
  CREATE DATABASE data_integrity_task CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"
PROVIDER_VERSION=$(mariadb --no-defaults --socket="$SOCK" -uroot -N -B \
  -e "SHOW GLOBAL STATUS LIKE 'wsrep_provider_version'" | cut -f2)
CL_URL=$(scripts/galera.sh url)
start_server cluster "$CL_URL"
say "cluster: 3 nodes Synced in $CL_START_S s (GALERA_PORT $GALERA_PORT, Galera $PROVIDER_VERSION), server pid $SERVER_PID on $BASE, DATABASE_URL $CL_URL"
meta --arg v "$PROVIDER_VERSION" --argjson s "$CL_START_S" --arg u "$CL_URL" \
  '. + {galera_version: $v, cluster_start_s: $s, cluster_url: $u}'
prepare cluster
meta --argjson b "$LIST_BYTES" --argjson st "$ID_STEP" '. + {list_bytes_cluster: $b, id_step_cluster: $st}'
scenarios cluster

# ---- 3. a node killed under load ---------------------------------------------------------------

phase node-kill
wait_quiet
say "node kill: $KILL_WORKERS clients of POST /products and GET /products/<id>; node 1 killed after ${KILL_BEFORE}s, restarted ${KILL_DOWN}s later"
# in a session of its own: an interrupted run stops it with the galera.sh it runs
setsid -w "$PY" bench/cluster_kill.py --base "$BASE" --token "$TOKEN" --galera scripts/galera.sh --node 1 \
  --socket "${SOCKS[0]}" --socket "${SOCKS[1]}" --socket "${SOCKS[2]}" \
  --workers "$KILL_WORKERS" --before "$KILL_BEFORE" --down "$KILL_DOWN" --after "$KILL_AFTER" \
  --max-requests "$KILL_MAX" --read-ids "$ID_FIRST,$ID_STEP,100" \
  --out "$RESULTS" --raw "$RAW/cluster-node-kill.csv" > "$LOG_DIR/node-kill.txt" 2>&1 &
KILL_PID=$!
wait "$KILL_PID" || { KILL_PID=; cat "$LOG_DIR/node-kill.txt" >&2; die "the node-kill measurement did not complete"; }
KILL_PID=
sed 's/^cluster_kill: /bench: cluster:   /' "$LOG_DIR/node-kill.txt"

# ---- 4. stop, and the section --------------------------------------------------------------------

phase "done"
stop_server
scripts/galera.sh stop > "$LOG_DIR/galera-stop.log" 2>&1 || true
CLUSTER_STARTED=0
meta --argjson e "$(($(date +%s) - START_S))" '. + {status: "done", elapsed_s: $e}'
BENCH_OUT="$OUT" "$PY" bench/report.py --cluster-only "$OUT/cluster.md"
say "done in $(($(date +%s) - START_S))s: $OUT/cluster.md (raw: $RESULTS, $RAW/cluster-*)"
