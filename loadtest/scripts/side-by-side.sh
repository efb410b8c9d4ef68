#!/usr/bin/env bash
# Takes the load figures of docs/performance.md in one go: builds
# the binaries, starts the stacks on loopback, runs every load, writes each
# run's summary.json and pictures under the output directory, stops it all.
#
#   loadtest/scripts/side-by-side.sh [out-dir]   (default loadtest-out/side-by-side-<UTC time>)
#
# Needs MariaDB with a 5M catalog in $DB (default movies_5m), made by
#   mysql -h127.0.0.1 -uroot -e "CREATE DATABASE movies_5m CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"
#   MOVIES_CATALOG_DB_DRIVER=mysql MOVIES_CATALOG_DB_DSN='root@tcp(127.0.0.1:3306)/movies_5m' \
#     go run ./loadtest/cmd/loadtest bulkload -n 5000000 -seed 1
# and Redis on 127.0.0.1:6379. Ports 29570-29599 must be free.
#
# The stacks (each moviesd runs the named services in one process):
#   cached    gateway+catalog+auth :29580-2, gateway answer cache, catalog L1 + Redis
#   uncached  gateway+catalog+auth :29570-2, every cache off
#   search    catalog+search :29591/:29593 on a 100k SQLite catalog: the
#             embedded Bleve engine cannot index 5M movies here in useful time;
#             with SEARCH=memory-5m instead search-svc alone (:29593) on the
#             memory engine, following the cached stack's 5M catalog
#   bare-http :29590 serves the bytes of one cached detail answer
#   bare-db   :29592 answers a detail with the same primary-key queries
# Both gateways send ?search= to the search stack.
#
# RUNS (space separated names, default all) picks runs: detail-cached,
# detail-uncached, detail-zipf, lists, mix, peak, average (the seed-x5
# average, 868 req/s of the mix for 5 minutes; not in the default;
# AVERAGE_RATES="868 700" and AVERAGE_DURATION=120s change its rates and hold).
set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
out=${1:-$root/loadtest-out/side-by-side-$(date -u +%Y%m%dT%H%MZ)}
db=${DB:-movies_5m}
runs=${RUNS:-detail-cached detail-uncached detail-zipf lists mix peak}
search_stack=${SEARCH:-bleve-100k}
work=$(mktemp -d /tmp/side-by-side.XXXXXX)
bin=$work/bin
mkdir -p "$out" "$work/run" "$work/small"

pids=()
stop_all() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap stop_all EXIT

log() { echo "side-by-side: $*" >&2; }
wanted() { [[ " $runs " == *" $1 "* ]]; }

log "building into $bin"
(cd "$root" && go build -o "$bin/" ./moviesd ./loadtest/cmd/loadtest ./loadtest/cmd/bare-http ./loadtest/cmd/bare-db)
# Service keys: the stacks call each other over HTTP (the gateways → search).
"$bin/moviesd" keys "$work/keys" 2>/dev/null

# start NAME TARGET ENV... runs moviesd -target=TARGET with ENV in the
# background, its log in $work. The gateway's per-client rate limits and
# share of the calls in flight are off:
# every load comes from one address.
start() {
  local name=$1 target=$2
  shift 2
  env MOVIES_GATEWAY_RATE_LIMIT=false MOVIES_GATEWAY_UPSTREAM_CLIENT_SHARE=0 \
    MOVIES_CATALOG_SERVICE_TRUSTED_KEYS="$work/keys" MOVIES_AUTH_SERVICE_TRUSTED_KEYS="$work/keys" \
    MOVIES_SEARCH_SERVICE_TRUSTED_KEYS="$work/keys" MOVIES_GATEWAY_SERVICE_KEY_FILE="$work/keys/gateway.key" \
    MOVIES_SEARCH_SERVICE_KEY_FILE="$work/keys/search.key" \
    "$@" "$bin/moviesd" -target="$target" >"$work/$name.log" 2>&1 &
  pids+=($!)
  eval "pid_$name=$!"
}

