#!/usr/bin/env bash
# make fuzz: build the libFuzzer targets of tests/fuzz (clang, ASan + UBSan)
# in build-fuzz/ and run each for a while; a crash, leak, sanitizer report,
# timeout or broken invariant in any target fails the run.
#
#   scripts/fuzz.sh [seconds-per-target]      default 30 (make test uses 30)
#
# Each target runs on .run/fuzz/<target>/corpus, a writable copy of its
# committed seeds (kept between runs, so coverage accumulates; remove the
# directory to start over), with tests/fuzz/corpus/<target> as a second,
# read-only corpus and tests/fuzz/<target>.dict as its dictionary when there
# is one. A finding is written to .run/fuzz/<target>/crash-* (or leak-*,
# timeout-*, oom-*) and the log to .run/fuzz/<target>/log.
#
# Environment: FUZZ_TARGETS (names to run, space-separated; default all),
# FUZZ_JOBS (targets run at once, default 1), FUZZ_CC (default clang),
# BUILD_JOBS (default nproc).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

seconds="${1:-30}"
[[ $seconds =~ ^[1-9][0-9]*$ ]] || { echo "usage: $0 [seconds-per-target]" >&2; exit 2; }
cc="${FUZZ_CC:-clang}"
jobs="${FUZZ_JOBS:-1}"
build_jobs="${BUILD_JOBS:-$(nproc)}"
build="build-fuzz"
work=.run/fuzz

# clang and its libFuzzer runtime, or a clear failure: never a silent skip.
if ! command -v "$cc" >/dev/null 2>&1; then
  echo "fuzz: $cc not found: the fuzz targets need clang with libFuzzer" >&2
  echo "fuzz: install it with: sudo apt-get install -y clang libclang-rt-14-dev" >&2
  echo "fuzz: 0 passed, 1 failed"
  exit 1
fi
probe="$(mktemp -d)"
trap 'rm -rf "$probe"' EXIT
printf 'int LLVMFuzzerTestOneInput(const char *d, unsigned long n) { (void)d; (void)n; return 0; }\n' \
  >"$probe/probe.c"
if ! "$cc" -fsanitize=fuzzer,address,undefined "$probe/probe.c" -o "$probe/probe" 2>"$probe/err"; then
  cat "$probe/err" >&2
  echo "fuzz: $cc cannot link -fsanitize=fuzzer,address,undefined" >&2
  echo "fuzz: install the runtime with: sudo apt-get install -y libclang-rt-14-dev" >&2
  echo "fuzz: 0 passed, 1 failed"
  exit 1
fi

if [[ -n "${FUZZ_TARGETS:-}" ]]; then
  read -r -a targets <<<"$FUZZ_TARGETS"
else
  targets=()
  for src in tests/fuzz/fuzz_*.c; do
    targets+=("$(basename "$src" .c)")
  done
fi
for t in "${targets[@]}"; do
  [[ -f tests/fuzz/$t.c ]] || { echo "fuzz: no target $t (tests/fuzz/$t.c)" >&2; exit 2; }
done

echo "fuzz: configuring $build with $cc"
if ! cmake -S . -B "$build" -DCMAKE_C_COMPILER="$cc" -DFUZZ=ON -DINTEGRITY_TESTS=OFF \
       -DSANITIZE=OFF -DCMAKE_BUILD_TYPE=RelWithDebInfo >"$probe/cmake.log" 2>&1 ||
   ! cmake --build "$build" -j"$build_jobs" --target "${targets[@]}" >>"$probe/cmake.log" 2>&1; then
  cat "$probe/cmake.log"
  echo "fuzz: BUILD FAILED"
  echo "fuzz: 0 passed, ${#targets[@]} failed"
  exit 1
fi
echo "fuzz: built ${#targets[@]} targets; ${seconds}s each, $jobs at a time"

# run_target <name>: one libFuzzer run; libFuzzer's exit status goes to
# .run/fuzz/<name>/rc (0: nothing found).
run_target() {
  local t=$1 dir="$work/$1" rc=0
  local dict=()
  mkdir -p "$dir/corpus"
  cp -R tests/fuzz/corpus/"$t"/. "$dir/corpus/"
  [[ -f tests/fuzz/$t.dict ]] && dict=(-dict="tests/fuzz/$t.dict")
  rm -f "$dir"/crash-* "$dir"/leak-* "$dir"/timeout-* "$dir"/oom-* "$dir"/slow-unit-* "$dir/rc"
  UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1" \
    "$build/tests/fuzz/$t" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
    -print_final_stats=1 -artifact_prefix="$dir/" "${dict[@]}" \
    "$dir/corpus" "tests/fuzz/corpus/$t" >"$dir/log" 2>&1 || rc=$?
  echo "$rc" >"$dir/rc"
}

# report <name> <exit status>: the one-line summary (and the finding).
passed=0
failed=0
report() {
  local t=$1 rc=$2 log="$work/$1/log"
  local runs cov ft corp artifact
  runs="$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)"
  cov="$(grep -oE 'cov: [0-9]+ ft: [0-9]+ corp: [0-9]+' "$log" | tail -n 1 || true)"
  read -r _ cov _ ft _ corp <<<"${cov:-- - - - - -}"
  if [[ $rc -eq 0 ]]; then
    passed=$((passed + 1))
    echo "fuzz: $t: ok, ${runs:-?} runs, cov $cov, ft $ft, corpus $corp"
  else
    failed=$((failed + 1))
    artifact="$(find "$work/$t" -maxdepth 1 -type f \
                  \( -name 'crash-*' -o -name 'leak-*' -o -name 'timeout-*' -o -name 'oom-*' \) \
                  -print -quit)"
    echo "fuzz: $t: FAILED (exit $rc) after ${runs:-?} runs, cov $cov; input: ${artifact:-none}"
    echo "fuzz: ---- $log (tail) ----"
    tail -n 40 "$log" | sed 's/^/    /'
    echo "fuzz: ---- reproduce: $build/tests/fuzz/$t ${artifact:-<input>} ----"
  fi
}

# At most $jobs targets at once; reports come in the order of the targets.
for t in "${targets[@]}"; do
  while [[ $(jobs -rp | wc -l) -ge $jobs ]]; do
    wait -n || true
  done
  echo "fuzz: $t: running ${seconds}s"
  run_target "$t" &
done
wait
for t in "${targets[@]}"; do
  report "$t" "$(cat "$work/$t/rc" 2>/dev/null || echo 1)"
done

echo "fuzz: $passed passed, $failed failed"
[[ $failed -eq 0 ]]
