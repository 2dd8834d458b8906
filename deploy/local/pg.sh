#!/usr/bin/env bash
# A throwaway PostgreSQL 15 for the demo and the tests, on 127.0.0.1 only.
#   pg.sh start DIR   initdb in DIR, start on a free port, create database newsflow, print its URL
#   pg.sh url DIR     print the URL again
#   pg.sh stop DIR    stop the server and delete DIR
#   pg.sh pause DIR   stop the server, keep its data (fault tests)
#   pg.sh resume DIR  start it again on the same port
# As root the server runs as the `postgres` user (initdb refuses root).
set -euo pipefail
BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}
cmd=${1:-}
dir=${2:-}
[ -n "$cmd" ] && [ -n "$dir" ] || { echo "usage: pg.sh start|url|stop|pause|resume DIR" >&2; exit 2; }

as_owner() {
    if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

port_free() {
    ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

case "$cmd" in
start)
    mkdir -p "$dir"
    dir=$(cd "$dir" && pwd)
    [ "$(id -u)" -eq 0 ] && chown postgres "$dir"
    chmod 700 "$dir"
    # postgres must be able to reach DIR through its parents (mktemp dirs are 0700).
    parent=$(dirname "$dir")
    [ "$(id -u)" -eq 0 ] && chmod o+x "$parent" 2>/dev/null || true
    as_owner "$BIN/initdb" -D "$dir/data" -A trust -U postgres -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 \
        || { cat "$dir/initdb.log" >&2; exit 1; }
    port=${PORT:-}
    if [ -z "$port" ]; then
        port=$(( 55432 + RANDOM % 2000 ))
        while ! port_free "$port"; do port=$((port + 1)); done
    fi
    echo "-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off -c max_connections=200" >"$dir/options"
    as_owner "$BIN/pg_ctl" -D "$dir/data" -l "$dir/log" -w -t 60 -o "$(cat "$dir/options")" \
        start >/dev/null || { tail -n 20 "$dir/log" >&2; exit 1; }
    url="postgresql://postgres@127.0.0.1:$port/newsflow"
    psql "postgresql://postgres@127.0.0.1:$port/postgres" -XAtq -c "CREATE DATABASE newsflow" >/dev/null \
        || { tail -n 20 "$dir/log" >&2; exit 1; }
    echo "$url" >"$dir/url"
    echo "$url"
    ;;
url)
    cat "$dir/url"
    ;;
pause)
    as_owner "$BIN/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null
    ;;
resume)
    as_owner "$BIN/pg_ctl" -D "$dir/data" -l "$dir/log" -w -t 60 -o "$(cat "$dir/options")" \
        start >/dev/null || { tail -n 20 "$dir/log" >&2; exit 1; }
    ;;
stop)
    if [ -d "$dir/data" ]; then
        as_owner "$BIN/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null 2>&1 || true
    fi
    rm -rf "$dir"
    ;;
*)
    echo "usage: pg.sh start|url|stop|pause|resume DIR" >&2
    exit 2
    ;;
esac