wait_indexed() { # the search stack's index has caught up with its catalog
  ready http://127.0.0.1:29594/readyz
  until curl -fsS http://127.0.0.1:29594/readyz | grep -q '"lag_sequences":0'; do sleep 2; done
  log "search index caught up"
}

ready() { # ready URL: waits up to 10 min for a 200
  for _ in $(seq 3000); do
    curl -fsS -o /dev/null "$1" 2>/dev/null && return 0
    sleep 0.2
  done
  log "$1 never became ready"
  return 1
}

common=(MOVIES_LOG_LEVEL=warn MOVIES_CATALOG_MIGRATE=false MOVIES_CATALOG_IMPORT_IF_EMPTY=false)
catalog5m=(MOVIES_CATALOG_DB_DRIVER=mysql "MOVIES_CATALOG_DB_DSN=root@tcp(127.0.0.1:3306)/$db")

if [ "$search_stack" = bleve-100k ]; then
  log "search stack: 100k movies into SQLite, then Bleve indexes them"
  MOVIES_CATALOG_DB_DSN="file:$work/small/catalog.db" "$bin/loadtest" bulkload -n 100000 -seed 1 >"$work/small-load.log" 2>&1
  start search catalog,search "${common[@]}" \
    MOVIES_CATALOG_DB_DSN="file:$work/small/catalog.db" MOVIES_CATALOG_CACHE_ENABLED=false \
    MOVIES_CATALOG_ADDR=127.0.0.1:29591 MOVIES_SEARCH_ADDR=127.0.0.1:29593 MOVIES_ADMIN_ADDR=127.0.0.1:29594 \
    MOVIES_SEARCH_CATALOG_URL=http://127.0.0.1:29591 MOVIES_SEARCH_BLEVE_PATH="$work/small/search"
  wait_indexed
fi

start cached catalog,auth,gateway "${common[@]}" "${catalog5m[@]}" \
  MOVIES_AUTH_DB_DSN="file:$work/run/auth.db" MOVIES_AUTH_DEV_ADMIN=true MOVIES_AUTH_DEV_ADMIN_FILE="$work/run/admin.txt" \
  MOVIES_GATEWAY_ADDR=127.0.0.1:29580 MOVIES_CATALOG_ADDR=127.0.0.1:29581 MOVIES_AUTH_ADDR=127.0.0.1:29582 \
  MOVIES_ADMIN_ADDR=127.0.0.1:29589 \
  MOVIES_GATEWAY_CATALOG_URL=http://127.0.0.1:29581 MOVIES_GATEWAY_AUTH_URL=http://127.0.0.1:29582 \
  MOVIES_GATEWAY_SEARCH_URL=http://127.0.0.1:29593 \
  MOVIES_CATALOG_REDIS_ADDR=127.0.0.1:6379 MOVIES_CATALOG_CACHE_NAMESPACE="movies:sbs:$$:catalog" \
  MOVIES_GATEWAY_REDIS_ADDR=127.0.0.1:6379 MOVIES_GATEWAY_REDIS_NAMESPACE="movies:sbs:$$:gateway"
start uncached catalog,auth,gateway "${common[@]}" "${catalog5m[@]}" \
  MOVIES_AUTH_DB_DSN="file:$work/run/auth-u.db" MOVIES_AUTH_DEV_ADMIN=true MOVIES_AUTH_DEV_ADMIN_FILE="$work/run/admin-u.txt" \
  MOVIES_GATEWAY_ADDR=127.0.0.1:29570 MOVIES_CATALOG_ADDR=127.0.0.1:29571 MOVIES_AUTH_ADDR=127.0.0.1:29572 \
  MOVIES_ADMIN_ADDR=127.0.0.1:29579 \
  MOVIES_GATEWAY_CATALOG_URL=http://127.0.0.1:29571 MOVIES_GATEWAY_AUTH_URL=http://127.0.0.1:29572 \
  MOVIES_GATEWAY_SEARCH_URL=http://127.0.0.1:29593 MOVIES_GATEWAY_CACHE_TTL=0 MOVIES_CATALOG_CACHE_ENABLED=false
