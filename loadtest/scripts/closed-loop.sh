#!/usr/bin/env bash
# The cached hot path at saturation (issue 11, target 3): a cached detail GET
# through the gateway against a bare net/http server answering the same
# bytes, both driven closed-loop at full speed (loadtest closed), taking
# turns in one run so both see the same machine. Then the same gateway with
# the per-client rate limiter on, in process and shared through Redis.
#
#   loadtest/scripts/closed-loop.sh [out-dir]   (default loadtest-out/closed-loop-<UTC time>)
#
# ROUNDS (default 3) turns of each, DURATION (default 10s) each, WORKERS
# (default 16); VARIANTS (default "ratelimit ratelimit-redis", "" for none).
# PROFILE=1 also takes a 10 s CPU profile and an allocation profile of the
# gateway under the load (pprof on its admin port) into the out dir.
# Needs Redis on 127.0.0.1:6379 for the Redis variant. Ports 29660-29669.
set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
out=${1:-$root/loadtest-out/closed-loop-$(date -u +%Y%m%dT%H%MZ)}
rounds=${ROUNDS:-3}
duration=${DURATION:-10s}
workers=${WORKERS:-16}
variants=${VARIANTS-ratelimit ratelimit-redis}
work=$(mktemp -d /tmp/closed-loop.XXXXXX)
bin=${BIN:-$work/bin}
mkdir -p "$out"

pids=()
stop_all() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap stop_all EXIT
log() { echo "closed-loop: $*" >&2; }

if [[ -z ${BIN:-} ]]; then
  log "building into $bin"
  (cd "$root" && go build -o "$bin/" ./moviesd ./loadtest/cmd/loadtest ./loadtest/cmd/bare-http)
fi

ready() {
  for _ in $(seq 600); do
    curl -fsS -o /dev/null "$1" 2>/dev/null && return 0
    sleep 0.2
  done
  log "$1 never became ready"
  return 1
}

# gateway NAME PORT ENV...: moviesd -target=all (the reference catalog on
# SQLite, every cache on, no rate limit unless ENV says, no per-client share
# of the calls in flight: one client drives the load), admin on PORT+1.
gateway() {
  local name=$1 port=$2
  shift 2
  mkdir -p "$work/$name"
  env MOVIES_LOG_LEVEL=warn MOVIES_GATEWAY_RATE_LIMIT=false MOVIES_GATEWAY_UPSTREAM_CLIENT_SHARE=0 MOVIES_ADMIN_PPROF=true \
    MOVIES_CATALOG_DB_DSN="file:$work/$name/catalog.db" MOVIES_AUTH_DB_DSN="file:$work/$name/auth.db" \
    MOVIES_SEARCH_BLEVE_PATH="$work/$name/search" MOVIES_SEARCH_MEMORY_PATH="$work/$name/search.snapshot" \
    MOVIES_GATEWAY_ADDR=127.0.0.1:$port MOVIES_ADMIN_ADDR=127.0.0.1:$((port + 1)) \
    MOVIES_GATEWAY_CACHE_TTL=1h "$@" "$bin/moviesd" >"$work/$name.log" 2>&1 &
  pids+=($!)
  eval "pid_$name=$!"
  ready "http://127.0.0.1:$((port + 1))/readyz"
}

# Limits far above what one client can send: the limiter's cost, never a 429.
high=(MOVIES_GATEWAY_RATE_LIMIT=true MOVIES_GATEWAY_RATE_ANONYMOUS=1000000/1s,burst=1000000)
gateway gw 29660
[[ " $variants " == *" ratelimit "* ]] && gateway rl 29662 "${high[@]}"
[[ " $variants " == *" ratelimit-redis "* ]] && gateway rlredis 29664 "${high[@]}" \
  MOVIES_GATEWAY_REDIS_ADDR=127.0.0.1:6379 MOVIES_GATEWAY_REDIS_NAMESPACE="movies:closedloop:$$"
path=/api/movie/5/
"$bin/bare-http" -addr 127.0.0.1:29669 -from "http://127.0.0.1:29660$path" >"$work/bare-http.log" 2>&1 &
pids+=($!)
pid_bare=$!
ready http://127.0.0.1:29669/

{
  echo "commit $(cd "$root" && git rev-parse --short HEAD)$(cd "$root" && git diff --quiet HEAD -- . || echo ' (dirty)')"
  echo "started $(date -u +%FT%TZ), $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "loadtest closed -workers $workers -duration $duration, $rounds rounds"
} >"$out/conditions.txt"

# one NAME PORT PID: one closed-loop run.
one() {
  "$bin/loadtest" closed -name "$1" -target "http://127.0.0.1:$2" -path "$path" -workers "$workers" \
    -warmup 2s -duration "$duration" -watch "$1=$3" -out "$out/$1-r$round.json" >/dev/null
}
for round in $(seq "$rounds"); do
  log "round $round"
  one gateway 29660 "$pid_gw"
  one bare-http 29669 "$pid_bare"
  [[ -n ${pid_rl:-} ]] && one gateway-ratelimit 29662 "$pid_rl"
  [[ -n ${pid_rlredis:-} ]] && one gateway-ratelimit-redis 29664 "$pid_rlredis"
done

if [[ -n ${PROFILE:-} ]]; then
  log "profiling the gateway under load"
  "$bin/loadtest" closed -name profile -target http://127.0.0.1:29660 -path "$path" -workers "$workers" \
    -warmup 1s -duration 14s >/dev/null &
  sleep 2
  curl -fsS -o "$out/gateway.cpu.pprof" "http://127.0.0.1:29661/debug/pprof/profile?seconds=10"
  curl -fsS -o "$out/gateway.allocs.pprof" "http://127.0.0.1:29661/debug/pprof/allocs"
  wait $!
fi

# One table: per run, the median of the rounds' rate, p50, p99 and CPU per request.
if command -v jq >/dev/null; then
  {
    echo "| run | req/s (rounds) | median req/s | of bare-http | p50 / p99 ms | server CPU µs a request | errors |"
    echo "|---|---|---|---|---|---|---|"
    bare=$(jq -s 'map(.rate) | sort | .[length/2|floor]' "$out"/bare-http-r[0-9]*.json)
    for name in gateway bare-http gateway-ratelimit gateway-ratelimit-redis; do
      ls "$out/$name"-r[0-9]*.json >/dev/null 2>&1 || continue
      jq -rs --arg name "$name" --argjson bare "$bare" '
        def med(f): map(f) | sort | .[length/2|floor];
        "| \($name) | \(map(.rate | floor) | join(", ")) | \(med(.rate) | floor) | \(med(.rate) / $bare * 100 | round)% | " +
        "\(med(.latency_ms.p50)) / \(med(.latency_ms.p99)) | \(med(.cpu_per_request_us[$name]) * 10 | round / 10) | \(map(.errors) | add) |"' \
        "$out/$name"-r[0-9]*.json
    done
  } >"$out/table.md"
  cat "$out/table.md"
fi
cp "$work"/*.log "$out/" 2>/dev/null || true
log "done: $out"
