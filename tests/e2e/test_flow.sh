#!/usr/bin/env bash
# End-to-end: the whole README flow with real clients only. curl speaks HTTP,
# zbarimg reads the QR code the server draws, oathtool computes the TOTP code.
#
#   signup -> login (PNG) -> decode otpauth URI -> code -> /verify-2fa -> JWT
#   -> create product -> list -> get -> partial update -> delete -> 404
#
# Environment: IT_SERVER_BIN (the built integrity-server), IT_MYSQL_SOCKET (the
# test MariaDB's socket; root without password through it, user app/app).
set -euo pipefail

PY=/usr/bin/python3
JWT_KEY="e2e-test-key:0123456789abcdefghijklmnop"   # 40 bytes

E2E_NAME=e2e   # fail, step, sqlroot, json, check: tests/e2e/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

[[ -n "${IT_SERVER_BIN:-}" ]] || fail "IT_SERVER_BIN is not set (path of the built integrity-server)"
[[ -n "${IT_MYSQL_SOCKET:-}" ]] || fail "IT_MYSQL_SOCKET is not set (socket of the test MariaDB)"
[[ -x "$IT_SERVER_BIN" ]] || fail "IT_SERVER_BIN=$IT_SERVER_BIN is not executable"
for tool in curl zbarimg oathtool mariadb "$PY"; do
  command -v "$tool" >/dev/null || fail "$tool is not installed"
done

TMP="$(mktemp -d "${TMPDIR:-/tmp}/e2e-flow.XXXXXX")"
DB="e2e_flow_$$_$RANDOM"
SERVER_PID=
DB_MADE=0

cleanup() {
  local rc=$?
  if [[ -n "$SERVER_PID" ]] && kill -0 "$SERVER_PID" 2>/dev/null; then
    kill -TERM "$SERVER_PID" 2>/dev/null || true
    for _ in $(seq 1 150); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
  fi
  if [[ $rc -ne 0 && -f "$TMP/server.log" ]]; then
    echo "e2e: --- server log (tail) ---" >&2
    tail -n 40 "$TMP/server.log" >&2 || true
  fi
  if [[ $DB_MADE == 1 ]]; then sqlroot "DROP DATABASE IF EXISTS \`$DB\`" || true; fi
  rm -rf "$TMP"
  exit "$rc"
}
trap cleanup EXIT

# call METHOD PATH [curl args...]: http_call on this server
call() { http_call "$1" "$BASE$2" "${@:3}"; }

# --- database and server -----------------------------------------------------
sqlroot "CREATE DATABASE \`$DB\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"
DB_MADE=1
PORT="$(e2e_free_port)"
BASE="http://127.0.0.1:$PORT"

step "starting $IT_SERVER_BIN on port $PORT (database $DB)"
env -i PATH="$PATH" ${ASAN_OPTIONS:+ASAN_OPTIONS="$ASAN_OPTIONS"} \
  ${UBSAN_OPTIONS:+UBSAN_OPTIONS="$UBSAN_OPTIONS"} \
  DATABASE_URL="mysql://app:app@localhost/$DB?socket=$IT_MYSQL_SOCKET" \
  HOST=127.0.0.1 PORT="$PORT" JWT_SECRET_KEY="$JWT_KEY" BCRYPT_COST=4 \
  "$IT_SERVER_BIN" >"$TMP/server.log" 2>&1 &
SERVER_PID=$!

up=0
for _ in $(seq 1 200); do   # 20 s
  kill -0 "$SERVER_PID" 2>/dev/null || fail "server exited during start-up"
  if curl -fsS --max-time 2 -o /dev/null "$BASE/readyz" 2>/dev/null; then up=1; break; fi
  sleep 0.1
done
[[ $up == 1 ]] || fail "server did not become ready within 20 s"

USER_NAME="e2e_$$_$RANDOM"
PASSWORD="e2e password $RANDOM$RANDOM"

# --- signup --------------------------------------------------------------------
step "signup $USER_NAME"
call POST /signup -H 'Content-Type: application/json' \
  --data "{\"username\": \"$USER_NAME\", \"password\": \"$PASSWORD\"}"
