"""One transaction per unit of work on a worker thread: SQLite's reads. Also the checkout and
the health probe every pooled transactor shares (PostgreSQL's too, store/postgres.py)."""

from collections.abc import Awaitable, Callable
from typing import TypeVar

import anyio.to_thread
import sqlalchemy as sa
from sqlalchemy.pool import QueuePool

from invoicegate.services.ports import StoreUnavailable, UnitOfWork
from invoicegate.store.secrets import SecretBox
from invoicegate.store.unit_of_work import SqlUnitOfWork

T = TypeVar("T")


def checkout(engine: sa.Engine) -> sa.Connection:
    """A connection from the engine's pool; a pool that stays full is StoreUnavailable."""
    try:
        return engine.connect()
    except sa.exc.TimeoutError:
        pool = engine.pool
        assert isinstance(pool, QueuePool)  # database.create_engine makes one
        raise StoreUnavailable(
            f"no database connection came free within {pool.timeout()} s: all "
            f"{pool.size()} are in use (see INVOICEGATE_DB_POOL_SIZE in README)"
        ) from None


async def probe(
    read: Callable[[Callable[[UnitOfWork], object]], Awaitable[object]],
) -> dict[str, str]:
    """What is wrong, if anything: here, whether a connection answers a query."""
    try:
        await read(lambda uow: uow.merchants.get_merchant("-"))
    except Exception as error:
        return {"database": f"unreachable ({type(error).__name__})"}
    return {}


class PooledTransactor:
    """One transaction per unit of work, on a worker thread (SQLite's reads; PostgreSQL has
    PostgresTransactor, store/postgres.py).

    There are as many worker threads as pooled connections, so a thread never waits for a
    connection: units of work beyond that wait on the event loop, where waiting is cheap.
    """

    def __init__(self, engine: sa.Engine, box: SecretBox) -> None:
        self._engine = engine
        self._box = box
        assert isinstance(engine.pool, QueuePool)  # database.create_engine makes one
        self._threads = anyio.CapacityLimiter(engine.pool.size())

    def run(self, work: Callable[[UnitOfWork], T]) -> T:
        conn = checkout(self._engine)
        with conn, conn.begin():
            return work(SqlUnitOfWork(conn, self._box))

    def connect(self) -> sa.Connection:
        return self._engine.connect()

    async def write(self, work: Callable[[UnitOfWork], T], *, optimistic: bool = False) -> T:
        return await anyio.to_thread.run_sync(self.run, work, limiter=self._threads)

    async def read(self, work: Callable[[UnitOfWork], T]) -> T:
        return await anyio.to_thread.run_sync(self.run, work, limiter=self._threads)

    async def health(self) -> dict[str, str]:
        return await probe(self.read)

    async def aclose(self) -> None:
        self.close()

    async def lookup(self, work: Callable[[UnitOfWork], T], *, one_statement: bool = False) -> T:
        return await anyio.to_thread.run_sync(self.run, work, limiter=self._threads)

    def close(self) -> None:
        self._engine.dispose()
