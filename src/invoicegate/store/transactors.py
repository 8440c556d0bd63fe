"""The transactor for a database URL: SQLite's group-commit writer or PostgreSQL's."""

from invoicegate.store.database import create_async_engine, create_engine, is_sqlite
from invoicegate.store.pooled import PooledTransactor
from invoicegate.store.postgres import PostgresTransactor
from invoicegate.store.secrets import SecretBox
from invoicegate.store.sqlite_writer import GroupCommitTransactor

StoreTransactor = GroupCommitTransactor | PooledTransactor | PostgresTransactor


def open_transactor(
    database_url: str, box: SecretBox, *, pool_size: int = 10, pool_timeout: float = 10.0
) -> StoreTransactor:
    """The transactor for this database, holding at most `pool_size` (+1 writer) connections."""
    if not is_sqlite(database_url):
        engine = create_async_engine(database_url, pool_size=pool_size, pool_timeout=pool_timeout)
        return PostgresTransactor(engine, box)
    readers = create_engine(database_url, pool_size=pool_size, pool_timeout=pool_timeout)
    return GroupCommitTransactor(create_engine(database_url, writer=True), readers, box)
