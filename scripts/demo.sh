#!/usr/bin/env bash
# The whole Integrity API flow against a running server, with curl, step by step:
# each request is printed as the curl command you could type, then its status,
# the headers that matter and the body.
#
#   scripts/demo.sh [--auto] [BASE_URL]      (BASE_URL default http://127.0.0.1:5000)
#
# At the login step the QR code is drawn in the terminal (qrencode -t ANSIUTF8):
# scan it with an authenticator app (Google Authenticator, Authy, 1Password...)
# and type the 6-digit code it shows. --auto computes the code with oathtool
# instead (no phone; what tests/e2e/test_demo.sh runs).
#
# Environment: DEMO_USER (default demo_<random>), DEMO_PASSWORD (default
# "mypassword"), NO_COLOR=1 for plain output.
# Needs: curl, qrencode (Debian: apt-get install curl qrencode); oathtool for --auto.
set -euo pipefail

AUTO=0
BASE=
for arg in "$@"; do
  case "$arg" in
    --auto) AUTO=1 ;;
    -h|--help) sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) echo "demo: unknown option $arg (see --help)" >&2; exit 2 ;;
    *) BASE=$arg ;;
  esac
done
BASE="${BASE:-${BASE_URL:-http://127.0.0.1:5000}}"
BASE="${BASE%/}"
USER_NAME="${DEMO_USER:-demo_$(date +%s)_$RANDOM}"
PASSWORD="${DEMO_PASSWORD:-mypassword}"

for tool in curl qrencode; do
  command -v "$tool" >/dev/null || { echo "demo: $tool is not installed (apt-get install $tool)" >&2; exit 1; }
done
if [[ $AUTO == 1 ]]; then
  command -v oathtool >/dev/null || { echo "demo: --auto needs oathtool (apt-get install oathtool)" >&2; exit 1; }
elif [[ ! -t 0 ]]; then
  echo "demo: the code is typed at a terminal; without one, use --auto" >&2
  exit 2
fi

if [[ -t 1 && -z "${NO_COLOR:-}" ]]; then
  BOLD=$'\e[1m' DIM=$'\e[2m' GREEN=$'\e[32m' RED=$'\e[31m' CYAN=$'\e[36m' RESET=$'\e[0m'
else
  BOLD= DIM= GREEN= RED= CYAN= RESET=
fi

TMP="$(mktemp -d "${TMPDIR:-/tmp}/integrity-demo.XXXXXX")"
trap 'rm -rf "$TMP"' EXIT

