#!/usr/bin/env bash
# End-to-end: the page for people (GET /) and the API docs (GET /docs) in a
# real browser, Debian's Chromium (package chromium) driven by playwright-core
# (the exact version of package-lock.json, installed by `npm ci`; its browser
# download is never used), on a fresh database. tests/e2e/browser_flow.mjs
# says what a person does there and what is checked.
#
# SCREENSHOTS_DIR=docs also saves docs/page-desktop.png (1280x800) and
# docs/page-phone.png (390x844): scripts/screenshots.sh does that.
# Environment: IT_SERVER_BIN, IT_MYSQL_SOCKET.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
e2e_init browser
cd "$E2E_ROOT"
CHROMIUM="${CHROMIUM:-/usr/bin/chromium}"
[[ -x "$CHROMIUM" ]] || fail "$CHROMIUM is missing (Debian package chromium; scripts/deps.sh test installs it)"
for tool in oathtool zbarimg; do
  command -v "$tool" >/dev/null || fail "$tool is not installed (scripts/deps.sh test installs it)"
done
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1
e2e_node_modules

e2e_make_db
# A low failure limit, so that the page shows a lock within a few attempts.
e2e_start_server "mysql://app:app@localhost/$DB?socket=$IT_MYSQL_SOCKET" \
  LOGIN_MAX_FAILURES=3 LOGIN_LOCK_SECONDS=120

step "Chromium $("$CHROMIUM" --version 2>/dev/null | awk '{print $2}') through playwright-core $(node -p 'require("playwright-core/package.json").version')"
if ! BASE_URL="$BASE" CHROMIUM="$CHROMIUM" HOME="$TMP" node tests/e2e/browser_flow.mjs >"$TMP/browser.log" 2>&1; then
  cat "$TMP/browser.log"
  fail "the page did not do what a person expects (above)"
fi
cat "$TMP/browser.log"

e2e_stop_server
step "OK"