expect 201 signup
check "$TMP/body" 'd == {"message": "User registered successfully"}'

# --- login: the QR code as PNG (curl's default Accept: */*, and no Accept at all) ---
step "login (QR PNG)"
LOGIN_BODY="{\"username\": \"$USER_NAME\", \"password\": \"$PASSWORD\"}"
call POST /login -H 'Content-Type: application/json' --data "$LOGIN_BODY"
expect 200 "login (Accept: */*)" png
[[ "$CTYPE" == image/png* ]] || fail "login: Content-Type '$CTYPE', expected image/png"
cp "$TMP/body" "$TMP/qr-any.png"
call POST /login -H 'Content-Type: application/json' -H 'Accept:' --data "$LOGIN_BODY"
expect 200 "login (no Accept)" png
[[ "$CTYPE" == image/png* ]] || fail "login: Content-Type '$CTYPE', expected image/png"
cp "$TMP/body" "$TMP/qr.png"
[[ "$(head -c 8 "$TMP/qr.png" | od -An -tx1 | tr -d ' \n')" == 89504e470d0a1a0a ]] \
  || fail "login did not return a PNG"

# zbarimg: stderr to a file (it complains about D-Bus in containers)
qr() { zbarimg --raw -q "$1" 2>>"$TMP/zbarimg.err"; }
URI="$(qr "$TMP/qr.png")" || fail "zbarimg could not read the QR code: $(cat "$TMP/zbarimg.err")"
URI="${URI%$'\n'}"
URI_ANY="$(qr "$TMP/qr-any.png")" || fail "zbarimg could not read the second QR code"
[[ "${URI_ANY%$'\n'}" == "$URI" ]] || fail "the two QR codes differ: $URI vs $URI_ANY"
step "QR code says: ${URI%%\?*}?secret=…"
re='^otpauth://totp/Integrity%20API:'"$USER_NAME"'\?secret=([A-Z2-7]{32})&issuer=Integrity%20API$'
[[ "$URI" =~ $re ]] || fail "unexpected otpauth URI: $URI"
SECRET="${BASH_REMATCH[1]}"

# the JSON variant carries the same URI
call POST /login -H 'Content-Type: application/json' -H 'Accept: application/json' --data "$LOGIN_BODY"
expect 200 "login (Accept: application/json)"
check "$TMP/body" "d['otpauth_uri'] == '$URI' and d['2fa_enrolled'] is False"
json "$TMP/body" 'd["qr_png_base64"]' | base64 -d >"$TMP/qr-json.png" || fail "qr_png_base64 is not base64"
URI_JSON="$(qr "$TMP/qr-json.png")" || fail "zbarimg could not read qr_png_base64"
[[ "${URI_JSON%$'\n'}" == "$URI" ]] || fail "qr_png_base64 encodes ${URI_JSON}, not $URI"

# --- second factor ---------------------------------------------------------------
# stay clear of a 30-second step boundary so oathtool and the server agree
left=$(( 30 - $(date +%s) % 30 ))
if [[ $left -lt 3 ]]; then sleep $((left + 1)); fi
CODE="$(oathtool --totp -b "$SECRET")"
[[ "$CODE" =~ ^[0-9]{6}$ ]] || fail "oathtool gave '$CODE'"
step "verify-2fa with the code from oathtool"
call POST /verify-2fa -H 'Content-Type: application/json' \
  --data "{\"username\": \"$USER_NAME\", \"code\": \"$CODE\"}"
expect 200 verify-2fa
check "$TMP/body" 'set(d) == {"access_token", "token_type", "expires_in", "recovery_codes"}'
check "$TMP/body" 'len(set(d["recovery_codes"])) == 10'   # the first confirmation (SPEC 9)
check "$TMP/body" 'd["token_type"] == "Bearer" and d["expires_in"] == 3600'
TOKEN="$(json "$TMP/body" 'd["access_token"]')"
[[ "$TOKEN" =~ ^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$ ]] || fail "not a JWT: $TOKEN"
AUTH="Authorization: Bearer $TOKEN"

