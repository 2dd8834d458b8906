#!/usr/bin/env bash
# A throwaway PostgreSQL 15 for the demo and the tests, on 127.0.0.1 only.
#   pg.sh start DIR   initdb in DIR, start on a free port, create database newsflow, print its URL
#                     (one line; also written to DIR/url). PORT=N in the environment forces a port.
#   pg.sh url DIR     print the URL again
#   pg.sh stop DIR    stop the server and delete DIR
#   pg.sh pause DIR   stop the server, keep its data (fault tests)
#   pg.sh resume DIR  start it again on the same port
# As root the server runs as the `postgres` user (initdb refuses root); DIR's parents must then be
# searchable by postgres (a `mktemp -d` parent is made o+x). Server log: DIR/log.
set -euo pipefail
BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}
cmd=${1:-}
dir=${2:-}
usage() { echo "usage: pg.sh start|url|stop|pause|resume DIR" >&2; exit 2; }
[ -n "$cmd" ] && [ -n "$dir" ] || usage

is_root() { [ "$(id -u)" -eq 0 ]; }
as_owner() {
    if is_root; then runuser -u postgres -- "$@"; else "$@"; fi
}
die() { echo "pg.sh: $*" >&2; exit 1; }
log_tail() { [ -f "$dir/log" ] && tail -n 20 "$dir/log" >&2 || true; }

port_free() {
    ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# pg_ctl start with the options saved in DIR/options.
pg_start() {
    as_owner "$BIN/pg_ctl" -D "$dir/data" -l "$dir/log" -w -t 60 -o "$(cat "$dir/options")" \
        start >/dev/null
}

case "$cmd" in
start)
    [ -x "$BIN/initdb" ] || die "no PostgreSQL 15 binaries in $BIN (deploy/local/deps.sh)"
    mkdir -p "$dir"
    dir=$(cd "$dir" && pwd)
    [ ! -e "$dir/data" ] || die "$dir/data already exists (pg.sh stop $dir first)"
    if is_root; then
        id postgres >/dev/null 2>&1 || die "no 'postgres' user to run the server as"
        chown postgres "$dir"
        # postgres must be able to reach DIR through its parents (mktemp dirs are 0700).
        chmod o+x "$(dirname "$dir")" 2>/dev/null || true
        runuser -u postgres -- test -x "$dir" ||
            die "user postgres cannot reach $dir: make its parent directories searchable (chmod o+x)"
    fi
    chmod 700 "$dir"
    as_owner "$BIN/initdb" -D "$dir/data" -A trust -U postgres -E UTF8 --locale=C.UTF-8 \
        >"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; die "initdb failed"; }

    # A free port: PORT if given, else probe upward from a random point in 55432..57431 (parallel
    # test runs rarely collide); a start that loses a race for the port moves on to the next one.
    port=${PORT:-}
    tries=1
    if [ -z "$port" ]; then
        port=$((55432 + RANDOM % 2000))
        tries=20
    fi
    started=
    for ((attempt = 1; attempt <= tries; attempt++)); do
        while [ -z "${PORT:-}" ] && ! port_free "$port"; do port=$((port + 1)); done
        # A throwaway server: no fsync, no full-page images, and new WAL segments are not
        # zero-filled first (a long-lived server recycles its old segments instead; a fresh one
        # would spend ~5% of a busy backend writing 16 MB of zeros per segment: README
        # "Performance", session 13).
        echo "-p $port -k '$dir' -c listen_addresses=127.0.0.1 -c fsync=off" \
            "-c full_page_writes=off -c wal_init_zero=off -c max_connections=200" >"$dir/options"
        log_size=$(stat -c %s "$dir/log" 2>/dev/null || echo 0)
        if pg_start 2>"$dir/pg_ctl.err"; then
            started=1
            break
        fi
        tail -c +"$((log_size + 1))" "$dir/log" 2>/dev/null | grep -q "Address already in use" ||
            break
        port=$((port + 1))
    done
    if [ -z "$started" ]; then
        cat "$dir/pg_ctl.err" >&2
        log_tail
        die "the server did not start (log: $dir/log)"
    fi
    rm -f "$dir/pg_ctl.err"
    url="postgresql://postgres@127.0.0.1:$port/newsflow"
    if ! psql "postgresql://postgres@127.0.0.1:$port/postgres" -XAtq -v ON_ERROR_STOP=1 \
        -c "CREATE DATABASE newsflow" >/dev/null; then
        log_tail
        as_owner "$BIN/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1 || true
        die "could not create database newsflow (log: $dir/log)"
    fi
    echo "$url" >"$dir/url"
    echo "$url"
    ;;
url)
    [ -f "$dir/url" ] || die "no server started in $dir"
    cat "$dir/url"
    ;;
pause)
    as_owner "$BIN/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null
    ;;
resume)
    pg_start || { log_tail; die "the server did not start again (log: $dir/log)"; }
    ;;
stop)
    [ -e "$dir" ] || exit 0
    # Refuse to delete a directory this script did not make.
    [ -e "$dir/data" ] || [ -e "$dir/initdb.log" ] || [ -z "$(ls -A "$dir")" ] ||
        die "$dir does not look like a pg.sh directory; not deleting it"
    if [ -d "$dir/data" ]; then
        as_owner "$BIN/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null 2>&1 || true
    fi
    rm -rf "$dir"
    ;;
*)
    usage
    ;;
esac
