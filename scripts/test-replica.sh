#!/usr/bin/env bash
# A throwaway MariaDB primary and a replica fed by GTID replication, on
# loopback, for the replica-routing tests. Prints the environment they read:
#
#   eval "$(scripts/test-replica.sh start)"   # starts, or reuses, both
#   scripts/test-replica.sh stop              # stops the ones it started
#
# Both servers run from a temp dir with --no-defaults, so /etc/mysql (which
# sets user=mysql and other paths) never applies. A pair that already answers
# and replicates is reused; a half-present pair is restarted from scratch, as
# a replica cannot follow a primary that was re-created under it.
set -euo pipefail

state_dir=${MOVIES_TEST_REPLICA_STATE:-/tmp/movies-test-replica}
primary_port=${MOVIES_TEST_PRIMARY_PORT:-3316}
replica_port=${MOVIES_TEST_REPLICA_PORT:-3317}

log() { echo "test-replica: $*" >&2; }

answers() { # port
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
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

sql() { # port statement...
  local port=$1; shift
  mariadb --no-defaults --protocol=tcp -h127.0.0.1 -P"$port" -uroot --batch --skip-column-names -e "$*"
}

replicating() {
  answers "$primary_port" && answers "$replica_port" || return 1
  local status
  status=$(mariadb --no-defaults --protocol=tcp -h127.0.0.1 -P"$replica_port" -uroot -e "SHOW SLAVE STATUS\\G" 2>/dev/null) || return 1
  # A test that died mid-way may have left a delay behind: start afresh then.
  grep -q 'Slave_IO_Running: Yes' <<<"$status" && grep -q 'Slave_SQL_Running: Yes' <<<"$status" &&
    grep -q 'SQL_Delay: 0$' <<<"$status"
}

start_server() { # name port server-id extra-flags...
  local name=$1 port=$2 id=$3; shift 3
  local dir="$state_dir/$name"
  if answers "$port"; then
    log "something not started by this script answers on 127.0.0.1:$port"; return 1
  fi
  rm -rf "$dir" && mkdir -p "$dir"
  mariadb-install-db --no-defaults --user="$(id -un)" --datadir="$dir/data" --auth-root-authentication-method=normal \
    --skip-test-db >"$dir/install.log" 2>&1
  log "starting the $name on 127.0.0.1:$port ($dir)"
  PATH=$PATH:/usr/sbin nohup mariadbd --no-defaults --user="$(id -un)" --datadir="$dir/data" \
    --bind-address=127.0.0.1 --port="$port" --socket="$dir/mysqld.sock" --pid-file="$dir/mysqld.pid" \
    --skip-name-resolve --innodb-buffer-pool-size=64M --max-connections=200 \
    --server-id="$id" --log-bin="$dir/data/binlog" --binlog-format=ROW --gtid-strict-mode=1 \
    "$@" >"$dir/mariadbd.log" 2>&1 &
  for _ in $(seq 1 600); do
    sql "$port" "SELECT 1" >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  log "the $name did not start; see $dir/mariadbd.log"; return 1
}

stop_all() {
  local pidfile pid
  for pidfile in "$state_dir"/primary/mysqld.pid "$state_dir"/replica/mysqld.pid; do
    [ -f "$pidfile" ] || continue
    pid=$(cat "$pidfile")
    kill "$pid" 2>/dev/null || continue
    for _ in $(seq 1 300); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
  done
}

start_pair() {
  command -v mariadbd >/dev/null 2>&1 || [ -x /usr/sbin/mariadbd ] || apt_install mariadb-server mariadb-client
  stop_all
  start_server primary "$primary_port" 1
  # The replica is read-only for applications; its SQL thread still applies.
  start_server replica "$replica_port" 2 --read-only --relay-log="$state_dir/replica/data/relay"
  sql "$primary_port" "CREATE USER 'repl'@'127.0.0.1' IDENTIFIED BY 'repl';
    GRANT REPLICATION SLAVE ON *.* TO 'repl'@'127.0.0.1'"
  sql "$replica_port" "CHANGE MASTER TO MASTER_HOST='127.0.0.1', MASTER_PORT=$primary_port,
    MASTER_USER='repl', MASTER_PASSWORD='repl', MASTER_CONNECT_RETRY=1, MASTER_USE_GTID=slave_pos;
    START SLAVE"
}

# wait_replicated writes on the primary and waits for the replica to apply it.
wait_replicated() {
  sql "$primary_port" "CREATE DATABASE IF NOT EXISTS replica_check;
    CREATE TABLE IF NOT EXISTS replica_check.beat (id INT PRIMARY KEY, at DATETIME(6));
    REPLACE INTO replica_check.beat VALUES (1, NOW(6))"
  local pos got
  pos=$(sql "$primary_port" "SELECT @@gtid_binlog_pos")
  got=$(sql "$replica_port" "SELECT MASTER_GTID_WAIT('$pos', 30)")
  if [ "$got" != 0 ]; then
    log "the replica did not reach $pos within 30s"
    mariadb --no-defaults --protocol=tcp -h127.0.0.1 -P"$replica_port" -uroot -e "SHOW SLAVE STATUS\\G" >&2 || true
    return 1
  fi
}

case "${1:-start}" in
  start)
    if replicating; then
      log "reusing the primary on :$primary_port and the replica on :$replica_port"
    else
      start_pair
    fi
    wait_replicated
    log "replicating (primary at $(sql "$primary_port" "SELECT @@gtid_binlog_pos"))"
    echo "export MOVIES_TEST_MYSQL_PRIMARY_DSN='root@tcp(127.0.0.1:$primary_port)/' MOVIES_TEST_MYSQL_REPLICA_DSN='root@tcp(127.0.0.1:$replica_port)/'"
    ;;
  stop) stop_all ;;
  *) echo "usage: $0 [start|stop]" >&2; exit 2 ;;
esac
