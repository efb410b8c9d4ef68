#!/usr/bin/env bash
# Builds kube-apiserver from the Go module proxy (no download site is reachable) and caches it
# outside the repo, so only the first run on a machine pays for the build (~10-20 min on 2 cores).
# k8s.io/kubernetes is not meant to be required as a module: its go.mod replaces every
# k8s.io/<staging> module with a local path, so a scratch module must map each one to the
# published v0.X.Y tag of the same release.
# Prints the binary path on stdout; everything else goes to stderr.
set -euo pipefail

K8S_VERSION="${KUBE_VERSION:-v1.37.2}"
CACHE="${MOVIES_CACHE_DIR:-$HOME/.cache/movies-platform}"
BIN="$CACHE/bin/kube-apiserver-$K8S_VERSION"

if [[ -x "$BIN" ]] && "$BIN" --version >/dev/null 2>&1; then
  echo "$BIN"
  exit 0
fi

staging_version="v0.${K8S_VERSION#v1.}"
src="$CACHE/src/kube-apiserver-$K8S_VERSION"
mkdir -p "$src" "$CACHE/bin"
cd "$src"

echo "kube-apiserver: building $K8S_VERSION (staging modules $staging_version) in $src" >&2
gomod_file="$(go mod download -json "k8s.io/kubernetes@$K8S_VERSION" | sed -n 's/.*"GoMod": "\(.*\)".*/\1/p')"
go_line="$(grep -m1 '^go ' "$gomod_file")"

{
  echo "module moviesplatform.local/kube-apiserver-build"
  echo
  echo "$go_line"
  echo
  echo "require k8s.io/kubernetes $K8S_VERSION"
  echo
  echo "replace ("
  grep -oE '^\s*k8s\.io/[a-z0-9-]+ => \./staging/src/k8s\.io/[a-z0-9-]+' "$gomod_file" |
    awk -v v="$staging_version" '{print "\t" $1 " => " $1 " " v}'
  echo ")"
} > go.mod
cat > tools.go <<'GO'
//go:build tools

package tools

import _ "k8s.io/kubernetes/cmd/kube-apiserver"
GO

# The kubernetes module's own pins win for everything else, so tidy only fills go.sum.
GOFLAGS=-mod=mod go mod tidy -e >&2 || true
ldflags="-s -w -X k8s.io/component-base/version.gitVersion=$K8S_VERSION -X k8s.io/component-base/version.gitCommit=module-proxy -X k8s.io/client-go/pkg/version.gitVersion=$K8S_VERSION"
CGO_ENABLED=0 GOFLAGS=-mod=mod go build -trimpath -ldflags "$ldflags" -o "$BIN.tmp" k8s.io/kubernetes/cmd/kube-apiserver >&2
mv "$BIN.tmp" "$BIN"
"$BIN" --version >&2
echo "$BIN"
