"""SQLite: the group-commit writer, units of work waiting on the event loop committed together.

SQLite allows one writer at a time, and a durable commit (fsync) costs about as much as
everything else a request does. So every unit of work that is waiting is run inside its own
SAVEPOINT (a failing one rolls back alone), and they are all committed with a single fsync:
group commit. Callers are answered only after that commit.
"""

import asyncio
import logging
import sqlite3
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

import sqlalchemy as sa

from invoicegate.services.ports import StoreUnavailable, UnitOfWork
from invoicegate.store.checkpointer import Checkpointer
from invoicegate.store.database import begin_read
from invoicegate.store.pooled import PooledTransactor
from invoicegate.store.secrets import SecretBox
from invoicegate.store.unit_of_work import SqlUnitOfWork

T = TypeVar("T")
Work = Callable[[UnitOfWork], Any]
Pending = tuple[Work, "asyncio.Future[Any]"]  # a unit of work and its waiting caller
Outcome = tuple["asyncio.Future[Any]", bool, Any]  # the caller, ok, its result or error

MAX_BATCH = 512  # units of work committed together at most
SLICE = 16  # units run between two turns of the event loop: a few ms at most (benchmarks.md)
HEALTH_PROBE_SECONDS = 5.0
log = logging.getLogger("invoicegate.store")


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
