# Sourced by the e2e tests: the helpers they share, so no script keeps a copy.
# Not a test itself (CTest runs tests/e2e/test_*.sh only).
#
#   fail MSG / step MSG           report as "$E2E_NAME: ..." (fail exits 1)
#   sqlroot SQL                   root on the test MariaDB, through its socket
#   json FILE EXPR                print EXPR evaluated on the JSON in FILE
#   check FILE EXPR               fail unless EXPR is true on the JSON in FILE
#   e2e_free_port                 a free TCP port on 127.0.0.1
#   http_call METHOD URL [curl args...]  one request: body in $TMP/body,
#                                 headers in $TMP/headers, $STATUS, $CTYPE
#   expect STATUS WHAT [json|any] fail unless the last call got STATUS (and JSON)
#   header NAME                   a header of the last call's answer
# and for the tests that use the npm tools (newman, Redocly CLI, Ajv) and
# test_demo.sh:
#   e2e_init NAME                 checks the environment, makes $TMP, sets the EXIT trap
#   e2e_node_modules              `npm ci` when node_modules is missing or stale
#   e2e_make_db                   a fresh database $DB on the test MariaDB
#   e2e_start_server URL [VAR=VALUE...]  starts $IT_SERVER_BIN on a free port: $PORT, $BASE, $SERVER_PID
#   e2e_stop_server               SIGTERM, waits, checks the exit status is 0
#   e2e_bg CMD...                 starts a helper process that the EXIT trap stops
#
# A script that does not call e2e_init sets E2E_NAME itself (and keeps its
# own cleanup). Environment (from CTest): IT_SERVER_BIN, IT_MYSQL_SOCKET,
# IT_MYSQL_PORT.

E2E_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
E2E_JWT_KEY="e2e-node-key:0123456789abcdefghijklmno"   # 40 bytes
E2E_PY=/usr/bin/python3

fail() { echo "$E2E_NAME: FAIL: $*" >&2; exit 1; }
step() { echo "$E2E_NAME: $*"; }

sqlroot() { mariadb --no-defaults --socket="$IT_MYSQL_SOCKET" -uroot -N -B -e "$1"; }

# json FILE EXPR: print EXPR evaluated on the JSON in FILE (as d; floats as Decimal)
json() {
  "$E2E_PY" - "$1" "$2" <<'EOF'
import decimal, json, sys
with open(sys.argv[1], encoding="utf-8") as f:
    d = json.load(f, parse_float=decimal.Decimal)
print(eval(sys.argv[2], {"d": d, "D": decimal.Decimal}))
EOF
}
# check FILE EXPR: EXPR must be true on the JSON in FILE
check() {
  local got
  got="$(json "$1" "bool($2)")" || fail "cannot evaluate '$2' on $(head -c 300 "$1")"
  [[ "$got" == True ]] || fail "expected $2, body: $(head -c 300 "$1")"
}

# http_call METHOD URL [curl args...]: body in $TMP/body, headers in
# $TMP/headers, status in $STATUS, content type in $CTYPE
http_call() {
  local method=$1 url=$2
  shift 2
  local out
  out="$(curl -sS --max-time 20 -X "$method" -o "$TMP/body" -D "$TMP/headers" \
         -w '%{http_code} %{content_type}' "$@" "$url")" \
    || fail "curl $method $url failed"
  STATUS="${out%% *}"
  CTYPE="${out#* }"
}
expect() {
  [[ "$STATUS" == "$1" ]] || fail "$2: expected HTTP $1, got $STATUS: $(head -c 300 "$TMP/body")"
  if [[ "${3:-json}" == json ]]; then
    [[ "$CTYPE" == application/json* ]] || fail "$2: Content-Type '$CTYPE', expected application/json"
  fi
}
header() { { grep -i "^$1:" "$TMP/headers" || true; } | head -n 1 | cut -d: -f2- | tr -d '\r' | sed 's/^ *//'; }

