#!/usr/bin/env bash
# The cost of service authentication on the detail path, side by side: the
# same split stack (gateway in one moviesd, catalog + auth in another, the
# reference catalog on SQLite, the catalog's L1 cache on) built from a base
# commit without service tokens and from the working tree with them. The
# gateway's answer cache is off so every request crosses the gateway →
# catalog hop (with it on, a hit never leaves the gateway and service
# authentication is not on the path at all; the "cached" runs show that).
#
#   loadtest/scripts/service-auth.sh BASE [out-dir]   (BASE: a commit before service tokens)
#
# Ports 29600-29619 must be free.
set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
base=${1:?usage: service-auth.sh BASE [out-dir]}
out=${2:-$root/loadtest-out/service-auth-$(date -u +%Y%m%dT%H%MZ)}
rates=${RATES:-1000 2000}
work=$(mktemp -d /tmp/service-auth.XXXXXX)
mkdir -p "$out"
pids=()
stop_all() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap stop_all EXIT
log() { echo "service-auth: $*" >&2; }

log "building the working tree and $base into $work"
(cd "$root" && go build -o "$work/new/" ./moviesd ./loadtest/cmd/loadtest)
mkdir -p "$work/src-base"
(cd "$root" && git archive "$base") | tar -x -C "$work/src-base"
(cd "$work/src-base" && go build -o "$work/base/" ./moviesd)
"$work/new/moviesd" keys "$work/keys" 2>/dev/null

ready() {
  for _ in $(seq 600); do curl -fsS -o /dev/null "$1" 2>/dev/null && return 0; sleep 0.1; done
  log "$1 never became ready"; return 1
}

# stack NAME BIN GATEWAY_CACHE_TTL PORT0: catalog,auth on PORT0+1/+2 (admin +9),
# the gateway on PORT0 (admin +8).
stack() {
  local name=$1 bin=$2 ttl=$3 p=$4
  for port in $p $((p + 1)) $((p + 2)) $((p + 8)) $((p + 9)); do
    if (: </dev/tcp/127.0.0.1/$port) 2>/dev/null; then log "port $port is taken: the figures would be another server's"; exit 1; fi
  done
  local common=(MOVIES_LOG_LEVEL=warn MOVIES_GATEWAY_RATE_LIMIT=false MOVIES_GATEWAY_UPSTREAM_CLIENT_SHARE=0 MOVIES_GATEWAY_SEARCH_URL=none
    MOVIES_ADMIN_USERNAME=admin MOVIES_ADMIN_PASSWORD=service-auth-admin
    MOVIES_CATALOG_ADDR=127.0.0.1:$((p + 1)) MOVIES_AUTH_ADDR=127.0.0.1:$((p + 2))
    MOVIES_GATEWAY_CATALOG_URL=http://127.0.0.1:$((p + 1)) MOVIES_GATEWAY_AUTH_URL=http://127.0.0.1:$((p + 2))
    MOVIES_CATALOG_SERVICE_TRUSTED_KEYS=$work/keys MOVIES_AUTH_SERVICE_TRUSTED_KEYS=$work/keys
    MOVIES_GATEWAY_SERVICE_KEY_FILE=$work/keys/gateway.key)
  mkdir -p "$work/$name"
  (cd "$work/$name" && exec env "${common[@]}" MOVIES_ADMIN_ADDR=127.0.0.1:$((p + 9)) "$bin" -target=catalog,auth >back.log 2>&1) &
  pids+=($!)
  pid_back=$!
  ready "http://127.0.0.1:$((p + 9))/readyz"
  (cd "$work/$name" && exec env "${common[@]}" MOVIES_ADMIN_ADDR=127.0.0.1:$((p + 8)) MOVIES_GATEWAY_ADDR=127.0.0.1:$p \
    MOVIES_GATEWAY_CACHE_TTL="$ttl" "$bin" -target=gateway >gateway.log 2>&1) &
  pids+=($!)
  pid_gateway=$!
  ready "http://127.0.0.1:$((p + 8))/readyz"
}

run() { # run NAME PORT RATE
  log "run $1 at $3/s"
  "$work/new/loadtest" run -name "$1" -out "$out/$1" -target "http://127.0.0.1:$2" -path /api/movie/5/ \
    -rate "$3" -ramp 2s -duration 20s -warm=false -watch "gateway=$pid_gateway,catalog+auth=$pid_back" >"$out/$1.log" 2>&1 ||
    log "run $1 failed: see $out/$1.log"
  sleep 3
}

echo "working tree on $(cd "$root" && git rev-parse --short HEAD) (+ changes), base $base, $(nproc) cores, $(date -u +%FT%TZ)" >"$out/conditions.txt"
for variant in base new; do
  stack "$variant-hop" "$work/$variant/moviesd" 0s 29600
  for rate in $rates; do run "$variant-hop-$rate" 29600 "$rate"; done
  stop_all; pids=()
  stack "$variant-cached" "$work/$variant/moviesd" 1s 29610
  run "$variant-cached-4000" 29610 4000
  stop_all; pids=()
  sleep 1 # the ports free before the next stack binds them
done
for f in "$out"/*/summary.json; do
  echo "$(basename "$(dirname "$f")") $(jq -c '{requests, success_ratio, p50_ms: .latency_ms.p50, p99_ms: .latency_ms.p99, status, cores: (.processes | map_values(.cores))}' "$f")"
done | tee "$out/table.txt"