json_str() {   # a JSON string literal
  local s=${1//\\/\\\\}
  s=${s//\"/\\\"}
  printf '"%s"' "$s"
}
# field NAME: a string or number field of the last (compact) JSON body
field() {
  local body re
  body="$(cat "$TMP/body")"
  re="\"$1\":(\"([^\"\\\\]|\\\\.)*\"|-?[0-9.]+|true|false|null)"
  [[ "$body" =~ $re ]] || return 1
  local v=${BASH_REMATCH[1]}
  v=${v#\"}
  printf '%s' "${v%\"}"
}

N=0
title() { N=$((N + 1)); printf '\n%s==> %d. %s%s\n' "$BOLD" "$N" "$1" "$RESET"; }
note() { printf '%s%s%s\n' "$DIM" "$1" "$RESET"; }

# req EXPECTED_STATUS METHOD PATH [curl args...]: prints the command, runs it,
# prints status, headers of interest and body; stops the demo on a surprise.
STATUS=
req() {
  local want=$1 method=$2 path=$3
  shift 3
  local shown=() a
  for a in "$@"; do
    [[ -n "${TOKEN:-}" ]] && a=${a//$TOKEN/\$TOKEN}
    if [[ "$a" == -* ]]; then shown+=("$a")
    elif [[ "$a" == *'$TOKEN'* ]]; then shown+=("\"$a\"")
    else shown+=("'$a'"); fi
  done
  printf '%s$ curl -s -X %s "$B%s" %s%s\n' "$CYAN" "$method" "$path" "${shown[*]}" "$RESET"
  STATUS="$(curl -sS --max-time 20 -X "$method" -o "$TMP/body" -D "$TMP/headers" \
            -w '%{http_code}' "$@" "$BASE$path")" || { echo "demo: curl failed: is the server at $BASE?" >&2; exit 1; }
  local color=$GREEN
  [[ "$STATUS" == "$want" ]] || color=$RED
  printf '%sHTTP %s%s' "$color" "$STATUS" "$RESET"
  local h
  for h in Content-Type Location ETag Link Retry-After Allow; do
    local v
    v="$(grep -i "^$h:" "$TMP/headers" | head -n1 | cut -d: -f2- | tr -d '\r' | sed 's/^ *//' || true)"
    [[ -n "$v" ]] && printf '  %s%s: %s%s' "$DIM" "$h" "$v" "$RESET"
  done
  printf '\n'
  if grep -qi '^content-type: image/png' "$TMP/headers"; then
    printf '<PNG image, %s bytes>\n' "$(wc -c <"$TMP/body")"
  else
    local body
    body="$(cat "$TMP/body")"
    [[ -n "${TOKEN:-}" ]] && body=${body//$TOKEN/<the token>}
    if [[ ${#body} -gt 600 ]]; then body="${body:0:600}..."; fi
    printf '%s\n' "$body"
  fi
  if [[ "$STATUS" != "$want" ]]; then
    [[ "${REQ_SOFT:-0}" == 1 ]] && return 1
    echo "${RED}demo: expected HTTP $want${RESET}" >&2
    exit 1
  fi
}

J='Content-Type: application/json'
CREDS="{\"username\": $(json_str "$USER_NAME"), \"password\": $(json_str "$PASSWORD")}"

printf '%sIntegrity API demo against %s%s\n' "$BOLD" "$BASE" "$RESET"
note "B=$BASE  (the curl commands below use \$B and \$TOKEN)"

title "Is it up? (no database needed for /healthz; /readyz asks the database)"
req 200 GET /healthz
req 200 GET /readyz

title "Sign up as $USER_NAME"
req 201 POST /signup -H "$J" -d "$CREDS"

title "Log in with the password: the first time, a QR code to enrol an authenticator app"
note "Without an Accept header the server answers the QR code as a PNG (as the Flask app did):"
req 200 POST /login -H "$J" -d "$CREDS" -o /dev/null
note "With Accept: application/json, the same as JSON, with the otpauth:// URI the QR code holds:"
req 200 POST /login -H "$J" -H 'Accept: application/json' -d "$CREDS"
URI="$(field otpauth_uri)" || { echo "demo: no otpauth_uri in the answer" >&2; exit 1; }
printf '\n%s\n\n' "$URI"
qrencode -t ANSIUTF8 -m 2 "$URI"
SECRET="${URI#*secret=}"
SECRET="${SECRET%%&*}"

title "Trade the 6-digit code for a token"
TOKEN=
for attempt in 1 2 3; do
  if [[ $AUTO == 1 ]]; then
    CODE="$(oathtool --totp -b "$SECRET")"
    note "--auto: oathtool --totp -b <secret> says $CODE"
  else
    read -r -p "${BOLD}Scan the QR code above with your authenticator app and type the 6-digit code: ${RESET}" CODE
    CODE="${CODE//[[:space:]]/}"
    if [[ ! "$CODE" =~ ^[0-9]{6}$ ]]; then echo "That is not 6 digits."; continue; fi
  fi
  # a wrong code is 401 invalid_code: the person may try again (5 per password login)
  REQ_SOFT=1
  req 200 POST /verify-2fa -H "$J" -d "{\"username\": $(json_str "$USER_NAME"), \"code\": \"$CODE\"}" || true
  REQ_SOFT=0
  [[ "$STATUS" == 200 || $AUTO == 1 ]] && break
  echo "Not accepted: type the code the app shows now (and check the phone's clock)."
done
[[ "$STATUS" == 200 ]] || { echo "demo: no token (the code was not accepted)" >&2; exit 1; }
TOKEN="$(field access_token)" || { echo "demo: no access_token in the answer" >&2; exit 1; }
T="Authorization: Bearer $TOKEN"
note "TOKEN=${TOKEN:0:24}...  (an HS256 JWT, valid for $(field expires_in) s)"
mapfile -t CODES < <(grep -oE '[a-z2-7]{4}-[a-z2-7]{4}-[a-z2-7]{4}' "$TMP/body")
[[ ${#CODES[@]} == 10 ]] || { echo "demo: no recovery codes in the first confirmation" >&2; exit 1; }
note "The answer that first confirms 2FA carries 10 recovery codes, shown this once:"
printf '    %s\n' "${CODES[@]}"
note "Keep them apart from the phone: each one logs in once instead of a code from the app."

title "Log in again: 2FA is confirmed, so no QR code any more"
req 200 POST /login -H "$J" -d "$CREDS"

title "Products need the token"
req 401 GET /products

title "Create a product"
req 201 POST /products -H "$J" -H "$T" \
  -d '{"name": "Laptop", "description": "Gaming laptop", "price": 1200.99, "quantity": 10}'
ID="$(field id)"
req 201 POST /products -H "$J" -H "$T" -d '{"name": "Mouse", "price": 25, "quantity": 100}'
ID2="$(field id)"

title "List them (ordered by id), and one page at a time"
req 200 GET /products -H "$T"
req 200 GET "/products?limit=1&after_id=$((ID - 1))" -H "$T"

title "Read one: its version is the ETag"
req 200 GET "/products/$ID" -H "$T"

title "Update only price and quantity (PUT is partial)"
req 200 PUT "/products/$ID" -H "$J" -H "$T" -d '{"price": 1100.50, "quantity": 5}'

title "A write with a stale If-Match is refused (412), and nothing changes"
req 412 PUT "/products/$ID" -H "$J" -H "$T" -H 'If-Match: "1"' -d '{"quantity": 4}'

title "Who changed what: the product's history"
req 200 GET "/products/$ID/history" -H "$T"

title "Delete, then it is gone"
req 200 DELETE "/products/$ID" -H "$T"
req 404 GET "/products/$ID" -H "$T"
req 200 DELETE "/products/$ID2" -H "$T"

title "Lost the phone? A recovery code instead of the app's code (case and dashes do not matter)"
req 200 POST /login -H "$J" -d "$CREDS"
req 200 POST /verify-2fa -H "$J" \
  -d "{\"username\": $(json_str "$USER_NAME"), \"recovery_code\": \"${CODES[0]^^}\"}"
note "A token, and recovery_codes_left: $(field recovery_codes_left). The code is used up:"
req 200 POST /login -H "$J" -d "$CREDS"
req 401 POST /verify-2fa -H "$J" \
  -d "{\"username\": $(json_str "$USER_NAME"), \"recovery_code\": \"${CODES[0]}\"}"

title "Log out: that token is refused from now on, on every instance"
req 200 POST /logout -H "$T"
req 401 GET /products -H "$T"

printf '\n%sDone.%s %s signed up, enrolled TOTP, got a token, used every product route,\nlogged in with a recovery code and logged out.\n' \
  "$GREEN" "$RESET" "$USER_NAME"
