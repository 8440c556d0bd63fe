"""The callback worker: claims due jobs from the outbox, delivers them concurrently, logs each.

It runs inside `invoicegate serve` or as `invoicegate worker`; any number may share one
database. Between claims it also sweeps for passed expiries (services/expiry.py), whose
`invoice.expired` jobs it then delivers like any other. Each claimed job is leased, so no
two workers deliver it at once, and a job whose worker died mid-delivery comes due again
when the lease runs out. Deliveries run side by side up to a bound, so a slow or dead
merchant holds one slot, never the queue.
"""

import asyncio
import logging
import time
import uuid
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx

from invoicegate.callbacks.guard import GuardedTransport
from invoicegate.callbacks.sender import Sender
from invoicegate.domain.callbacks import AttemptResult, CallbackJob, after_failure
from invoicegate.runtime import Runtime
from invoicegate.services.callbacks import CallbackFormat
from invoicegate.services.invoices import utc_now
from invoicegate.services.ports import Clock, Transactor, UnitOfWork

log = logging.getLogger("invoicegate.callbacks")
NOT_SENT = "not sent: the destination was deleted or disabled"


@dataclass(frozen=True, slots=True)
class WorkerConfig:
    retry_delays: Sequence[float]
    lease_seconds: float
    concurrency: int
    poll_seconds: float


@dataclass(frozen=True, slots=True)
class Claimed:
    job: CallbackJob
    signing_key: str | None


