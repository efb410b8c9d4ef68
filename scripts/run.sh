#!/usr/bin/env bash
# The run command (make run): every service in one process on the embedded
# defaults (SQLite, Bleve), the reference data imported on first start, and
# an admin: MOVIES_ADMIN_USERNAME/MOVIES_ADMIN_PASSWORD when set, otherwise a
# dev admin whose password is written to data/dev-admin.txt. Every listener
# binds loopback unless its MOVIES_*_ADDR says otherwise: the internal
# services are not for the LAN, and health and metrics are on the admin
# listener (MOVIES_ADMIN_ADDR), never the API port.
set -euo pipefail
cd "$(dirname "$0")/.."

mkdir -p bin data
echo "building moviesd..."
go build -o bin/moviesd ./moviesd

if [ -z "${MOVIES_ADMIN_USERNAME:-}" ]; then
  export MOVIES_AUTH_DEV_ADMIN=true
  export MOVIES_AUTH_DEV_ADMIN_FILE=${MOVIES_AUTH_DEV_ADMIN_FILE:-data/dev-admin.txt}
fi
export MOVIES_GATEWAY_ADDR=${MOVIES_GATEWAY_ADDR:-127.0.0.1:8080}
export MOVIES_CATALOG_ADDR=${MOVIES_CATALOG_ADDR:-127.0.0.1:8081}
export MOVIES_AUTH_ADDR=${MOVIES_AUTH_ADDR:-127.0.0.1:8082}
export MOVIES_SEARCH_ADDR=${MOVIES_SEARCH_ADDR:-127.0.0.1:8083}
export MOVIES_ADMIN_ADDR=${MOVIES_ADMIN_ADDR:-127.0.0.1:9090}

# url turns a listen address (":8080", "0.0.0.0:8080", "[::1]:8080") into a
# base URL to call it on.
url() {
  local host=${1%:*} port=${1##*:}
  case $host in ''|0.0.0.0|'[::]') host=127.0.0.1 ;; esac
  echo "http://$host:$port"
}
api=$(url "$MOVIES_GATEWAY_ADDR")
admin=$(url "$MOVIES_ADMIN_ADDR")

bin/moviesd -target=all &
pid=$!
trap 'kill -TERM $pid 2>/dev/null; wait $pid' INT TERM

for _ in $(seq 1 600); do
  if ! kill -0 $pid 2>/dev/null; then wait $pid; exit $?; fi
  if curl -fsS "$admin/readyz" >/dev/null 2>&1; then
    break
  fi
  sleep 0.1
done

if [ -n "${MOVIES_ADMIN_USERNAME:-}" ]; then
  user=$MOVIES_ADMIN_USERNAME; pass='<your MOVIES_ADMIN_PASSWORD>'
else
  user=$(sed -n 's/^MOVIES_ADMIN_USERNAME=//p' "$MOVIES_AUTH_DEV_ADMIN_FILE"); pass=$(sed -n 's/^MOVIES_ADMIN_PASSWORD=//p' "$MOVIES_AUTH_DEV_ADMIN_FILE")
fi
cat <<MSG

  The movies platform is up: $api/api/movies/
  API docs:                   $api/api/docs/
  Metrics (Prometheus):       $admin/metrics   (health: $admin/healthz, $admin/readyz)

  Get an admin token:
    curl -s -X POST $api/api/auth/token/ \\
      -H 'Content-Type: application/json' -d '{"username": "$user", "password": "$pass"}'
  then send it as:  -H 'Authorization: Token <token>'

  Ctrl-C stops it; data stays in ./data (delete it to start afresh).

MSG
wait $pid
