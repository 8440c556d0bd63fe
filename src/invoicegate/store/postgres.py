"""PostgreSQL: units of work on the event loop (asyncpg), each its own transaction or an
optimistic change (decision 0035), on connections the transactor keeps (decision 0037)."""

import asyncio
import enum
import logging
from collections.abc import Callable
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.pool import QueuePool
from sqlalchemy.util import greenlet_spawn

from invoicegate.services.ports import StoreUnavailable, UnitOfWork
from invoicegate.store.pooled import checkout, probe
from invoicegate.store.repository import NeedsTransaction
from invoicegate.store.secrets import SecretBox
from invoicegate.store.statements import HotStatement, HotStatements
from invoicegate.store.unit_of_work import SqlUnitOfWork

T = TypeVar("T")
log = logging.getLogger("invoicegate.store")


_NO_VALUES: dict[str, Any] = {}
_TRANSACTION_CONTROL = HotStatements(
    lambda dialect: {
        word: HotStatement(sa.text(word.upper()), dialect)
        for word in ("begin", "commit", "rollback")
    }
)


class _How(enum.Enum):
    """How a unit of work is run (each below, in `PostgresTransactor.run`)."""

    TRANSACTION = "BEGIN, the work, COMMIT"
    OPTIMISTIC = "the work unlocked, its one change written after it (decision 0035)"
    STATEMENT = "the work's one statement, in PostgreSQL's implicit transaction (0029)"