class CallbackWorker:
    def __init__(
        self,
        transactor: Transactor,
        formats: Mapping[str, CallbackFormat],
        sender: Sender,
        config: WorkerConfig,
        clock: Clock = utc_now,
        sweep: Callable[[], Awaitable[int]] | None = None,
    ) -> None:
        self._tx = transactor
        self._sweep = sweep
        self._swept_at = -float("inf")  # time.monotonic() of the last sweep
        self._formats = formats
        self._sender = sender
        self._config = config
        self._clock = clock
        self._wake = asyncio.Event()
        self._stopping = False
        self._deliveries: set[asyncio.Task[None]] = set()

    def wake(self) -> None:
        """Look for due jobs now (jobs were just queued), not at the next poll."""
        self._wake.set()

    async def run(self) -> None:
        """Claim and deliver until stopped; a failing database is logged and retried."""
        while not self._stopping:
            await self._sweep_now_and_then()
            claimed = 0
            try:
                claimed = await self.claim_and_start()
            except Exception as error:  # the database is away: keep polling until it is back
                # No traceback: a database error's text may carry the rows' values.
                log.error("claiming callback jobs failed: %s", type(error).__name__)
            free = self._config.concurrency - len(self._deliveries)
            if claimed and free > 0:
                continue  # there may be more due right now
            self._wake.clear()
            waiters: set[asyncio.Future[Any]] = {
                asyncio.ensure_future(self._wake.wait()),
                *self._deliveries,  # a finished delivery frees a slot
            }
            try:
                await asyncio.wait(
                    waiters, timeout=self._config.poll_seconds, return_when="FIRST_COMPLETED"
                )
            finally:
                for waiter in waiters:
                    if waiter not in self._deliveries:
                        waiter.cancel()

    async def _sweep_now_and_then(self) -> None:
        """Announce passed expiries, at most once per poll interval."""
        if self._sweep is None or time.monotonic() - self._swept_at < self._config.poll_seconds:
            return
        self._swept_at = time.monotonic()
        try:
            await self._sweep()
        except Exception as error:  # the database is away: the next sweep tries again
            log.error("announcing expiries failed: %s", type(error).__name__)

    async def claim_and_start(self) -> int:
        """Claim what fits in the free slots and start delivering it; how many were claimed."""
        free = self._config.concurrency - len(self._deliveries)
        if free <= 0:
            return 0
        now = self._clock()
        if not await self._tx.read(lambda uow: uow.outbox.has_due(now)):
            return 0
        lease_until = now + timedelta(seconds=self._config.lease_seconds)
        token = uuid.uuid4().hex

        def claim(uow: UnitOfWork) -> list[Claimed]:
            jobs = uow.outbox.claim(now, lease_until, token, free)
            return [Claimed(job, self._signing_key(job, uow)) for job in jobs]

        batch = await self._tx.write(claim)
        for claimed in batch:
            task = asyncio.create_task(self._deliver(claimed))
            self._deliveries.add(task)
            task.add_done_callback(self._deliveries.discard)
        return len(batch)

    async def stop(self, grace_seconds: float = 5.0) -> None:
        """Stop claiming; let deliveries in flight finish for a while, then give them back."""
        self._stopping = True
        self._wake.set()
        if self._deliveries:
            await asyncio.wait(set(self._deliveries), timeout=grace_seconds)
        for task in list(self._deliveries):
            task.cancel()
        if self._deliveries:
            await asyncio.wait(set(self._deliveries))
        await self._sender.aclose()

    async def drain(self) -> None:
        """Wait for the deliveries in flight (for tests and one-shot runs)."""
        while self._deliveries:
            await asyncio.wait(set(self._deliveries))

    def _signing_key(self, job: CallbackJob, uow: UnitOfWork) -> str | None:
        fmt = self._formats.get(job.dialect)
        return fmt.signing_key(job, uow) if fmt is not None else None

    async def _deliver(self, claimed: Claimed) -> None:
        job = claimed.job
        fmt = self._formats.get(job.dialect)
        try:
            if fmt is None:
                result = AttemptResult(job.url, 0.0, error=f"no callback format for {job.dialect}")
            elif fmt.requires_key and claimed.signing_key is None:
                # Deleted or disabled: nothing may be sent, and retrying cannot change that.
                result = AttemptResult(job.url, 0.0, error=NOT_SENT)
            else:
                headers = fmt.headers(job, claimed.signing_key, self._clock())
                result = await self._sender.post(job.url, job.body, headers, fmt.acknowledged)
        except asyncio.CancelledError:
            await asyncio.shield(self._give_back(job))
            raise
        await self._settle(job, fmt, result)

    async def _settle(
        self, job: CallbackJob, fmt: CallbackFormat | None, result: AttemptResult
    ) -> None:
        now = self._clock()
        retry_at = None
        gone = fmt is not None and fmt.gone(result.status)
        if not result.acknowledged and fmt is not None and not gone and result.error != NOT_SENT:
            retry_at = after_failure(job.attempts, self._config.retry_delays, fmt.max_retries, now)

        def record(uow: UnitOfWork) -> bool:
            kept = uow.outbox.finish(job, result, now, retry_at)
            if kept and gone and fmt is not None:
                fmt.destination_gone(job, uow, now)  # e.g. 410: the endpoint is disabled
            return kept

        try:
            kept = await self._tx.write(record)
        except Exception as error:
            # The lease runs out and the job is delivered again: at least once, never lost.
            log.error(
                "recording callback attempt failed: %s",
                type(error).__name__,
                extra=_fields(job, result),
            )
            return
        outcome = "delivered" if result.acknowledged else ("retry" if retry_at else "failed")
        if gone:
            outcome = "failed, destination gone"
        if not kept:
            outcome = "lease lost"
        log.info("callback %s", outcome, extra=_fields(job, result))

    async def _give_back(self, job: CallbackJob) -> None:
        try:
            await self._tx.write(lambda uow: uow.outbox.release(job, self._clock()))
        except Exception as error:
            log.error("giving back callback job %s failed (%s)", job.id, type(error).__name__)


def _fields(job: CallbackJob, result: AttemptResult) -> dict[str, object]:
    return {
        "fields": {
            "job_id": job.id,
            "dialect": job.dialect,
            "attempt": job.attempts,
            "status": result.status,
            "latency_ms": result.latency_ms,
            "error": result.error,
        }
    }


def worker_for(
    runtime: Runtime, transport: httpx.AsyncBaseTransport | None = None
) -> CallbackWorker:
    """A worker on the runtime's database and formats, woken whenever a write queues jobs.

    `transport` replaces the network (tests); by default requests go through the guard.
    """
    settings = runtime.settings
    if transport is None:
        transport = GuardedTransport(
            httpx.AsyncHTTPTransport(), public_only=settings.callback_public_only
        )
    worker = CallbackWorker(
        runtime.transactor,
        runtime.callback_formats,
        Sender(transport, settings.callback_timeout_seconds),
        WorkerConfig(
            retry_delays=settings.callback_retry_delays,
            lease_seconds=settings.callback_lease_seconds,
            concurrency=settings.callback_concurrency,
            poll_seconds=settings.callback_poll_seconds,
        ),
        runtime.clock,
        sweep=runtime.expiries.announce_expiries,
    )
    runtime.transactor.on_jobs_queued(worker.wake)
    return worker
