"""The connection pool: sized by a setting, never waited on by threads, clear when full."""

import threading
import time

import anyio
import psycopg
import pytest

from invoicegate.services.ports import StoreUnavailable, UnitOfWork
from invoicegate.settings import Settings
from invoicegate.store.database import create_engine, is_sqlite
from invoicegate.store.migrate import upgrade
from invoicegate.store.secrets import SecretBox
from invoicegate.store.unit_of_work import PooledTransactor, open_transactor

pytestmark = pytest.mark.anyio


def test_pool_size_and_timeout_are_settings_with_modest_defaults() -> None:
    defaults = Settings.from_env({})
    assert (defaults.db_pool_size, defaults.db_pool_timeout_seconds) == (10, 10.0)
    chosen = Settings.from_env(
        {"INVOICEGATE_DB_POOL_SIZE": "4", "INVOICEGATE_DB_POOL_TIMEOUT": "2.5"}
    )
    assert (chosen.db_pool_size, chosen.db_pool_timeout_seconds) == (4, 2.5)
    for bad in ("0", "-3", "ten"):
        with pytest.raises(ValueError, match="INVOICEGATE_DB_POOL_SIZE"):
            Settings.from_env({"INVOICEGATE_DB_POOL_SIZE": bad})


def box() -> SecretBox:
    return SecretBox(SecretBox.generate_key())


class OpenConnections:
    """How many connections this test's database has, seen from one more (PostgreSQL only)."""

    def __init__(self, database_url: str) -> None:
        self._admin = None if is_sqlite(database_url) else psycopg.connect(database_url)
        self._lock = threading.Lock()

    def count(self) -> int:
        if self._admin is None:
            return 0
        query = (
            "SELECT count(*) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        with self._lock:
            row = self._admin.execute(query).fetchone()
        return int(row[0]) if row else 0

    def close(self) -> None:
        if self._admin is not None:
            self._admin.close()


async def test_more_callers_than_connections_wait_their_turn_without_timing_out(
    database_url: str,
) -> None:
    """20 slow reads over 3 connections whose timeout is far shorter than their wait: a thread
    that waited on the pool would time out; the process never opens more than 3 (+ writer)."""
    upgrade(database_url)
    transactor = open_transactor(database_url, box(), pool_size=3, pool_timeout=0.05)
    connections = OpenConnections(database_url)
    busy = 0
    most_busy = 0
    most_connections = 0
    lock = threading.Lock()

    def slow(uow: UnitOfWork) -> None:
        nonlocal busy, most_busy, most_connections
        with lock:
            busy += 1
            most_busy = max(most_busy, busy)
        most_connections = max(most_connections, connections.count())
        time.sleep(0.1)
        with lock:
            busy -= 1

    try:
        async with anyio.create_task_group() as group:
            for _ in range(20):
                group.start_soon(transactor.read, slow)
    finally:
        await transactor.aclose()
        connections.close()
    assert most_busy == 3
    assert most_connections <= 3


async def test_a_pool_that_stays_full_fails_with_a_clear_error(database_url: str) -> None:
    upgrade(database_url)
    transactor = PooledTransactor(create_engine(database_url, pool_size=1, pool_timeout=0.2), box())
    holding = threading.Event()
    release = threading.Event()

    def hold(uow: UnitOfWork) -> None:
        holding.set()
        release.wait(10)

    # Something else holds the only connection (a unit of work run on its own thread).
    holder = threading.Thread(target=transactor.run, args=(hold,))
    holder.start()
    try:
        assert holding.wait(10)
        started = time.monotonic()
        with pytest.raises(StoreUnavailable, match="INVOICEGATE_DB_POOL_SIZE") as refused:
            await transactor.read(lambda uow: uow.merchants.get_merchant("-"))
        assert time.monotonic() - started < 5
        assert "all 1 are in use" in str(refused.value)
    finally:
        release.set()
        holder.join()
        await transactor.aclose()
