#!/usr/bin/env bash
# A throwaway PostgreSQL for the tests, on 127.0.0.1 only, in a temp directory.
#   scripts/test-postgres.sh start   -> prints the database URL (export it as TEST_DATABASE_URL)
#   scripts/test-postgres.sh stop
# Needs Debian's postgresql package (apt-get install postgresql); .ci/run installs it.
set -euo pipefail
PGBIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
[ -n "$PGBIN" ] || { echo "PostgreSQL is not installed (apt-get install postgresql)" >&2; exit 1; }
DIR=${PGTEST_DIR:-/tmp/fleet-rlm-pg}
PORT=${PGTEST_PORT:-54329}
as_owner() {
  # initdb refuses to run as root: run the server as the postgres user then.
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}
case "${1:-start}" in
  start)
    if [ -f "$DIR/data/postmaster.pid" ]; then as_owner "$PGBIN/pg_ctl" -D "$DIR/data" -m fast stop >/dev/null 2>&1 || true; fi
    rm -rf "$DIR" && mkdir -p "$DIR"
    [ "$(id -u)" = 0 ] && chown postgres "$DIR"
    as_owner "$PGBIN/initdb" -D "$DIR/data" -A trust -U postgres >/dev/null
    as_owner "$PGBIN/pg_ctl" -D "$DIR/data" -l "$DIR/server.log" -w \
      -o "-p $PORT -k $DIR -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200" start >/dev/null
    as_owner "$PGBIN/createdb" -h 127.0.0.1 -p "$PORT" -U postgres fleet_test
    echo "postgres://postgres@127.0.0.1:$PORT/fleet_test"
    ;;
  stop)
    as_owner "$PGBIN/pg_ctl" -D "$DIR/data" -m fast stop >/dev/null
    ;;
  *) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
