#!/usr/bin/env bash
# What PostgreSQL itself can do on this machine: pgbench running the service's update
# transaction (SELECT … FOR UPDATE of one invoice, the versioned UPDATE, the revision
# INSERT, COMMIT) at CLIENTS clients, synchronous_commit=on, on the service's own schema
# (Alembic migrations) with 1000 invoices. Prints tps, latency, and the CPU the
# PostgreSQL processes and pgbench took per transaction (from /proc).
#
#   bash bench/pg_ceiling.sh                  # 32 clients, 15 s, prepared statements
#   CLIENTS=32 DURATION=15 MODE=simple bash bench/pg_ceiling.sh
set -euo pipefail
cd "$(dirname "$0")/.."
CLIENTS=${CLIENTS:-32}
DURATION=${DURATION:-15}
MODE=${MODE:-prepared}
PGHOST=${PGHOST:-127.0.0.1}
PGPORT=${PGPORT:-5432}
DB=invoicegate_pgbench
export PGOPTIONS="--client-min-messages=warning"
psql -q -h "$PGHOST" -p "$PGPORT" -d test -c "DROP DATABASE IF EXISTS $DB" -c "CREATE DATABASE $DB"
.venv/bin/python -c "import sys; from invoicegate.store.migrate import upgrade; upgrade(sys.argv[1])" \
    "postgresql://$PGHOST:$PGPORT/$DB"
# 1000 invoices shaped like the Winpay seed's (one product), each with its creation revision;
# ids 00000000-0000-4000-8000-<n> so the script can name them without a lookup.
psql -q -v ON_ERROR_STOP=1 -h "$PGHOST" -p "$PGPORT" -d "$DB" <<'SQL'
INSERT INTO merchants VALUES ('m0000000-0000-4000-8000-000000000000', 'bench', now());
INSERT INTO invoices (id, merchant_id, credential_id, checkout_slug, reference, customer_name,
    customer_email, customer_phone, items, currency, total, back_url, status, version,
    created_at, updated_at)
SELECT '00000000-0000-4000-8000-' || lpad(n::text, 12, '0'), 'm0000000-0000-4000-8000-000000000000',
    NULL, md5(n::text), 'ref-' || n, 'Delina Prasetya', 'delina@example.com', '082342341',
    '[{"name": "01002676", "qty": 1, "price": 260000}]', 'IDR', 260000,
    'https://your-invoice-url.com', 'pending', 1, now(), now()
FROM generate_series(1, 1000) n;
INSERT INTO invoice_revisions (invoice_id, version, action, actor, dialect, at, after, changed)
SELECT id, 1, 'created', 'winpay bench', 'winpay', now(), row_to_json(i), '[]'
FROM invoices i;
VACUUM ANALYZE;
SQL
SCRIPT=$(mktemp)
# The service's transaction: each client on its own 31 invoices, as the HTTP bench's
# round-robin keeps two in-flight updates off one invoice. The revision snapshot is the
# row as JSON (~600 bytes), as the service stores it.
cat >"$SCRIPT" <<'PGB'
\set n :client_id * 31 + random(1, 31)
BEGIN;
SELECT version AS v FROM invoices WHERE id = '00000000-0000-4000-8000-' || lpad(:n::text, 12, '0') FOR UPDATE \gset
UPDATE invoices SET reference = 'ref-' || :n, customer_name = 'Delina Prasetya', customer_email = 'delina@example.com', customer_phone = '082342341', items = '[{"name": "01002676", "qty": 1, "price": 260000}]', currency = 'IDR', total = 260000, back_url = 'https://your-invoice-url.com', expires_at = NULL, due_date = NULL, status = 'pending', version = :v + 1, payment = NULL, updated_at = now() WHERE id = '00000000-0000-4000-8000-' || lpad(:n::text, 12, '0') AND version = :v;
INSERT INTO invoice_revisions (invoice_id, version, action, actor, dialect, at, after, changed) VALUES ('00000000-0000-4000-8000-' || lpad(:n::text, 12, '0'), :v + 1, 'updated', 'winpay bench', 'winpay', now(), '{"id": "00000000-0000-4000-8000-000000000001", "merchant_id": "m0000000-0000-4000-8000-000000000000", "credential_id": null, "checkout_slug": "c4ca4238a0b923820dcc509a6f75849b", "reference": "ref-1", "customer_name": "Delina Prasetya", "customer_email": "delina@example.com", "customer_phone": "082342341", "items": [{"name": "01002676", "qty": 1, "price": 260000}], "currency": "IDR", "total": 260000, "back_url": "https://your-invoice-url.com", "expires_at": null, "due_date": null, "callback_url": null, "status": "pending", "version": 2, "payment": null}', '["customer_name"]');
COMMIT;
PGB
cpu_of() { # total utime+stime ticks of the processes named by the pids on stdin
    local total=0 pid
    while read -r pid; do
        [ -r "/proc/$pid/stat" ] || continue
        total=$((total + $(awk '{print $14 + $15 + $16 + $17}' "/proc/$pid/stat" 2>/dev/null || echo 0)))
    done
    echo "$total"
}
pg_pids() { pgrep -u postgres -d $'\n' || true; }
before=$(pg_pids | cpu_of)
start=$(date +%s.%N)
OUT=$(mktemp)
/usr/bin/time -f "%U %S" -o "$OUT.time" pgbench -h "$PGHOST" -p "$PGPORT" -n -M "$MODE" \
    -c "$CLIENTS" -j 1 -T "$DURATION" -r -f "$SCRIPT" "$DB" >"$OUT" 2>&1
end=$(date +%s.%N)
sleep 1 # the backends exit and are reaped: their CPU moves into the postmaster's cutime
after=$(pg_pids | cpu_of)
cat "$OUT"
tx=$(awk '/number of transactions actually processed/ {print $NF}' "$OUT" | cut -d/ -f1)
hz=$(getconf CLK_TCK)
read -r pu ps <"$OUT.time"
python3 - "$tx" "$before" "$after" "$hz" "$pu" "$ps" "$start" "$end" <<'PY'
import sys
tx, before, after, hz, pu, ps, start, end = sys.argv[1:]
tx = int(tx); wall = float(end) - float(start)
pg = (int(after) - int(before)) / int(hz)
bench = float(pu) + float(ps)
print(f"CEILING tps={tx / wall:.0f} pg_cpu_us_per_tx={pg / tx * 1e6:.0f} "
      f"pgbench_cpu_us_per_tx={bench / tx * 1e6:.0f} pg_cores_busy={pg / wall:.2f} "
      f"machine_cores_busy={(pg + bench) / wall:.2f}")
PY
rm -f "$SCRIPT" "$OUT" "$OUT.time"
psql -q -h "$PGHOST" -p "$PGPORT" -d test -c "DROP DATABASE IF EXISTS $DB"
