#!/usr/bin/env bash
# Configure and build one flavour of the project.
#
#   scripts/build.sh release   build/      Release, no tests (make run, make build)
#   scripts/build.sh test      build/      RelWithDebInfo, tests on (make test)
#   scripts/build.sh asan      build-asan/ Debug + ASan/UBSan, tests on (make test)
#
# BUILD_JOBS overrides the parallelism (default: nproc).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

mode="${1:-release}"
case "$mode" in
  release) dir=build;      args=(-DCMAKE_BUILD_TYPE=Release -DINTEGRITY_TESTS=OFF -DSANITIZE=OFF) ;;
  test)    dir=build;      args=(-DCMAKE_BUILD_TYPE=RelWithDebInfo -DINTEGRITY_TESTS=ON -DSANITIZE=OFF) ;;
  asan)    dir=build-asan; args=(-DCMAKE_BUILD_TYPE=Debug -DINTEGRITY_TESTS=ON -DSANITIZE=ON) ;;
  *) echo "usage: $0 release|test|asan" >&2; exit 2 ;;
esac
jobs="${BUILD_JOBS:-$(nproc)}"

# Redoc's bundle, compiled into the server for GET /docs, comes from
# node_modules/ (npm ci from package-lock.json; nothing when it is current).
scripts/npm-ci.sh

echo "build: configuring $dir ($mode: ${args[*]})"
cmake -S . -B "$dir" "${args[@]}"
echo "build: compiling $dir with -j$jobs"
cmake --build "$dir" -j"$jobs"
echo "build: $dir done"
