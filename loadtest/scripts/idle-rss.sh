#!/usr/bin/env bash
# Idle memory (issue 11, target 6): starts moviesd -target=catalog, auth, search,
# gateway and all, each as its own process on ports 29711-29759 (reference catalog on
# SQLite, embedded Bleve), waits IDLE seconds (default 20) and prints each VmRSS.
#   loadtest/scripts/idle-rss.sh path/to/moviesd
set -u
bin=$1; w=$(mktemp -d /tmp/idle-rss.XXXXXX)
$bin keys $w/keys 2>/dev/null
common="MOVIES_LOG_LEVEL=warn MOVIES_CATALOG_SERVICE_TRUSTED_KEYS=$w/keys MOVIES_AUTH_SERVICE_TRUSTED_KEYS=$w/keys MOVIES_SEARCH_SERVICE_TRUSTED_KEYS=$w/keys MOVIES_GATEWAY_SERVICE_KEY_FILE=$w/keys/gateway.key MOVIES_SEARCH_SERVICE_KEY_FILE=$w/keys/search.key MOVIES_CATALOG_DB_DSN=file:$w/catalog.db MOVIES_AUTH_DB_DSN=file:$w/auth.db MOVIES_SEARCH_BLEVE_PATH=$w/search MOVIES_SEARCH_MEMORY_PATH=$w/search.snap"
i=0
for t in catalog auth search gateway all; do
  i=$((i+1))
  env $common MOVIES_CATALOG_ADDR=127.0.0.1:297${i}1 MOVIES_AUTH_ADDR=127.0.0.1:297${i}2 MOVIES_SEARCH_ADDR=127.0.0.1:297${i}3 MOVIES_GATEWAY_ADDR=127.0.0.1:297${i}4 MOVIES_ADMIN_ADDR=127.0.0.1:297${i}9 \
    MOVIES_SEARCH_CATALOG_URL=http://127.0.0.1:29711 MOVIES_GATEWAY_CATALOG_URL=http://127.0.0.1:29711 MOVIES_GATEWAY_AUTH_URL=http://127.0.0.1:29722 MOVIES_GATEWAY_SEARCH_URL=http://127.0.0.1:29733 \
    $bin -target=$t >$w/$t.log 2>&1 &
  eval "pid_$t=$!"
  sleep 4
done
sleep ${IDLE:-20}
for t in catalog auth search gateway all; do
  eval "p=\$pid_$t"
  echo "$t pid $p $(grep -E 'VmRSS|VmHWM' /proc/$p/status | tr -s ' \t' ' ' | tr '\n' ' ')"
done
for t in catalog auth search gateway all; do eval "kill \$pid_$t"; done
wait
