#!/usr/bin/env bash
# The deploy test command (called by `make test`): builds and checks the service images, prepares
# a real control plane (Debian's etcd + kube-apiserver built from the Go module proxy, cached in
# $MOVIES_CACHE_DIR, default ~/.cache/movies-platform) and runs the chart and Tiltfile tests.
# Idempotent; safe as root on a fresh Debian machine. A second run skips the kube-apiserver build.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
cache="${MOVIES_CACHE_DIR:-$HOME/.cache/movies-platform}"
export MOVIES_CACHE_DIR="$cache"
start=$(date +%s)
step() { echo "deploy/test.sh: $* ($(( $(date +%s) - start ))s)"; }

apt_install() {
  local missing=()
  for pkg in "$@"; do dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg"); done
  (( ${#missing[@]} )) || return 0
  if [[ $(id -u) -ne 0 ]]; then echo "deploy/test.sh: need root to install ${missing[*]}" >&2; exit 1; fi
  step "apt-get install ${missing[*]}"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}" >/dev/null 2>&1 ||
    { apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}" >/dev/null; }
}
apt_install etcd-server buildah binutils ca-certificates

# The control plane's binaries, in the one directory envtest reads.
step "kube-apiserver"
kube_apiserver="$("$here/hack/kube-apiserver.sh")"
assets="$cache/envtest-bin"
mkdir -p "$assets"
ln -sf "$kube_apiserver" "$assets/kube-apiserver"
ln -sf "$(command -v etcd)" "$assets/etcd"
export KUBEBUILDER_ASSETS="$assets"
export MOVIES_REQUIRE_APISERVER=1

step "images"
if [[ "${MOVIES_SKIP_IMAGES:-}" == 1 ]]; then
  echo "deploy/test.sh: MOVIES_SKIP_IMAGES=1: image build skipped"
else
  "$here/build-images.sh"
fi

step "go test (deploy module)"
cd "$here"
go vet ./...
go test -count=1 ./... "$@"
step "done"
