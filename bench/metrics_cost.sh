#!/usr/bin/env bash
# bench/metrics_cost.sh - what issue 23 (metrics, request ids, JSON logs) costs
# on the hot paths: the no-token 401 and GET /products (100 rows), this build
# against the build before that change, in the same run (make bench calls it).
#
# The "before" build is BENCH_BEFORE (default 49f19e8, the last commit before
# issue 23's first one, e995e77), taken with `git archive` into
# .run/bench-before/<commit>/ and built there as Release (kept for the next
# run). Both servers run side by side on the bench's database with the same
# settings (this one with METRICS_PORT set, so its metrics listener runs
# too); each scenario alternates them A B B A ... over BENCH_AB_RUNS runs
# (4 by default, 2 in quick mode) of DURATION seconds at 16 connections, so
# that a drift of the machine during the run falls on both. Writes
# $OUT/metrics_cost.jsonl and the section $OUT/sections/50-metrics-cost.md
# (bench/report.py adds it to docs/benchmarks.md). A figure, never a verdict
# that fails the run.
#
# Called by bench/run.sh after its own scenarios, with its environment:
#   OUT RAW SOCK JWT_KEY TOKEN SERVER_BIN DURATION QUICK LOGIN_QUEUE_SECONDS
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

: "${OUT:?}" "${RAW:?}" "${SOCK:?}" "${JWT_KEY:?}" "${TOKEN:?}" "${SERVER_BIN:?}" "${DURATION:?}"
QUICK="${QUICK:-0}"
BEFORE="${BENCH_BEFORE:-49f19e8}"
AB_RUNS="${BENCH_AB_RUNS:-4}"
[[ "$QUICK" == 1 ]] && AB_RUNS=2
CONC=16
LIMIT_PCT=3

say() { echo "bench: $*"; }
die() { echo "bench: metrics_cost: $*" >&2; exit 1; }

free_port() {
  local p=$1
  while ss -Htln "( sport = :$p )" | grep -q .; do p=$((p + 1)); done
  echo "$p"
}

# ---- the build before ----------------------------------------------------------------------

sha=$(git rev-parse --verify -q "$BEFORE^{commit}") || die "no commit $BEFORE in this clone"
short=${sha:0:7}
dir=.run/bench-before/$short
if [[ ! -x "$dir/build/integrity-server" ]]; then
  say "building $short (the build before issue 23) in $dir"
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
start_server "$SERVER_BIN" "$PORT_B" "$OUT/ab-after.log" METRICS_PORT="$PORT_M"
curl -sf "http://127.0.0.1:$PORT_M/metrics" | grep -q '^http_requests_total' \
  || die "this build's metrics listener does not answer on $PORT_M"
say "metrics cost: before $short on :$PORT_A, this build ($head_sha$dirty, metrics on :$PORT_M) on :$PORT_B"

# ---- the runs ------------------------------------------------------------------------------

JSONL="$OUT/metrics_cost.jsonl"
: > "$JSONL"
one() { # scenario build port run
  local sc=$1 build=$2 port=$3 run=$4 tok=$TOKEN out
  [[ $sc == no_token ]] && tok=
  out="$RAW/ab-$sc-$build-r$run.txt"
  : > "$OUT/ab-$build.log"   # the access logs grow ~50 bytes a request
  env BENCH_WRK_DIR="$ROOT/bench/wrk" BENCH_THREADS=2 BENCH_TOKEN="$tok" \
    wrk -t2 -c"$CONC" -d"${DURATION}s" --latency -s bench/wrk/get.lua \
    "http://127.0.0.1:$port/products" > "$out" 2>&1 || true
  local json
  json=$(sed -n 's/^BENCHJSON //p' "$out")
  [[ -n "$json" ]] || { cat "$out" >&2; die "wrk printed no result ($out)"; }
  jq -c --arg s "$sc" --arg b "$build" --argjson r "$run" --arg load "$(cut -d' ' -f1-3 /proc/loadavg)" \
    '{scenario: $s, build: $b, run: $r, rps: .rps, p99_ms: .p99_ms, loadavg: $load}' \
    <<< "$json" >> "$JSONL"
  jq -r '"bench:   \(.scenario) \(.build) run \(.run): \(.rps|floor) req/s, p99 \(.p99_ms) ms"' \
    <<< "$(tail -n1 "$JSONL")"
}

