#!/usr/bin/env bash
# Makes a headless Wine prefix: no Mono/Gecko prompts, the null graphics driver (windows can be
# created with no X display), no crash dialog (a crash exits instead of hanging).
set -euo pipefail
prefix=$1
source "$(dirname "$0")/wine-env.sh"
export WINEPREFIX=$prefix
unset DISPLAY
rm -rf "$prefix"
mkdir -p "$prefix"
"$SL_WINE" wineboot --init </dev/null
"$SL_WINE" reg add 'HKCU\Software\Wine\Drivers' /v Graphics /d null /f </dev/null
"$SL_WINE" reg add 'HKCU\Software\Wine\WineDbg' /v ShowCrashDialog /t REG_DWORD /d 0 /f </dev/null
"$SL_WINESERVER" -w
touch "$prefix/.safelaunch-ready"
