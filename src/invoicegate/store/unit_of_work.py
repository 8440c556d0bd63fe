"""Units of work over SQL, and the transactors that run them: group commit or one per call.

SQLite allows one writer at a time, and a durable commit (fsync) costs about as much as
everything else a request does. So on SQLite every unit of work that is waiting is run
inside its own SAVEPOINT (a failing one rolls back alone), and they are all committed with
a single fsync: group commit. Callers are answered only after that commit.

PostgreSQL takes many writers; there each unit of work is its own transaction on a pooled
connection, and `for_update` reads lock the rows they will change.
"""

import asyncio
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

import anyio.to_thread
import sqlalchemy as sa
from sqlalchemy.pool import QueuePool

from invoicegate.services.ports import StoreUnavailable, UnitOfWork
from invoicegate.store.database import create_engine, is_sqlite
from invoicegate.store.repository import SqlInvoiceRepository, SqlMerchantRepository, SqlOutbox
from invoicegate.store.secrets import SecretBox

T = TypeVar("T")
Work = Callable[[UnitOfWork], Any]

MAX_BATCH = 512


class SqlUnitOfWork:
    def __init__(self, conn: sa.Connection, box: SecretBox) -> None:
        self.invoices = SqlInvoiceRepository(conn)
        self.merchants = SqlMerchantRepository(conn, box)
        self.outbox = SqlOutbox(conn)


class PooledTransactor:
    """One transaction per unit of work, on a worker thread (PostgreSQL, and SQLite reads).

    There are as many worker threads as pooled connections, so a thread never waits for a
    connection: units of work beyond that wait on the event loop, where waiting is cheap.
    """

    def __init__(self, engine: sa.Engine, box: SecretBox) -> None:
        self._engine = engine
        self._box = box
        assert isinstance(engine.pool, QueuePool)  # database.create_engine makes one
        self._pool = engine.pool
        self._threads = anyio.CapacityLimiter(self._pool.size())

    def run(self, work: Callable[[UnitOfWork], T]) -> T:
        try:
            conn = self._engine.connect()
        except sa.exc.TimeoutError:
            raise StoreUnavailable(
                f"no database connection came free within {self._pool.timeout()} s: all "
                f"{self._pool.size()} are in use (see INVOICEGATE_DB_POOL_SIZE in README)"
            ) from None
        with conn, conn.begin():
            return work(SqlUnitOfWork(conn, self._box))

    async def write(self, work: Callable[[UnitOfWork], T]) -> T:
        return await anyio.to_thread.run_sync(self.run, work, limiter=self._threads)

    async def read(self, work: Callable[[UnitOfWork], T]) -> T:
        return await anyio.to_thread.run_sync(self.run, work, limiter=self._threads)

    def close(self) -> None:
        self._engine.dispose()


class GroupCommitTransactor:
    """SQLite: units of work waiting on the event loop are committed together.

    The statements of a batch run on the event loop's own thread: they are short, and a
    separate writer thread would only trade the GIL back and forth around every sqlite3
    call. What can wait — BEGIN IMMEDIATE (another process may hold the write lock) and the
    COMMIT's fsync — runs on one helper thread, during which the next batch gathers.
    """

    def __init__(self, writer: sa.Engine, readers: sa.Engine, box: SecretBox) -> None:
        self._writer = writer
        self._readers = PooledTransactor(readers, box)
        self._box = box
        self._conn: sa.Connection | None = None
        self._pending: list[tuple[Work, asyncio.Future[Any]]] = []
        self._flushing = False
        self._flusher: asyncio.Task[None] | None = None  # kept so it is not collected mid-run
        self._io = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sqlite-commit")

    async def write(self, work: Callable[[UnitOfWork], T]) -> T:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[T] = loop.create_future()
        self._pending.append((work, future))
        if not self._flushing:
            self._flushing = True
            self._flusher = loop.create_task(self._flush())
        return await future

    async def read(self, work: Callable[[UnitOfWork], T]) -> T:
        return await self._readers.read(work)

    def close(self) -> None:
        self._io.shutdown(wait=True)
        if self._conn is not None:
            self._conn.close()
        self._writer.dispose()
        self._readers.close()

    async def _flush(self) -> None:
        loop = asyncio.get_running_loop()
        try:
            while self._pending:
                batch, self._pending = self._pending[:MAX_BATCH], self._pending[MAX_BATCH:]
                try:
                    outcomes = await self._commit_batch(loop, batch)
                except BaseException as error:  # nobody's work landed
                    outcomes = [(future, False, error) for _, future in batch]
                for future, ok, value in outcomes:
                    if future.cancelled():
                        continue
                    if ok:
                        future.set_result(value)
                    else:
                        future.set_exception(value)
        finally:
            self._flushing = False

    async def _commit_batch(
        self, loop: asyncio.AbstractEventLoop, batch: list[tuple[Work, asyncio.Future[Any]]]
    ) -> list[tuple[asyncio.Future[Any], bool, Any]]:
        if self._conn is None:
            self._conn = await loop.run_in_executor(self._io, self._writer.connect)
        conn = self._conn
        transaction = await loop.run_in_executor(self._io, conn.begin)
        outcomes: list[tuple[asyncio.Future[Any], bool, Any]] = []
        try:
            uow = SqlUnitOfWork(conn, self._box)
            # Savepoints straight on the driver connection: SQLAlchemy's begin_nested()
            # costs more Python than the statements it wraps, once per unit of work.
            driver = conn.connection.driver_connection
            assert driver is not None
            for work, future in batch:
                driver.execute("SAVEPOINT unit")
                try:
                    result = work(uow)
                except Exception as error:
                    driver.execute("ROLLBACK TO SAVEPOINT unit")
                    driver.execute("RELEASE SAVEPOINT unit")
                    outcomes.append((future, False, error))
                else:
                    driver.execute("RELEASE SAVEPOINT unit")
                    outcomes.append((future, True, result))
            await loop.run_in_executor(self._io, transaction.commit)
        except BaseException:
            if transaction.is_active:
                await loop.run_in_executor(self._io, transaction.rollback)
            raise
        return outcomes


def open_transactor(
    database_url: str, box: SecretBox, *, pool_size: int = 10, pool_timeout: float = 10.0
) -> GroupCommitTransactor | PooledTransactor:
    """The transactor for this database, holding at most `pool_size` (+1 writer) connections."""
    readers = create_engine(database_url, pool_size=pool_size, pool_timeout=pool_timeout)
    if is_sqlite(database_url):
        return GroupCommitTransactor(create_engine(database_url, writer=True), readers, box)
    return PooledTransactor(readers, box)
