"""Units of work over SQL, and the transactors that run them: group commit or one per call.

SQLite allows one writer at a time, and a durable commit (fsync) costs about as much as
everything else a request does. So on SQLite every unit of work that is waiting is run
inside its own SAVEPOINT (a failing one rolls back alone), and they are all committed with
a single fsync: group commit. Callers are answered only after that commit.

PostgreSQL takes many writers; there each unit of work is its own transaction on a pooled
connection, run on the event loop (asyncpg), and `for_update` reads lock the rows they will change
— except an optimistic one (an update): its read takes no lock and its one change is written
as a single statement conditional on the version read (decision 0035).
"""

import asyncio
import logging
import sqlite3
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

import anyio.to_thread
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.pool import QueuePool
from sqlalchemy.util import greenlet_spawn

from invoicegate.services.ports import StoreUnavailable, UnitOfWork
from invoicegate.store.checkpointer import Checkpointer
from invoicegate.store.database import begin_read, create_async_engine, create_engine, is_sqlite
from invoicegate.store.idempotency import SqlIdempotencyRecords
from invoicegate.store.outbox import SqlOutbox
from invoicegate.store.repository import (
    NeedsTransaction,
    SqlInvoiceRepository,
    SqlMerchantRepository,
)
from invoicegate.store.secrets import SecretBox
from invoicegate.store.statements import HotStatement, HotStatements
from invoicegate.store.webhooks import SqlWebhookEndpoints

T = TypeVar("T")
Work = Callable[[UnitOfWork], Any]
Pending = tuple[Work, "asyncio.Future[Any]"]  # a unit of work and its waiting caller
Outcome = tuple["asyncio.Future[Any]", bool, Any]  # the caller, ok, its result or error

MAX_BATCH = 512  # units of work committed together at most
SLICE = 16  # units run between two turns of the event loop: a few ms at most (benchmarks.md)
HEALTH_PROBE_SECONDS = 5.0
log = logging.getLogger("invoicegate.store")


class SqlUnitOfWork:
    """The repositories over one connection. Every unit of work uses the invoices'; the
    others are made when first used (an update uses one of them, and made all six).

    `optimistic` (PostgreSQL, decision 0035): no transaction around it; the invoices it
    reads are not locked, its one change is held back for the transactor to write, and
    whatever else would write (an outbox job, an idempotency record) raises
    NeedsTransaction before writing anything.
    """

    def __init__(self, conn: sa.Connection, box: SecretBox, *, optimistic: bool = False) -> None:
        self.connection = conn
        self._without_endpoints: set[str] = set()  # merchants seen with no webhook endpoint
        self.invoices = SqlInvoiceRepository(conn, self._without_endpoints, optimistic=optimistic)
        self._optimistic = optimistic
        self._box = box
        self._merchants: SqlMerchantRepository | None = None
        self._outbox: SqlOutbox | None = None
        self._idempotency: SqlIdempotencyRecords | None = None
        self._webhooks: SqlWebhookEndpoints | None = None

    @property
    def merchants(self) -> SqlMerchantRepository:
        if self._merchants is None:
            self._merchants = SqlMerchantRepository(self.connection, self._box)
        return self._merchants

    @property
    def outbox(self) -> SqlOutbox:
        if self._optimistic:
            raise NeedsTransaction("an outbox job")
        if self._outbox is None:
            self._outbox = SqlOutbox(self.connection)
        return self._outbox

    @property
    def idempotency(self) -> SqlIdempotencyRecords:
        if self._optimistic:
            raise NeedsTransaction("an idempotency record")
        if self._idempotency is None:
            self._idempotency = SqlIdempotencyRecords(self.connection)
        return self._idempotency

    @property
    def webhooks(self) -> SqlWebhookEndpoints:
        if self._webhooks is None:
            self._webhooks = SqlWebhookEndpoints(
                self.connection, self._box, self._without_endpoints
            )
        return self._webhooks


