#!/usr/bin/env bash
# scripts/clean.sh          remove the build directories (build/, build-*/)
# scripts/clean.sh --dist   also stop the private MariaDBs and remove .run/
#                           (the local database data of `make run`)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

echo "clean: removing build directories"
rm -rf build build-*/

if [[ "${1:-}" == --dist ]]; then
  if [[ -d .run ]]; then
    for d in .run/*/; do
      if [[ -f "$d/mysqld.pid" ]]; then scripts/mariadb.sh stop "$d"; fi
    done
    echo "clean: removing .run/ (local database data)"
    rm -rf .run
  fi
fi
