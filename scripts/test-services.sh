#!/usr/bin/env bash
# Makes sure the servers the tests need answer on loopback, and prints the
# environment the tests read (eval "$(scripts/test-services.sh)").
#
# A server that already answers is reused. Otherwise it is installed from
# Debian's packages if missing and started as a throwaway instance in a temp
# dir on loopback, stopped again by scripts/test-services.sh stop.
set -euo pipefail

state_dir=${MOVIES_TEST_STATE:-/tmp/movies-test-services}
mysql_port=${MOVIES_TEST_MYSQL_PORT:-3306}
redis_port=${MOVIES_TEST_REDIS_PORT:-6379}

log() { echo "test-services: $*" >&2; }

answers() { # host port
  (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null
}

apt_install() {
  if [ "$(id -u)" != 0 ]; then
    log "need root to install $*"; return 1
  fi
  if [ ! -f /tmp/.movies-apt-updated ]; then
    DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2 && touch /tmp/.movies-apt-updated
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >&2
}

wait_for() { # name host port seconds
  for _ in $(seq 1 $(( $4 * 10 ))); do
    answers "$2" "$3" && return 0
    sleep 0.1
  done
  log "$1 did not start on $2:$3"; return 1
}

start_mariadb() {
  if answers 127.0.0.1 "$mysql_port"; then
    log "reusing MySQL/MariaDB on 127.0.0.1:$mysql_port"
    # Test packages run in parallel, each with its own pools: the default
    # limit of 151 connections is too tight for them (best effort).
    mysql -h127.0.0.1 -P"$mysql_port" -uroot -e 'SET GLOBAL max_connections = GREATEST(@@max_connections, 1000)' \
      2>/dev/null || log "could not raise max_connections"
    return
  fi
  command -v mariadbd >/dev/null 2>&1 || [ -x /usr/sbin/mariadbd ] || apt_install mariadb-server mariadb-client
  local dir="$state_dir/mariadb"
  rm -rf "$dir" && mkdir -p "$dir"
  log "starting a throwaway MariaDB in $dir on 127.0.0.1:$mysql_port"
  mariadb-install-db --no-defaults --user="$(id -un)" --datadir="$dir/data" --auth-root-authentication-method=normal \
    --skip-test-db >"$dir/install.log" 2>&1
  PATH=$PATH:/usr/sbin nohup mariadbd --no-defaults --user="$(id -un)" --datadir="$dir/data" --bind-address=127.0.0.1 \
    --port="$mysql_port" --socket="$dir/mysqld.sock" --pid-file="$dir/mysqld.pid" \
    --skip-name-resolve --innodb-buffer-pool-size=256M --max-connections=1000 \
    >"$dir/mariadbd.log" 2>&1 &
  wait_for MariaDB 127.0.0.1 "$mysql_port" 60
}

start_redis() {
  if answers 127.0.0.1 "$redis_port"; then
    log "reusing Redis on 127.0.0.1:$redis_port"; return
  fi
  command -v redis-server >/dev/null 2>&1 || apt_install redis-server
  local dir="$state_dir/redis"
  mkdir -p "$dir"
  log "starting a throwaway Redis on 127.0.0.1:$redis_port"
  redis-server --daemonize yes --bind 127.0.0.1 --port "$redis_port" --save "" --appendonly no \
    --dir "$dir" --pidfile "$dir/redis.pid" --logfile "$dir/redis.log" >&2
  wait_for Redis 127.0.0.1 "$redis_port" 20
}

stop_all() {
  for pidfile in "$state_dir"/mariadb/mysqld.pid "$state_dir"/redis/redis.pid; do
    [ -f "$pidfile" ] && kill "$(cat "$pidfile")" 2>/dev/null || true
  done
}

case "${1:-start}" in
  start)
    start_mariadb
    start_redis
    echo "export MOVIES_TEST_MYSQL_DSN='root@tcp(127.0.0.1:$mysql_port)/'"
    echo "export MOVIES_TEST_REDIS_ADDR='127.0.0.1:$redis_port'"
    ;;
  stop) stop_all ;;
  *) echo "usage: $0 [start|stop]" >&2; exit 2 ;;
esac
