#!/usr/bin/env bash
# Load-test signed Winpay updates on the bare ceiling app, the service on SQLite and on
# PostgreSQL, one after another in one run; print req/s, p99 and the ratio to the bare app.
# Loopback only, bounded duration. Results: bench/results/<UTC time>/ (gitignored).
#
#   bash bench/run.sh                       # or: make bench
#   DURATION=15 TARGETS="bare sqlite" bash bench/run.sh
#
# DURATION (s, default 20, at most 240: one signed timestamp must stay valid for the run),
# CONNECTIONS (32), INVOICES (1000), TARGETS ("bare sqlite paylink-sqlite postgres"; the
# paylink-sqlite target sends the Paylink seed's update instead of Winpay's),
# PGHOST/PGPORT (127.0.0.1/5432; the postgres target is skipped if nothing answers there).
set -euo pipefail
cd "$(dirname "$0")/.."

DURATION=${DURATION:-20}
CONNECTIONS=${CONNECTIONS:-32}
INVOICES=${INVOICES:-1000}
TARGETS=${TARGETS:-bare sqlite paylink-sqlite postgres}
PGHOST=${PGHOST:-127.0.0.1}
PGPORT=${PGPORT:-5432}
PG_DB=invoicegate_bench
export PGOPTIONS="--client-min-messages=warning"  # no NOTICE from DROP DATABASE IF EXISTS
BIN=$PWD/.venv/bin
RUN_DIR=bench/results/$(date -u +%Y%m%dT%H%M%SZ)
WORK=$(mktemp -d)
SERVER_PID=

if ((DURATION < 1 || DURATION > 240)); then
    echo "DURATION must be 1..240 seconds (the signed timestamp is valid for 300 s)" >&2
    exit 2
fi

if ! command -v wrk >/dev/null; then
    echo "installing wrk with apt-get" >&2
    SUDO=$([ "$(id -u)" = 0 ] || echo sudo)
    $SUDO apt-get update -qq && $SUDO apt-get install -y -qq wrk
fi

stop_server() {
    if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
        kill -TERM "$SERVER_PID"
        for _ in $(seq 100); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$SERVER_PID" 2>/dev/null || true
        wait "$SERVER_PID" 2>/dev/null || true
    fi
    SERVER_PID=
}

cleanup() {
    stop_server
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() {
    "$BIN/python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# start_server NAME COMMAND...: run it in the background, log to the run folder, wait for /healthz.
start_server() {
    local name=$1
    shift
    "$@" >"$RUN_DIR/$name.server.log" 2>&1 &
    SERVER_PID=$!
    for _ in $(seq 300); do
        if curl -fsS -o /dev/null "$URL/healthz" 2>/dev/null; then return 0; fi
        if ! kill -0 "$SERVER_PID" 2>/dev/null; then break; fi
        sleep 0.1
    done
    echo "$name did not become healthy at $URL; log:" >&2
    tail -n 40 "$RUN_DIR/$name.server.log" >&2
    exit 1
}

# run_wrk NAME: the load itself; appends its BENCH line to the run summary.
run_wrk() {
    local name=$1
    set -a
    # shellcheck disable=SC1091
    . "$WORK/$name/auth.env"
    set +a
    echo "== $name: wrk -t1 -c$CONNECTIONS -d${DURATION}s on $URL" >&2
    BENCH_IDS="$WORK/$name/ids.txt" wrk -t1 -c"$CONNECTIONS" -d"${DURATION}s" --latency \
        -s bench/update.lua "$URL" | tee "$RUN_DIR/$name.wrk.txt" >&2
    BENCH_LINE=$(grep '^BENCH ' "$RUN_DIR/$name.wrk.txt" | sed 's/^BENCH //')
}

# count_revisions URL: rows in invoice_revisions, read after the server stopped.
count_revisions() {
    "$BIN/python" - "$1" <<'EOF'
import sys
import sqlalchemy as sa
url = sys.argv[1].replace("postgresql://", "postgresql+psycopg://", 1)
with sa.create_engine(url).connect() as db:
    print(db.execute(sa.text("SELECT count(*) FROM invoice_revisions")).scalar_one())
EOF
}

bench_bare() {
    URL=http://127.0.0.1:$(free_port)
    "$BIN/python" bench/setup_invoices.py --fake --count "$INVOICES" --out "$WORK/bare"
    # The service's own flags (cli.py `serve`): uvloop, httptools, one process, no access log.
    start_server bare "$BIN/uvicorn" bench.bare_app:app --host 127.0.0.1 --port "${URL##*:}" \
        --loop uvloop --http httptools --no-access-log --lifespan on --no-proxy-headers \
        --log-level warning
    run_wrk bare
    stop_server
    echo "target=bare $BENCH_LINE" >>"$RUN_DIR/summary.txt"
}

# bench_service NAME DATABASE_URL [DIALECT]: migrate, serve, create invoices, load, check the
# revisions.
bench_service() {
    local name=$1 db_url=$2 dialect=${3:-winpay}
    URL=http://127.0.0.1:$(free_port)
    export INVOICEGATE_DATABASE_URL=$db_url INVOICEGATE_PUBLIC_URL=$URL
    export INVOICEGATE_DATA_DIR=$WORK/$name/data
    "$BIN/invoicegate" migrate >"$RUN_DIR/$name.migrate.log" 2>&1
    start_server "$name" "$BIN/invoicegate" serve --host 127.0.0.1 --port "${URL##*:}"
    "$BIN/python" bench/setup_invoices.py --url "$URL" --count "$INVOICES" --out "$WORK/$name" \
        --dialect "$dialect"
    run_wrk "$name"
    stop_server
    local revisions
    revisions=$(count_revisions "$db_url")
    echo "target=$name $BENCH_LINE revisions=$revisions invoices=$INVOICES" \
        "connections=$CONNECTIONS" >>"$RUN_DIR/summary.txt"
}

mkdir -p "$RUN_DIR"
for target in $TARGETS; do
    case $target in
    bare) bench_bare ;;
    sqlite) bench_service sqlite "sqlite:///$WORK/sqlite/bench.db" ;;
    paylink-sqlite) bench_service paylink-sqlite "sqlite:///$WORK/paylink-sqlite/bench.db" paylink ;;
    postgres)
        if ! pg_isready -q -h "$PGHOST" -p "$PGPORT"; then
            echo "== postgres: nothing answers at $PGHOST:$PGPORT, skipped" >&2
            continue
        fi
        psql -q -h "$PGHOST" -p "$PGPORT" -d test -c "DROP DATABASE IF EXISTS $PG_DB" \
            -c "CREATE DATABASE $PG_DB"
        bench_service postgres "postgresql://$PGHOST:$PGPORT/$PG_DB"
        psql -q -h "$PGHOST" -p "$PGPORT" -d test -c "DROP DATABASE IF EXISTS $PG_DB"
        ;;
    *) echo "unknown target $target (bare, sqlite, paylink-sqlite, postgres)" >&2 && exit 2 ;;
    esac
done

ln -sfn "$(basename "$RUN_DIR")" bench/results/latest
REVISION=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
git diff --quiet HEAD -- src 2>/dev/null || REVISION="$REVISION + uncommitted changes in src/"
"$BIN/python" bench/report.py "$RUN_DIR" --revision "$REVISION" \
    --command "DURATION=$DURATION CONNECTIONS=$CONNECTIONS bash bench/run.sh" | tee "$RUN_DIR/table.md"
