"""Database side of a bench run: count revisions, measure size, bulk-load a million invoices.

  python bench/db.py revisions URL         rows in invoice_revisions
  python bench/db.py size URL              bytes the database takes (SQLite file + WAL, or
                                           pg_database_size)
  python bench/db.py bulk URL --total N --revisions R --ids-out FILE
        clone the oldest invoice of the database (made through the API, so its row and its
        revision are exactly what the service writes) into new invoices, each with R
        revisions (created, then updated), until the database holds N invoices; then write
        every invoice's "<update path> <ref>" line to FILE, shuffled, for bench/update.lua.

The bulk load is one INSERT … SELECT per table run inside the database (a recursive CTE on
SQLite, generate_series on PostgreSQL): no row passes through Python, so a million invoices
with three revisions each load in about a minute. Bulk rows get fresh UUIDs, checkout slugs
and references (`bulk-<n>`), and their revision snapshots carry their own reference.
"""

import argparse
import os
import random
import sqlite3
import sys
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import make_url


def engine(url: str) -> sa.Engine:
    if url.startswith("postgresql://"):
        url = url.replace("postgresql://", "postgresql+psycopg://", 1)
    return sa.create_engine(url)


def count_revisions(url: str) -> int:
    with engine(url).connect() as db:
        return int(db.execute(sa.text("SELECT count(*) FROM invoice_revisions")).scalar_one())


def database_bytes(url: str) -> int:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        path = Path(parsed.database or "")
        return sum(p.stat().st_size for p in (path, Path(f"{path}-wal")) if p.exists())
    with engine(url).connect() as db:
        return int(db.execute(sa.text("SELECT pg_database_size(current_database())")).scalar_one())


# A UUID's text from 16 random bytes, per backend (the service's routes accept only UUIDs).
_SQLITE_UUID = (
    "lower(substr(h,1,8)||'-'||substr(h,9,4)||'-'||substr(h,13,4)||'-'||substr(h,17,4)"
    "||'-'||substr(h,21,12))"
)
_INVOICE_COLUMNS = (
    "merchant_id, credential_id, customer_name, customer_email, customer_phone, items, "
    "currency, total, back_url, expires_at, due_date, callback_url, status, payment, "
    "created_at, updated_at"
)


def bulk_load(url: str, total: int, revisions: int) -> int:
    """Grow the database to `total` invoices; returns how many were added."""
    sqlite = make_url(url).get_backend_name() == "sqlite"
    with engine(url).begin() as db:
        if sqlite:
            db.exec_driver_sql("PRAGMA synchronous=OFF")  # seeding bench data, not answering
        template = db.execute(
            sa.text("SELECT id, reference FROM invoices ORDER BY created_at, id LIMIT 1")
        ).one()
        have = int(db.execute(sa.text("SELECT count(*) FROM invoices")).scalar_one())
        missing = max(0, total - have)
        if not missing:
            return 0
        params = {"tid": template.id, "n": missing, "r": revisions}
        if sqlite:
            numbers = (
                "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < :n), "
                "k(h, s, i) AS (SELECT hex(randomblob(16)), hex(randomblob(8)), i FROM n) "
            )
            new_id, slug, source = _SQLITE_UUID, "lower(s)", "k"
        else:
            numbers = ""
            new_id = "gen_random_uuid()::text"
            slug = "substr(md5(random()::text), 1, 16)"
            source = "generate_series(1, :n) AS k(i)"
        db.execute(
            sa.text(
                f"{numbers}INSERT INTO invoices (id, checkout_slug, reference, version, "
                f"{_INVOICE_COLUMNS}) SELECT {new_id}, {slug}, 'bulk-' || k.i, :r, "
                f"{', '.join('t.' + c for c in _INVOICE_COLUMNS.split(', '))} "
                f"FROM {source}, invoices AS t WHERE t.id = :tid"
            ),
            params,
        )
        # Revision v of every bulk invoice: the template's first revision, made theirs
        # (orjson writes compact JSON, and both backends keep the text as written).
        as_text, as_json = ("r.after", "") if sqlite else ("r.after::text", "::json")
        after = f"replace({as_text}, :old_ref, :ref_key || i.reference || '\"'){as_json}"
        for version in range(1, revisions + 1):
            action = "'created'" if version == 1 else "'updated'"
            changed = "r.changed" if version == 1 else f"'[\"back_url\"]'{as_json}"
            db.execute(
                sa.text(
                    "INSERT INTO invoice_revisions (invoice_id, version, action, actor, dialect, "
                    f"at, after, changed) SELECT i.id, :v, {action}, r.actor, r.dialect, r.at, "
                    f"{after}, {changed} FROM invoices AS i, invoice_revisions AS r "
                    "WHERE i.reference LIKE 'bulk-%' AND r.invoice_id = :tid AND r.version = 1"
                ),
                {
                    "v": version,
                    "tid": template.id,
                    "old_ref": f'"reference":"{template.reference}"',
                    "ref_key": '"reference":"',
                },
            )
    settle(url)
    return missing


def settle(url: str) -> None:
    """Leave the loaded database as a long-running service finds its own: written to disk.

    The load skips every fsync (SQLite `synchronous=OFF`; PostgreSQL flushes at its next
    checkpoint), so gigabytes stay dirty in the kernel's page cache, written back for the
    next half minute or more: that write-back then landed in the measured window, behind
    every COMMIT's fsync (decision 0026). SQLite: the WAL copied into the file and the file
    fsynced. PostgreSQL: VACUUM ANALYZE (hint bits, visibility map and statistics are set
    once here, not by the first updates of the load) and a CHECKPOINT.
    """
    if make_url(url).get_backend_name() == "sqlite":
        path = make_url(url).database or ""
        db = sqlite3.connect(path, isolation_level=None)
        try:
            db.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()
        finally:
            db.close()
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
        return
    with engine(url).connect().execution_options(isolation_level="AUTOCOMMIT") as db:
        db.exec_driver_sql("VACUUM ANALYZE")
        db.exec_driver_sql("CHECKPOINT")


def write_ids(url: str, out: Path, seed: int = 8) -> int:
    with engine(url).connect() as db:
        rows = db.execute(sa.text("SELECT id, reference FROM invoices")).all()
    random.Random(seed).shuffle(rows)
    with out.open("w") as handle:
        handle.writelines(f"/api/update/{row.id} {row.reference}\n" for row in rows)
    return len(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("action", choices=["revisions", "size", "bulk"])
    parser.add_argument("url")
    parser.add_argument("--total", type=int, default=1_000_000)
    parser.add_argument("--revisions", type=int, default=3)
    parser.add_argument("--ids-out", type=Path)
    args = parser.parse_args()
    if args.action == "revisions":
        print(count_revisions(args.url))
    elif args.action == "size":
        print(database_bytes(args.url))
    else:
        if args.ids_out is None:
            parser.error("bulk needs --ids-out")
        added = bulk_load(args.url, args.total, args.revisions)
        lines = write_ids(args.url, args.ids_out)
        print(f"added {added} invoices; {lines} ids in {args.ids_out}", file=sys.stderr)


if __name__ == "__main__":
    os.environ.setdefault("PGOPTIONS", "--client-min-messages=warning")
    main()
