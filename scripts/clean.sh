#!/usr/bin/env bash
# scripts/clean.sh          remove the build directories (build/, build-*/)
# scripts/clean.sh --dist   also stop the private MariaDBs and Galera clusters and remove .run/
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
      # a Galera cluster of scripts/galera.sh (.run/galera, the bench's .run/galera-bench)
      if [[ -d "$d/node1" ]]; then GALERA_DIR="$d" scripts/galera.sh stop; fi
    done
    echo "clean: removing .run/ (local database data)"
    rm -rf .run
  fi
fi