class PooledTransactor:
    """One transaction per unit of work, on a worker thread (SQLite's reads; PostgreSQL has
    AsyncPooledTransactor below).

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
        conn = self._checkout()
        with conn, conn.begin():
            return work(SqlUnitOfWork(conn, self._box))

    def _checkout(self) -> sa.Connection:
        try:
            return self._engine.connect()
        except sa.exc.TimeoutError:
            raise StoreUnavailable(
                f"no database connection came free within {self._pool.timeout()} s: all "
                f"{self._pool.size()} are in use (see INVOICEGATE_DB_POOL_SIZE in README)"
            ) from None

    def connect(self) -> sa.Connection:
        return self._engine.connect()

    async def write(self, work: Callable[[UnitOfWork], T], *, optimistic: bool = False) -> T:
        return await anyio.to_thread.run_sync(self.run, work, limiter=self._threads)

    async def read(self, work: Callable[[UnitOfWork], T]) -> T:
        return await anyio.to_thread.run_sync(self.run, work, limiter=self._threads)

    async def health(self) -> dict[str, str]:
        """What is wrong, if anything: here, whether a connection answers a query."""
        try:
            await self.read(lambda uow: uow.merchants.get_merchant("-"))
        except Exception as error:
            return {"database": f"unreachable ({type(error).__name__})"}
        return {}

    async def aclose(self) -> None:
        self.close()

    async def lookup(self, work: Callable[[UnitOfWork], T], *, one_statement: bool = False) -> T:
        return await anyio.to_thread.run_sync(self.run, work, limiter=self._threads)

    def close(self) -> None:
        self._engine.dispose()


_NO_VALUES: dict[str, Any] = {}
_TRANSACTION_CONTROL = HotStatements(
    lambda dialect: {
        word: HotStatement(sa.text(word.upper()), dialect)
        for word in ("begin", "commit", "rollback")
    }
)


class AsyncPooledTransactor(PooledTransactor):
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
    that BEGIN and COMMIT (decision 0027).

    Connections are not pinged on checkout. One found dead when a unit of work uses it (the
    server restarted, the backend was terminated) is dropped and the unit of work run again
    on another: nothing of it was committed. A failed COMMIT is never retried — it may have
    landed — and reaches the caller as an error (503).
    """

    def __init__(self, engine: AsyncEngine, box: SecretBox) -> None:
        super().__init__(engine.sync_engine, box)
        self._async_engine = engine
        self._dialect = engine.sync_engine.dialect
        # As many units of work in flight as connections: the rest wait their turn here,
        # without a timeout, as they waited for a worker thread before; the pool's timeout
        # is for a connection held by something else (StoreUnavailable, a 503).
        self._turns = asyncio.Semaphore(self._pool.size())
        self._loop: asyncio.AbstractEventLoop | None = None  # the one its connections are on
        self._control = _TRANSACTION_CONTROL.of(self._dialect)
        # Connections between two units of work stay checked out, here: the pool's checkout
        # and return (SQLAlchemy's Connection, fairy and reset) cost ~10 % of the app's CPU
        # for an update and ~16 % for a find (decision 0037). `_turns` keeps them within
        # the pool's size; each is checked again on its way back (`_release`).
        self._idle: list[sa.Connection] = []

    def run(self, work: Callable[[UnitOfWork], T], transaction: bool = True) -> T:
        """Inside a greenlet: check out, BEGIN, run the unit of work, COMMIT.

        Without `transaction` (a lookup of one statement) there is no BEGIN nor COMMIT: the
        statement runs in PostgreSQL's own implicit transaction, one round trip instead of
        three (decision 0029)."""
        for retries_left in range(self._pool.size(), -1, -1):
            conn = self._checkout()
            try:
                try:
                    if not transaction:
                        return work(SqlUnitOfWork(conn, self._box))
                    self._control["begin"].run(conn, _NO_VALUES)
                    result = work(SqlUnitOfWork(conn, self._box))
                except sa.exc.DBAPIError as error:
                    if not self._lost(conn, error):
                        raise  # the statement's own failure: the caller's to answer
                    conn.invalidate()
                    if retries_left:
                        log.warning("store: a pooled connection was found closed; retrying")
                        continue
                    lost = "the database connection was lost; nothing was saved"
                    raise StoreUnavailable(lost) from error
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
            finally:
                self._release(conn)
        raise AssertionError("unreachable: the last attempt returns or raises")

    def _checkout(self) -> sa.Connection:
        if self._idle:
            return self._idle.pop()
        try:
            return super()._checkout()
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

    def connect(self) -> sa.Connection:
        raise NotImplementedError(
            "PostgreSQL connections are the transactor's own: its transactions are begun and"
            " committed on the driver (run), not by SQLAlchemy"
        )

    def _lost(self, conn: sa.Connection, error: sa.exc.DBAPIError) -> bool:
        """Whether the error is the connection being gone (not the statement failing)."""
        if error.connection_invalidated:
            return True
        if conn.invalidated:
            return True
        driver = conn.connection.dbapi_connection
        return bool(self._dialect.is_disconnect(error.orig, driver, None))  # type: ignore[arg-type]

    async def write(self, work: Callable[[UnitOfWork], T], *, optimistic: bool = False) -> T:
        if asyncio.get_running_loop() is not self._loop:
            self._follow_loop()
        async with self._turns:
            if optimistic:
                done: tuple[T] | None = await greenlet_spawn(self.run_optimistic, work)
                if done is not None:
                    return done[0]
            return await greenlet_spawn(self.run, work)

    async def read(self, work: Callable[[UnitOfWork], T]) -> T:
        return await self.write(work)

    def run_optimistic(self, work: Callable[[UnitOfWork], T]) -> tuple[T] | None:
        """Inside a greenlet: the work without a transaction, its one change written after it
        as a single statement conditional on the version it read (decision 0035): two round
        trips for an update instead of four (BEGIN, the locked read, the change, COMMIT).

        `(result,)`, or None when it must run again in a transaction (`run`), nothing of it
        written: the invoice moved on between the read and the write, the work wanted more
        than its one change, the connection was found closed before the write, or PostgreSQL
        refused the write. The write is that statement's own transaction: if the connection
        is lost during it, the change may have landed, so it is never run again
        (StoreUnavailable, as for a failed COMMIT).
        """
        conn = self._checkout()
        try:
            unit = SqlUnitOfWork(conn, self._box, optimistic=True)
            try:
                result = work(unit)
            except NeedsTransaction:
                return None
            except sa.exc.DBAPIError as error:
                if not self._lost(conn, error):
                    raise
                conn.invalidate()  # nothing was written: `run` retries on another
                return None
            try:
                landed = unit.invoices.write_held()
            except sa.exc.DBAPIError as error:
                if not self._lost(conn, error):
                    # Refused (a constraint, a trigger at its commit): nothing was written. In
                    # a transaction the failure meets the caller where it did before.
                    return None
                conn.invalidate()
                raise StoreUnavailable(
                    "the database connection was lost while saving; the change is not known"
                    " to be saved"
                ) from error
            return (result,) if landed else None
        finally:
            self._release(conn)

    async def lookup(self, work: Callable[[UnitOfWork], T], *, one_statement: bool = False) -> T:
        if not one_statement:
            return await self.write(work)
        # One statement's read is consistent by itself: BEGIN and COMMIT would be two more
        # round trips (decision 0029).
        if asyncio.get_running_loop() is not self._loop:
            self._follow_loop()
        async with self._turns:
            return await greenlet_spawn(self.run, work, False)

    def _follow_loop(self) -> None:
        """An asyncio connection works only on the event loop it was opened on. The service
        has one loop; a caller on another (a test setting data up with `anyio.run` beside
        the app's loop) gets a new pool, and the old one's connections are left to close
        with their loop."""
        loop = asyncio.get_running_loop()
        if self._loop is not None:
            self._return_idle()
            self._engine.dispose(close=False)
            self._pool = self._engine.pool  # type: ignore[assignment]
            self._turns = asyncio.Semaphore(self._pool.size())
        self._loop = loop

    async def aclose(self) -> None:
        self._return_idle()
        await self._async_engine.dispose()

    def close(self) -> None:
        """Without an event loop to close them on, the pooled connections are dropped as they
        are (the server ends them with the socket); a service shuts down with aclose()."""
        self._return_idle()
        self._engine.dispose(close=False)


