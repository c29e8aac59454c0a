#!/usr/bin/env bash
# run-fuzzers.sh BUILD_DIR SECONDS: replays each fuzz_* target's regression inputs
# (tests/fuzz/regressions/<name>/), then runs it for SECONDS from its seed corpus
# (tests/fuzz/corpus/<name>/, read only) and a work corpus in the build folder.
set -euo pipefail
build=$1 secs=$2
root=$(cd "$(dirname "$0")/../.." && pwd)
shopt -s nullglob
targets=("$build"/tests/fuzz/fuzz_*)
[[ ${#targets[@]} -gt 0 ]] || { echo "no fuzz targets in $build/tests/fuzz"; exit 1; }
for t in "${targets[@]}"; do
  name=$(basename "$t")
  work=$build/fuzz-corpus/$name
  log=$build/$name.log
  mkdir -p "$work"
  # Inputs that once crashed or broke an invariant must keep passing.
  regressions=$root/tests/fuzz/regressions/${name#fuzz_}
  if [[ -d $regressions ]] && ! "$t" "$regressions"/* >"$log" 2>&1; then
    echo "$name: a regression input fails again; see $log"
    tail -n 30 "$log"
    exit 1
  fi
  seeds=()
  [[ -d $root/tests/fuzz/corpus/${name#fuzz_} ]] && seeds=("$root/tests/fuzz/corpus/${name#fuzz_}")
  if ! "$t" -max_total_time="$secs" -print_final_stats=1 -artifact_prefix="$build/$name-" \
       "$work" "${seeds[@]}" >"$log" 2>&1; then
    echo "$name: FAILED (crash or invariant broken); see $log and the artifact $build/$name-*"
    tail -n 30 "$log"
    exit 1
  fi
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
  echo "$name: ${runs:-?} runs in ${secs}s, no crash"
done