# Readiness is on each process's admin listener, not its API port.
ready http://127.0.0.1:29589/readyz
ready http://127.0.0.1:29579/readyz
if [ "$search_stack" = memory-5m ]; then
  log "search stack: the memory engine indexes the 5M catalog from its change feed"
  # SEARCH_ENV: more VAR=value words for search-svc (e.g. GOGC, GOMEMLIMIT, GODEBUG=gctrace=1).
  # shellcheck disable=SC2086
  start search search ${SEARCH_ENV:-} MOVIES_LOG_LEVEL=warn MOVIES_SEARCH_ENGINE=memory MOVIES_SEARCH_MEMORY_PATH="$work/search-memory.snapshot" \
    MOVIES_SEARCH_ADDR=127.0.0.1:29593 MOVIES_ADMIN_ADDR=127.0.0.1:29594 MOVIES_SEARCH_CATALOG_URL=http://127.0.0.1:29581
  wait_indexed
fi

# The hot movie of the synthetic catalog: rank 1, the mix's most asked id.
hot=$(mysql -h127.0.0.1 -uroot -N "$db" -e "SELECT id FROM movies ORDER BY popularity DESC, id LIMIT 1")
"$bin/bare-http" -addr 127.0.0.1:29590 -from "http://127.0.0.1:29580/api/movie/$hot/" >"$work/bare-http.log" 2>&1 &
pids+=($!)
pid_barehttp=$!
env "${catalog5m[@]}" "$bin/bare-db" -addr 127.0.0.1:29592 >"$work/bare-db.log" 2>&1 &
pids+=($!)
pid_baredb=$!
ready "http://127.0.0.1:29590/"
ready "http://127.0.0.1:29592/api/movie/$hot/"

# The servers on 3306 and 6379, not others of the same name (make test
# leaves a primary and a replica mariadbd on 3316/3317).
mariadbd=$(cat "$(mysql -h127.0.0.1 -uroot -N -e "SELECT IF(@@pid_file LIKE '/%', @@pid_file, CONCAT(@@datadir, @@pid_file))")")
redis=$(redis-cli -h 127.0.0.1 -p 6379 INFO server | sed -n 's/^process_id:\([0-9]*\).*/\1/p')

# run NAME FLAGS...: one load, its report in $out/NAME, the load average around it.
run() {
  local name=$1
  shift
  log "run $name: loadtest run $*"
  echo "$name before: $(cut -d' ' -f1-3 /proc/loadavg)" >>"$out/loadavg.txt"
  "$bin/loadtest" run -name "$name" -out "$out/$name" -n 5000000 -seed 1 "$@" >"$out/$name.log" 2>&1 ||
    log "run $name failed: see $out/$name.log"
  echo "$name after: $(cut -d' ' -f1-3 /proc/loadavg)" >>"$out/loadavg.txt"
  sleep 5 # let queues drain before the next run
}

{
  echo "commit $(cd "$root" && git rev-parse --short HEAD)"
  echo "started $(date -u +%FT%TZ), hot movie $hot, database $db"
  nproc
  mysql -h127.0.0.1 -uroot -N -e "SELECT VERSION()"
} >"$out/conditions.txt"

if wanted detail-cached; then
  path="-path /api/movie/$hot/ -ramp 2s -duration 20s"
  run 1a-cached-detail-gateway-4000 -target http://127.0.0.1:29580 $path -rate 4000 -watch "moviesd=$pid_cached"
  run 1b-bare-http-4000 -target http://127.0.0.1:29590 $path -rate 4000 -watch "bare-http=$pid_barehttp"
  run 1c-bare-http-8000 -target http://127.0.0.1:29590 $path -rate 8000 -watch "bare-http=$pid_barehttp"
  run 1d-cached-detail-gateway-8000 -target http://127.0.0.1:29580 $path -rate 8000 -watch "moviesd=$pid_cached"