class GroupCommitTransactor:
    """SQLite: units of work waiting on the event loop are committed together.

    The statements of a batch run on the event loop's own thread: they are short, and a
    separate writer thread would only trade the GIL back and forth around every sqlite3
    call. What can wait — connecting, BEGIN IMMEDIATE (another process may hold the write
    lock) and the COMMIT's fsync — runs on one helper thread, during which the next batch
    gathers. Every caller is answered: with its result once the batch is committed, with
    its own error if its unit of work failed, or with StoreUnavailable if the batch could
    not be committed, after which the connection is replaced and the next batch retries.
    """

    def __init__(self, writer: sa.Engine, readers: sa.Engine, box: SecretBox) -> None:
        self._writer = writer
        self._readers = PooledTransactor(readers, box)
        self._box = box
        self._conn: sa.Connection | None = None
        self._pending: list[Pending] = []
        self._flusher: asyncio.Task[None] | None = None
        self._io = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sqlite-commit")
        self._stopping = False  # the flusher was cancelled: finish this batch, then stop
        self._closed = False
        self.failure: str | None = None  # what the last batch met, until one commits again
        self._lookups: sa.Connection | None = None
        # BEGIN IMMEDIATE taken on the previous COMMIT's trip, for units already waiting.
        self._begun: sa.RootTransaction | None = None
        # WAL checkpoints, off the COMMIT's path (the writer's engine has them off).
        self._checkpoints = Checkpointer(writer.url.database or "")

    async def write(self, work: Callable[[UnitOfWork], T], *, optimistic: bool = False) -> T:
        # `optimistic` changes nothing here: the units of work of a batch share its
        # transaction, and SQLite's one writer holds no row locks to avoid.
        if self._closed or self._stopping:
            raise StoreUnavailable("the writer is shut down; nothing was saved")
        loop = asyncio.get_running_loop()
        future: asyncio.Future[T] = loop.create_future()
        self._pending.append((work, future))
        if self._flusher is None:
            self._flusher = loop.create_task(self._flush())
        return await future

    async def read(self, work: Callable[[UnitOfWork], T]) -> T:
        return await self._readers.read(work)

    async def health(self) -> dict[str, str]:
        """What is wrong, if anything; a failed writer is tried once more before it is told."""
        problems = await self._readers.health()
        if self.failure is not None and not self._closed:
            probe = asyncio.ensure_future(self.write(_touch_database))
            await asyncio.wait([probe], timeout=HEALTH_PROBE_SECONDS)
            probe.add_done_callback(_retrieve)
        if self.failure is not None:
            problems["writer"] = self.failure
        return problems

    async def aclose(self, drain_seconds: float = 10.0) -> None:
        """Refuse new writes, commit what is waiting (for up to `drain_seconds`), then close.

        Whatever could not be committed in that time is answered with StoreUnavailable.
        """
        if self._closed:
            return
        self._closed = True
        flusher = self._flusher
        if flusher is not None:
            done, _ = await asyncio.wait([flusher], timeout=drain_seconds)
            if not done:
                flusher.cancel()  # it finishes the batch in hand, then fails the rest
                await asyncio.wait([flusher])
        await asyncio.get_running_loop().run_in_executor(self._io, self._disconnect)
        self.close()

    async def lookup(self, work: Callable[[UnitOfWork], T], *, one_statement: bool = False) -> T:
        """A read by key, run at once on the event loop's thread, in its own read transaction.

        A WAL reader never waits for the writer, and reading a row by its key takes SQLite
        microseconds: less than handing the work to a thread and back (decision 0012).
        One statement needs no transaction around it: SQLite runs it in one of its own
        (autocommit), ended when its last row is read, and BEGIN and COMMIT cost ~15 µs of
        a ~200 µs find under load (decision 0028).
        """
        if self._lookups is None:
            self._lookups = self._readers.connect()
        conn = self._lookups
        # The read transaction is the driver's own: SQLAlchemy's transaction bookkeeping
        # (objects, events) around it cost more than the find's SELECT (decision 0021). A
        # statement run through SQLAlchemy inside it joins it: the engine's begin listener
        # sees the transaction open and issues no second BEGIN. One run through SQLAlchemy
        # in a lookup of one statement begins the transaction itself; it is ended here.
        driver: sqlite3.Connection = conn.connection.driver_connection  # type: ignore[assignment]
        if not one_statement:
            begin_read(driver, conn.dialect)
        try:
            result = work(SqlUnitOfWork(conn, self._box))
        except BaseException:
            if conn.in_transaction():  # SQLAlchemy joined it: it ends it
                conn.rollback()
            elif driver.in_transaction:
                driver.rollback()
            raise
        if conn.in_transaction():
            conn.commit()
        elif driver.in_transaction:
            driver.commit()
        return result

    def close(self) -> None:
        """Close at once, refusing whoever still waits: for code with no write left in flight
        (a command, a test), or no running loop. A service shuts down with aclose()."""
        self._closed = True
        self.failure = "shut down"
        left, self._pending = self._pending, []
        for _, future in left:
            _answer(future, False, StoreUnavailable("the writer is shut down; nothing was saved"))
        self._io.shutdown(wait=True)
        self._checkpoints.close()
        self._disconnect()
        if self._lookups is not None:
            self._lookups.close()
        self._writer.dispose()
        self._readers.close()

    async def _flush(self) -> None:
        try:
            while self._pending and not self._stopping:
                batch, self._pending = self._pending[:MAX_BATCH], self._pending[MAX_BATCH:]
                await self._commit_batch(batch)
        finally:
            # Only a stop (or a bug) leaves callers here: answer them, never leave them waiting.
            left, self._pending = self._pending, []
            for _, future in left:
                stopped = StoreUnavailable("the writer was stopped; nothing was saved")
                _answer(future, False, stopped)
            self._flusher = None
        if self._stopping:
            raise asyncio.CancelledError  # the cancellation it was stopped by, passed on

    async def _commit_batch(self, batch: list[Pending]) -> None:
        """Run and commit one batch, answering every caller in it whatever happens."""
        step = "connect"
        outcomes: list[Outcome] = []
        try:
            if self._conn is None:
                self._conn = await self._in_thread(self._writer.connect)
            conn = self._conn
            step = "begin"
            transaction, self._begun = self._begun, None
            if transaction is None:
                transaction = await self._in_thread(lambda: self._begin(conn))
            step = "statements"
            outcomes = await self._run_units(conn, batch)
            step = "commit"
            self._begun = await self._in_thread(lambda: self._commit_then_begin(transaction))
        except BaseException as error:
            # Nothing of this batch landed: each caller gets its own error (one instance
            # raised in many tasks would collect all their tracebacks).
            for _, future in batch:
                refused = StoreUnavailable(f"the database {step} failed; nothing was saved")
                refused.__cause__ = error
                _answer(future, False, refused)
            self.failure = f"{step} failed ({type(error).__name__}); the next write retries"
            log.error(
                "sqlite writer: %s failed for %d units of work", step, len(batch), exc_info=error
            )
            # The connection may be left inside a transaction (a failed COMMIT can keep it
            # open, and every later BEGIN would fail), so it is replaced, never reused.
            await self._in_thread(self._disconnect)
            if not isinstance(error, Exception):
                raise
            return
        if self.failure is not None:
            log.warning("sqlite writer: committing again after: %s", self.failure)
            self.failure = None
        for future, ok, value in outcomes:
            _answer(future, ok, value)

    async def _run_units(self, conn: sa.Connection, batch: list[Pending]) -> list[Outcome]:
        """Each unit of work in its own savepoint; the event loop gets a turn every SLICE."""
        # Savepoints straight on the driver connection: SQLAlchemy's begin_nested()
        # costs more Python than the statements it wraps, once per unit of work.
        driver = conn.connection.driver_connection
        assert driver is not None
        outcomes: list[Outcome] = []
        for index, (work, future) in enumerate(batch):
            if index and index % SLICE == 0:
                await self._yield_to_loop()
            if future.cancelled():
                continue  # its caller left before it started: it never happens
            driver.execute("SAVEPOINT unit")
            try:
                # A unit of work of its own: what it records dies with its savepoint.
                result = work(SqlUnitOfWork(conn, self._box))
            except Exception as error:
                driver.execute("ROLLBACK TO SAVEPOINT unit")
                driver.execute("RELEASE SAVEPOINT unit")
                outcomes.append((future, False, error))
            else:
                driver.execute("RELEASE SAVEPOINT unit")
                outcomes.append((future, True, result))
        return outcomes

    def _commit_then_begin(self, transaction: sa.RootTransaction) -> sa.RootTransaction | None:
        """COMMIT; then, if more units already wait, BEGIN IMMEDIATE for them on this same
        trip to the helper thread: each trip costs the event loop a hand-off of the GIL (and,
        on a busy machine, of the core), measured at ~5 ms a trip (decision 0013)."""
        transaction.commit()
        self._checkpoints.committed()
        conn = self._conn
        if conn is None or not self._pending or self._stopping or self._closed:
            return None
        if self._checkpoints.rewind_due:
            return None  # this batch is answered first; the next one rewinds in _begin
        try:
            return conn.begin()
        except Exception:
            # The next batch begins the usual way and meets the error itself, as a batch.
            log.warning("sqlite writer: BEGIN after a commit failed", exc_info=True)
            self._disconnect()
            return None

    def _begin(self, conn: sa.Connection) -> sa.RootTransaction:
        """BEGIN IMMEDIATE, after rewinding the WAL if it is due (store/checkpointer.py)."""
        self._checkpoints.rewind_if_due(conn.connection.driver_connection)  # type: ignore[arg-type]
        return conn.begin()

    async def _in_thread(self, call: Callable[[], T]) -> T:
        """Run `call` on the helper thread; a cancellation waits for it and is kept for later.

        The call goes on in its thread whatever happens here, and the connection must never
        be used by two at once, so its outcome is awaited and the batch finished first.
        """
        running = asyncio.get_running_loop().run_in_executor(self._io, call)
        while not running.done():
            try:
                await asyncio.wait([running])
            except asyncio.CancelledError:
                self._stopping = True
        return running.result()

    async def _yield_to_loop(self) -> None:
        try:
            await asyncio.sleep(0)
        except asyncio.CancelledError:
            self._stopping = True

    def _disconnect(self) -> None:
        """Drop the writer's connection; an open transaction on it is rolled back by SQLite."""
        conn, self._conn = self._conn, None
        self._begun = None  # a transaction open on it ends with it (SQLite rolls it back)
        if conn is None:
            return
        try:
            conn.invalidate()  # closed, not returned to the pool in an unknown state
            conn.close()
        except Exception:  # it is gone either way; the next batch connects anew
            log.warning("sqlite writer: closing a failed connection failed", exc_info=True)


