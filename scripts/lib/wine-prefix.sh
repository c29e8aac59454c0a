#!/usr/bin/env bash
# Makes a headless Wine prefix: no Mono/Gecko prompts, the null graphics driver (windows can be
# created with no X display), no crash dialog (a crash exits instead of hanging).
set -euo pipefail
prefix=$1
export WINEPREFIX=$prefix WINEDEBUG=-all WINEDLLOVERRIDES=mscoree,mshtml=
unset DISPLAY
wine=$(command -v wine64 || echo /usr/lib/wine/wine64)
rm -rf "$prefix"
mkdir -p "$prefix"
wineboot --init </dev/null
"$wine" reg add 'HKCU\Software\Wine\Drivers' /v Graphics /d null /f </dev/null
"$wine" reg add 'HKCU\Software\Wine\WineDbg' /v ShowCrashDialog /t REG_DWORD /d 0 /f </dev/null
wineserver -w
touch "$prefix/.safelaunch-ready"