for sc in no_token list; do
  # the list must answer 200 on both (the 401 on both) before it is timed
  want=200
  [[ $sc == no_token ]] && want=401
  for p in "$PORT_A" "$PORT_B"; do
    hdr=()
    [[ $sc == list ]] && hdr=(-H "Authorization: Bearer $TOKEN")
    code=$(curl -s -o /dev/null -w '%{http_code}' "${hdr[@]}" "http://127.0.0.1:$p/products")
    [[ $code == "$want" ]] || die "$sc on :$p answered $code, not $want"
  done
  # a warm-up of each, untimed
  for p in "$PORT_A" "$PORT_B"; do
    tok=$TOKEN
    [[ $sc == no_token ]] && tok=
    env BENCH_WRK_DIR="$ROOT/bench/wrk" BENCH_THREADS=2 BENCH_TOKEN="$tok" \
      wrk -t2 -c"$CONC" -d2s -s bench/wrk/get.lua "http://127.0.0.1:$p/products" > /dev/null 2>&1 || true
  done
  for ((r = 1; r <= AB_RUNS; r++)); do
    if ((r % 4 == 1 || r % 4 == 0)); then
      one "$sc" before "$PORT_A" "$r"; one "$sc" after "$PORT_B" "$r"
    else
      one "$sc" after "$PORT_B" "$r"; one "$sc" before "$PORT_A" "$r"
    fi
  done
done

# ---- the section ---------------------------------------------------------------------------

mkdir -p "$OUT/sections"
/usr/bin/python3 - "$JSONL" "$short" "$head_sha$dirty" "$AB_RUNS" "$DURATION" "$LIMIT_PCT" \
  > "$OUT/sections/50-metrics-cost.md" <<'EOF'
import json, statistics, sys
path, before, after, runs, dur, limit = sys.argv[1:7]
rows = [json.loads(l) for l in open(path) if l.strip()]
names = {"no_token": "no-token 401 (`GET /products` without a token)",
         "list": "`GET /products` (100 rows, with the token)"}
print("## Metrics cost (issue 23)\n")
print(f"The build before issue 23 (`{before}`, no metrics, no request ids, text logs only) "
      f"and this build (`{after}`, with `METRICS_PORT` set) side by side on the same database, "
      f"wrk `-t2 -c16 -d{dur}s`, runs alternated A B B A ({runs} of each); medians. "
      "The target: within 3 % of the build before. `bench/metrics_cost.sh`, run by `make bench`.\n")
print("| scenario | before req/s (runs) | this build req/s (runs) | change | within 3 % |")
print("|---|---|---|---|---|")
for sc in ("no_token", "list"):
    b = [r["rps"] for r in rows if r["scenario"] == sc and r["build"] == "before"]
    a = [r["rps"] for r in rows if r["scenario"] == sc and r["build"] == "after"]
    if not a or not b:
        continue
    mb, ma = statistics.median(b), statistics.median(a)
    ch = (ma - mb) / mb * 100
    ok = "yes" if ch >= -float(limit) else "**no**"
    fmt = lambda v: ", ".join(f"{x:,.0f}" for x in v)
    print(f"| {names[sc]} | {mb:,.0f} ({fmt(b)}) | {ma:,.0f} ({fmt(a)}) | {ch:+.1f} % | {ok} |")
print()
print("The no-token 401 differs between the builds only by issue 23's work on every request "
      "(a request id, the metrics' counters and histogram, the access log's new fields). "
      "`GET /products` also includes issue 21's revocation check (a token's row re-read at "
      "most every `REVOCATION_RECHECK_MS`, 100 ms, per worker thread).")
print()
EOF
say "metrics cost: $(grep -c . "$JSONL") runs, section in $OUT/sections/50-metrics-cost.md"
