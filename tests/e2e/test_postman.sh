#!/usr/bin/env bash
# End-to-end: the Postman collection (postman/) run by newman against a live
# server on a fresh database, with no manual step: sign-up, login (otpauth URI
# as JSON), the TOTP code computed by the collection's CryptoJS pre-request
# script, /verify-2fa, every product route and the error cases of SPEC.md, each
# request with tests on status, headers and body. Also checks that the
# committed collection is what postman/build-collection.mjs makes.
#
# newman is the exact version of package-lock.json, installed by `npm ci`
# (tests/e2e/lib.sh). Environment: IT_SERVER_BIN, IT_MYSQL_SOCKET.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
e2e_init postman
cd "$E2E_ROOT"

step "the committed collection matches postman/build-collection.mjs"
node postman/build-collection.mjs --check || fail "run: node postman/build-collection.mjs"
e2e_node_modules

e2e_make_db
e2e_start_server "mysql://app:app@localhost/$DB?socket=$IT_MYSQL_SOCKET"

run_newman() {   # run_newman NAME [newman args...]
  local name=$1
  shift
  step "newman run ($name)"
  if ! npx --no-install newman run postman/integrity-api.postman_collection.json \
        -e postman/local.postman_environment.json \
        --env-var "base_url=$BASE" --reporters cli --color off \
        --timeout-request 20000 "$@" >"$TMP/newman-$name.log" 2>&1; then
    cat "$TMP/newman-$name.log"
    fail "newman ($name) reported failures"
  fi
  grep -E 'requests|assertions' "$TMP/newman-$name.log" | tr -s ' │' ' ' | sed "s/^/$E2E_NAME: /"
}

# With the server's key: every request, including those that make tokens.
run_newman with-key --env-var "jwt_secret=$E2E_JWT_KEY"
# As a user without the key would run it (those requests skip themselves), and a
# second run against the same database (fresh user names each run).
run_newman without-key
grep -q "jwt_secret is not set: skipping" "$TMP/newman-without-key.log" \
  || fail "the token-making requests did not skip themselves without jwt_secret"

e2e_stop_server
step "OK"