def _touch_database(uow: UnitOfWork) -> None:
    """A real write (SQLite's header page), so the COMMIT that follows must reach the disk:
    an empty transaction commits without writing, even on a disk that fails every write."""
    assert isinstance(uow, SqlUnitOfWork)
    version = uow.connection.exec_driver_sql("PRAGMA user_version").scalar_one()
    uow.connection.exec_driver_sql(f"PRAGMA user_version = {(int(version) + 1) % 2**31}")


def _retrieve(probe: asyncio.Future[Any]) -> None:
    if not probe.cancelled():
        probe.exception()  # its failure is reported through `failure`, not raised


def _answer(future: asyncio.Future[Any], ok: bool, value: Any) -> None:
    """Tell a waiting caller its result (ok) or its error, unless it has stopped waiting."""
    if future.done():
        return
    if ok:
        future.set_result(value)
    else:
        future.set_exception(value)


StoreTransactor = GroupCommitTransactor | PooledTransactor | AsyncPooledTransactor


def open_transactor(
    database_url: str, box: SecretBox, *, pool_size: int = 10, pool_timeout: float = 10.0
) -> StoreTransactor:
    """The transactor for this database, holding at most `pool_size` (+1 writer) connections."""
    if not is_sqlite(database_url):
        engine = create_async_engine(database_url, pool_size=pool_size, pool_timeout=pool_timeout)
        return AsyncPooledTransactor(engine, box)
    readers = create_engine(database_url, pool_size=pool_size, pool_timeout=pool_timeout)
    return GroupCommitTransactor(create_engine(database_url, writer=True), readers, box)
