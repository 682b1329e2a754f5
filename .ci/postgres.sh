# Sourced by .ci/run: a throw-away PostgreSQL server on loopback for the test suite.
# start_postgres exports TEST_DATABASE_URL; stop_postgres stops the server and removes its data.

# The newest installed server's bin directory, or nothing.
pg_bin() {
  local initdb
  initdb=$( (ls -d /usr/lib/postgresql/*/bin/initdb 2>/dev/null || true) | sort -V | tail -n 1)
  if [ -n "$initdb" ]; then dirname "$initdb"; fi
}

install_postgres() {
  [ -n "$(pg_bin)" ] && return 0
  if [ "$(id -u)" != 0 ]; then
    echo "PostgreSQL is not installed and this is not root: apt-get install postgresql first" >&2
    return 1
  fi
  # Debian's package: installs in seconds. Its own cluster is not used (we run initdb below).
  DEBIAN_FRONTEND=noninteractive apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
}

# Runs a command as the user that owns the data directory (PostgreSQL refuses to run as root).
as_pg() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

start_postgres() {
  install_postgres
  local bin port
  bin=$(pg_bin)
  PG_CI_DIR=$(mktemp -d /tmp/custgate-pg.XXXXXX)
  export PG_CI_DIR PG_CI_BIN=$bin
  if [ "$(id -u)" = 0 ]; then chown postgres "$PG_CI_DIR"; fi
  port=$(node -e "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})")
  as_pg "$bin/initdb" -D "$PG_CI_DIR/data" -U postgres --auth=trust -E UTF8 --no-sync >/dev/null
  as_pg "$bin/pg_ctl" -D "$PG_CI_DIR/data" -l "$PG_CI_DIR/log" -w \
    -o "-p $port -k $PG_CI_DIR -c listen_addresses=127.0.0.1 -c max_connections=300 -c fsync=off" start >/dev/null
  export TEST_DATABASE_URL="postgres://postgres@127.0.0.1:$port/postgres"
  echo "PostgreSQL $("$bin/postgres" --version | awk '{print $3}') on 127.0.0.1:$port (data in $PG_CI_DIR)"
}

stop_postgres() {
  [ -n "${PG_CI_DIR:-}" ] || return 0
  as_pg "$PG_CI_BIN/pg_ctl" -D "$PG_CI_DIR/data" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$PG_CI_DIR"
  PG_CI_DIR=
}
