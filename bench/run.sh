#!/usr/bin/env bash
# Load-test the service against a bare ASGI app, one target after another in one run, and
# print one table: req/s, p50/p99, the ratio to the bare app, the server's RSS, and whether
# every 200 of an update left its revision. Loopback only, bounded duration. Results:
# bench/results/<UTC time>/ (gitignored).
#
#   bash bench/run.sh                       # or: make bench
#   DURATION=15 TARGETS="bare sqlite" bash bench/run.sh
#   SCALE=1 bash bench/run.sh               # + the million-invoice runs
#   PROFILE=1 TARGETS="bare sqlite" bash bench/run.sh   # + a py-spy flame graph per target
#
# Targets (TARGETS, default all but the scale ones): bare (the ceiling, on the service's own
# HTTP protocol), bare-uvicorn (the same app on uvicorn's stock httptools protocol), sqlite
# (Winpay seed update), paylink-sqlite (Paylink seed update), find-sqlite (Winpay signed
# find), native-sqlite (the native API's PATCH with If-Match, issue 9, at the Winpay update's
# goal), postgres (Winpay update), postgres-2proc (two server processes on one PostgreSQL
# database, each loaded by its own wrk with half the connections); SCALE=1 adds sqlite-1m
# and postgres-1m: the Winpay update spread over a database bulk-loaded (bench/db.py) to
# SCALE_INVOICES invoices with SCALE_REVISIONS revisions each.
#
# DURATION (s, default 20, at most 240: one signed timestamp must stay valid for the run),
# WARMUP (s, default 5: the same load, unmeasured, before each measured window of the bare app
# and the update/find targets),
# CONNECTIONS (32), INVOICES (1000), SCALE_INVOICES (1000000), SCALE_REVISIONS (3),
# PGHOST/PGPORT (127.0.0.1/5432; PostgreSQL targets are skipped if nothing answers there),
# PG_DB (invoicegate_bench: the database each PostgreSQL target drops and creates),
# SCALE_KEEP (a folder: keep each settled million-invoice database there, and later runs
# start from a copy of it instead of bulk-loading again; PostgreSQL keeps it as the database
# <PG_DB>_keep_<stamp>; a change to bench/db.py or to the schema makes a new one),
# PG_WAL_COMPRESSION (lz4: the bench database's wal_compression; off to compare),
# CEILINGS (around: the bare app is measured again right before and after every target, for
# CEILING_DURATION seconds, default 20 or DURATION if shorter, and each target's ratio is
# against the mean of the two ceilings beside it, so the machine's drift over the run does not
# move the ratios; once: only the `bare` target, the ratios all against it).
set -euo pipefail
cd "$(dirname "$0")/.."

DURATION=${DURATION:-20}
WARMUP=${WARMUP:-5}
CONNECTIONS=${CONNECTIONS:-32}
INVOICES=${INVOICES:-1000}
TARGETS=${TARGETS:-bare bare-uvicorn sqlite paylink-sqlite find-sqlite native-sqlite postgres
    postgres-2proc}
SCALE=${SCALE:-0}
SCALE_INVOICES=${SCALE_INVOICES:-1000000}
SCALE_REVISIONS=${SCALE_REVISIONS:-3}
PROFILE=${PROFILE:-0}
SCALE_KEEP=${SCALE_KEEP:-}
PG_WAL_COMPRESSION=${PG_WAL_COMPRESSION:-lz4}
CEILINGS=${CEILINGS:-around}
CEILING_DURATION=${CEILING_DURATION:-$((DURATION < 20 ? DURATION : 20))}
if [ "$SCALE" = 1 ]; then TARGETS="$TARGETS sqlite-1m postgres-1m"; fi
PGHOST=${PGHOST:-127.0.0.1}
PGPORT=${PGPORT:-5432}
PG_DB=${PG_DB:-invoicegate_bench} # another name lets two runs share one PostgreSQL
PG_URL=postgresql://$PGHOST:$PGPORT/$PG_DB
export PGOPTIONS="--client-min-messages=warning" # no NOTICE from DROP DATABASE IF EXISTS
BIN=$PWD/.venv/bin
RUN_DIR=bench/results/$(date -u +%Y%m%dT%H%M%SZ)
WORK=$(mktemp -d)
SERVER_PID=
SERVER2_PID=
WATCHERS=()

