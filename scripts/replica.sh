#!/usr/bin/env bash
# A PostgreSQL streaming replica of the machine's cluster, for the replica tests and local trials.
#
#   scripts/replica.sh start    base backup of the primary, then a hot standby on $REPLICA_PORT
#   scripts/replica.sh pause    stop replaying WAL (the replica lags behind every later write)
#   scripts/replica.sh resume   replay again
#   scripts/replica.sh stop     shut the standby down (its files stay; `start` makes a fresh one)
#   scripts/replica.sh status   prints "up" or "down"
#
# The primary is $PRIMARY_HOST:$PRIMARY_PORT (127.0.0.1:5432, user postgres, trust). When the primary refuses
# replication connections, `start` adds one pg_hba line allowing them from 127.0.0.1 and reloads it: the
# only change made to the machine's cluster.
set -euo pipefail

PRIMARY_HOST=${PRIMARY_HOST:-127.0.0.1}
PRIMARY_PORT=${PRIMARY_PORT:-5432}
PORT=${REPLICA_PORT:-5433}
DIR=${REPLICA_DIR:-/tmp/teller-replica-$PORT}
BIN=$(pg_config --bindir 2>/dev/null || echo /usr/lib/postgresql/15/bin)

as_postgres() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

primary_sql() {
  psql -h "$PRIMARY_HOST" -p "$PRIMARY_PORT" -U postgres -d postgres -XAtqc "$1"
}

replica_sql() {
  psql -h 127.0.0.1 -p "$PORT" -U postgres -d postgres -XAtqc "$1"
}

allow_replication() {
  if psql "host=$PRIMARY_HOST port=$PRIMARY_PORT user=postgres replication=1" -XAtqc "IDENTIFY_SYSTEM" \
    >/dev/null 2>&1; then
    return 0
  fi
  local hba
  hba=$(primary_sql "SHOW hba_file")
  echo "replica: allowing replication connections from 127.0.0.1 in $hba" >&2
  printf '\n# Added by Teller scripts/replica.sh: a local streaming replica for tests\nhost replication all 127.0.0.1/32 trust\n' >>"$hba"
  primary_sql "SELECT pg_reload_conf()" >/dev/null
  sleep 0.5
}

is_up() {
  [ -f "$DIR/postmaster.pid" ] && as_postgres "$BIN/pg_ctl" -D "$DIR" status >/dev/null 2>&1
}

start() {
  if is_up; then echo "replica: already up on port $PORT" >&2; return 0; fi
  allow_replication
  rm -rf "$DIR"
  mkdir -p "$DIR"
  chmod 700 "$DIR"
  [ "$(id -u)" = 0 ] && chown postgres:postgres "$DIR"
  # -R writes standby.signal and primary_conninfo; -X stream copies the WAL the backup needs.
  as_postgres "$BIN/pg_basebackup" -h "$PRIMARY_HOST" -p "$PRIMARY_PORT" -U postgres -D "$DIR" -R -X stream \
    --checkpoint=fast
  # Debian keeps the primary's configuration outside its data directory: the standby gets its own.
  as_postgres sh -c "printf 'local all all trust\nhost all all 127.0.0.1/32 trust\n' >'$DIR/pg_hba.conf'; : >'$DIR/pg_ident.conf'; : >'$DIR/postgresql.conf'"
  # A hot standby must allow at least as many connections (and workers) as the primary.
  local conns
  conns=$(primary_sql "SHOW max_connections")
  as_postgres "$BIN/pg_ctl" -D "$DIR" -l "$DIR/server.log" -w -t 60 \
    -o "-p $PORT -c listen_addresses=127.0.0.1 -c unix_socket_directories=/tmp -c hot_standby=on -c max_connections=$conns -c shared_buffers=64MB" \
    start >/dev/null
  for _ in $(seq 1 50); do
    [ "$(replica_sql "SELECT pg_is_in_recovery()" 2>/dev/null)" = t ] && { echo "replica: up on port $PORT" >&2; return 0; }
    sleep 0.2
  done
  echo "replica: did not come up; see $DIR/server.log" >&2
  return 1
}

case "${1:-}" in
  start) start ;;
  stop) if is_up; then as_postgres "$BIN/pg_ctl" -D "$DIR" -m fast -w stop >/dev/null; fi ;;
  pause) replica_sql "SELECT pg_wal_replay_pause()" >/dev/null ;;
  resume) replica_sql "SELECT pg_wal_replay_resume()" >/dev/null ;;
  status) if is_up; then echo up; else echo down; fi ;;
  *) echo "usage: $0 start|stop|pause|resume|status" >&2; exit 2 ;;
esac
