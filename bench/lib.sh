# shellcheck shell=bash
# bench/lib.sh - the helpers bench/run.sh, bench/cluster.sh and bench/ab_cost.sh
# share (sourced, never run). What the caller provides: say; for cpu_split
# and wait_quiet CLK_TCK, QUIET_BUDGET (seconds of waiting left, shared by
# the calls), optionally QUIET_MAX (cores others may use, 0.25) and cpu_snap
# ("busy steal server db time", its own processes); for owner_token PASSWORD.

stop_pid() { # pid seconds: SIGTERM, wait, then SIGKILL; only the pid we were given
  local pid=$1 secs=${2:-20} i
  [[ -n "$pid" ]] || return 0
  kill -0 "$pid" 2>/dev/null || return 0
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < secs * 10; i++)); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}

free_port() { # first port >= $1 nobody listens on
  local p=$1
  while ss -Htln "( sport = :$p )" | grep -q .; do p=$((p + 1)); done
  echo "$p"
}

proc_ticks() { # utime + stime of a process (all its threads), in clock ticks
  local t
  t=$(sed 's/^.*) //' "/proc/$1/stat" 2>/dev/null | awk '{print $12 + $13}')
  echo "${t:-0}"
}

busy_ticks() { awk '/^cpu / {print $2 + $3 + $4 + $7 + $8, $9}' /proc/stat; }

# cpu_split SNAP0 SNAP1 CLIENT_CPU_S: JSON of cores used over the interval by the
# server, MariaDB, the load generator (wrk/mariadb-slap, measured by `time`) and
# everything else on the machine ("other": other people's work), and the
# hypervisor's steal (cores this VM wanted and did not get).
cpu_split() {
  awk -v a="$1" -v b="$2" -v cl="$3" -v hz="$CLK_TCK" 'BEGIN {
    split(a, x, " "); split(b, y, " "); wall = y[5] - x[5]; if (wall <= 0) wall = 1
    busy = (y[1] - x[1]) / hz / wall; st = (y[2] - x[2]) / hz / wall
    sv = (y[3] - x[3]) / hz / wall; db = (y[4] - x[4]) / hz / wall
    c = cl / wall; o = busy - sv - db - c; if (o < 0) o = 0
    printf "{\"cpu_server\":%.2f,\"cpu_db\":%.2f,\"cpu_client\":%.2f,\"cpu_other\":%.2f,\"cpu_steal\":%.2f}", sv, db, c, o, st }'
}

# Wait (from a shared budget) until others use less than QUIET_MAX cores.
wait_quiet() {
  local a b other waited=0
  while :; do
    a=$(cpu_snap); sleep 1; b=$(cpu_snap)
    other=$(cpu_split "$a" "$b" 0 | jq .cpu_other)
    awk -v o="$other" -v m="${QUIET_MAX:-0.25}" 'BEGIN {exit !(o <= m)}' && return 0
    if [[ $QUIET_BUDGET -le 0 ]]; then
      say "  (the machine is busy: $other cores used by other processes; measuring anyway)"
      return 0
    fi
    [[ $waited == 0 ]] && say "  waiting for other work on the machine to finish ($other cores busy)"
    sleep 4
    waited=1
    QUIET_BUDGET=$((QUIET_BUDGET - 5))
  done
}

# Time the client command into $1 ("user+sys" CPU seconds).
timed() {
  local f=$1 TIMEFORMAT='%U %S'
  shift
  { time "$@" ; } 2> "$f.tmp" || true
  tail -n1 "$f.tmp" | awk '{print $1 + $2}' > "$f"
  rm -f "$f.tmp"
}

# The bench's user through the real flow (signup, /login -> QR PNG in $2 ->
# zbarimg -> oathtool -> /verify-2fa) on the server at $1; prints its token.
owner_token() { # base qr-file
  local base=$1 qr=$2 J='Content-Type: application/json' ctype uri secret code token
  curl -sf -X POST "$base/signup" -H "$J" \
    -d "{\"username\":\"bench_owner\",\"password\":\"$PASSWORD\"}" > /dev/null || die "signup failed"
  ctype=$(curl -sf -X POST "$base/login" -H "$J" -o "$qr" -w '%{content_type}' \
    -d "{\"username\":\"bench_owner\",\"password\":\"$PASSWORD\"}") || die "login failed"
  [[ "$ctype" == image/png* ]] || die "login answered $ctype, not a PNG"
  uri=$(zbarimg --raw -q --nodbus "$qr") || die "zbarimg could not read the QR code"
  secret=$(sed -n 's/.*[?&]secret=\([A-Z2-7]*\).*/\1/p' <<< "$uri")
  [[ -n "$secret" ]] || die "no secret in $uri"
  code=$(oathtool --totp -b "$secret")
  token=$(curl -sf -X POST "$base/verify-2fa" -H "$J" \
    -d "{\"username\":\"bench_owner\",\"code\":\"$code\"}" | jq -r .access_token)
  [[ "$token" == ey* ]] || die "no token from /verify-2fa"
  echo "$token"
}

# 100 products through POST /products on the server at $1 with token $2.
seed_products() { # base token
  local i
  for ((i = 1; i <= 100; i++)); do
    curl -sf -X POST "$1/products" -H 'Content-Type: application/json' \
      -H "Authorization: Bearer $2" -o /dev/null \
      -d "{\"name\":\"Product $i\",\"description\":\"A realistic description of product $i, long enough to look like catalogue data.\",\"price\":$((i * 7 % 500)).99,\"quantity\":$((i * 13 % 200))}" \
      || die "seeding product $i failed"
  done
}
