#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 the ConcurrentFutures authors

# pg-server.sh — a throwaway PostgreSQL server for the FanOut example and its
# tests.  Everything lives in one state directory, $PG_STATE_DIR (required):
#
#   data/     the cluster (initdb -A trust, fsync off)
#   sock/     its private Unix socket directory
#   port      the loopback TCP port it listens on (127.0.0.1)
#   conninfo  the libpq connection string a client should use
#   log       the server log
#
# Commands:
#   start     initdb (first time) and start; a no-op when already running,
#             and a restart on the same port after `kill`.  Prints the conninfo.
#   load N    (re)creates items(id int primary key, value bigint) with N rows,
#             value = id * 2654435761 % 1000000007, then ANALYZE.
#   kill      stops the server at once (pg_ctl stop -m immediate), keeping
#             the data (committed rows survive: only fsync is off, and the
#             kernel still has the writes): what a crashed remote node looks
#             like to its clients.
#   stop      stops the server (fast) and removes the state directory.
#   conninfo  prints the conninfo.
#
# PostgreSQL refuses to run as root, so as root the server runs as the
# `postgres` user (runuser); otherwise as the caller.  The port is $PG_PORT
# when set, else a free one.  $PG_BIN overrides the server binaries'
# directory.  Every command is idempotent, and a failed first start removes
# what it made.
set -euo pipefail

PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}
[ -x "$PG_BIN/pg_ctl" ] || PG_BIN=$(dirname "$(command -v pg_ctl || echo /nonexistent/pg_ctl)")
state=${PG_STATE_DIR:?set PG_STATE_DIR to the server state directory}
cmd=${1:?usage: pg-server.sh start | load N | kill | stop | conninfo}

die() { echo "pg-server: $*" >&2; exit 1; }
[ -x "$PG_BIN/pg_ctl" ] || die "no PostgreSQL server binaries (install postgresql-15, or set PG_BIN)"

if [ "$(id -u)" = 0 ]; then
  owner=postgres
  as_owner() { runuser -u postgres -- "$@"; }
else
  owner=$(id -un)
  as_owner() { "$@"; }
fi

running() { [ -d "$state/data" ] && as_owner "$PG_BIN/pg_ctl" -D "$state/data" status >/dev/null 2>&1; }

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

conninfo() { cat "$state/conninfo"; }

start() {
  if running; then conninfo; return; fi
  fresh=0
  if [ ! -f "$state/data/PG_VERSION" ]; then
    fresh=1
    # A failed first start leaves nothing behind.
    trap 'if [ "$fresh" = 1 ]; then as_owner "$PG_BIN/pg_ctl" -D "$state/data" stop -m immediate >/dev/null 2>&1 || true; rm -rf "$state"; fi' EXIT
    rm -rf "$state"
    mkdir -p "$state/sock"
    chmod 0755 "$state"
    chown "$owner" "$state" "$state/sock"
    chmod 0700 "$state/sock"
    local port=${PG_PORT:-$(free_port)}
    echo "$port" >"$state/port"
    as_owner "$PG_BIN/initdb" -D "$state/data" -A trust -U postgres --no-sync \
      --encoding UTF8 --no-locale >"$state/initdb.log" 2>&1 \
      || { cat "$state/initdb.log" >&2; false; }
    cat >>"$state/data/postgresql.conf" <<EOF
# pg-server.sh: a throwaway server, durability off.
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$state/sock'
max_connections = 200
shared_buffers = 32MB
fsync = off
full_page_writes = off
EOF
    echo "host=127.0.0.1 port=$port dbname=postgres user=postgres connect_timeout=10" >"$state/conninfo"
  fi
  local port
  port=$(cat "$state/port")
  touch "$state/log"
  chown "$owner" "$state/log"
  if ! as_owner "$PG_BIN/pg_ctl" -D "$state/data" -l "$state/log" -w -t 60 start >/dev/null; then
    tail -20 "$state/log" >&2
    die "the server did not start (log: $state/log)"
  fi
  "$PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$port" -t 30 || die "the server does not answer on 127.0.0.1:$port"
  fresh=0
  conninfo
}

load() {
  local rows=${1:?usage: pg-server.sh load N}
  running || die "no server running in $state"
  psql "$(conninfo)" -v ON_ERROR_STOP=1 -q <<EOF
SET client_min_messages = warning;
DROP TABLE IF EXISTS items;
CREATE TABLE items (id int PRIMARY KEY, value bigint NOT NULL);
INSERT INTO items SELECT i, i::bigint * 2654435761 % 1000000007 FROM generate_series(1, $rows) AS i;
ANALYZE items;
CHECKPOINT;
EOF
  echo "loaded $rows rows into items"
}

case $cmd in
  start) start ;;
  load) load "${2:-}" ;;
  kill)
    if running; then as_owner "$PG_BIN/pg_ctl" -D "$state/data" stop -m immediate -w >/dev/null; fi ;;
  stop)
    if running; then as_owner "$PG_BIN/pg_ctl" -D "$state/data" stop -m fast -w >/dev/null; fi
    rm -rf "$state" ;;
  conninfo) conninfo ;;
  *) die "unknown command: $cmd" ;;
esac
