"""Migrations bring an empty database to a schema that matches the tables, on both backends."""

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from invoicegate.store.database import create_engine
from invoicegate.store.migrate import alembic_config, upgrade
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


def test_a_url_with_percent_escapes_reaches_alembic_unchanged() -> None:
    # A password's special characters and a Unix socket's directory are %-escaped in a URL;
    # Alembic's ConfigParser refused them ("invalid interpolation syntax") until doubled.
    url = "postgresql://app:p%40ss%25w0rd@/invoicegate?host=%2Fvar%2Frun%2Fpostgresql"
    stored = alembic_config(url).get_main_option("sqlalchemy.url")
    assert stored is not None
    parsed = sa.make_url(stored)
    assert (parsed.password, parsed.query["host"]) == ("p@ss%w0rd", "/var/run/postgresql")
    assert parsed.drivername == "postgresql+psycopg"
