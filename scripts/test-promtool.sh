#!/usr/bin/env bash
# The alerting rules' checks (called by scripts/test.sh): promtool lints the
# generated rule file and runs the unit tests in observability/promtool/, which
# prove each alert fires when it should and stays silent when it should not.
# promtool and prometheus come from Debian's prometheus package, installed when missing.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v promtool >/dev/null 2>&1 || ! command -v prometheus >/dev/null 2>&1; then
  if [ "$(id -u)" -ne 0 ]; then echo "test-promtool.sh: need root to install prometheus (promtool)" >&2; exit 1; fi
  if [ ! -f /tmp/.movies-apt-updated ]; then
    DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2 && touch /tmp/.movies-apt-updated
  fi
  # --no-install-recommends: promtool only, no node exporter. Nothing is started:
  # the package's service is not run without systemd, and the tests start their own.
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends prometheus >&2
fi

rules=charts/movies/files/prometheus/movies-rules.yaml
promtool check rules "$rules"
promtool test rules observability/promtool/*_test.yaml

# Every expression of every rule and dashboard, parsed and evaluated by a real Prometheus that
# scrapes the services run as separate processes (observability/livecheck).
echo "test-promtool.sh: rules and dashboards against a real Prometheus"
(cd observability && MOVIES_PROMETHEUS_BIN="$(command -v prometheus)" \
  go test -count=1 -run TestRulesAndDashboardsAgainstPrometheus ./livecheck)
