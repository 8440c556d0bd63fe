"""Units of work over SQL, and the transactors that run them: group commit or one per call.

SQLite allows one writer at a time, and a durable commit (fsync) costs about as much as
everything else a request does. So on SQLite one writer thread takes every unit of work that
is waiting, runs each inside its own SAVEPOINT (a failing one rolls back alone), and commits
them all with a single fsync: group commit. Callers are answered only after that commit.

PostgreSQL takes many writers; there each unit of work is its own transaction on a pooled
connection, and `for_update` reads lock the rows they will change.
"""

import asyncio
import queue
import threading
from collections.abc import Callable
from typing import Any, TypeVar

import anyio.to_thread
import sqlalchemy as sa

from invoicegate.services.ports import UnitOfWork
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
    """One transaction per unit of work, on a worker thread (PostgreSQL, and SQLite reads)."""

    def __init__(self, engine: sa.Engine, box: SecretBox) -> None:
        self._engine = engine
        self._box = box

    def run(self, work: Callable[[UnitOfWork], T]) -> T:
        with self._engine.begin() as conn:
            return work(SqlUnitOfWork(conn, self._box))

    async def write(self, work: Callable[[UnitOfWork], T]) -> T:
        return await anyio.to_thread.run_sync(self.run, work)

    async def read(self, work: Callable[[UnitOfWork], T]) -> T:
        return await anyio.to_thread.run_sync(self.run, work)

    def close(self) -> None:
        self._engine.dispose()


class _Job:
    __slots__ = ("future", "loop", "work")

    def __init__(self, work: Work, loop: asyncio.AbstractEventLoop, future: asyncio.Future[Any]):
        self.work = work
        self.loop = loop
        self.future = future


_STOP = object()


class GroupCommitTransactor:
    """SQLite: all writes through one thread that commits waiting units of work together."""

    def __init__(self, writer: sa.Engine, readers: sa.Engine, box: SecretBox) -> None:
        self._writer = writer
        self._readers = PooledTransactor(readers, box)
        self._box = box
        self._queue: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._loop, name="sqlite-writer", daemon=True)
        self._start_lock = threading.Lock()

    async def write(self, work: Callable[[UnitOfWork], T]) -> T:
        if not self._thread.is_alive():
            self._start()
        loop = asyncio.get_running_loop()
        future: asyncio.Future[T] = loop.create_future()
        self._queue.put(_Job(work, loop, future))
        return await future

    async def read(self, work: Callable[[UnitOfWork], T]) -> T:
        return await self._readers.read(work)

    def _start(self) -> None:
        with self._start_lock:
            if not self._thread.is_alive() and self._thread.ident is None:
                self._thread.start()

    def close(self) -> None:
        if self._thread.is_alive():
            self._queue.put(_STOP)
            self._thread.join(timeout=30)
        self._writer.dispose()
        self._readers.close()

    def _loop(self) -> None:
        with self._writer.connect() as conn:
            while True:
                first = self._queue.get()
                if first is _STOP:
                    return
                batch = [first]
                while len(batch) < MAX_BATCH:
                    try:
                        job = self._queue.get_nowait()
                    except queue.Empty:
                        break
                    if job is _STOP:
                        self._queue.put(_STOP)  # finish this batch, then stop
                        break
                    batch.append(job)
                self._run_batch(conn, batch)

    def _run_batch(self, conn: sa.Connection, batch: list[_Job]) -> None:
        outcomes: list[tuple[_Job, bool, Any]] = []
        try:
            with conn.begin():
                uow = SqlUnitOfWork(conn, self._box)
                for job in batch:
                    savepoint = conn.begin_nested()
                    try:
                        result = job.work(uow)
                    except BaseException as error:
                        savepoint.rollback()
                        outcomes.append((job, False, error))
                    else:
                        savepoint.commit()
                        outcomes.append((job, True, result))
        except BaseException as error:  # the commit itself failed: nobody's work landed
            outcomes = [(job, False, error) for job in batch]
        for job, ok, value in outcomes:
            job.loop.call_soon_threadsafe(_settle, job.future, ok, value)


def _settle(future: asyncio.Future[Any], ok: bool, value: Any) -> None:
    if future.cancelled():
        return
    if ok:
        future.set_result(value)
    else:
        future.set_exception(value)


def open_transactor(database_url: str, box: SecretBox) -> GroupCommitTransactor | PooledTransactor:
    if is_sqlite(database_url):
        return GroupCommitTransactor(
            create_engine(database_url, writer=True), create_engine(database_url), box
        )
    return PooledTransactor(create_engine(database_url, pool_size=16), box)
