#!/usr/bin/env bash
# Refreshes the Swagger UI files that /api/docs/ embeds, from the npm registry
# (package swagger-ui-dist, Apache-2.0). They are committed so builds and the
# docs page never need the network; page.html and page.js are ours.
# Usage: gateway/docs/update-assets.sh [swagger-ui-dist-version]   (default: the pinned one below)
# Then: go test ./docs ./gateway (from gateway/), and look at the page.
set -euo pipefail

version="${1:-5.35.0}"
here="$(cd "$(dirname "$0")" && pwd)"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

(cd "$tmp" && npm pack --silent "swagger-ui-dist@${version}" >/dev/null && tar xzf swagger-ui-dist-*.tgz)

rm -rf "$here/assets"
mkdir -p "$here/assets"
for f in swagger-ui-bundle.js swagger-ui-bundle.js.LICENSE.txt swagger-ui.css LICENSE NOTICE; do
	cp "$tmp/package/$f" "$here/assets/$f"
done
echo "$version" > "$here/assets/SWAGGER_UI_VERSION"
echo "swagger-ui-dist ${version} -> $here/assets"
