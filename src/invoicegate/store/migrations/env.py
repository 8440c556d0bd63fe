"""Alembic environment: runs migrations online against the configured URL."""

import sqlalchemy as sa
from alembic import context

from invoicegate.store.database import create_engine
from invoicegate.store.tables import metadata

# Any number of app nodes may start at once against one PostgreSQL: one migrates, the rest wait.
_PG_MIGRATION_LOCK = 7_351_104_901


def run_migrations_online() -> None:
    url = context.config.get_main_option("sqlalchemy.url")
    assert url is not None
    engine = create_engine(url, pool_size=1)
    with engine.connect() as connection:
        is_pg = connection.dialect.name == "postgresql"
        if is_pg:
            connection.execute(sa.text("SELECT pg_advisory_lock(:k)"), {"k": _PG_MIGRATION_LOCK})
            connection.commit()
        try:
            context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
            with context.begin_transaction():
                context.run_migrations()
        finally:
            if is_pg:
                connection.execute(
                    sa.text("SELECT pg_advisory_unlock(:k)"), {"k": _PG_MIGRATION_LOCK}
                )
                connection.commit()
    engine.dispose()


run_migrations_online()
