#!/usr/bin/env bash
# Regenerate README.md's configuration table from the server's own list of
# variables (server/config.c, printed by `integrity-server --config-table`):
# the lines between <!-- config-table:begin --> and <!-- config-table:end -->
# are replaced in place.
#
#   scripts/config-table.sh [--check] [SERVER_BIN]
#
# SERVER_BIN defaults to build/integrity-server. --check changes nothing and
# exits 1 (with the diff) when README.md's table is not the generated one;
# tests/unit/test_config.c makes the same check on every unit-test run.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

check=0
if [[ "${1:-}" == "--check" ]]; then
    check=1
    shift
fi
BIN="${1:-build/integrity-server}"
README=README.md
BEGIN='<!-- config-table:begin -->'
END='<!-- config-table:end -->'

die() { echo "config-table: $*" >&2; exit 1; }
[[ -x "$BIN" ]] || die "$BIN is not an executable (build first, or pass the binary)"
[[ "$(grep -cxF "$BEGIN" "$README")" == 1 && "$(grep -cxF "$END" "$README")" == 1 ]] \
    || die "$README needs one '$BEGIN' line and one '$END' line"

table="$(mktemp)"
new="$(mktemp)"
trap 'rm -f "$table" "$new"' EXIT
"$BIN" --config-table >"$table"
awk -v begin="$BEGIN" -v end="$END" -v table="$table" '
    $0 == begin { print; while ((getline line < table) > 0) print line; skip = 1; next }
    $0 == end   { skip = 0 }
    !skip       { print }
' "$README" >"$new"

if cmp -s "$README" "$new"; then
    echo "config-table: $README is up to date"
    exit 0
fi
if ((check)); then
    diff -u "$README" "$new" >&2 || true
    die "$README's table differs from \`$BIN --config-table\`: run scripts/config-table.sh"
fi
cat "$new" >"$README"
echo "config-table: $README updated"
