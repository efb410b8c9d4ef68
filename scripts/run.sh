#!/usr/bin/env bash
# The run command (make run): every service in one process on the embedded
# defaults (SQLite, Bleve), the reference data imported on first start, and
# an admin: MOVIES_ADMIN_USERNAME/MOVIES_ADMIN_PASSWORD when set, otherwise a
# dev admin whose password is written to data/dev-admin.txt.
set -euo pipefail
cd "$(dirname "$0")/.."

mkdir -p bin data
echo "building moviesd..."
go build -o bin/moviesd ./moviesd

if [ -z "${MOVIES_ADMIN_USERNAME:-}" ]; then
  export MOVIES_AUTH_DEV_ADMIN=true
  export MOVIES_AUTH_DEV_ADMIN_FILE=${MOVIES_AUTH_DEV_ADMIN_FILE:-data/dev-admin.txt}
fi
addr=${MOVIES_GATEWAY_ADDR:-:8080}
port=${addr##*:}

bin/moviesd -target=all &
pid=$!
trap 'kill -TERM $pid 2>/dev/null; wait $pid' INT TERM

for _ in $(seq 1 600); do
  if ! kill -0 $pid 2>/dev/null; then wait $pid; exit $?; fi
  if (exec 3<>/dev/tcp/127.0.0.1/"$port") 2>/dev/null &&
     curl -fsS "http://127.0.0.1:$port/readyz" >/dev/null 2>&1; then
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

  The movies platform is up: http://127.0.0.1:$port/api/movies/
  API docs:                   http://127.0.0.1:$port/api/docs/

  Get an admin token:
    curl -s -X POST http://127.0.0.1:$port/api/auth/token/ \\
      -H 'Content-Type: application/json' -d '{"username": "$user", "password": "$pass"}'
  then send it as:  -H 'Authorization: Token <token>'

  Ctrl-C stops it; data stays in ./data (delete it to start afresh).

MSG
wait $pid
