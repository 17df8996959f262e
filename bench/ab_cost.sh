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

start_server() { # bin port log [VAR=value ...]
  local bin=$1 port=$2 log=$3
  shift 3
  env DATABASE_URL="mysql://app:app@localhost/data_integrity_task?socket=$SOCK" \
    JWT_SECRET_KEY="$JWT_KEY" HOST=127.0.0.1 PORT="$port" BCRYPT_COST=12 \
    JWT_EXPIRES_SECONDS=86400 LOGIN_MAX_FAILURES=1000 LOGIN_CHALLENGE_SECONDS=86400 \
    LOGIN_QUEUE_SECONDS="${LOGIN_QUEUE_SECONDS:-5}" "$@" "$bin" > "$log" 2> "$log.err" &
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

# ---- the section ---------------------------------------------------------------------------

mkdir -p "$OUT/sections"
AB_TITLE="$AB_TITLE" AB_NOTE="${AB_NOTE:-}" AB_AFTER_ENV="${AB_AFTER_ENV:-}" \
  /usr/bin/python3 bench/ab_section.py "$JSONL" "$short" "$head_sha$dirty" "$AB_RUNS" \
  "$DURATION" "$LIMIT_PCT" "$AB_SCENARIOS" > "$OUT/sections/50-$AB_NAME.md"
say "$AB_NAME: $(grep -c . "$JSONL") runs, section in $OUT/sections/50-$AB_NAME.md"
