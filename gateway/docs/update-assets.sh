#!/usr/bin/env bash
# Refreshes the Redoc bundle that /api/docs/ embeds, from the npm registry.
# The bundle is committed so builds and the docs page never need the network.
# Usage: gateway/docs/update-assets.sh [redoc-version]   (default: the pinned one below)
set -euo pipefail

version="${1:-2.5.4}"
here="$(cd "$(dirname "$0")" && pwd)"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

(cd "$tmp" && npm pack --silent "redoc@${version}" >/dev/null && tar xzf redoc-*.tgz)

mkdir -p "$here/assets"
cp "$tmp/package/bundles/redoc.standalone.js" "$here/assets/redoc.standalone.js"
cp "$tmp/package/bundles/redoc.standalone.js.LICENSE.txt" "$here/assets/redoc.standalone.js.LICENSE.txt"
cp "$tmp/package/LICENSE" "$here/assets/LICENSE.redoc"
echo "$version" > "$here/assets/REDOC_VERSION"
echo "redoc ${version} -> $here/assets"