class PostgresTransactor:
    """PostgreSQL: one transaction per unit of work, run on the event loop's own thread.

    The unit of work stays a synchronous function: it runs in a greenlet (SQLAlchemy's
    asyncio bridge, what `AsyncConnection.run_sync` does), and every call it makes into the
    asyncio driver is awaited on the event loop, so many units of work are in flight at once
    with no worker thread and no hand-off between threads (decision 0022). Waiting for a
    pooled connection is waiting on the event loop too.

    The transaction is the transactor's own: BEGIN and COMMIT are prepared statements run
    on the driver (store/statements.py), the engine's connections are in autocommit as far
    as SQLAlchemy knows, so its adapter neither begins nor ends transactions of its own;
    everything a unit of work runs, on the hot statements or through Core, runs between
    that BEGIN and COMMIT (decision 0027). Nobody else gets a connection of its engine.

    Connections are not pinged on checkout. One found dead when a unit of work uses it (the
    server restarted, the backend was terminated) is dropped and the unit of work run again
    on another: nothing of it was committed. That handling is one, in `run`, whichever way
    the unit of work ran. A failed COMMIT, or an optimistic change's write lost on its way,
    is never retried — it may have landed — and reaches the caller as an error (503).
    """

    def __init__(self, engine: AsyncEngine, box: SecretBox) -> None:
        self._async_engine = engine
        self._engine = engine.sync_engine
        self._box = box
        self._dialect = self._engine.dialect
        # As many units of work in flight as connections: the rest wait their turn here,
        # without a timeout, as they waited for a worker thread before; the pool's timeout
        # is for a connection held by something else (StoreUnavailable, a 503).
        pool = self._engine.pool
        assert isinstance(pool, QueuePool)  # database.create_async_engine makes one
        self._size = pool.size()  # that of every pool the engine makes (`_follow_loop`)
        self._turns = asyncio.Semaphore(self._size)
        self._loop: asyncio.AbstractEventLoop | None = None  # the one its connections are on
        self._control = _TRANSACTION_CONTROL.of(self._dialect)
        # Connections between two units of work stay checked out, here: the pool's checkout
        # and return (SQLAlchemy's Connection, fairy and reset) cost ~10 % of the app's CPU
        # for an update and ~16 % for a find (decision 0037). `_turns` keeps them within
        # the pool's size; each is checked again on its way back (`_release`).
        self._idle: list[sa.Connection] = []

    async def write(self, work: Callable[[UnitOfWork], T], *, optimistic: bool = False) -> T:
        return await self._on_loop(work, _How.OPTIMISTIC if optimistic else _How.TRANSACTION)

    async def read(self, work: Callable[[UnitOfWork], T]) -> T:
        return await self._on_loop(work, _How.TRANSACTION)

    async def lookup(self, work: Callable[[UnitOfWork], T], *, one_statement: bool = False) -> T:
        # One statement's read is consistent by itself: BEGIN and COMMIT would be two more
        # round trips (decision 0029).
        return await self._on_loop(work, _How.STATEMENT if one_statement else _How.TRANSACTION)

    async def health(self) -> dict[str, str]:
        return await probe(self.read)

    async def _on_loop(self, work: Callable[[UnitOfWork], T], how: _How) -> T:
        if asyncio.get_running_loop() is not self._loop:
            self._follow_loop()
        async with self._turns:
            return await greenlet_spawn(self.run, work, how)

    def run(self, work: Callable[[UnitOfWork], T], how: _How = _How.TRANSACTION) -> T:
        """Inside a greenlet: check out a connection, run the unit of work `how` it is run.

        An optimistic unit that must run in a transaction after all (`_optimistic` is None)
        runs again at once, in one. A connection found lost while nothing of the work can
        have landed is dropped and the work run again on another, as many times as the pool
        has connections; then StoreUnavailable."""
        retries_left = self._size
        while True:
            conn = self._checkout()
            try:
                if how is _How.OPTIMISTIC:
                    done = self._optimistic(conn, work)
                    if done is not None:
                        return done[0]
                    how = _How.TRANSACTION  # nothing of it was written
                    continue
                if how is _How.STATEMENT:
                    return work(SqlUnitOfWork(conn, self._box))
                return self._transaction(conn, work)
            except sa.exc.DBAPIError as error:
                if not self._lost(conn, error):
                    raise  # the statement's own failure: the caller's to answer
                conn.invalidate()
                if not retries_left:
                    lost = "the database connection was lost; nothing was saved"
                    raise StoreUnavailable(lost) from error
                retries_left -= 1
                log.warning("store: a pooled connection was found closed; retrying")
            finally:
                self._release(conn)

    def _transaction(self, conn: sa.Connection, work: Callable[[UnitOfWork], T]) -> T:
        """BEGIN, the unit of work, COMMIT; a COMMIT that fails is never retried."""
        self._control["begin"].run(conn, _NO_VALUES)
        result = work(SqlUnitOfWork(conn, self._box))
        try:
            committed = self._control["commit"].run(conn, _NO_VALUES).status
        except sa.exc.DBAPIError as error:
            raise StoreUnavailable(
                "the database COMMIT failed; the change is not known to be saved"
            ) from error
        if committed != "COMMIT":  # PostgreSQL answers a failed transaction's COMMIT
            # with ROLLBACK: a statement failed and its error was not let through.
            raise StoreUnavailable("the transaction was rolled back; nothing was saved")
        return result

    def _optimistic(self, conn: sa.Connection, work: Callable[[UnitOfWork], T]) -> tuple[T] | None:
        """The work without a transaction, its one change written after it as a single
        statement conditional on the version it read (decision 0035): two round trips for
        an update instead of four (BEGIN, the locked read, the change, COMMIT).

        `(result,)`, or None when it must run again in a transaction, nothing of it
        written: the invoice moved on between the read and the write, the work wanted more
        than its one change, or PostgreSQL refused the write. A connection lost during the
        work is `run`'s to handle (nothing was written). The write is that statement's own
        transaction: if the connection is lost during it, the change may have landed, so it
        is never run again (StoreUnavailable, as for a failed COMMIT).
        """
        unit = SqlUnitOfWork(conn, self._box, optimistic=True)
        try:
            result = work(unit)
        except NeedsTransaction:
            return None
        try:
            landed = unit.invoices.write_held()
        except sa.exc.DBAPIError as error:
            if not self._lost(conn, error):
                # Refused (a constraint, a trigger at its commit): nothing was written. In
                # a transaction the failure meets the caller where it did before.
                return None
            conn.invalidate()
            unknown = "the database connection was lost while saving; the change is not known"
            raise StoreUnavailable(f"{unknown} to be saved") from error
        return (result,) if landed else None

    def _checkout(self) -> sa.Connection:
        if self._idle:
            return self._idle.pop()
        try:
            return checkout(self._engine)
        except sa.exc.DBAPIError as error:  # refused, unknown host, too many connections
            raise StoreUnavailable("the database cannot be reached; nothing was saved") from error

    def _release(self, conn: sa.Connection) -> None:
        """Kept for the next unit of work, outside any transaction: one a failed unit of work
        left open is rolled back here; a connection in a state not known is closed instead."""
        try:
            if conn.invalidated:
                conn.close()
                return
            driver = conn.connection.driver_connection
            if driver.is_closed():  # type: ignore[union-attr]
                conn.invalidate()
                conn.close()
                return
            if driver.is_in_transaction():  # type: ignore[union-attr]
                self._control["rollback"].run(conn, _NO_VALUES)
            if conn.in_transaction():
                # SQLAlchemy's own record of a transaction, begun by a Core statement: ended
                # as closing the connection ended it, so the next unit of work starts as on a
                # fresh one. No round trip (autocommit, as in `_return_idle`).
                conn.rollback()
        except BaseException:
            conn.invalidate()
            conn.close()
            raise
        self._idle.append(conn)

    def _return_idle(self) -> None:
        """The kept connections back to the pool, for it to close or drop. No round trip:
        SQLAlchemy's adapter is in autocommit, so its reset on return sends nothing."""
        idle, self._idle = self._idle, []
        for conn in idle:
            conn.close()

    def _lost(self, conn: sa.Connection, error: sa.exc.DBAPIError) -> bool:
        """Whether the error is the connection being gone (not the statement failing)."""
        if error.connection_invalidated:
            return True
        if conn.invalidated:
            return True
        driver = conn.connection.dbapi_connection
        return bool(self._dialect.is_disconnect(error.orig, driver, None))  # type: ignore[arg-type]

    def _follow_loop(self) -> None:
        """An asyncio connection works only on the event loop it was opened on. The service
        has one loop; a caller on another (a test setting data up with `anyio.run` beside
        the app's loop) gets a new pool, and the old one's connections are left to close
        with their loop."""
        loop = asyncio.get_running_loop()
        if self._loop is not None:
            self._return_idle()
            self._engine.dispose(close=False)
            self._turns = asyncio.Semaphore(self._size)
        self._loop = loop

    async def aclose(self) -> None:
        self._return_idle()
        await self._async_engine.dispose()

    def close(self) -> None:
        """Without an event loop to close them on, the pooled connections are dropped as they
        are (the server ends them with the socket); a service shuts down with aclose()."""
        self._return_idle()
        self._engine.dispose(close=False)
