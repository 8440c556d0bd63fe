"""Engines for SQLite and PostgreSQL, with the connection settings each needs to be safe."""

import sqlite3
from typing import Any

import orjson
import sqlalchemy as sa
from sqlalchemy.engine import URL, Engine, make_url
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.ext.asyncio import create_async_engine as sa_create_async_engine


def normalise_url(url: str) -> URL:
    """`postgresql://` means psycopg 3 here (the driver we ship), not psycopg2."""
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed


def async_url(url: str) -> URL:
    """The service's own PostgreSQL connections use the asyncio driver (decision 0022)."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "postgresql":
        parsed = parsed.set(drivername=f"postgresql+{ASYNC_DRIVER}")
    return parsed


ASYNC_DRIVER = "asyncpg"


def is_sqlite(url: str | URL) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def _json_dumps(value: Any) -> str:
    return orjson.dumps(value).decode()


# orjson: JSON columns (line items, revision snapshots) are encoded on every update.
_JSON = {"json_serializer": _json_dumps, "json_deserializer": orjson.loads}


# Bound values are customer data (names, phones, emails): an error's text must not carry
# them into a log. SQLAlchemy then prints "[SQL parameters hidden ...]" instead.
_SAFE = {"hide_parameters": True, **_JSON}


def begin_read(driver: sqlite3.Connection, dialect: sa.Dialect) -> None:
    """A SQLite reader's BEGIN (deferred: it takes no lock), straight on the driver: through
    SQLAlchemy's execution machinery it cost more than SQLite spends on a whole find
    (docs/decisions/0021-sqlite-lookup-transaction.md). A driver error is raised as
    SQLAlchemy raises it, as the hot statements do."""
    try:
        driver.execute("BEGIN")
    except sqlite3.Error as error:
        raise sa.exc.DBAPIError.instance(
            "BEGIN", (), error, sqlite3.Error, hide_parameters=True, dialect=dialect
        ) from error


def create_engine(
    url: str, *, writer: bool = False, pool_size: int = 10, pool_timeout: float = 10.0
) -> Engine:
    """An engine; for SQLite, `writer` makes each transaction take the write lock up front.

    At most `pool_size` connections (the writer: one), and no overflow: overflow
    connections are closed on return, so under steady load they were reopened many times
    a second (measured: p99 150 ms, docs/benchmarks.md). Waiting longer than
    `pool_timeout` seconds for a connection raises sqlalchemy.exc.TimeoutError.
    """
    parsed = normalise_url(url)
    pool = {"pool_size": 1 if writer else pool_size, "max_overflow": 0}
    if parsed.get_backend_name() != "sqlite":
        return sa.create_engine(
            parsed, pool_pre_ping=True, pool_timeout=pool_timeout, **pool, **_SAFE
        )
    engine = sa.create_engine(
        parsed,
        connect_args={"check_same_thread": False, "timeout": 30},
        pool_timeout=pool_timeout,
        **pool,
        **_SAFE,
    )
    begin = "BEGIN IMMEDIATE" if writer else "BEGIN"

    # pysqlite's own transaction handling breaks SAVEPOINT; take it over (SQLAlchemy docs,
    # "Serializable isolation / Savepoints / Transactional DDL").
    @sa.event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=FULL")  # a commit we answer for survives power loss
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        if writer:  # its COMMIT does not copy the WAL back: store/checkpointer.py does
            cursor.execute("PRAGMA wal_autocheckpoint=0")
        cursor.close()

    @sa.event.listens_for(engine, "begin")
    def _on_begin(connection: sa.Connection) -> None:
        if writer:
            connection.exec_driver_sql(begin)
            return
        driver: sqlite3.Connection = connection.connection.driver_connection  # type: ignore[assignment]
        if not driver.in_transaction:  # else a lookup's own, begun on the driver (sqlite_writer)
            begin_read(driver, connection.dialect)

    return engine


def create_async_engine(
    url: str, *, pool_size: int = 10, pool_timeout: float = 10.0
) -> AsyncEngine:
    """PostgreSQL for the service: at most `pool_size` connections, no overflow, waited for
    on the event loop for at most `pool_timeout` seconds (then sqlalchemy.exc.TimeoutError).

    No ping on checkout: it was one more round trip per unit of work. A connection found
    dead is replaced and the unit of work retried instead (store/postgres.py).

    AUTOCOMMIT as far as SQLAlchemy's asyncpg adapter is concerned: the transactor sends
    BEGIN and COMMIT itself, on the driver (decision 0027), and the adapter must not start
    a transaction of its own around the first statement.
    """
    return sa_create_async_engine(
        async_url(url),
        pool_size=pool_size,
        max_overflow=0,
        pool_timeout=pool_timeout,
        isolation_level="AUTOCOMMIT",
        **_SAFE,
    )
