#!/usr/bin/env bash
# bench/ab_cost.sh - what one change costs on the hot paths: this build
# against the build before the change, side by side in the same run (make
# bench calls it once per change it checks).
#
#   AB_NAME      the section's file name part, e.g. issue23
#   AB_TITLE     the section's heading
#   AB_BEFORE    the commit before the change (built with `git archive` into
#                .run/bench-before/<commit>/ as Release, kept for the next run)
#   AB_SCENARIOS space-separated, of: no_token (GET /products without a
#                token: the 401), list (GET /products, 100 rows), get_id
#                (GET /products/<id>, ids 1..100)
#   AB_LIMIT     the largest loss allowed, in % (reported, never enforced)
#   AB_NOTE      a paragraph under the table
#   AB_AFTER_ENV VAR=value ... for this build's server (METRICS_PORT is set
#                in any case, so that its metrics listener runs too)
#   AB_INSTR=0   skip the instruction counts (callgrind; about 20 s a count)
#
# Both servers run on the bench's database with the same settings; each
# scenario alternates them A B B A ... over BENCH_AB_RUNS runs (4 by default,
# 2 in quick mode) of DURATION seconds at 16 connections, so that a drift of
# the machine during the run falls on both. Writes $OUT/ab-$AB_NAME.jsonl and
# the section $OUT/sections/50-$AB_NAME.md (bench/report.py adds it to
# docs/benchmarks.md). A figure, never a verdict that fails the run.
#
# Called by bench/run.sh after its own scenarios, with its environment:
#   OUT RAW SOCK JWT_KEY TOKEN SERVER_BIN DURATION QUICK LOGIN_QUEUE_SECONDS
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

: "${OUT:?}" "${RAW:?}" "${SOCK:?}" "${JWT_KEY:?}" "${TOKEN:?}" "${SERVER_BIN:?}" "${DURATION:?}"
: "${AB_NAME:?}" "${AB_TITLE:?}" "${AB_BEFORE:?}" "${AB_SCENARIOS:?}"
QUICK="${QUICK:-0}"
AB_RUNS="${BENCH_AB_RUNS:-4}"
[[ "$QUICK" == 1 ]] && AB_RUNS=2
CONC=16
LIMIT_PCT="${AB_LIMIT:-3}"
read -r -a AFTER_ENV <<< "${AB_AFTER_ENV:-}"

say() { echo "bench: $*"; }
die() { echo "bench: ab_cost ($AB_NAME): $*" >&2; exit 1; }
# shellcheck source=bench/lib.sh
source "$ROOT/bench/lib.sh"


# ---- the build before ----------------------------------------------------------------------

sha=$(git rev-parse --verify -q "$AB_BEFORE^{commit}") || die "no commit $AB_BEFORE in this clone"
short=${sha:0:7}
dir=.run/bench-before/$short
if [[ ! -x "$dir/build/integrity-server" ]]; then
  say "building $short (the build before $AB_NAME) in $dir"
  rm -rf "$dir"
  mkdir -p "$dir/src"
  git archive "$sha" | tar -x -C "$dir/src"
  cmake -S "$dir/src" -B "$dir/build" -DCMAKE_BUILD_TYPE=Release -DINTEGRITY_TESTS=OFF \
    -DSANITIZE=OFF > "$dir/build.log" 2>&1 || { tail -n 20 "$dir/build.log" >&2; die "configure failed"; }
  cmake --build "$dir/build" -j"$(nproc)" --target integrity-server >> "$dir/build.log" 2>&1 \
    || { tail -n 20 "$dir/build.log" >&2; die "build of $short failed"; }
fi
BIN_BEFORE="$dir/build/integrity-server"
head_sha=$(git rev-parse --short HEAD)
dirty=$(git status --porcelain --untracked-files=no | grep -q . && echo "+changes" || true)

# ---- the two servers -----------------------------------------------------------------------

PIDS=()
cleanup() {
  local p
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
}
trap cleanup EXIT

# The settings every server of this script runs with, on port $1.
server_env() {
  SERVER_ENV=(DATABASE_URL="mysql://app:app@localhost/data_integrity_task?socket=$SOCK"
    JWT_SECRET_KEY="$JWT_KEY" HOST=127.0.0.1 PORT="$1" BCRYPT_COST=12
    JWT_EXPIRES_SECONDS=86400 LOGIN_MAX_FAILURES=1000 LOGIN_CHALLENGE_SECONDS=86400
    LOGIN_QUEUE_SECONDS="${LOGIN_QUEUE_SECONDS:-5}")
}

