#!/usr/bin/env bash
# The test command (make test, and .ci/run): every module's tests, with the
# servers they need started if nothing answers, then the delivery checks.
set -euo pipefail
cd "$(dirname "$0")/.."

eval "$(scripts/test-services.sh start)"
# A MariaDB primary and a GTID replica for the replica-routing tests.
eval "$(scripts/test-replica.sh start)"

# CI=true makes database-backed suites fail instead of skipping a backend.
export CI=${CI:-true}

failed=()
modules=$(go list -m -f '{{.Dir}}' | grep -v '/e2e$' ; go list -m -f '{{.Dir}}' | grep '/e2e$' || true)
for dir in $modules; do
  name=${dir#"$PWD"/}
  echo "=== $name"
  # Tidy: `go mod tidy` would change nothing (each module builds alone,
  # its siblings through replace directives, its direct requirements listed
  # as direct). -diff prints what it would change and fails.
  if ! (cd "$dir" && go mod tidy -diff); then
    echo "$name: go.mod/go.sum not tidy: run make tidy"
    failed+=("$name (go mod tidy)")
  fi
  if ! (cd "$dir" && go vet ./... && go test -count=1 -timeout 20m ./...); then
    failed+=("$name")
  fi
done

if [ -x deploy/test.sh ]; then
  echo "=== deploy (images, chart, Tiltfile, kube-apiserver dry-run)"
  deploy/test.sh || failed+=(deploy)
fi

echo "=== alerting rules and dashboards (promtool check and test rules, a real Prometheus)"
scripts/test-promtool.sh || failed+=(promtool)

echo "=== traces (the services export to a real Jaeger v2, read back through its query API)"
scripts/test-jaeger.sh || failed+=(jaeger)

if [ ${#failed[@]} -gt 0 ]; then
  echo "FAILED: ${failed[*]}"
  exit 1
fi
echo "all test suites passed"
