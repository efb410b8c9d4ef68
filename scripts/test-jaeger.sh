#!/usr/bin/env bash
# The traces' check (called by scripts/test.sh): the services, run as separate processes, export
# OTLP to a real Jaeger v2 and the test reads their traces back through Jaeger's query API
# (observability/tracecheck). Jaeger is built from the Go module proxy once and cached
# (deploy/hack/jaeger.sh); with the binary cached the check takes well under a minute.
set -euo pipefail
cd "$(dirname "$0")/.."

jaeger="$(deploy/hack/jaeger.sh)"
echo "test-jaeger.sh: traces against Jaeger ($jaeger)"
(cd observability && MOVIES_JAEGER_BIN="$jaeger" go test -count=1 -v -run TestTracesInJaeger ./tracecheck)
