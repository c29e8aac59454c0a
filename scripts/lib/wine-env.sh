# The Wine programs, by path: Debian's wine64 package (installed without recommends) has no
# /usr/bin/wine, wineboot or wineserver; those links come from the optional `wine` package.
SL_WINE=$(command -v wine64 || echo /usr/lib/wine/wine64)
SL_WINESERVER=$(command -v wineserver || echo /usr/lib/wine/wineserver)
export WINEDEBUG=${WINEDEBUG:--all}
export WINEDLLOVERRIDES=${WINEDLLOVERRIDES:-mscoree,mshtml=}
