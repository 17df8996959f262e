#!/usr/bin/env bash
# End-to-end through a load balancer: two integrity-server processes on one
# MariaDB database, and nginx (Debian's package, started here on loopback)
# round-robin in front of them. Real clients only: curl, zbarimg, oathtool.
#
#   through nginx: signup -> login (QR PNG) -> oathtool -> /verify-2fa -> JWT
#                  -> product CRUD -> deleted product 404
#   with /login and /verify-2fa on different instances (nginx names the
#   upstream that served each request in X-Upstream), then, bypassing nginx:
#   the token works on both instances, and a code accepted on instance A is
#   refused on instance B (SPEC 7: no session state in memory).
#
# Environment: IT_SERVER_BIN (the built integrity-server), IT_MYSQL_SOCKET (the
# test MariaDB's socket; root without password through it, user app/app).
set -euo pipefail

PY=/usr/bin/python3
NGINX=/usr/sbin/nginx
JWT_KEY="e2e-nginx-key:0123456789abcdefghijklmn"   # 40 bytes, shared by A and B

E2E_NAME=e2e-nginx   # fail, step, sqlroot, json, check: tests/e2e/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

[[ -n "${IT_SERVER_BIN:-}" ]] || fail "IT_SERVER_BIN is not set (path of the built integrity-server)"
[[ -n "${IT_MYSQL_SOCKET:-}" ]] || fail "IT_MYSQL_SOCKET is not set (socket of the test MariaDB)"
[[ -x "$IT_SERVER_BIN" ]] || fail "IT_SERVER_BIN=$IT_SERVER_BIN is not executable"
[[ -x "$NGINX" ]] || fail "$NGINX is not installed (Debian package nginx)"
for tool in curl zbarimg oathtool mariadb "$PY"; do
  command -v "$tool" >/dev/null || fail "$tool is not installed"
done

TMP="$(mktemp -d "${TMPDIR:-/tmp}/e2e-nginx.XXXXXX")"
DB="e2e_nginx_$$_$RANDOM"
PID_A= PID_B= PID_NGINX=
DB_MADE=0

# stop_pid PID SIGNAL: signal one process we started, wait up to 15 s, then KILL
stop_pid() {
  local pid=$1 sig=$2
  [[ -n "$pid" ]] || return 0
  kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null || true; return 0; }
  kill "-$sig" "$pid" 2>/dev/null || true
  for _ in $(seq 1 150); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}

cleanup() {
  local rc=$?
  set +e
  stop_pid "$PID_NGINX" QUIT
  stop_pid "$PID_A" TERM
  stop_pid "$PID_B" TERM
  if [[ $rc -ne 0 ]]; then
    for f in server-a.log server-b.log nginx-error.log nginx-access.log; do
      if [[ -f "$TMP/$f" ]]; then
        echo "e2e-nginx: --- $f (tail) ---" >&2
        tail -n 30 "$TMP/$f" >&2
      fi
    done
  fi
  if [[ $DB_MADE == 1 ]]; then sqlroot "DROP DATABASE IF EXISTS \`$DB\`"; fi
  rm -rf "$TMP"
  exit "$rc"
}
trap cleanup EXIT

# call BASE METHOD PATH [curl args...]: http_call with one connection per
# call (no keep-alive between calls); X-Upstream in $UP.
call() {
  http_call "$2" "$1$3" -H 'Connection: close' "${@:4}"
  UP="$(header X-Upstream)"
}
J='Content-Type: application/json'
# the instance ("A" or "B") that nginx says served the last call
served_by() {
  case "$UP" in
    "$ADDR_A") echo A ;;
    "$ADDR_B") echo B ;;
    *) fail "$1: X-Upstream is '$UP', expected $ADDR_A or $ADDR_B" ;;
  esac
}
# count_log FILE PATTERN: lines of an access log matching PATTERN
count_log() { { grep -cE -- "$2" "$1" || true; }; }
# wait_log FILE PATTERN N: count_log, once it reaches N or after 5 s. The server
# writes its access log from a buffer at least every 100 ms (server/accesslog.c),
# so a line may come a moment after its answer.
wait_log() {
  local n i
  for ((i = 0; i < 50; i++)); do
    n="$(count_log "$1" "$2")"
    [[ "$n" == "$3" ]] && break
    sleep 0.1
  done
  echo "$n"
}

