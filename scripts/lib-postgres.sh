# Throwaway PostgreSQL from Debian's server binaries, in a directory of our own. Sourced by run-local and bench.
# Usage: pg_start DIR PORT   → exports PG_URL (Npgsql connection string); pg_stop DIR
pg_bindir() {
  local dir
  for dir in /usr/lib/postgresql/*/bin; do
    [ -x "$dir/initdb" ] && { echo "$dir"; return 0; }
  done
  echo "PostgreSQL server binaries not found: apt-get install postgresql" >&2
  return 1
}

pg_as_owner() {
  # initdb refuses to run as root: run the server as the 'postgres' user then.
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

pg_start() {
  local dir=$1 port=$2 bin
  bin=$(pg_bindir) || return 1
  mkdir -p "$dir"
  [ "$(id -u)" = 0 ] && chown postgres "$dir"
  if [ ! -f "$dir/data/PG_VERSION" ]; then
    pg_as_owner "$bin/initdb" -D "$dir/data" -U postgres -A trust --no-sync >"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; return 1; }
  fi
  pg_as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 30 \
    -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200" start >/dev/null || { cat "$dir/server.log" >&2; return 1; }
  pg_as_owner "$bin/psql" -h 127.0.0.1 -p "$port" -U postgres -tAc "SELECT 1 FROM pg_database WHERE datname='crosslogic'" | grep -q 1 ||
    pg_as_owner "$bin/createdb" -h 127.0.0.1 -p "$port" -U postgres crosslogic
  export PG_URL="Host=127.0.0.1;Port=$port;Username=postgres;Database=crosslogic"
}

pg_stop() {
  local dir=$1 bin
  bin=$(pg_bindir) || return 0
  [ -f "$dir/data/postmaster.pid" ] && pg_as_owner "$bin/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null 2>&1
  return 0
}
