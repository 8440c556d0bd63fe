"""Migrations bring an empty database to a schema that matches the tables, on both backends."""

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from invoicegate.store.database import create_engine
from invoicegate.store.migrate import upgrade
from invoicegate.store.tables import metadata


def test_migrated_schema_matches_the_tables(database_url: str) -> None:
    upgrade(database_url)
    upgrade(database_url)  # a second run is a no-op, as on every `serve` start
    engine = create_engine(database_url)
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), metadata)
        tables = set(sa.inspect(conn).get_table_names())
    engine.dispose()
    assert {
        "merchants",
        "credentials",
        "invoices",
        "invoice_revisions",
        "callback_jobs",
        "callback_attempts",
    } <= tables
    assert diff == []