# --- database, two servers, nginx ---------------------------------------------
sqlroot "CREATE DATABASE \`$DB\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"
DB_MADE=1
PORT_A="$(e2e_free_port)"
PORT_B="$(e2e_free_port)"
while [[ "$PORT_B" == "$PORT_A" ]]; do PORT_B="$(e2e_free_port)"; done
ADDR_A="127.0.0.1:$PORT_A"
ADDR_B="127.0.0.1:$PORT_B"
A="http://$ADDR_A"
B="http://$ADDR_B"

start_server() {   # start_server PORT LOG; sets LAST_PID
  env -i PATH="$PATH" ${ASAN_OPTIONS:+ASAN_OPTIONS="$ASAN_OPTIONS"} \
    ${UBSAN_OPTIONS:+UBSAN_OPTIONS="$UBSAN_OPTIONS"} \
    DATABASE_URL="mysql://app:app@localhost/$DB?socket=$IT_MYSQL_SOCKET" \
    HOST=127.0.0.1 PORT="$1" JWT_SECRET_KEY="$JWT_KEY" BCRYPT_COST=4 \
    "$IT_SERVER_BIN" >"$2" 2>&1 &
  LAST_PID=$!
}
wait_ready() {    # wait_ready PID URL WHAT
  for _ in $(seq 1 200); do   # 20 s
    kill -0 "$1" 2>/dev/null || fail "$3 exited during start-up"
    if curl -fsS --max-time 2 -o /dev/null "$2" 2>/dev/null; then return 0; fi
    sleep 0.1
  done
  fail "$3 did not answer $2 within 20 s"
}

# A first, so that it creates the tables alone; then B on the same database
step "starting instance A on $ADDR_A and instance B on $ADDR_B (database $DB)"
start_server "$PORT_A" "$TMP/server-a.log"; PID_A=$LAST_PID
wait_ready "$PID_A" "$A/readyz" "instance A"
start_server "$PORT_B" "$TMP/server-b.log"; PID_B=$LAST_PID
wait_ready "$PID_B" "$B/readyz" "instance B"

NGINX_PORT="$(e2e_free_port)"
N="http://127.0.0.1:$NGINX_PORT"
USER_LINE=
if [[ "$(id -u)" == 0 ]]; then USER_LINE="user $(id -un) $(id -gn);"; fi
mkdir -p "$TMP/nginx-temp"
cat >"$TMP/nginx.conf" <<EOF
# written by tests/e2e/test_nginx.sh; everything lives under $TMP
$USER_LINE
worker_processes 1;            # one worker: one round-robin rotation
pid $TMP/nginx.pid;
error_log $TMP/nginx-error.log warn;
events { worker_connections 64; }
http {
    access_log $TMP/nginx-access.log;
    client_body_temp_path $TMP/nginx-temp/body;
    proxy_temp_path $TMP/nginx-temp/proxy;
    fastcgi_temp_path $TMP/nginx-temp/fastcgi;
    uwsgi_temp_path $TMP/nginx-temp/uwsgi;
    scgi_temp_path $TMP/nginx-temp/scgi;
    upstream integrity {
        # round-robin (the default); never mark an instance down
        server $ADDR_A max_fails=0;
        server $ADDR_B max_fails=0;
    }
    server {
        listen 127.0.0.1:$NGINX_PORT;
        location / {
            proxy_pass http://integrity;
            # a request goes to exactly the instance round-robin picked
            proxy_next_upstream off;
            proxy_set_header Host \$host;
            add_header X-Upstream \$upstream_addr always;
        }
    }
}
EOF
step "starting nginx on 127.0.0.1:$NGINX_PORT"
"$NGINX" -t -q -e "$TMP/nginx-error.log" -p "$TMP" -c "$TMP/nginx.conf" \
  || fail "nginx -t rejects the configuration: $(cat "$TMP/nginx-error.log")"
