#!/usr/bin/env bash
# End-to-end: docs/openapi.yaml against the live server.
#   1. Redocly CLI lints it (docs/redocly.yaml: the recommended rules, warnings
#      are errors, the few exceptions listed in docs/.redocly.lint-ignore.yaml).
#   2. tests/e2e/validate_openapi.mjs replays the whole flow with fetch and checks
#      every response (status, Content-Type, body schema with Ajv 2020-12,
#      documented headers) against the document, GET /openapi.yaml byte for
#      byte against the file, and that every documented (operation, status)
#      was answered. The server reaches MariaDB through tests/lib/faultproxy.py,
#      which the validator cuts (SIGUSR1: the port refuses, relayed connections
#      are dropped) and restores (SIGUSR2) for the 503 answers (and to see the
#      server reconnect by itself).
#
# Tools: the exact versions of package-lock.json, installed by `npm ci`
# (tests/e2e/lib.sh). Environment: IT_SERVER_BIN, IT_MYSQL_SOCKET,
# IT_MYSQL_PORT (MariaDB on 127.0.0.1, user app/app).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
e2e_init openapi
[[ -n "${IT_MYSQL_PORT:-}" ]] || fail "IT_MYSQL_PORT is not set (TCP port of the test MariaDB)"
cd "$E2E_ROOT"
e2e_node_modules

step "redocly lint docs/openapi.yaml"
# no usage telemetry, no update check: the tests talk to nothing but the server
if ! REDOCLY_TELEMETRY=off REDOCLY_SUPPRESS_UPDATE_NOTICE=true npx --no-install redocly lint docs/openapi.yaml --config docs/redocly.yaml \
      --format stylish >"$TMP/lint.log" 2>&1; then
  cat "$TMP/lint.log"
  fail "redocly lint found problems"
fi
grep -E 'valid|ignored' "$TMP/lint.log" | sed "s/^/$E2E_NAME: /" || true

e2e_make_db
e2e_bg "$E2E_PY" tests/lib/faultproxy.py --listen 0 --target "$IT_MYSQL_PORT" \
  --mode forward --fault refuse >"$TMP/proxy.log" 2>&1
PROXY_PID=${E2E_BG_PIDS[-1]}
PROXY_PORT=
for _ in $(seq 1 100); do   # 10 s
  PROXY_PORT="$(sed -n 's/^listening \([0-9][0-9]*\)$/\1/p' "$TMP/proxy.log" 2>/dev/null || true)"
  [[ -n "$PROXY_PORT" ]] && break
  kill -0 "$PROXY_PID" 2>/dev/null || fail "faultproxy exited: $(cat "$TMP/proxy.log")"
  sleep 0.1
done
[[ -n "$PROXY_PORT" ]] || fail "faultproxy did not start"
step "MariaDB through faultproxy on 127.0.0.1:$PROXY_PORT"

e2e_start_server "mysql://app:app@127.0.0.1:$PROXY_PORT/$DB"

step "replaying the flow and validating every response against docs/openapi.yaml"
if ! BASE_URL="$BASE" JWT_SECRET="$E2E_JWT_KEY" PROXY_PID="$PROXY_PID" \
     node tests/e2e/validate_openapi.mjs >"$TMP/validate.log" 2>&1; then
  cat "$TMP/validate.log"
  fail "responses do not match docs/openapi.yaml"
fi
grep -E '^validate_openapi:' "$TMP/validate.log" | sed "s/^/$E2E_NAME: /"

e2e_stop_server
step "OK"