if ((DURATION < 1 || WARMUP < 0 || DURATION + WARMUP > 240)); then
    echo "DURATION + WARMUP must be 1..240 seconds (the signed timestamp is valid for 300 s)" >&2
    exit 2
fi

case $CEILINGS in around | once) ;; *)
    echo "CEILINGS must be around or once" >&2
    exit 2
    ;;
esac
if ((CEILING_DURATION < 1 || CEILING_DURATION + WARMUP > 240)); then
    echo "CEILING_DURATION + WARMUP must be 1..240 seconds" >&2
    exit 2
fi

if ! command -v wrk >/dev/null; then
    echo "installing wrk with apt-get" >&2
    SUDO=$([ "$(id -u)" = 0 ] || echo sudo)
    $SUDO apt-get update -qq && $SUDO apt-get install -y -qq wrk
fi

stop_pid() {
    local pid=$1
    if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
        kill -TERM "$pid"
        for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    fi
}

# stop_server: the servers of the current target, and what watched them.
stop_server() {
    local pid
    for pid in "${WATCHERS[@]}"; do wait "$pid" 2>/dev/null || true; done
    WATCHERS=()
    stop_pid "$SERVER_PID"
    stop_pid "$SERVER2_PID"
    SERVER_PID=
    SERVER2_PID=
}

