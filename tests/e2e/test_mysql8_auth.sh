#!/usr/bin/env bash
# MySQL 8's default authentication (caching_sha2_password) with the client
# library the server links and the Docker image installs: Debian's libmariadb3
# (MariaDB Connector/C), whose plugin directory holds caching_sha2_password.so.
#
# No MySQL 8 server runs here (Debian 12 has none, and no Docker engine runs),
# so tests/e2e/fake_mysql8.mjs plays the authentication side of one, over plain
# TCP without TLS, the way MySQL 8.4 answers: full authentication with the
# server's RSA public key when the user is not in the server's cache (every
# first login after a MySQL restart), fast authentication once cached.
#   1. libmariadb.so.3 through Python's ctypes: full (RSA) login, fast login,
#      a wrong password refused, mysql_ping on the connection;
#   2. integrity-server itself: its first connection to a fresh fake server
#      completes the full (RSA) authentication (the fake answers no SQL, so the
#      server goes no further, and is stopped).
# What this does not show: anything about SQL on MySQL 8 (schema, statements);
# docs/docker.md says so.
#
# Environment: IT_SERVER_BIN (the built integrity-server).
set -euo pipefail

NAME=mysql8-auth
E2E_NAME=$NAME
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
PY=/usr/bin/python3
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"

[[ -n "${IT_SERVER_BIN:-}" && -x "${IT_SERVER_BIN:-}" ]] || fail "IT_SERVER_BIN is not set or not executable"
command -v node >/dev/null || fail "node is not installed"

PLUGIN="$(dpkg -L libmariadb3 2>/dev/null | grep '/plugin/caching_sha2_password\.so$' || true)"
[[ -n "$PLUGIN" && -f "$PLUGIN" ]] || fail "libmariadb3 has no caching_sha2_password.so"
step "libmariadb3 $(dpkg-query -W -f='${Version}' libmariadb3) ships $PLUGIN"
grep -q 'libmariadb\.so\.3 ' <(ldd "$IT_SERVER_BIN") || fail "integrity-server does not link libmariadb.so.3"

TMP="$(mktemp -d "${TMPDIR:-/tmp}/e2e-$NAME.XXXXXX")"
PIDS=()
cleanup() {
  local rc=$? pid
  for pid in "${PIDS[@]}"; do
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  if [[ $rc -ne 0 ]]; then
    for f in "$TMP"/*.log; do [[ -f "$f" ]] && { echo "--- $f" >&2; tail -n 20 "$f" >&2; }; done
  fi
  rm -rf "$TMP"
  exit "$rc"
}
trap cleanup EXIT

DB_PASSWORD="app-pw-$RANDOM$RANDOM"
# start_fake LOG: a fresh fake server (empty cache); sets FAKE_PORT
start_fake() {
  node "$ROOT/tests/e2e/fake_mysql8.mjs" app "$DB_PASSWORD" >"$1" 2>&1 &
  PIDS+=($!)
  FAKE_PORT=
  for _ in $(seq 1 100); do
    FAKE_PORT="$(sed -n 's/^listening \([0-9][0-9]*\)$/\1/p' "$1" 2>/dev/null || true)"
    [[ -n "$FAKE_PORT" ]] && return 0
    sleep 0.1
  done
  fail "fake_mysql8 did not start: $(cat "$1")"
}

# --- 1. the library -------------------------------------------------------------
start_fake "$TMP/fake1.log"
step "libmariadb.so.3 (ctypes) against the fake MySQL 8 on 127.0.0.1:$FAKE_PORT"
"$PY" - "$FAKE_PORT" "$DB_PASSWORD" <<'PYEOF' || fail "the client library did not authenticate as expected"
import ctypes, sys
from ctypes import c_char_p, c_int, c_uint, c_ulong, c_void_p
port, password = int(sys.argv[1]), sys.argv[2].encode()
lib = ctypes.CDLL("libmariadb.so.3")
lib.mysql_init.restype = c_void_p
lib.mysql_init.argtypes = [c_void_p]
lib.mysql_real_connect.restype = c_void_p
lib.mysql_real_connect.argtypes = [c_void_p, c_char_p, c_char_p, c_char_p, c_char_p, c_uint, c_char_p, c_ulong]
lib.mysql_error.restype = c_char_p
lib.mysql_error.argtypes = [c_void_p]
lib.mysql_ping.restype = c_int
lib.mysql_ping.argtypes = [c_void_p]
lib.mysql_close.argtypes = [c_void_p]
lib.mysql_get_client_info.restype = c_char_p
print("mysql8-auth: Connector/C", lib.mysql_get_client_info().decode())

def connect(pw):
    m = lib.mysql_init(None)
    ok = lib.mysql_real_connect(m, b"127.0.0.1", b"app", pw, b"data_integrity_task", port, None, 0)
    err = lib.mysql_error(m).decode()
    ping = lib.mysql_ping(m) if ok else None
    lib.mysql_close(m)
    return bool(ok), err, ping

for label, pw, want in (("first login (full, RSA)", password, True),
                        ("second login (fast, cached)", password, True),
                        ("wrong password", b"not-the-password", False)):
    ok, err, ping = connect(pw)
    print(f"mysql8-auth: {label}: {'connected' if ok else 'refused'}{'' if ok else ': ' + err}")
    if ok != want or (ok and ping != 0):
        sys.exit(1)
PYEOF
grep -qx 'auth full-rsa ok app' "$TMP/fake1.log" || fail "no full (RSA) authentication: $(cat "$TMP/fake1.log")"
grep -qx 'auth fast ok app' "$TMP/fake1.log" || fail "no fast authentication: $(cat "$TMP/fake1.log")"
grep -q '^auth denied app (wrong password)' "$TMP/fake1.log" || fail "the wrong password was not refused by the fake"

# --- 2. the server binary ------------------------------------------------------------
start_fake "$TMP/fake2.log"
step "integrity-server against a fresh fake MySQL 8 on 127.0.0.1:$FAKE_PORT"
PORT="$("$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
env -i PATH="$PATH" ${ASAN_OPTIONS:+ASAN_OPTIONS="$ASAN_OPTIONS"} \
  ${UBSAN_OPTIONS:+UBSAN_OPTIONS="$UBSAN_OPTIONS"} \
  DATABASE_URL="mysql://app:$DB_PASSWORD@127.0.0.1:$FAKE_PORT/data_integrity_task" \
  HOST=127.0.0.1 PORT="$PORT" JWT_SECRET_KEY="mysql8-auth-key:0123456789abcdefghijklmn" \
  "$IT_SERVER_BIN" >"$TMP/server.log" 2>&1 &
SERVER_PID=$!
PIDS+=("$SERVER_PID")
authed=0
for _ in $(seq 1 100); do   # 10 s
  if grep -qx 'auth full-rsa ok app' "$TMP/fake2.log"; then authed=1; break; fi
  kill -0 "$SERVER_PID" 2>/dev/null || break
  sleep 0.1
done
[[ $authed == 1 ]] || fail "integrity-server did not complete caching_sha2_password: $(cat "$TMP/fake2.log")"
grep -q 'connect attempt .* failed' "$TMP/server.log" && fail "the server logged a failed connect: $(cat "$TMP/server.log")"
step "integrity-server authenticated with caching_sha2_password (full, RSA)"
step "OK"
