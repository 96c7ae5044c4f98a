#!/bin/sh
# `postgres`, the default command: on the first start with an empty data folder, initdb, then the
# user and database the environment names, a password required from every address but the
# container's own socket; then the server on every address of the container, replacing this
# script so that it receives the container's stop signal. Any other command runs as it is.
set -eu

init_once() {
    [ -s "$PGDATA/PG_VERSION" ] && return 0
    : "${POSTGRES_PASSWORD:?POSTGRES_PASSWORD must be set}"
    user=${POSTGRES_USER:-postgres}
    db=${POSTGRES_DB:-$user}
    pwfile=$(mktemp)
    printf '%s\n' "$POSTGRES_PASSWORD" >"$pwfile"
    initdb --username="$user" --pwfile="$pwfile" --auth-local=trust --auth-host=scram-sha-256 \
        --encoding=UTF8 >/dev/null
    rm -f "$pwfile"
    printf 'host all all all scram-sha-256\n' >>"$PGDATA/pg_hba.conf"
    if [ "$db" != postgres ]; then
        # A server on the socket only, so that nobody connects before the database exists.
        pg_ctl -w -o "-c listen_addresses=''" start >/dev/null
        createdb --username="$user" "$db"
        pg_ctl -w -m fast stop >/dev/null
    fi
}

if [ "${1:-}" = postgres ]; then
    init_once
    set -- "$@" -c listen_addresses='*'
fi
exec "$@"
