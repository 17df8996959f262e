#!/usr/bin/env bash
# docs/page-desktop.png (1280x800) and docs/page-phone.png (390x844): the
# page for people with a few products, taken by the browser test
# (tests/e2e/test_browser.sh with SCREENSHOTS_DIR=docs) in Debian's Chromium.
# Run it again after changing web/ and commit the two pictures.
#
# Uses build/integrity-server (scripts/build.sh makes it), or IT_SERVER_BIN;
# the MariaDB of IT_MYSQL_SOCKET, or else a private one under
# .run/mariadb-shots, stopped on exit.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

export IT_SERVER_BIN="${IT_SERVER_BIN:-$ROOT/build/integrity-server}"
[[ -x "$IT_SERVER_BIN" ]] || { echo "screenshots: $IT_SERVER_BIN is missing: run scripts/build.sh first" >&2; exit 1; }
if [[ -z "${IT_MYSQL_SOCKET:-}" ]]; then
  DB_DIR=.run/mariadb-shots
  port="$(/usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
  trap 'scripts/mariadb.sh stop "$DB_DIR" || true' EXIT
  scripts/mariadb.sh start "$DB_DIR" "$port"
  IT_MYSQL_SOCKET="$(cat "$DB_DIR/socket.path")"
fi
export IT_MYSQL_SOCKET
SCREENSHOTS_DIR="$ROOT/docs" bash tests/e2e/test_browser.sh
ls -l docs/page-desktop.png docs/page-phone.png