# the same code cannot be used twice, and enrolled logins no longer show the QR code
call POST /login -H 'Content-Type: application/json' --data "$LOGIN_BODY"
expect 200 "login after enrollment"
check "$TMP/body" 'd == {"message": "Enter the code from your authenticator app", "2fa_enrolled": True}'
call POST /verify-2fa -H 'Content-Type: application/json' \
  --data "{\"username\": \"$USER_NAME\", \"code\": \"$CODE\"}"
expect 401 "replayed code"
check "$TMP/body" 'd["error"] == "invalid_code"'

# --- products ----------------------------------------------------------------------
call GET /products
expect 401 "products without a token"
check "$TMP/body" 'd == {"msg": "Missing Authorization Header"}'

step "create product"
call POST /products -H "$AUTH" -H 'Content-Type: application/json' \
  --data '{"name": "Laptop", "description": "Gaming laptop", "price": 1200.99, "quantity": 10}'
expect 201 "create product"
check "$TMP/body" 'd["name"] == "Laptop" and d["description"] == "Gaming laptop"'
check "$TMP/body" 'd["price"] == D("1200.99") and d["quantity"] == 10 and type(d["id"]) is int'
ID="$(json "$TMP/body" 'd["id"]')"
[[ "$(header Location)" =~ (^|[^0-9])/products/$ID$ ]] || fail "Location: '$(header Location)'"
[[ "$(header ETag)" == '"1"' ]] || fail "ETag after create: '$(header ETag)'"

step "list products"
call GET /products -H "$AUTH"
expect 200 "list products"
check "$TMP/body" "[p['id'] for p in d] == sorted(p['id'] for p in d)"
check "$TMP/body" "[(p['name'], p['price'], p['quantity']) for p in d if p['id'] == $ID] == [('Laptop', D('1200.99'), 10)]"

step "get product $ID"
call GET "/products/$ID" -H "$AUTH"
expect 200 "get product"
check "$TMP/body" "d == {'id': $ID, 'name': 'Laptop', 'description': 'Gaming laptop', 'price': D('1200.99'), 'quantity': 10}"

step "partial update of product $ID"
call PUT "/products/$ID" -H "$AUTH" -H 'Content-Type: application/json' \
  --data '{"price": 1100.50, "quantity": 5}'
expect 200 "update product"
check "$TMP/body" "d == {'id': $ID, 'name': 'Laptop', 'description': 'Gaming laptop', 'price': D('1100.50'), 'quantity': 5}"
[[ "$(header ETag)" == '"2"' ]] || fail "ETag after update: '$(header ETag)'"
call GET "/products/$ID" -H "$AUTH"
expect 200 "get updated product"
check "$TMP/body" "d['price'] == D('1100.5') and d['quantity'] == 5 and d['name'] == 'Laptop'"

step "delete product $ID"
call DELETE "/products/$ID" -H "$AUTH"
expect 200 "delete product"
check "$TMP/body" 'd == {"message": "Product deleted successfully"}'
call GET "/products/$ID" -H "$AUTH"
expect 404 "deleted product"
check "$TMP/body" 'd["error"] == "not_found"'
call GET /products -H "$AUTH"
expect 200 "list after delete"
check "$TMP/body" "$ID not in [p['id'] for p in d]"

# --- shutdown and logs -----------------------------------------------------------------
step "stopping the server"
kill -TERM "$SERVER_PID"
rc=0
for _ in $(seq 1 150); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.1; done
kill -0 "$SERVER_PID" 2>/dev/null && fail "server still running 15 s after SIGTERM"
wait "$SERVER_PID" || rc=$?
SERVER_PID=
[[ $rc -eq 0 ]] || fail "server exited with status $rc after SIGTERM"

grep -q '/verify-2fa' "$TMP/server.log" || fail "no log line for /verify-2fa"
for s in "$PASSWORD" "$SECRET" "$TOKEN" "$JWT_KEY"; do
  if grep -qF -- "$s" "$TMP/server.log"; then fail "the server log contains a secret"; fi
done
if grep -qE "(^|[^0-9])$CODE([^0-9]|$)" "$TMP/server.log"; then fail "the server log contains the TOTP code"; fi

step "OK"