fi
if wanted detail-uncached; then
  only="-only detail -ramp 2s -duration 20s -warm=false"
  for rate in 1000 2000; do
    run "2-uncached-detail-gateway-$rate" -target http://127.0.0.1:29570 $only -rate $rate -watch "moviesd=$pid_uncached,mariadbd=$mariadbd"
    run "2-bare-db-$rate" -target http://127.0.0.1:29592 $only -rate $rate -watch "bare-db=$pid_baredb,mariadbd=$mariadbd"
  done
fi
if wanted detail-zipf; then
  for rate in 1000 2000; do
    run "2-cached-detail-zipf-$rate" -target http://127.0.0.1:29580 -only detail -ramp 2s -duration 20s -warm=false -rate $rate \
      -watch "moviesd=$pid_cached,mariadbd=$mariadbd,redis=$redis"
  done
fi
if wanted lists; then
  lists="-only list_genre,list_cursor,list_deep -ramp 2s -duration 20s"
  run 3-lists-cached-300 -target http://127.0.0.1:29580 $lists -rate 300 -watch "moviesd=$pid_cached,mariadbd=$mariadbd,redis=$redis"
  run 3-lists-uncached-100 -target http://127.0.0.1:29570 $lists -rate 100 -watch "moviesd=$pid_uncached,mariadbd=$mariadbd"
  run 3-lists-uncached-300 -target http://127.0.0.1:29570 $lists -rate 300 -watch "moviesd=$pid_uncached,mariadbd=$mariadbd"
fi
mix="-target http://127.0.0.1:29580 -users 20 -admin-file $work/run/admin.txt"
watch="moviesd=$pid_cached,search=$pid_search,mariadbd=$mariadbd,redis=$redis"
if wanted mix; then
  for rate in 300 600 1000 2000; do
    run "4-mix-$rate" $mix -rate $rate -ramp 5s -duration 30s -watch "$watch"
  done
fi
if wanted average; then
  # AVERAGE_RATES / AVERAGE_DURATION: other rates (the highest held with
  # zero errors is found by stepping down) or a shorter hold.
  for rate in ${AVERAGE_RATES:-868}; do
    run "5-average-$rate" $mix -rate "$rate" -ramp 10s -duration "${AVERAGE_DURATION:-300s}" -watch "$watch"
  done
fi
if wanted peak; then
  run 4-peak-4300 $mix -rate 4300 -ramp 10s -duration 60s -watch "$watch"
fi
echo "ended $(date -u +%FT%TZ)" >>"$out/conditions.txt"

# One markdown table of every run (jq), for docs/performance.md.
if command -v jq >/dev/null; then
  {
    echo "| run | asked/s | answered/s (2xx) | p50 ms | p99 ms | p99.9 ms | statuses | CPU-s (cores) / max RSS MB |"
    echo "|---|---|---|---|---|---|---|---|"
    for s in "$out"/*/summary.json; do
      jq -r '"| \(.name) | \(.planned.rate) | \(.throughput | floor) | \(.latency_ms.p50) | \(.latency_ms.p99) | \(.latency_ms["p99.9"]) | " +
        ([.status | to_entries[] | "\(.value) × \(.key)"] | join(", ")) + " | " +
        ([.processes // {} | to_entries[] | "\(.key) \(.value.cpu_s * 10 | round / 10) (\(.value.cores * 100 | round / 100)) / \(.value.max_rss_mb | round)"] | join(", ")) + " |"' "$s"
    done
  } >"$out/table.md"
fi
cp "$work"/*.log "$out/" 2>/dev/null || true
log "done: $out"
