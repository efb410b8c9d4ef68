#!/usr/bin/env bash
# A Vitess compatibility check, by hand (not CI): builds vttestserver from
# vitess.io/vitess v0.24.4 and runs it on the local MariaDB binaries, with a
# keyspace "movies" (one shard: a primary and a replica tablet), vtgate on
# loopback. Vitess does not support MariaDB in production; this only checks
# that our SQL, migrations and keyspace@tablet_type routing work through
# vtgate.
#
#   eval "$(scripts/vitess-compat.sh start)"   # prints MOVIES_TEST_VTGATE_DSN
#   (cd catalog-svc && go test -run Vtgate -v ./app)
#   scripts/vitess-compat.sh stop
#
# The build takes several minutes the first time. MariaDB needs two edits to
# vttestserver's config: no super_read_only (a MySQL-only variable) in
# config/mycnf/test-suite.cnf and config/init_db.sql. mysqlctl refuses to
# run as root, so as root the server runs as the mysql user.
set -euo pipefail

version=v0.24.4
work=${MOVIES_VITESS_DIR:-/tmp/movies-vitess}
port=${MOVIES_VITESS_PORT:-15990} # vtgate's MySQL protocol listens on port+3

log() { echo "vitess-compat: $*" >&2; }

build() {
  [ -x "$work/src/bin/vttestserver" ] && return
  local mod
  mod=$(cd /tmp && GOFLAGS=-mod=mod go mod download -json "vitess.io/vitess@$version" | sed -n 's/.*"Dir": "\(.*\)".*/\1/p')
  log "building vttestserver, vtcombo and mysqlctl from $mod (several minutes)"
  rm -rf "$work/src" && mkdir -p "$work" && cp -r "$mod" "$work/src" && chmod -R u+w "$work/src"
  (cd "$work/src" && go build -o "$work/src/bin/" ./go/cmd/vttestserver ./go/cmd/vtcombo ./go/cmd/mysqlctl) >&2
  sed -i 's/^super-read-only = false/# super-read-only: MySQL only/' "$work/src/config/mycnf/test-suite.cnf"
  sed -i 's/^SET .*super_read_only.*/-- super_read_only: MySQL only/' "$work/src/config/init_db.sql"
}

answers() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

start() {
  if answers $((port + 3)); then
    log "reusing vtgate on 127.0.0.1:$((port + 3))"; return
  fi
  command -v mariadbd >/dev/null 2>&1 || [ -x /usr/sbin/mariadbd ] || { log "needs mariadb-server (scripts/test-replica.sh installs it)"; exit 1; }
  build
  local run="$work/run" as=()
  rm -rf "$run" && mkdir -p "$run/data/logs"
  printf '[mysqld]\n' >"$run/extra.cnf"
  if [ "$(id -u)" = 0 ]; then
    chown -R mysql: "$run" && chmod o+rx "$work" "$work/src" "$work/src/bin"
    as=(runuser -u mysql --)
  fi
  log "starting vttestserver (keyspace movies, primary + replica) on 127.0.0.1:$port"
  "${as[@]}" env VTROOT="$work/src" VTDATAROOT="$run" VT_MYSQL_ROOT=/usr PATH="$work/src/bin:/usr/sbin:/usr/bin:/bin" \
    nohup "$work/src/bin/vttestserver" --port "$port" --keyspaces movies --num-shards 1 \
    --replica-count 2 --rdonly-count 0 --mysql-bind-host 127.0.0.1 --vtcombo-bind-host 127.0.0.1 \
    --data-dir "$run/data" --extra-my-cnf "$run/extra.cnf" >"$run/vttestserver.log" 2>&1 &
  echo $! >"$work/vttestserver.pid"
  for _ in $(seq 1 180); do
    grep -q vtcombo_mysql_port "$run/vttestserver.log" 2>/dev/null && return
    sleep 1
  done
  log "vttestserver did not come up; see $run/vttestserver.log"; exit 1
}

case "${1:-start}" in
  start)
    start
    echo "export MOVIES_TEST_VTGATE_DSN='root@tcp(127.0.0.1:$((port + 3)))/'"
    ;;
  stop)
    if [ -f "$work/vttestserver.pid" ]; then
      kill "$(cat "$work/vttestserver.pid")" 2>/dev/null || true
      rm -f "$work/vttestserver.pid"
    fi
    ;;
  *) echo "usage: $0 [start|stop]" >&2; exit 2 ;;
esac
