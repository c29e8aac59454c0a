#!/usr/bin/env bash
# run-fuzzers.sh BUILD_DIR SECONDS: replays each fuzz_* target's regression inputs
# (tests/fuzz/regressions/<name>/), then runs it for SECONDS from its seed corpus
# (tests/fuzz/corpus/<name>/, read only) and a work corpus in the build folder.
# Every target runs; one line per target ("<name>: ... no crash" or "<name>: FAILED ...");
# exits 1 when any target failed.
set -euo pipefail
build=$1 secs=$2
root=$(cd "$(dirname "$0")/../.." && pwd)
# Undefined behaviour stops the run like a crash (the targets are also built with
# -fno-sanitize-recover=all); a log that still says "runtime error:" fails the target.
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1${UBSAN_OPTIONS:+:$UBSAN_OPTIONS}
shopt -s nullglob
targets=("$build"/tests/fuzz/fuzz_*)
[[ ${#targets[@]} -gt 0 ]] || { echo "no fuzz targets in $build/tests/fuzz"; exit 1; }
failed=0 ran=0
# fail NAME LOG WHAT: reports a failed target with the end of its log.
fail() {
  echo "$1: FAILED ($3); see $2"
  tail -n 30 "$2"
  failed=$((failed + 1))
}
for t in "${targets[@]}"; do
  [[ -x $t && -f $t ]] || continue
  ran=$((ran + 1))
  name=$(basename "$t")
  work=$build/fuzz-corpus/$name
  log=$build/$name.log
  mkdir -p "$work"
  # Inputs that once crashed or broke an invariant must keep passing.
  regressions=$root/tests/fuzz/regressions/${name#fuzz_}
  if [[ -d $regressions ]]; then
    if ! "$t" "$regressions"/* >"$log" 2>&1; then
      fail "$name" "$log" "a regression input fails again"; continue
    fi
    if grep -q 'runtime error:' "$log"; then
      fail "$name" "$log" "undefined behaviour replaying a regression input"; continue
    fi
  fi
  seeds=()
  [[ -d $root/tests/fuzz/corpus/${name#fuzz_} ]] && seeds=("$root/tests/fuzz/corpus/${name#fuzz_}")
  if ! "$t" -max_total_time="$secs" -print_final_stats=1 -artifact_prefix="$build/$name-" \
       "$work" "${seeds[@]}" >"$log" 2>&1; then
    fail "$name" "$log" "crash, undefined behaviour or invariant broken; artifact $build/$name-*"; continue
  fi
  if grep -q 'runtime error:' "$log"; then
    fail "$name" "$log" "undefined behaviour reported"; continue
  fi
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
  echo "$name: ${runs:-?} runs in ${secs}s, no crash"
done
echo "fuzz: $ran targets, $failed failed"
[[ $failed -eq 0 ]]
