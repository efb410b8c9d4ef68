#!/usr/bin/env bash
# Builds Jaeger v2 (the all-in-one `jaeger` binary: OTLP receiver, in-memory storage, query API)
# from the Go module proxy — no download site is reachable — and caches it outside the repo, so
# only the first run on a machine pays for the build (~10-20 min on 2 cores). The tracing check
# (observability/tracecheck) runs the services against it.
# The module is built as the main module from a writable copy of its proxy directory: required
# from a scratch module instead, its replace directives would be ignored and the build breaks.
# Prints the binary path on stdout; everything else goes to stderr.
set -euo pipefail

JAEGER_VERSION="${JAEGER_VERSION:-v1.75.0}"
CACHE="${MOVIES_CACHE_DIR:-$HOME/.cache/movies-platform}"
BIN="$CACHE/bin/jaeger-$JAEGER_VERSION"

if [[ -x "$BIN" ]] && "$BIN" version >/dev/null 2>&1; then
  echo "$BIN"
  exit 0
fi

src="$CACHE/src/jaeger-$JAEGER_VERSION"
mkdir -p "$CACHE/bin" "$CACHE/src"

echo "jaeger: building $JAEGER_VERSION in $src" >&2
mod_dir="$(go mod download -json "github.com/jaegertracing/jaeger@$JAEGER_VERSION" | sed -n 's/.*"Dir": "\(.*\)".*/\1/p')"
rm -rf "$src"
cp -r "$mod_dir" "$src"
chmod -R u+w "$src"
cd "$src"

# The proxy's zip carries no UI bundle: the binary serves Jaeger's placeholder page, the query
# API (what the check reads) is complete. GOWORK=off: a go.work above the cache must not apply.
ldflags="-s -w -X github.com/jaegertracing/jaeger/internal/version.latestVersion=$JAEGER_VERSION -X github.com/jaegertracing/jaeger/internal/version.commitSHA=module-proxy"
GOWORK=off CGO_ENABLED=0 GOFLAGS=-mod=mod go build -trimpath -ldflags "$ldflags" -o "$BIN.tmp" ./cmd/jaeger >&2
mv "$BIN.tmp" "$BIN"
"$BIN" version >&2
echo "$BIN"