"$NGINX" -e "$TMP/nginx-error.log" -p "$TMP" -c "$TMP/nginx.conf" -g 'daemon off;' \
  >"$TMP/nginx.out" 2>&1 &
PID_NGINX=$!
wait_ready "$PID_NGINX" "$N/healthz" "nginx"

# --- round-robin alternates, as nginx says ------------------------------------------
# With one worker and equal weights, consecutive requests alternate A, B, A...
step "checking the rotation"
call "$N" GET /healthz
expect 200 "healthz through nginx"
prev="$(served_by healthz)"
for i in 1 2 3 4; do
  call "$N" GET /healthz
  expect 200 "healthz through nginx"
  cur="$(served_by healthz)"
  [[ "$cur" != "$prev" ]] || fail "round-robin did not alternate: two requests in a row on $cur"
  prev=$cur
done

USER_NAME="e2e_ngx_$$_$RANDOM"
PASSWORD="e2e password $RANDOM$RANDOM"
LOGIN_BODY="{\"username\": \"$USER_NAME\", \"password\": \"$PASSWORD\"}"

# --- signup -------------------------------------------------------------------------------
step "signup $USER_NAME through nginx"
call "$N" POST /signup -H "$J" --data "$LOGIN_BODY"
expect 201 signup
check "$TMP/body" 'd == {"message": "User registered successfully"}'
SIGNUP_ON="$(served_by signup)"

# --- login (PNG) and verify on different instances -----------------------------------------
# Rotation: the next request goes to the instance the last one did not. Make
# /login land on A (and so /verify-2fa on B): if signup was on A, the next pick
# is B, so one harmless GET /healthz takes B's turn first.
if [[ "$SIGNUP_ON" == A ]]; then
  call "$N" GET /healthz
  expect 200 "healthz (shifting the rotation)"
  on="$(served_by healthz)"
  [[ "$on" == B ]] || fail "rotation: expected B after A, got $on"
fi

# clear of a 30-second step boundary, so that the code stays good while
# it travels (the server accepts the current step +-1 anyway)
left=$(( 30 - $(date +%s) % 30 ))
if [[ $left -lt 5 ]]; then sleep $((left + 1)); fi

step "login through nginx (QR PNG)"
call "$N" POST /login -H "$J" --data "$LOGIN_BODY"
expect 200 "login" png
[[ "$CTYPE" == image/png* ]] || fail "login: Content-Type '$CTYPE', expected image/png"
LOGIN_ON="$(served_by login)"
[[ "$LOGIN_ON" == A ]] || fail "rotation: /login expected on A, X-Upstream says $UP"
cp "$TMP/body" "$TMP/qr.png"
URI="$(zbarimg --raw -q "$TMP/qr.png" 2>>"$TMP/zbarimg.err")" \
  || fail "zbarimg could not read the QR code: $(cat "$TMP/zbarimg.err")"
URI="${URI%$'\n'}"
re='^otpauth://totp/Integrity%20API:'"$USER_NAME"'\?secret=([A-Z2-7]{32})&issuer=Integrity%20API$'
[[ "$URI" =~ $re ]] || fail "unexpected otpauth URI: $URI"
SECRET="${BASH_REMATCH[1]}"

CODE="$(oathtool --totp -b "$SECRET")"
[[ "$CODE" =~ ^[0-9]{6}$ ]] || fail "oathtool gave '$CODE'"
step "verify-2fa through nginx with the code from oathtool"
call "$N" POST /verify-2fa -H "$J" --data "{\"username\": \"$USER_NAME\", \"code\": \"$CODE\"}"
expect 200 verify-2fa
VERIFY_ON="$(served_by verify-2fa)"
[[ "$VERIFY_ON" != "$LOGIN_ON" ]] \
  || fail "/login and /verify-2fa both landed on $LOGIN_ON (X-Upstream $UP)"
