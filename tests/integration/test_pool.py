"""The connection pool: sized by a setting, never waited on by threads, clear when full."""

import asyncio
import contextlib
import threading
import time

import anyio
import psycopg
import pytest
import sqlalchemy as sa
from sqlalchemy.util import greenlet_spawn

from invoicegate.dialects.winpay.schemas import RUPIAH
from invoicegate.domain.invoice import Customer, InvoiceChanges, ItemSpec
from invoicegate.services.ports import StoreUnavailable, UnitOfWork
from invoicegate.settings import Settings
from invoicegate.store.database import create_engine, is_sqlite
from invoicegate.store.migrate import upgrade
from invoicegate.store.pooled import PooledTransactor
from invoicegate.store.postgres import PostgresTransactor
from invoicegate.store.secrets import SecretBox
from invoicegate.store.transactors import open_transactor
from invoicegate.store.unit_of_work import SqlUnitOfWork
from tests.integration.conftest import World

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
        # Autocommit: pg_stat_activity is read once per transaction, so in one long
        # transaction every count would repeat the first.
        self._admin = (
            None if is_sqlite(database_url) else psycopg.connect(database_url, autocommit=True)
        )
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
        slow_statement(uow, 0.1)
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


def slow_statement(uow: UnitOfWork, seconds: float) -> None:
    """A unit of work busy in the database: on PostgreSQL its units of work run on the event
    loop (decision 0022), so the wait is the server's (pg_sleep), as a slow query would be."""
    assert isinstance(uow, SqlUnitOfWork)
    if uow.connection.dialect.name == "sqlite":
        time.sleep(seconds)  # SQLite's reads run on worker threads
    else:
        uow.connection.exec_driver_sql(f"SELECT pg_sleep({seconds})")


def backend(uow: UnitOfWork) -> int:
    """The PostgreSQL backend (server process) the unit of work's connection is to."""
    assert isinstance(uow, SqlUnitOfWork)
    return int(uow.connection.exec_driver_sql("SELECT pg_backend_pid()").scalar_one())


def held_backend(uow: UnitOfWork) -> int:
    """`backend`, after holding the connection 0.2 s: three of these at once open three."""
    slow_statement(uow, 0.2)
    return backend(uow)


def starts_afresh(uow: UnitOfWork) -> bool:
    """Whether the unit of work's connection comes with no transaction SQLAlchemy knows of."""
    assert isinstance(uow, SqlUnitOfWork)
    return not uow.connection.in_transaction()


async def test_a_full_pool_fails_with_a_clear_error_while_the_loop_runs_on(
    database_url: str,
) -> None:
    """PostgreSQL's pool is waited for on the event loop: the wait ends in StoreUnavailable
    after the timeout, and other work on the loop (a ticker here) runs meanwhile."""
    if is_sqlite(database_url):
        pytest.skip("SQLite's readers are a thread pool: the test below")
    upgrade(database_url)
    transactor = open_transactor(database_url, box(), pool_size=1, pool_timeout=0.2)
    holding = asyncio.Event()
    ticks = 0

    def hold(uow: UnitOfWork) -> None:
        holding.set()
        slow_statement(uow, 1.5)

    async def tick() -> None:
        nonlocal ticks
        while True:
            ticks += 1
            await asyncio.sleep(0.01)

    # Something else holds the only connection (a unit of work run past the transactor's
    # turns, as a thread held it before).
    assert isinstance(transactor, PostgresTransactor)
    holder = asyncio.create_task(greenlet_spawn(transactor.run, hold))
    ticker = asyncio.create_task(tick())
    try:
        await asyncio.wait_for(holding.wait(), 10)
        started = time.monotonic()
        with pytest.raises(StoreUnavailable, match="INVOICEGATE_DB_POOL_SIZE") as refused:
            await transactor.read(lambda uow: uow.merchants.get_merchant("-"))
        waited = time.monotonic() - started
        assert 0.15 < waited < 1.2
        assert "all 1 are in use" in str(refused.value)
        assert ticks >= 5  # the loop was free while the pool was waited for
        await holder  # the holder itself finishes normally
    finally:
        ticker.cancel()
        await transactor.aclose()


async def test_connections_the_server_ended_are_replaced_and_no_unit_of_work_fails(
    database_url: str,
) -> None:
    """No ping on checkout (decision 0022): after pg_terminate_backend ended every pooled
    connection, units of work (on the hot statements and on Core) still succeed, each
    retried on a new connection."""
    if is_sqlite(database_url):
        pytest.skip("PostgreSQL's pool")
    upgrade(database_url)
    transactor = open_transactor(database_url, box(), pool_size=3, pool_timeout=2)
    admin = psycopg.connect(database_url, autocommit=True)

    try:
        before = set(await asyncio.gather(*(transactor.read(held_backend) for _ in range(3))))
        assert len(before) == 3  # the pool holds three connections
        admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        await asyncio.sleep(0.2)  # the terminations reach the client sockets

        # Each kind of unit of work, one after another: the first ones meet the dead
        # connections, and every one answers.
        assert await transactor.read(lambda uow: uow.invoices.get("missing")) is None  # hot
        assert await transactor.read(lambda uow: uow.merchants.get_merchant("-")) is None  # Core
        after = set(await asyncio.gather(*(transactor.read(backend) for _ in range(5))))
        assert not after & before
    finally:
        admin.close()
        await transactor.aclose()


