#!/usr/bin/env bash
# node_modules/ from the committed package-lock.json, by `npm ci`, when it is
# missing or older than the lock file: Redoc's bundle, which the build
# compiles into the server for GET /docs, and the test tools (newman, Redocly
# CLI, Ajv, playwright-core). Run by scripts/build.sh before CMake and by the
# e2e tests (tests/e2e/lib.sh); this is the only place the npm registry is
# used, at install time, never by the server at run time.
#
# node_modules/.lock-hash keeps the hash of the lock file and of the Node.js
# version it was installed for; a lock (.run/npm-ci.lock) serialises
# concurrent runs (CTest runs tests in parallel). Exit 1 when npm is missing
# or `npm ci` fails (its log is printed).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

for tool in node npm; do
  command -v "$tool" >/dev/null || {
    echo "npm-ci: $tool is not installed (scripts/deps.sh installs it)" >&2
    exit 1
  }
done
# playwright-core never downloads a browser (the tests use Debian's chromium)
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1

want="$( { sha256sum package-lock.json | cut -d' ' -f1; node --version; } | sha256sum | cut -d' ' -f1)"
mkdir -p .run
exec 9>.run/npm-ci.lock
flock -w 600 9 || { echo "npm-ci: could not lock .run/npm-ci.lock" >&2; exit 1; }
have=
[[ -f node_modules/.lock-hash ]] && have="$(cat node_modules/.lock-hash)"
if [[ "$have" != "$want" ]]; then
  echo "npm-ci: npm ci (node_modules missing or older than package-lock.json)"
  log="$(mktemp "${TMPDIR:-/tmp}/npm-ci.XXXXXX")"
  if ! npm ci --no-audit --no-fund --loglevel=error >"$log" 2>&1; then
    cat "$log" >&2
    rm -f "$log"
    echo "npm-ci: npm ci failed (the npm registry must be reachable)" >&2
    exit 1
  fi
  rm -f "$log"
  echo "$want" >node_modules/.lock-hash
fi
