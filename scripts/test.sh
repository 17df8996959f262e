#!/usr/bin/env bash
# make test: install what is missing, start a private MariaDB under
# .run/mariadb-test on a free port (stopped on exit, whatever happens), then
# build and test two flavours:
#   build/       RelWithDebInfo: unit, valgrind, integration, e2e tests
#   build-asan/  Debug + ASan/UBSan: the same minus the valgrind label
# The integration test on a three-node Galera cluster (label "cluster",
# tests/integration/test_galera.py, about 70 s: it starts its own cluster)
# runs in the ASan flavour only: a second run would find nothing the first
# did not, and under ASan a crash on a failover path shows.
# then the libFuzzer targets, 30 seconds each (scripts/fuzz.sh, build-fuzz/).
# All run even if one fails; the exit status is non-zero if any step failed.
#
# Environment: TEST_JOBS (ctest -j, default 2), BUILD_JOBS (default nproc),
# TEST_DB_KEEP=1 keeps the test database's data between runs (default: fresh).
# The tests get IT_MYSQL_SOCKET (root without password through it) and
# IT_MYSQL_PORT (127.0.0.1, user app / password app).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

DB_DIR=.run/mariadb-test
TEST_JOBS="${TEST_JOBS:-2}"
LOG_DIR=.run/test-logs

trap 'scripts/mariadb.sh stop "$DB_DIR" || true' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

scripts/deps.sh test

# A port nobody listens on, below the ephemeral range (no clash with the
# kernel's outgoing ports), from 3390 upward.
port_in_use() {
  if command -v ss >/dev/null 2>&1; then
    ss -Hltn "sport = :$1" | grep -q .
  else  # no iproute2: try to connect
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
  fi
}
free_port() {
  local p=$1
  while port_in_use "$p"; do
    p=$((p + 1))
    [[ $p -lt 3490 ]] || { echo "test: no free port in 3390-3489" >&2; return 1; }
  done
  echo "$p"
}

# A database left running by an interrupted run is stopped first; the data is
# made anew unless TEST_DB_KEEP=1 (it takes about a second).
scripts/mariadb.sh stop "$DB_DIR" >/dev/null
if [[ "${TEST_DB_KEEP:-0}" != 1 ]]; then
  rm -rf "$DB_DIR"
fi
port=3390
for attempt in 1 2 3 4 5; do
  port="$(free_port "$port")"
  if scripts/mariadb.sh start "$DB_DIR" "$port"; then break; fi
  [[ $attempt -lt 5 ]] || { echo "test: could not start the test MariaDB" >&2; exit 1; }
  echo "test: retrying the test MariaDB on another port"
  port=$((port + 1))
done
IT_MYSQL_SOCKET="$(cat "$DB_DIR/socket.path")"
IT_MYSQL_PORT="$port"
export IT_MYSQL_SOCKET IT_MYSQL_PORT
echo "test: MariaDB for the tests: socket $IT_MYSQL_SOCKET, 127.0.0.1:$IT_MYSQL_PORT"

mkdir -p "$LOG_DIR"
declare -a SUMMARY=()
total_passed=0
total_failed=0
failed_any=0

# run_flavour <name> <build mode> <build dir> [ctest args...]
run_flavour() {
  local name=$1 mode=$2 dir=$3
  shift 3
  local log="$LOG_DIR/ctest-$name.log"
  echo
  echo "test: ===== $name: $dir ====="
  if ! scripts/build.sh "$mode"; then
    echo "test: $name: BUILD FAILED"
    SUMMARY+=("$name: build FAILED")
    failed_any=1
    total_failed=$((total_failed + 1))   # a build that fails counts as a failure
    return 0
  fi
  echo "test: $name: ctest -j$TEST_JOBS $*"
  local rc=0
  ctest --test-dir "$dir" --output-on-failure --no-tests=error -j"$TEST_JOBS" "$@" \
    2>&1 | tee "$log" || rc=$?
  # "100% tests passed, 0 tests failed out of 12"
  local line total=0 failed=0
  line="$(grep -E '^[0-9]+% tests passed, [0-9]+ tests? failed out of [0-9]+' "$log" | tail -n 1 || true)"
  if [[ $line =~ ([0-9]+)\ tests?\ failed\ out\ of\ ([0-9]+) ]]; then
    failed=${BASH_REMATCH[1]}
    total=${BASH_REMATCH[2]}
  fi
  # ctest failed without a count (no tests found, crash...): still a failure
  if [[ $rc -ne 0 && $failed -eq 0 ]]; then failed=1; fi
  total_passed=$((total_passed + (total > failed ? total - failed : 0)))
  total_failed=$((total_failed + failed))
  if [[ $rc -ne 0 ]]; then
    failed_any=1
    SUMMARY+=("$name: tests FAILED ($failed failed of $total, ctest exit $rc)")
  else
    SUMMARY+=("$name: ok ($total/$total passed)")
  fi
}

run_flavour default test build -LE cluster

ASAN_OPTIONS="detect_leaks=1:abort_on_error=1" \
UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1" \
  run_flavour asan asan build-asan -LE valgrind

# The fuzz targets count like tests ("fuzz: 8 passed, 0 failed"), two at a time.
echo
echo "test: ===== fuzz: build-fuzz ====="
rc=0
FUZZ_JOBS="${FUZZ_JOBS:-2}" scripts/fuzz.sh 30 2>&1 | tee "$LOG_DIR/fuzz.log" || rc=$?
fuzz_line="$(grep -E '^fuzz: [0-9]+ passed, [0-9]+ failed$' "$LOG_DIR/fuzz.log" | tail -n 1 || true)"
if [[ $fuzz_line =~ ([0-9]+)\ passed,\ ([0-9]+)\ failed ]]; then
  fuzz_passed=${BASH_REMATCH[1]} fuzz_failed=${BASH_REMATCH[2]}
else
  fuzz_passed=0 fuzz_failed=1
fi
if [[ $rc -ne 0 && $fuzz_failed -eq 0 ]]; then fuzz_failed=1; fi
total_passed=$((total_passed + fuzz_passed))
total_failed=$((total_failed + fuzz_failed))
if [[ $rc -ne 0 ]]; then
  failed_any=1
  SUMMARY+=("fuzz: FAILED ($fuzz_failed of $((fuzz_passed + fuzz_failed)) targets, exit $rc)")
else
  SUMMARY+=("fuzz: ok ($fuzz_passed/$fuzz_passed targets, 30s each)")
fi

echo
for s in "${SUMMARY[@]}"; do echo "test: $s"; done
if [[ $failed_any -ne 0 ]]; then
  echo "test: FAILED (ctest and fuzz logs in $LOG_DIR/)"
else
  echo "test: all passed"
fi
echo "summary: $total_passed passed, $total_failed failed"
exit "$failed_any"