step "/login was served by $LOGIN_ON, /verify-2fa by $VERIFY_ON"
check "$TMP/body" 'set(d) == {"access_token", "token_type", "expires_in", "recovery_codes"}'
check "$TMP/body" 'len(set(d["recovery_codes"])) == 10'   # the first confirmation (SPEC 9)
check "$TMP/body" 'd["token_type"] == "Bearer" and d["expires_in"] == 3600'
TOKEN="$(json "$TMP/body" 'd["access_token"]')"
[[ "$TOKEN" =~ ^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$ ]] || fail "not a JWT: $TOKEN"
AUTH="Authorization: Bearer $TOKEN"

# the instances' own access logs agree with nginx: one /login, on A only;
# one /verify-2fa, on B only
[[ "$(wait_log "$TMP/server-a.log" ' /login ' 1)" == 1 ]] || fail "instance A did not log the /login"
[[ "$(wait_log "$TMP/server-b.log" ' /verify-2fa ' 1)" == 1 ]] || fail "instance B did not log the /verify-2fa"
sleep 0.3 # three flush periods: a line that should not be there has had its chance
[[ "$(count_log "$TMP/server-b.log" ' /login ')" == 0 ]] || fail "instance B logged a /login"
[[ "$(count_log "$TMP/server-a.log" ' /verify-2fa ')" == 0 ]] || fail "instance A logged a /verify-2fa"

# --- products through nginx, alternating instances -------------------------------------------
declare -A SEEN=()
step "product CRUD through nginx"
call "$N" POST /products -H "$AUTH" -H "$J" \
  --data '{"name": "Laptop", "description": "Gaming laptop", "price": 1200.99, "quantity": 10}'
expect 201 "create product"
on="$(served_by create)"; SEEN[$on]=1
check "$TMP/body" 'd["name"] == "Laptop" and d["price"] == D("1200.99") and d["quantity"] == 10'
ID="$(json "$TMP/body" 'd["id"]')"
[[ "$ID" =~ ^[0-9]+$ ]] || fail "product id '$ID'"
[[ "$(header ETag)" == '"1"' ]] || fail "ETag after create: '$(header ETag)'"

call "$N" GET /products -H "$AUTH"
expect 200 "list products"
on="$(served_by list)"; SEEN[$on]=1
check "$TMP/body" "[(p['name'], p['price'], p['quantity']) for p in d if p['id'] == $ID] == [('Laptop', D('1200.99'), 10)]"

call "$N" GET "/products/$ID" -H "$AUTH"
expect 200 "get product"
on="$(served_by get)"; SEEN[$on]=1
check "$TMP/body" "d == {'id': $ID, 'name': 'Laptop', 'description': 'Gaming laptop', 'price': D('1200.99'), 'quantity': 10}"
ETAG="$(header ETag)"
[[ "$ETAG" == '"1"' ]] || fail "ETag: '$ETAG'"

call "$N" PUT "/products/$ID" -H "$AUTH" -H "$J" -H "If-Match: $ETAG" \
  --data '{"price": 1100.50, "quantity": 5}'
expect 200 "update product"
UPDATE_ON="$(served_by update)"
SEEN[$UPDATE_ON]=1
check "$TMP/body" "d == {'id': $ID, 'name': 'Laptop', 'description': 'Gaming laptop', 'price': D('1100.50'), 'quantity': 5}"
[[ "$(header ETag)" == '"2"' ]] || fail "ETag after update: '$(header ETag)'"

# the same If-Match again lands on the other instance: the version is shared
call "$N" PUT "/products/$ID" -H "$AUTH" -H "$J" -H "If-Match: $ETAG" --data '{"quantity": 4}'
expect 412 "stale If-Match on the other instance"
on="$(served_by stale-update)"
[[ "$on" != "$UPDATE_ON" ]] || fail "the stale PUT did not change instance"
check "$TMP/body" 'd["error"] == "precondition_failed"'

