#!/usr/bin/env bash
# Throwaway PostgreSQL server for tests and local experiments.
#
#   scripts/pg.sh start [DIR] [PORT]   start a server (trust auth, 127.0.0.1 only) with database "mediation".
#                                      DIR defaults to a fresh `mktemp -d /tmp/mediation-pg.XXXXXX`, PORT to 55432.
#                                      stdout: "PG_DIR=<dir>" then, on the last line, the Npgsql connection string.
#   scripts/pg.sh stop [DIR]           stop the server and remove DIR (defaults to the last DIR started).
#
# PostgreSQL refuses to run as root: when invoked as root the server runs as the unprivileged
# user $PG_RUN_USER (default "postgres", created with useradd when missing) and DIR is chowned to it.
# Environment: PG_BIN (default /usr/lib/postgresql/15/bin), PG_RUN_USER, PG_DB (default mediation).
set -euo pipefail

PG_BIN="${PG_BIN:-/usr/lib/postgresql/15/bin}"
PG_DB="${PG_DB:-mediation}"
PG_SUPERUSER="postgres"            # database role created by initdb (independent of the OS user)
DEFAULT_PORT=55432
STATE_FILE="/tmp/mediation-pg.last"

log() { echo "pg.sh: $*" >&2; }
die() { log "error: $*"; exit 1; }

usage() {
    sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//' >&2
    exit 2
}

# Decide who runs the server binaries.
if [ "$(id -u)" -eq 0 ]; then
    RUN_USER="${PG_RUN_USER:-postgres}"
else
    RUN_USER="$(id -un)"
fi

ensure_run_user() {
    [ "$(id -u)" -eq 0 ] || return 0
    if ! id -u "$RUN_USER" >/dev/null 2>&1; then
        log "creating system user $RUN_USER"
        useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin "$RUN_USER" >/dev/null 2>&1 \
            || useradd -r -M -s /bin/false "$RUN_USER" \
            || die "cannot create user $RUN_USER"
    fi
}

# Run a command as $RUN_USER (directly when not root).
as_run_user() {
    as_user "$RUN_USER" "$@"
}

# Run a command as the given user (directly when not root).
as_user() {
    local user="$1"; shift
    if [ "$(id -u)" -ne 0 ] || [ "$user" = "root" ]; then
        "$@"
    elif command -v runuser >/dev/null 2>&1; then
        runuser -u "$user" -- "$@"
    elif command -v setpriv >/dev/null 2>&1; then
        setpriv --reuid="$user" --regid="$(id -g "$user")" --init-groups -- "$@"
    else
        local q=""
        for a in "$@"; do q+=" $(printf '%q' "$a")"; done
        su -s /bin/sh "$user" -c "$q"
    fi
}