start_server() { # bin port log [VAR=value ...]
  local bin=$1 port=$2 log=$3
  shift 3
  server_env "$port"
  env "${SERVER_ENV[@]}" "$@" "$bin" > "$log" 2> "$log.err" &
  PIDS+=($!)
  local i
  for ((i = 0; i < 300; i++)); do
    curl -sf "http://127.0.0.1:$port/healthz" > /dev/null 2>&1 && return 0
    kill -0 "${PIDS[-1]}" 2>/dev/null || { cat "$log.err" >&2; die "$bin exited"; }
    sleep 0.1
  done
  die "$bin does not answer on port $port"
}

PORT_A=$(free_port 5690)
start_server "$BIN_BEFORE" "$PORT_A" "$OUT/ab-before.log"
PORT_B=$(free_port $((PORT_A + 1)))
PORT_M=$(free_port $((PORT_B + 1)))
start_server "$SERVER_BIN" "$PORT_B" "$OUT/ab-after.log" METRICS_PORT="$PORT_M" "${AFTER_ENV[@]}"
# (not curl | grep -q: grep's early exit is curl's SIGPIPE, a failure under pipefail)
metrics=$(curl -sf "http://127.0.0.1:$PORT_M/metrics") || metrics=
grep -q '^http_requests_total' <<< "$metrics" || die "this build's metrics listener does not answer on $PORT_M"
say "$AB_NAME: before $short on :$PORT_A, this build ($head_sha$dirty, metrics on :$PORT_M) on :$PORT_B"

# ---- the runs ------------------------------------------------------------------------------

JSONL="$OUT/ab-$AB_NAME.jsonl"
: > "$JSONL"

# One wrk run of a scenario against a port: get.lua with the token (none for the 401).
wrk_run() { # scenario port seconds [--latency]
  local sc=$1 port=$2 secs=$3 tok=$TOKEN ids=0 url="http://127.0.0.1:$2/products"
  [[ $sc == no_token ]] && tok=
  [[ $sc == get_id ]] && { ids=100; url="http://127.0.0.1:$port/"; }
  env BENCH_WRK_DIR="$ROOT/bench/wrk" BENCH_THREADS=2 BENCH_TOKEN="$tok" BENCH_ID_MAX="$ids" \
    wrk -t2 -c"$CONC" -d"${secs}s" ${4:-} -s bench/wrk/get.lua "$url"
}

one() { # scenario build port run
  local sc=$1 build=$2 port=$3 run=$4 out json
  out="$RAW/ab-$AB_NAME-$sc-$build-r$run.txt"
  : > "$OUT/ab-$build.log"   # the access logs grow ~50 bytes a request
  wrk_run "$sc" "$port" "$DURATION" --latency > "$out" 2>&1 || true
  json=$(sed -n 's/^BENCHJSON //p' "$out")
  [[ -n "$json" ]] || { cat "$out" >&2; die "wrk printed no result ($out)"; }
  jq -c --arg s "$sc" --arg b "$build" --argjson r "$run" --arg load "$(cut -d' ' -f1-3 /proc/loadavg)" \
    '{scenario: $s, build: $b, run: $r, rps: .rps, p99_ms: .p99_ms,
      status_ge_400: .status_ge_400, loadavg: $load}' <<< "$json" >> "$JSONL"
  jq -r '"bench:   \(.scenario) \(.build) run \(.run): \(.rps|floor) req/s, p99 \(.p99_ms) ms"' \
    <<< "$(tail -n1 "$JSONL")"
}

for sc in $AB_SCENARIOS; do
  # each answers as it should on both before it is timed: 401 without a token, else 200
  want=200 path=/products hdr=(-H "Authorization: Bearer $TOKEN")
  [[ $sc == no_token ]] && { want=401; hdr=(); }
  [[ $sc == get_id ]] && path=/products/1
  for p in "$PORT_A" "$PORT_B"; do
    code=$(curl -s -o /dev/null -w '%{http_code}' "${hdr[@]}" "http://127.0.0.1:$p$path")
    [[ $code == "$want" ]] || die "$sc on :$p answered $code, not $want"
  done
  for p in "$PORT_A" "$PORT_B"; do wrk_run "$sc" "$p" 2 > /dev/null 2>&1 || true; done # warm-up
  for ((r = 1; r <= AB_RUNS; r++)); do
    if ((r % 4 == 1 || r % 4 == 0)); then
      one "$sc" before "$PORT_A" "$r"
      one "$sc" after "$PORT_B" "$r"
    else
      one "$sc" after "$PORT_B" "$r"
      one "$sc" before "$PORT_A" "$r"
    fi
  done