cleanup() {
    local pid
    for pid in "${WATCHERS[@]}"; do stop_pid "$pid"; done
    stop_server
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() {
    "$BIN/python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# start_server NAME COMMAND...: run it in the background (SERVER_PID), log to the run folder,
# wait for /healthz on $URL.
start_server() {
    local name=$1
    shift
    "$@" >>"$RUN_DIR/$name.server.log" 2>&1 &
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

# watch_server NAME PID: for the length of the load, sample once a second the server's RSS
# (kB) and the CPU time it has used (clock ticks, user + system) into NAME.rss, and with
# PROFILE=1 record a py-spy flame graph of it into NAME.svg.
watch_server() {
    local name=$1 pid=$2
    (
        for _ in $(seq 0 "$DURATION"); do
            rss=$(awk '/^VmRSS/ {print $2}' "/proc/$pid/status" 2>/dev/null) || break
            # /proc/PID/stat fields 14 and 15 (after the parenthesised command name)
            ticks=$(sed 's/^.*) //' "/proc/$pid/stat" | awk '{print $12 + $13}') || break
            echo "$rss $ticks"
            sleep 1
        done
    ) >"$RUN_DIR/$name.rss" &
    WATCHERS+=($!)
    if [ "$PROFILE" = 1 ]; then
        "$BIN/py-spy" record --pid "$pid" --rate 200 --nonblocking --gil \
            --duration "$(((DURATION + 1) / 2))" --format flamegraph --output "$RUN_DIR/$name.svg" >"$RUN_DIR/$name.py-spy.log" 2>&1 &
        WATCHERS+=($!)
    fi
}

# warm_up NAME IDS: WARMUP seconds of the same load on $URL before the measured window, not
# counted: a server just started on a database just opened answers its first second or so
# slower (imports, caches, the first checkpoints), and that belongs to no steady state. Every
# target that has one gets the same. The warm-up updates the invoices at the end of the ids
# file (all of them at 1,000; at a million, 100,000 the measured load, which starts at the
# top, does not reach), so it warms the server, not the pages the measured load will touch.
warm_up() {
    local name=$1 ids=$2
    if ((WARMUP == 0)); then return 0; fi
    tail -n 100000 "$ids" >"$WORK/$name/warm-up-ids.txt"
    (
        set -a
        # shellcheck disable=SC1091
        . "$WORK/$name/auth.env"
        set +a
        BENCH_IDS="$WORK/$name/warm-up-ids.txt" wrk -t1 -c"$CONNECTIONS" -d"${WARMUP}s" \
            --timeout 10s -s "${WRK_SCRIPT:-bench/update.lua}" "$URL" >"$RUN_DIR/$name.warm-up.wrk.txt"
    )
}

# run_wrk NAME [IDS [CONNECTIONS [OUT]]]: the load itself, on $URL; sets BENCH_LINE.
run_wrk() {
    local name=$1 ids=${2:-$WORK/$1/ids.txt} connections=${3:-$CONNECTIONS} out=${4:-$1}
    set -a
    # shellcheck disable=SC1091
    . "$WORK/$name/auth.env"
    set +a
    echo "== $out: wrk -t1 -c$connections -d${DURATION}s on $URL" >&2
    BENCH_IDS="$ids" wrk -t1 -c"$connections" -d"${DURATION}s" --latency --timeout 10s \
        -s "${WRK_SCRIPT:-bench/update.lua}" "$URL" >"$RUN_DIR/$out.wrk.txt"
    cat "$RUN_DIR/$out.wrk.txt" >&2
    BENCH_LINE=$(grep '^BENCH ' "$RUN_DIR/$out.wrk.txt" | sed 's/^BENCH //')
}

# bench_bare NAME HTTP: the bare app on uvicorn with the HTTP protocol class HTTP.
bench_bare() {
    local name=$1 http=$2
    URL=http://127.0.0.1:$(free_port)
    "$BIN/python" bench/setup_invoices.py --fake --count "$INVOICES" --out "$WORK/$name"
    # The service's own flags (cli.py `serve`): uvloop, one process, no access log.
    start_server "$name" "$BIN/uvicorn" bench.bare_app:app --host 127.0.0.1 --port "${URL##*:}" \
        --loop uvloop --http "$http" --no-access-log --lifespan on --no-proxy-headers \
        --log-level warning
    warm_up "$name" "$WORK/$name/ids.txt"
    watch_server "$name" "$SERVER_PID"
    run_wrk "$name"
    stop_server
    echo "target=$name $BENCH_LINE" >>"$RUN_DIR/summary.txt"
}

# serve_service NAME DATABASE_URL: migrate, then start `invoicegate serve` on a free port.
serve_service() {
    local name=$1 db_url=$2
    URL=http://127.0.0.1:$(free_port)
    export INVOICEGATE_DATABASE_URL=$db_url INVOICEGATE_PUBLIC_URL=$URL
    export INVOICEGATE_DATA_DIR=$WORK/$name/data
    "$BIN/invoicegate" migrate >>"$RUN_DIR/$name.migrate.log" 2>&1
    start_server "$name" "$BIN/invoicegate" serve --host 127.0.0.1 --port "${URL##*:}"
}

# kept_dir NAME TOTAL: where SCALE_KEEP keeps this target's settled database: one folder per
# size and per version of the loader and the schema (a stale copy is never reused).
kept_dir() {
    local stamp
    stamp=$(cat bench/db.py src/invoicegate/store/tables.py \
        src/invoicegate/store/migrations/versions/*.py | sha1sum | cut -c1-10)
    echo "$SCALE_KEEP/$1-$2x$SCALE_REVISIONS-$stamp"
}

# kept_save NAME DATABASE_URL TOTAL: with SCALE_KEEP, keep the settled database (server
# stopped): the target's folder (ids, auth, data dir) and the SQLite file, or a PostgreSQL
# copy made with CREATE DATABASE … TEMPLATE.
kept_save() {
    local name=$1 db_url=$2 dir
    [ -n "$SCALE_KEEP" ] || return 0
    dir=$(kept_dir "$name" "$3")
    rm -rf "$dir.tmp" && mkdir -p "$dir.tmp"
    cp -a "$WORK/$name/." "$dir.tmp/"
    if [[ $db_url == postgresql://* ]]; then
        local keep=${PG_DB}_keep_$(basename "$dir" | sed 's/.*-//')
        psql -q -h "$PGHOST" -p "$PGPORT" -d test -c "DROP DATABASE IF EXISTS $keep" \
            -c "CREATE DATABASE $keep TEMPLATE $PG_DB STRATEGY FILE_COPY"
        echo "$keep" >"$dir.tmp/pg-database"
    fi
    rm -rf "$dir" && mv "$dir.tmp" "$dir"
    # The copy is gigabytes of dirty pages: written back now, not behind the measured
    # load's COMMITs (decision 0033: the first SCALE_KEEP run's SQLite p99 read 227 ms).
    find "$dir" -type f -exec sync {} +
    echo "== $name: kept in $dir" >&2
}

# kept_restore NAME DATABASE_URL TOTAL: with SCALE_KEEP and a kept copy, put it in place of
# the bulk load: the SQLite file copied and fsynced, or the PostgreSQL database created from
# the kept one (FILE_COPY: written and fsynced by the server, then checkpointed). False
# when there is nothing to reuse.
kept_restore() {
    local name=$1 db_url=$2 dir
    [ -n "$SCALE_KEEP" ] || return 1
    dir=$(kept_dir "$name" "$3")
    [ -d "$dir" ] || return 1
    echo "== $name: reusing the settled database kept in $dir" >&2
    rm -rf "${WORK:?}/$name" && mkdir -p "$WORK/$name"
    cp -a "$dir/." "$WORK/$name/"
    if [ -f "$dir/pg-database" ]; then
        rm -f "$WORK/$name/pg-database"
        postgres_drop
        psql -q -h "$PGHOST" -p "$PGPORT" -d test \
            -c "CREATE DATABASE $PG_DB TEMPLATE $(cat "$dir/pg-database") STRATEGY FILE_COPY"
        postgres_settings "$name"
    else
        "$BIN/python" -c 'import os, sys; fd = os.open(sys.argv[1], os.O_RDONLY); os.fsync(fd)' \
            "${db_url#sqlite:///}"
    fi
}

# bench_service NAME DATABASE_URL [DIALECT [OP [TOTAL]]]: serve, create INVOICES invoices
# through the API (with TOTAL: then bulk-load the database to TOTAL invoices, server
# stopped), load, and record how many revisions the load left.
bench_service() {
    local name=$1 db_url=$2 dialect=${3:-winpay} op=${4:-update} total=${5:-}
    export BENCH_OP=$op
    local ids=$WORK/$name/ids.txt invoices=$INVOICES restored=0
    if [ -n "$total" ] && kept_restore "$name" "$db_url" "$total"; then
        restored=1
    else
        serve_service "$name" "$db_url"
        "$BIN/python" bench/setup_invoices.py --url "$URL" --count "$INVOICES" \
            --out "$WORK/$name" --dialect "$dialect"
    fi
    if [ -n "$total" ]; then
        stop_server
        if ((!restored)); then
            echo "== $name: bulk-loading to $total invoices x $SCALE_REVISIONS revisions" >&2
            local started=$SECONDS
            "$BIN/python" bench/db.py bulk "$db_url" --total "$total" \
                --revisions "$SCALE_REVISIONS" --ids-out "$WORK/$name/ids-all.txt"
            echo "== $name: bulk load took $((SECONDS - started)) s" >&2
            kept_save "$name" "$db_url" "$total"
        fi
        ids=$WORK/$name/ids-all.txt
        invoices=$total
        "$BIN/python" bench/setup_invoices.py --resign --out "$WORK/$name"
        serve_service "$name" "$db_url"
    fi
    local before after size
    size=$("$BIN/python" bench/db.py size "$db_url")
    warm_up "$name" "$ids"
    before=$("$BIN/python" bench/db.py revisions "$db_url")
    watch_server "$name" "$SERVER_PID"
    run_wrk "$name" "$ids"
    stop_server
    after=$("$BIN/python" bench/db.py revisions "$db_url")
    echo "target=$name $BENCH_LINE revisions_before=$before revisions=$after" \
        "writes=$([ "$op" = find ] && echo 0 || echo 1) invoices=$invoices db_bytes=$size" \
        "connections=$CONNECTIONS processes=1 revisions_each=$SCALE_REVISIONS" >>"$RUN_DIR/summary.txt"
    unset BENCH_OP
}

# bench_native NAME DATABASE_URL: the native API's PATCH (bench/native_patch.lua) over
# INVOICES invoices made through POST /v1/invoices (bench/setup_native.py).
bench_native() {
    local name=$1 db_url=$2 before after
    serve_service "$name" "$db_url"
    "$BIN/python" bench/setup_native.py --url "$URL" --count "$INVOICES" --out "$WORK/$name"
    before=$("$BIN/python" bench/db.py revisions "$db_url")
    watch_server "$name" "$SERVER_PID"
    WRK_SCRIPT=bench/native_patch.lua run_wrk "$name"
    stop_server
    after=$("$BIN/python" bench/db.py revisions "$db_url")
    echo "target=$name $BENCH_LINE revisions_before=$before revisions=$after writes=1" \
        "invoices=$INVOICES db_bytes=$("$BIN/python" bench/db.py size "$db_url")" \
        "connections=$CONNECTIONS processes=1" >>"$RUN_DIR/summary.txt"
}

# bench_two_processes NAME DATABASE_URL: two servers on one database, each loaded at the same
# time by its own wrk with half the connections over half the invoices; the row adds up the
# throughput and takes the worse p50/p99.
bench_two_processes() {
    local name=$1 db_url=$2 half=$((CONNECTIONS / 2))
    serve_service "$name" "$db_url"
    local url1=$URL pid1=$SERVER_PID
    "$BIN/python" bench/setup_invoices.py --url "$URL" --count "$INVOICES" --out "$WORK/$name"
    serve_service "$name" "$db_url"
    SERVER2_PID=$pid1
    local url2=$URL
    split -n l/2 -d "$WORK/$name/ids.txt" "$WORK/$name/ids-half-"
    local before after
    before=$("$BIN/python" bench/db.py revisions "$db_url")
    watch_server "$name-1" "$pid1"
    watch_server "$name-2" "$SERVER_PID"
    URL=$url1 run_wrk "$name" "$WORK/$name/ids-half-00" "$half" "$name-1" &
    local first=$!
    URL=$url2 run_wrk "$name" "$WORK/$name/ids-half-01" "$half" "$name-2"
    wait "$first"
    stop_server
    after=$("$BIN/python" bench/db.py revisions "$db_url")
    echo "target=$name $("$BIN/python" bench/report.py --combine "$RUN_DIR/$name-"[12].wrk.txt)" \
        "revisions_before=$before revisions=$after writes=1 invoices=$INVOICES" \
        "connections=$CONNECTIONS processes=2" >>"$RUN_DIR/summary.txt"
}

# postgres_fresh TARGET: an empty bench database, or false (and a note) if PostgreSQL is down.
postgres_fresh() {
    if ! pg_isready -q -h "$PGHOST" -p "$PGPORT"; then
        echo "== $1: nothing answers at $PGHOST:$PGPORT, skipped" >&2
        return 1
    fi
    postgres_drop
    psql -q -h "$PGHOST" -p "$PGPORT" -d test -c "CREATE DATABASE $PG_DB"
    postgres_settings "$1"
}

# postgres_settings TARGET: the bench database's own settings (a database created from a kept
# one does not inherit them).
postgres_settings() {
    # Full-page images compressed (what bench/README.md tells operators to set server-wide):
    # at a million invoices an update writes ~5 of them, ~30 KB of WAL, halved by lz4
    # (decision 0026). Per database, for the bench's own sessions: the server's settings
    # are not the bench's to change. Needs a superuser; without one the run goes on as is.
    psql -q -h "$PGHOST" -p "$PGPORT" -d test \
        -c "ALTER DATABASE $PG_DB SET wal_compression = $PG_WAL_COMPRESSION" 2>/dev/null ||
        echo "== $1: wal_compression not set (not a superuser?); measuring without it" >&2
}

postgres_drop() {
    psql -q -h "$PGHOST" -p "$PGPORT" -d test -c "DROP DATABASE IF EXISTS $PG_DB"
}

# ceiling: with CEILINGS=around, the bare app again (ceiling-1, ceiling-2, ...), between the
# targets: each target's ratio is against the ceilings measured right before and after it.
CEILINGS_MEASURED=0
ceiling() {
    CEILINGS_MEASURED=$((CEILINGS_MEASURED + 1))
    DURATION=$CEILING_DURATION bench_bare "ceiling-$CEILINGS_MEASURED" \
        invoicegate.serving:OneWriteHttpToolsProtocol
}

mkdir -p "$RUN_DIR"
CEILING_DUE=$([ "$CEILINGS" = around ] && echo 1 || echo 0)
for target in $TARGETS; do
    case $target in
    bare) CEILING_DUE=0 ;; # it is a ceiling itself
    bare-uvicorn) ;;
    *) if ((CEILING_DUE)); then ceiling; fi ;;
    esac
    [ "$CEILINGS" = around ] && [ "$target" != bare ] && CEILING_DUE=1
    case $target in
    # The ceiling runs on the service's own protocol (one write per answer, decision 0031);
    # bare-uvicorn on uvicorn's stock httptools protocol, for comparison.
    bare) bench_bare bare invoicegate.serving:OneWriteHttpToolsProtocol ;;
    bare-uvicorn) bench_bare bare-uvicorn httptools ;;
    sqlite) bench_service sqlite "sqlite:///$WORK/sqlite/bench.db" ;;
    paylink-sqlite) bench_service paylink-sqlite "sqlite:///$WORK/paylink-sqlite/bench.db" paylink ;;
    find-sqlite) bench_service find-sqlite "sqlite:///$WORK/find-sqlite/bench.db" winpay find ;;
    native-sqlite) bench_native native-sqlite "sqlite:///$WORK/native-sqlite/bench.db" ;;
    sqlite-1m)
        bench_service sqlite-1m "sqlite:///$WORK/sqlite-1m/bench.db" winpay update "$SCALE_INVOICES"
        rm -rf "$WORK/sqlite-1m"
        ;;
    postgres | postgres-2proc | postgres-1m)
        postgres_fresh "$target" || continue
        case $target in
        postgres) bench_service postgres "$PG_URL" ;;
        postgres-2proc) bench_two_processes postgres-2proc "$PG_URL" ;;
        postgres-1m) bench_service postgres-1m "$PG_URL" winpay update "$SCALE_INVOICES" ;;
        esac
        postgres_drop
        ;;
    *)
        echo "unknown target $target (bare sqlite paylink-sqlite find-sqlite postgres" \
            "postgres-2proc sqlite-1m postgres-1m)" >&2
        exit 2
        ;;
    esac
done

if ((CEILING_DUE)); then ceiling; fi # the one after the last target

ln -sfn "$(basename "$RUN_DIR")" bench/results/latest
REVISION=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
git diff --quiet HEAD -- src 2>/dev/null || REVISION="$REVISION + uncommitted changes in src/"
"$BIN/python" bench/report.py "$RUN_DIR" --revision "$REVISION" \
    --command "DURATION=$DURATION WARMUP=$WARMUP CONNECTIONS=$CONNECTIONS SCALE=$SCALE CEILINGS=$CEILINGS CEILING_DURATION=$CEILING_DURATION bash bench/run.sh" |
    tee "$RUN_DIR/table.md"
