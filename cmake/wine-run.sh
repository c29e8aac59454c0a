#!/usr/bin/env bash
# CTest's emulator for the mingw build: runs a Windows executable under wine64 in the build
# folder's own headless prefix (made by scripts/lib/wine-prefix.sh).
set -u
build_dir=${SAFELAUNCH_WINE_BUILD_DIR:-$(pwd)}
# ctest runs tests from their binary dir; walk up to the folder that holds the prefix.
while [[ $build_dir != / && ! -d $build_dir/wineprefix ]]; do build_dir=$(dirname "$build_dir"); done
export WINEPREFIX=${WINEPREFIX:-$build_dir/wineprefix}
export WINEDEBUG=${WINEDEBUG:--all}
export WINEDLLOVERRIDES=${WINEDLLOVERRIDES:-mscoree,mshtml=}
unset DISPLAY
wine=$(command -v wine64 || echo /usr/lib/wine/wine64)
exec "$wine" "$@"
