#!/usr/bin/env bash
# check-msvc.sh [ROOT]: what the MSVC build (/W4 /WX, vcpkg) would reject, checked without MSVC.
# 1. No CRT function that MSVC deprecates (C4996, an error under /WX) in our C++ sources: the
#    "unsafe" CRT (_CRT_SECURE_NO_WARNINGS family) and the POSIX names (_CRT_NONSTDC_NO_WARNINGS).
# 2. The windows-msvc preset's CRT (CMAKE_MSVC_RUNTIME_LIBRARY) matches its vcpkg triplet's
#    (x64-windows-static: static CRT; x64-windows, *-static-md: DLL CRT); a mismatch is LNK2038.
# 3. vcpkg.json pins a builtin-baseline (otherwise the runner's vcpkg decides every version).
# Prints one line per problem; exit 1 when any.
set -uo pipefail
root=${1:-$(cd "$(dirname "$0")/../.." && pwd)}
cd "$root" || exit 2
problems=0
say() { echo "check-msvc: $*"; problems=$((problems + 1)); }

# MSVC's C4996 list for the CRT functions a C++ program might call (ucrt headers: the
# _CRT_INSECURE_DEPRECATE and _CRT_NONSTDC_DEPRECATE markers).
unsafe=(strcpy strcat strncpy strncat strtok sprintf vsprintf snprintf_s_unused sscanf scanf fscanf
  vsscanf swscanf wcscpy wcscat wcsncpy wcsncat wcstok swprintf_unused gets
  fopen freopen _wfopen _wfreopen fdopen tmpnam tmpfile_unused _tempnam_unused
  getenv _wgetenv putenv _wputenv _putenv strerror _strerror _wcserror
  localtime gmtime ctime asctime _ctime64 _localtime64 _gmtime64
  mbstowcs wcstombs mbtowc_unused wctomb wcrtomb_unused mbsrtowcs wcsrtombs
  _itoa _ltoa _ultoa _itow _i64toa _ui64toa _ecvt _fcvt _gcvt
  strdup wcsdup stricmp strnicmp wcsicmp strlwr strupr itoa ltoa ultoa
  fileno isatty lseek getcwd chdir mkdir rmdir unlink access chmod umask dup dup2 creat
  open close read write)
names=()
for n in "${unsafe[@]}"; do [[ $n == *_unused ]] || names+=("$n"); done
alt=$(IFS='|'; echo "${names[*]}")
# A call: the name, optionally std:: or :: qualified, not a member (., ->) nor another scope, with
# an argument (each of these takes one; a member `read() const` is not a call).
re="(?<![\\w.>:])(?:(?:std)?::)?\\b(${alt})\\s*\\((?=\\s*[^)\\s])"
mapfile -t files < <(find lib launcher reproducer tests \( -name '*.cpp' -o -name '*.hpp' -o -name '*.h' \) \
                     -not -path 'tests/fuzz/*' | sort)
# A declaration of a member or function of that name ("std::optional<Bytes> read(const ..."): a
# type-like word or >, &, * before the name (return, throw and the like are not types).
decl="(?:\\b(?!(?:return|throw|else|case|co_return|co_await|not|and|or)\\b)\\w+|[>&*])\\s+(?:std::|::)?\\b(?:${alt})\\s*\\("
for f in "${files[@]}"; do
  # Comments and string literals are not calls; a line marked "check-msvc: ok" (code MSVC never
  # compiles, e.g. the non-MSVC branch of an #ifdef) is skipped.
  hits=$(sed -e '/check-msvc: ok/d;s:^.*check-msvc. ok.*$::' -e 's://.*$::' -e 's/"\([^"\\]\|\\.\)*"/""/g' "$f" |
         grep -nP "$re" | grep -vP "^[0-9]+:.*$decl" || true)
  [[ -z $hits ]] && continue
  while IFS= read -r h; do
    fn=$(grep -oP "$re" <<<"${h#*:}" | head -1 | grep -oP '\w+(?=\s*\($)')
    say "$f:${h%%:*}: '$fn' is deprecated by MSVC (C4996, an error under /WX): use the Win32 or C++ alternative"
  done <<<"$hits"
done

# The preset's CRT against its triplet's.
preset=$(sed -n '/"name": *"windows-msvc"/,/"condition"/p' CMakePresets.json)
triplet=$(grep -oP '"VCPKG_TARGET_TRIPLET": *"\K[^"]+' <<<"$preset" | head -1)
crt=$(grep -oP '"CMAKE_MSVC_RUNTIME_LIBRARY": *"\K[^"]+' <<<"$preset" | head -1)
if [[ -z $triplet ]]; then
  say "CMakePresets.json: the windows-msvc preset names no VCPKG_TARGET_TRIPLET"
else
  case $triplet in
    *-static-md|x64-windows|x86-windows|arm64-windows) want=dll ;;
    *-static) want=static ;;
    *) want=unknown ;;
  esac
  case $crt in
    "") have=dll ;;   # CMake's default: MultiThreaded$<$<CONFIG:Debug>:Debug>DLL
    *DLL*) have=dll ;;
    MultiThreaded*) have=static ;;
    *) have=unknown ;;
  esac
  if [[ $want == unknown || $have == unknown ]]; then
    say "CMakePresets.json: cannot tell the CRT of triplet '$triplet' or of CMAKE_MSVC_RUNTIME_LIBRARY '$crt'"
  elif [[ $want != "$have" ]]; then
    say "CMakePresets.json: triplet '$triplet' links the $want CRT but CMAKE_MSVC_RUNTIME_LIBRARY ('${crt:-default}') gives the $have CRT (LNK2038)"
  fi
fi

grep -qP '"builtin-baseline": *"[0-9a-f]{40}"' vcpkg.json ||
  say "vcpkg.json: no builtin-baseline (40-hex vcpkg commit): versions float with the runner's vcpkg"

if [[ $problems -gt 0 ]]; then exit 1; fi
echo "check-msvc: no deprecated CRT call in ${#files[@]} files; CRT of preset and triplet agree; vcpkg baseline pinned"