cmd_start() {
    local dir="${1:-}" port="${2:-$DEFAULT_PORT}"
    [ -x "$PG_BIN/initdb" ] || die "PostgreSQL binaries not found in $PG_BIN (set PG_BIN)"
    [[ "$port" =~ ^[0-9]+$ ]] || die "invalid port: $port"

    if [ -z "$dir" ]; then
        dir="$(mktemp -d /tmp/mediation-pg.XXXXXX)"
    else
        mkdir -p "$dir"
    fi
    dir="$(cd "$dir" && pwd -P)"
    ensure_run_user
    # The unprivileged user must be able to reach and own the directory.
    chmod 0755 "$dir"
    if [ "$(id -u)" -eq 0 ]; then
        chown -R "$RUN_USER" "$dir"
        # every parent directory must be traversable by the run user
        local p="$dir"
        while [ "$p" != "/" ]; do
            p="$(dirname "$p")"
            if ! as_run_user test -x "$p"; then
                die "$p is not accessible to $RUN_USER; choose a DIR outside it (e.g. under /tmp)"
            fi
        done
    fi

    local data="$dir/data" logfile="$dir/postgres.log"
    if [ -f "$data/postmaster.pid" ] && as_run_user "$PG_BIN/pg_ctl" -D "$data" status >/dev/null 2>&1; then
        log "server already running in $dir"
        port="$(cat "$dir/port" 2>/dev/null || echo "$port")"
    else
        if [ ! -f "$data/PG_VERSION" ]; then
            log "initdb in $data"
            as_run_user "$PG_BIN/initdb" -D "$data" -U "$PG_SUPERUSER" --auth=trust -E UTF8 \
                --locale=C --no-sync >"$dir/initdb.log" 2>&1 \
                || { cat "$dir/initdb.log" >&2; die "initdb failed"; }
        fi
        echo "$port" >"$dir/port"
        [ "$(id -u)" -ne 0 ] || chown "$RUN_USER" "$dir/port"
        log "starting on 127.0.0.1:$port"
        if ! as_run_user "$PG_BIN/pg_ctl" -D "$data" -l "$logfile" -w -t 60 \
            -o "-c listen_addresses=127.0.0.1 -p $port -k $dir -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" \
            start >&2; then
            cat "$logfile" >&2 || true
            die "pg_ctl start failed"
        fi
    fi

    local i
    for i in $(seq 1 120); do
        if "$PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$port" -U "$PG_SUPERUSER"; then break; fi
        [ "$i" -lt 120 ] || { cat "$logfile" >&2 || true; die "server did not become ready"; }
        sleep 0.25
    done

    if ! "$PG_BIN/psql" -h 127.0.0.1 -p "$port" -U "$PG_SUPERUSER" -d postgres -tAc \
        "SELECT 1 FROM pg_database WHERE datname = '$PG_DB'" | grep -q 1; then
        "$PG_BIN/createdb" -h 127.0.0.1 -p "$port" -U "$PG_SUPERUSER" "$PG_DB"
    fi

    echo "$dir" >"$STATE_FILE" 2>/dev/null || true
    echo "PG_DIR=$dir"
    echo "Host=127.0.0.1;Port=$port;Username=$PG_SUPERUSER;Database=$PG_DB"
}

cmd_stop() {
    local dir="${1:-}"
    if [ -z "$dir" ]; then
        [ -f "$STATE_FILE" ] || die "no DIR given and no server recorded in $STATE_FILE"
        dir="$(cat "$STATE_FILE")"
    fi
    [ -d "$dir" ] || { log "$dir does not exist; nothing to stop"; return 0; }
    case "$dir" in
        /|/tmp|/tmp/) die "refusing to remove $dir" ;;
    esac
    if [ -f "$dir/data/postmaster.pid" ]; then
        log "stopping server in $dir"
        # pg_ctl must run as the user that owns the cluster (whoever started it).
        local owner
        owner="$(stat -c %U "$dir/data")"
        if ! as_user "$owner" "$PG_BIN/pg_ctl" -D "$dir/data" -m fast -w -t 60 stop >&2 \
            && ! as_user "$owner" "$PG_BIN/pg_ctl" -D "$dir/data" -m immediate -w -t 30 stop >&2; then
            local pid
            pid="$(head -n 1 "$dir/data/postmaster.pid" 2>/dev/null || true)"
            if [[ "$pid" =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null; then
                log "pg_ctl stop failed; signalling postmaster $pid"
                kill -QUIT "$pid" 2>/dev/null || true
                local i
                for i in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
                kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null || true
            fi
        fi
    fi
    rm -rf -- "$dir"
    if [ -f "$STATE_FILE" ] && [ "$(cat "$STATE_FILE" 2>/dev/null)" = "$dir" ]; then rm -f "$STATE_FILE"; fi
    log "removed $dir"
}

case "${1:-}" in
    start) shift; cmd_start "${1:-}" "${2:-}" ;;
    stop) shift; cmd_stop "${1:-}" ;;
    *) usage ;;
esac