e2e_init() {
  E2E_NAME=$1
  [[ -n "${IT_SERVER_BIN:-}" ]] || fail "IT_SERVER_BIN is not set (path of the built integrity-server)"
  [[ -n "${IT_MYSQL_SOCKET:-}" ]] || fail "IT_MYSQL_SOCKET is not set (socket of the test MariaDB)"
  [[ -x "$IT_SERVER_BIN" ]] || fail "IT_SERVER_BIN=$IT_SERVER_BIN is not executable"
  local tool
  for tool in curl mariadb "$E2E_PY"; do
    command -v "$tool" >/dev/null || fail "$tool is not installed (scripts/deps.sh test installs it)"
  done
  TMP="$(mktemp -d "${TMPDIR:-/tmp}/e2e-$E2E_NAME.XXXXXX")"
  DB="e2e_${E2E_NAME}_$$_$RANDOM"
  DB_MADE=0
  SERVER_PID=
  E2E_BG_PIDS=()
  trap e2e_cleanup EXIT
}

e2e_cleanup() {
  local rc=$? pid
  if [[ -n "$SERVER_PID" ]] && kill -0 "$SERVER_PID" 2>/dev/null; then
    kill -TERM "$SERVER_PID" 2>/dev/null || true
    for _ in $(seq 1 150); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
  fi
  for pid in "${E2E_BG_PIDS[@]}"; do
    kill -TERM "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  if [[ $rc -ne 0 && -f "$TMP/server.log" ]]; then
    echo "$E2E_NAME: --- server log (tail) ---" >&2
    tail -n 40 "$TMP/server.log" >&2 || true
  fi
  if [[ $DB_MADE == 1 ]]; then sqlroot "DROP DATABASE IF EXISTS \`$DB\`" || true; fi
  rm -rf "$TMP"
  exit "$rc"
}

# node_modules is what `npm ci` makes from the committed package-lock.json:
# scripts/npm-ci.sh reinstalls it when the lock file (or Node.js) changed.
e2e_node_modules() {
  "$E2E_ROOT/scripts/npm-ci.sh" >"$TMP/npm-ci.log" 2>&1 \
    || { cat "$TMP/npm-ci.log" >&2; fail "scripts/npm-ci.sh failed"; }
  if [[ -s "$TMP/npm-ci.log" ]]; then step "$(head -n 1 "$TMP/npm-ci.log")"; fi
}

e2e_make_db() {
  sqlroot "CREATE DATABASE \`$DB\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"
  DB_MADE=1
}

e2e_free_port() {
  "$E2E_PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

e2e_start_server() {
  local url=$1
  shift
  PORT="$(e2e_free_port)"
  BASE="http://127.0.0.1:$PORT"
  step "starting $IT_SERVER_BIN on port $PORT (database $DB)"
  env -i PATH="$PATH" ${ASAN_OPTIONS:+ASAN_OPTIONS="$ASAN_OPTIONS"} \
    ${UBSAN_OPTIONS:+UBSAN_OPTIONS="$UBSAN_OPTIONS"} \
    DATABASE_URL="$url" HOST=127.0.0.1 PORT="$PORT" JWT_SECRET_KEY="$E2E_JWT_KEY" \
    BCRYPT_COST=4 "$@" "$IT_SERVER_BIN" >"$TMP/server.log" 2>&1 &
  SERVER_PID=$!
  local _
  for _ in $(seq 1 200); do   # 20 s
    kill -0 "$SERVER_PID" 2>/dev/null || fail "server exited during start-up"
    if curl -fsS --max-time 2 -o /dev/null "$BASE/readyz" 2>/dev/null; then return 0; fi
    sleep 0.1
  done
  fail "server did not become ready within 20 s"
}

e2e_stop_server() {
  local rc=0 _
  kill -TERM "$SERVER_PID"
  for _ in $(seq 1 150); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.1; done
  kill -0 "$SERVER_PID" 2>/dev/null && fail "server still running 15 s after SIGTERM"
  wait "$SERVER_PID" || rc=$?
  SERVER_PID=
  [[ $rc -eq 0 ]] || fail "server exited with status $rc after SIGTERM"
}

e2e_bg() {
  "$@" &
  E2E_BG_PIDS+=($!)
}
