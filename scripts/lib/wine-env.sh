# The Wine programs, by path: Debian's wine64 package (installed without recommends) has no
# /usr/bin/wine, wineboot or wineserver; those links come from the optional `wine` package.
SL_WINE=$(command -v wine64 || echo /usr/lib/wine/wine64)
SL_WINESERVER=$(command -v wineserver || echo /usr/lib/wine/wineserver)
export WINEDEBUG=${WINEDEBUG:--all}
export WINEDLLOVERRIDES=${WINEDLLOVERRIDES:-mscoree,mshtml=}

# Wine closes a desktop 1 s after its last user leaves; the next user32 program then restarts
# `explorer.exe /desktop` with its own stdio, and under ctest that holds a test's output pipe
# open until the run goes quiet. wine-desktop-pin (built at the top of the build folder) keeps
# the desktop in use; one instance per Wine session, so starting it again is harmless.
sl_wine_pin_desktop() {
  local pin=$1/wine-desktop-pin.exe
  [[ -f $pin ]] || return 0
  setsid -f "$SL_WINE" "$pin" </dev/null >/dev/null 2>&1 || true
}
sl_wine_unpin_desktop() {
  local pin=$1/wine-desktop-pin.exe
  [[ -f $pin ]] || return 0
  "$SL_WINE" "$pin" --stop </dev/null >/dev/null 2>&1 || true
}