async def test_connections_are_kept_between_units_of_work_and_all_closed_on_shutdown(
    database_url: str,
) -> None:
    """PostgreSQL's transactor keeps its connections between units of work (decision 0037):
    later units run on the same backends, no more are opened than the pool's size, and
    aclose() ends every one of them."""
    if is_sqlite(database_url):
        pytest.skip("PostgreSQL's transactor")
    upgrade(database_url)
    transactor = open_transactor(database_url, box(), pool_size=3, pool_timeout=2)
    connections = OpenConnections(database_url)

    try:
        try:
            opened = set(await asyncio.gather(*(transactor.read(held_backend) for _ in range(3))))
            assert len(opened) == 3
            # A Core statement leaves SQLAlchemy's record of a transaction on its connection;
            # the next unit of work on it starts without one, as on a fresh connection.
            assert await transactor.read(lambda uow: uow.merchants.get_merchant("-")) is None
            assert await transactor.read(starts_afresh)
            later = [await transactor.read(backend) for _ in range(10)]
            later += await asyncio.gather(*(transactor.write(backend) for _ in range(20)))
            assert set(later) <= opened
            assert connections.count() == 3
        finally:
            await transactor.aclose()
        deadline = time.monotonic() + 5
        while connections.count() and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        assert connections.count() == 0
    finally:
        connections.close()


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


async def test_a_commit_the_database_refuses_is_store_unavailable_and_saves_nothing(
    world: World, database_url: str
) -> None:
    """The COMMIT itself fails (a deferred constraint trigger, checked at COMMIT): the caller
    hears StoreUnavailable (a 503), never a retry, and the invoice is as it was."""
    if is_sqlite(database_url):
        pytest.skip("SQLite's group commit: tests/integration/test_group_commit_faults.py")
    with psycopg.connect(database_url, autocommit=True) as admin:
        admin.execute(
            "CREATE FUNCTION injected_fault() RETURNS trigger LANGUAGE plpgsql"
            " AS $$ BEGIN RAISE EXCEPTION 'injected fault at commit'; END $$"
        )
        admin.execute(
            "CREATE CONSTRAINT TRIGGER injected_fault AFTER INSERT ON invoice_revisions"
            " DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION injected_fault()"
        )
    changes = InvoiceChanges(
        reference="ref-2",
        customer=Customer("Changed", "082342341", ""),
        items=[ItemSpec("01002676", 2, 260000)],
        currency=RUPIAH,
    )
    service = world.runtime.invoices
    with pytest.raises(StoreUnavailable, match="COMMIT failed"):
        await service.update_invoice(world.actor, world.invoice.id, changes)
    found = await service.find_invoice(world.actor, world.invoice.id)
    assert found.snapshot() == world.invoice.snapshot()
    assert len(await service.revisions(world.actor.merchant_id, world.invoice.id)) == 1


async def test_a_unit_of_work_is_one_transaction_begun_and_ended_by_the_transactor(
    database_url: str,
) -> None:
    """PostgreSQL's transactions are the transactor's own (BEGIN and COMMIT on the driver,
    decision 0027): every statement of a unit of work runs in one transaction, and one a
    failed unit of work left open is rolled back before its connection is used again."""
    if is_sqlite(database_url):
        pytest.skip("PostgreSQL's transactor")
    upgrade(database_url)
    transactor = open_transactor(database_url, box(), pool_size=1, pool_timeout=2)

    def two_statements(uow: UnitOfWork) -> tuple[int, int]:
        assert isinstance(uow, SqlUnitOfWork)
        first = uow.connection.exec_driver_sql("SELECT txid_current()").scalar_one()
        return first, uow.connection.exec_driver_sql("SELECT txid_current()").scalar_one()

    def create_then_fail(uow: UnitOfWork) -> None:
        assert isinstance(uow, SqlUnitOfWork)
        uow.connection.exec_driver_sql("CREATE TEMPORARY TABLE left_behind (x int)")
        raise ValueError("the unit of work fails after a change")

    def left_behind(uow: UnitOfWork) -> bool:
        assert isinstance(uow, SqlUnitOfWork)
        found = uow.connection.exec_driver_sql("SELECT to_regclass('pg_temp.left_behind')")
        return found.scalar_one() is not None

    try:
        first, second = await transactor.write(two_statements)
        assert first == second  # one transaction, not one per statement
        assert (await transactor.write(two_statements))[0] != first  # and a new one each time
        with pytest.raises(ValueError, match="fails after a change"):
            await transactor.write(create_then_fail)
        assert not await transactor.read(left_behind)  # same connection (pool of 1), rolled back
    finally:
        await transactor.aclose()


async def test_a_unit_of_work_that_swallowed_a_failed_statement_is_not_answered_as_saved(
    database_url: str,
) -> None:
    """PostgreSQL answers the COMMIT of a transaction a failed statement aborted with
    ROLLBACK, not an error: the caller must not hear that its change was saved."""
    if is_sqlite(database_url):
        pytest.skip("PostgreSQL's transactor")
    upgrade(database_url)
    transactor = open_transactor(database_url, box(), pool_size=1, pool_timeout=2)

    def swallow(uow: UnitOfWork) -> str:
        assert isinstance(uow, SqlUnitOfWork)
        with contextlib.suppress(sa.exc.DBAPIError):  # a unit of work that should not
            uow.connection.exec_driver_sql("SELECT 1 / 0")
        return "saved?"

    try:
        with pytest.raises(StoreUnavailable, match="rolled back; nothing was saved"):
            await transactor.write(swallow)
        assert await transactor.read(lambda uow: uow.merchants.get_merchant("-")) is None
    finally:
        await transactor.aclose()