call "$N" GET "/products/$ID" -H "$AUTH"
expect 200 "get updated product"
on="$(served_by get-updated)"; SEEN[$on]=1
check "$TMP/body" "d['price'] == D('1100.5') and d['quantity'] == 5 and d['name'] == 'Laptop'"

call "$N" DELETE "/products/$ID" -H "$AUTH"
expect 200 "delete product"
DELETE_ON="$(served_by delete)"
check "$TMP/body" 'd == {"message": "Product deleted successfully"}'
call "$N" GET "/products/$ID" -H "$AUTH"
expect 404 "deleted product"
on="$(served_by get-deleted)"
[[ "$on" != "$DELETE_ON" ]] || fail "the GET after DELETE did not change instance"
check "$TMP/body" 'd["error"] == "not_found"'
[[ -n "${SEEN[A]:-}" && -n "${SEEN[B]:-}" ]] || fail "product requests did not reach both instances"

# --- bypassing nginx: the token on both instances ------------------------------------------------
step "the token directly on A and on B"
call "$A" GET /products -H "$AUTH"
expect 200 "token on instance A"
[[ -z "$UP" ]] || fail "a direct call went through nginx?"
call "$B" GET /products -H "$AUTH"
expect 200 "token on instance B"

# --- a code accepted on A is refused on B ---------------------------------------------------------
# The code through nginx used the current step; a new login needs a later one.
# The server accepts the current step +1, so take the code of the next step
# (away from a boundary, so "next" stays within the window while we use it).
left=$(( 30 - $(date +%s) % 30 ))
if [[ $left -lt 5 ]]; then sleep $((left + 1)); fi
CODE2="$(oathtool --totp -b "$SECRET" -N "@$(( $(date +%s) + 30 ))")"
[[ "$CODE2" =~ ^[0-9]{6}$ ]] || fail "oathtool gave '$CODE2'"

step "new login and verify on A"
call "$A" POST /login -H "$J" --data "$LOGIN_BODY"
expect 200 "login on A (enrolled)"
check "$TMP/body" 'd == {"message": "Enter the code from your authenticator app", "2fa_enrolled": True}'
call "$A" POST /verify-2fa -H "$J" --data "{\"username\": \"$USER_NAME\", \"code\": \"$CODE2\"}"
expect 200 "verify on A"
TOKEN_A="$(json "$TMP/body" 'd["access_token"]')"

step "new login on B, the same code replayed on B"
call "$B" POST /login -H "$J" --data "$LOGIN_BODY"
expect 200 "login on B (enrolled)"
check "$TMP/body" 'd == {"message": "Enter the code from your authenticator app", "2fa_enrolled": True}'
call "$B" POST /verify-2fa -H "$J" --data "{\"username\": \"$USER_NAME\", \"code\": \"$CODE2\"}"
expect 401 "code accepted on A, replayed on B"
check "$TMP/body" 'd["error"] == "invalid_code"'

# and the token A just issued works on B
call "$B" GET /products -H "Authorization: Bearer $TOKEN_A"
expect 200 "token from A on B"

# --- shutdown -------------------------------------------------------------------------------------
step "stopping nginx, A and B"
stop_pid "$PID_NGINX" QUIT
PID_NGINX=
for which in A B; do
  if [[ $which == A ]]; then pid=$PID_A; else pid=$PID_B; fi
  kill -TERM "$pid"
  for _ in $(seq 1 150); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -0 "$pid" 2>/dev/null && fail "instance $which still running 15 s after SIGTERM"
  rc=0
  wait "$pid" || rc=$?
  if [[ $which == A ]]; then PID_A=; else PID_B=; fi
  [[ $rc -eq 0 ]] || fail "instance $which exited with status $rc after SIGTERM"
done

for s in "$PASSWORD" "$SECRET" "$TOKEN" "$TOKEN_A" "$JWT_KEY"; do
  if grep -qF -- "$s" "$TMP/server-a.log" "$TMP/server-b.log"; then
    fail "a server log contains a secret"
  fi
done

step "OK"
