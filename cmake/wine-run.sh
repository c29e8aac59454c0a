#!/usr/bin/env bash
# CTest's emulator for the mingw build: runs a Windows executable under wine64 in the build
# folder's own headless prefix (made by scripts/lib/wine-prefix.sh).
set -u
if [[ -z ${WINEPREFIX:-} ]]; then
  # ctest runs tests from their binary dir; walk up to the build folder that holds the prefix.
  dir=${SAFELAUNCH_WINE_BUILD_DIR:-$(pwd)}
  while [[ $dir != / && ! -f $dir/wineprefix/.safelaunch-ready ]]; do dir=$(dirname "$dir"); done
  if [[ $dir == / ]]; then
    echo "wine-run.sh: no Wine prefix above $(pwd): run ./scripts/test (or scripts/lib/wine-prefix.sh BUILD/wineprefix)" >&2
    exit 125
  fi
  export WINEPREFIX=$dir/wineprefix
fi
source "$(dirname "$0")/../scripts/lib/wine-env.sh"
unset DISPLAY
# A persistent server, and the session booted with stdio detached: otherwise Wine's helper
# processes (services, explorer) inherit ctest's pipes and every test waits seconds for them.
if "$SL_WINESERVER" -p300 </dev/null >/dev/null 2>&1; then
  "$SL_WINE" cmd /c exit </dev/null >/dev/null 2>&1 || true
  sl_wine_pin_desktop "$(dirname "$WINEPREFIX")"
fi
if [[ -z ${SAFELAUNCH_WINE_RUN_EXIT_LINE:-} ]]; then
  exec "$SL_WINE" "$@"
fi
# For gtest cases (set by tests/CMakeLists.txt): CTest's PASS_REGULAR_EXPRESSION makes it ignore
# the exit code, so the code goes into the output as a last line and the regex requires both
# "[  PASSED  ] 1 test." and "wine-run: exit code 0." A failure after the summary (a global
# environment's TearDown, a crash in a static destructor) then fails the case; a binary that
# prints nothing (a lost wineserver) still fails for want of the PASSED line. wine64 reports the
# Windows exit code mod 256: a code that is a multiple of 256 reads as 0 here.
# The case's output goes through a file, not CTest's pipe: a Wine helper or a child that outlives
# the case (seen: win32.Probe.ConnectsAndAllocatesATinyBudget printed PASSED, wine exited 0, and
# CTest still timed out at 120 s waiting for the pipe to close) then holds the file instead.
out=$(mktemp "${TMPDIR:-/tmp}/wine-run.XXXXXX")
"$SL_WINE" "$@" >"$out" 2>&1
rc=$?
cat "$out"
rm -f "$out"
printf '\nwine-run: exit code %s.\n' "$rc"
exit "$rc"
