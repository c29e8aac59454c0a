#!/usr/bin/env bash
# run-fuzzers.sh BUILD_DIR SECONDS: runs every fuzz_* target for SECONDS with its seed corpus.
set -euo pipefail
build=$1 secs=$2
root=$(cd "$(dirname "$0")/../.." && pwd)
shopt -s nullglob
targets=("$build"/tests/fuzz/fuzz_*)
[[ ${#targets[@]} -gt 0 ]] || { echo "no fuzz targets in $build/tests/fuzz"; exit 1; }
for t in "${targets[@]}"; do
  name=$(basename "$t")
  work=$build/fuzz-corpus/$name
  mkdir -p "$work"
  seeds=$root/tests/fuzz/corpus/${name#fuzz_}
  echo "== $name ($secs s)"
  "$t" -max_total_time="$secs" -print_final_stats=1 -artifact_prefix="$build/$name-" \
       "$work" ${seeds:+$( [[ -d $seeds ]] && echo "$seeds")} 2>&1 | grep -E 'stat::number_of_executed_units|Done|ERROR|crash' || true
  [[ ${PIPESTATUS[0]} -eq 0 ]] || { echo "$name failed"; exit 1; }
done