done

# ---- instructions a request (callgrind) ------------------------------------------------------
# The rates above move by a fifth from run to run on a shared machine, more
# than the few per cent to be told apart; callgrind's instruction counts do
# not move (the same binary, requests and data give the same count). Each
# build answers INSTR_BASE then INSTR_BASE + INSTR_N requests of a scenario
# under callgrind, one at a time on one connection (bench/instr_load.py);
# the difference over INSTR_N is what one more request costs the server's
# process, CivetWeb, libmariadb and libc included (not the kernel, not
# MariaDB). AB_INSTR=0 skips it.

INSTR_BASE=200
INSTR_N=2000
[[ "$QUICK" == 1 ]] && INSTR_N=500
INSTR_JSONL="$OUT/ab-$AB_NAME-instr.jsonl"
: > "$INSTR_JSONL"

instr_total() { # bin scenario requests metrics(0|1) [VAR=value ...]: the process's instructions
  local bin=$1 sc=$2 n=$3 metrics=$4 port pid out i code total
  shift 4
  port=$(free_port $((PORT_M + 1)))
  [[ $metrics == 1 ]] && set -- METRICS_PORT="$(free_port $((port + 1)))" "$@"
  out="$RAW/ab-$AB_NAME-callgrind.out"
  rm -f "$out"
  server_env "$port"
  env "${SERVER_ENV[@]}" "$@" valgrind --tool=callgrind --callgrind-out-file="$out" "$bin" \
    > "$OUT/ab-instr.log" 2> "$OUT/ab-instr.log.err" &
  pid=$!
  # Ready (the schema checked, MariaDB answering), polled once a second: the
  # polls are requests too, and few of them keep the counts comparable.
  for ((i = 0; i < 180; i++)); do
    sleep 1
    code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/readyz" || true)
    [[ "$code" == 200 ]] && break
    kill -0 "$pid" 2>/dev/null || { tail -n 20 "$OUT/ab-instr.log.err" >&2; die "$bin under callgrind exited"; }
  done
  [[ "$code" == 200 ]] || { stop_pid "$pid" 20; die "$bin under callgrind was not ready in 180 s"; }
  /usr/bin/python3 bench/instr_load.py "$port" "$sc" "$n" "$TOKEN" || { stop_pid "$pid" 20; die "$sc under callgrind"; }
  stop_pid "$pid" 60
  total=$(sed -n 's/^summary: //p' "$out")
  rm -f "$out"
  [[ "$total" =~ ^[0-9]+$ ]] || die "no callgrind summary for $bin"
  echo "$total"
}

if [[ "${AB_INSTR:-1}" == 1 ]]; then
  for sc in $AB_SCENARIOS; do
    for build in before after; do
      if [[ $build == before ]]; then
        t0=$(instr_total "$BIN_BEFORE" "$sc" "$INSTR_BASE" 0)
        t1=$(instr_total "$BIN_BEFORE" "$sc" $((INSTR_BASE + INSTR_N)) 0)
      else
        t0=$(instr_total "$SERVER_BIN" "$sc" "$INSTR_BASE" 1 "${AFTER_ENV[@]}")
        t1=$(instr_total "$SERVER_BIN" "$sc" $((INSTR_BASE + INSTR_N)) 1 "${AFTER_ENV[@]}")
      fi
      jq -nc --arg s "$sc" --arg b "$build" --argjson t0 "$t0" --argjson t1 "$t1" --argjson n "$INSTR_N" \
        '{scenario: $s, build: $b, requests: $n, ir_per_request: (($t1 - $t0) / $n)}' >> "$INSTR_JSONL"
      say "  $sc $build: $(jq -r '.ir_per_request | floor' <<< "$(tail -n1 "$INSTR_JSONL")") instructions a request (callgrind)"
    done
  done
fi

# ---- the section ---------------------------------------------------------------------------

mkdir -p "$OUT/sections"
AB_TITLE="$AB_TITLE" AB_NOTE="${AB_NOTE:-}" AB_AFTER_ENV="${AB_AFTER_ENV:-}" \
  AB_INSTR_JSONL="$INSTR_JSONL" AB_INSTR_BASE="$INSTR_BASE" \
  /usr/bin/python3 bench/ab_section.py "$JSONL" "$short" "$head_sha$dirty" "$AB_RUNS" \
  "$DURATION" "$LIMIT_PCT" "$AB_SCENARIOS" > "$OUT/sections/50-$AB_NAME.md"
say "$AB_NAME: $(grep -c . "$JSONL") runs, section in $OUT/sections/50-$AB_NAME.md"
