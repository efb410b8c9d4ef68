#!/usr/bin/env bash
# Installs the planetscale vitess-operator (CRDs, RBAC, Deployment) from the same operator.yaml
# the chart's tests validate against: the one in the vitess.io/vitess Go module at the version
# pinned below. The operator runs in, and watches, the namespace the chart is installed into.
# Needs go and kubectl.
#   k8s/vitess-operator/install.sh [namespace]             apply (namespace: movies)
#   DRY_RUN=1 k8s/vitess-operator/install.sh [namespace]   print what would be applied
set -euo pipefail
ns="${1:-movies}"
VITESS_MODULE="${VITESS_MODULE:-vitess.io/vitess@v0.24.4}"
dir="$(go mod download -json "$VITESS_MODULE" | sed -n 's/.*"Dir": "\(.*\)".*/\1/p')"
manifest="$dir/examples/operator/operator.yaml"
# The upstream example targets namespaces "example" and "default".
render() {
  sed -e "s/namespace: example$/namespace: $ns/" -e "s/namespace: default$/namespace: $ns/" \
      -e "s/value: \"default,example\"/value: \"$ns\"/" "$manifest"
}
if [[ -n "${DRY_RUN:-}" ]]; then render; exit 0; fi
kubectl apply -f "$(dirname "$0")/../namespaces.yaml"
render | kubectl -n "$ns" apply --server-side -f -
kubectl -n "$ns" rollout status deployment/vitess-operator --timeout=5m
