"""Callback use cases: what a dialect's callback format provides, and the delivery log's
operations (list, show, redeliver)."""

from datetime import datetime
from typing import Protocol

from invoicegate.domain.callbacks import CallbackJob, CallbackState, DeliveryAttempt
from invoicegate.domain.errors import CallbackJobNotFound, CallbackJobPending
from invoicegate.services.events import Subscriber
from invoicegate.services.invoices import utc_now
from invoicegate.services.ports import Clock, JobQuery, Transactor, UnitOfWork


class CallbackFormat(Subscriber, Protocol):
    """A dialect's callbacks: which events become jobs (as a Subscriber), how a job is
    signed when sent, and which answer acknowledges it. Registered at the composition root."""

    dialect: str
    max_retries: int  # retries after the first attempt that the gateway documents
    requires_key: bool  # without its signing key (destination deleted) a job is not sent

    def signing_key(self, job: CallbackJob, uow: UnitOfWork) -> str | None:
        """The secret that signs this job's deliveries, looked up when it is claimed."""

    def headers(self, job: CallbackJob, key: str | None, now: datetime) -> dict[str, str]:
        """Headers for one attempt, signed at the moment it is sent."""

    def acknowledged(self, status: int, answer: bytes) -> bool:
        """Whether the destination's answer means it took the callback."""

    def gone(self, status: int | None) -> bool:
        """Whether the answer means the destination is gone for good: no retry then."""

    def destination_gone(self, job: CallbackJob, uow: UnitOfWork, at: datetime) -> None:
        """Record that the job's destination is gone, with the attempt that said so."""


class GatewayCallback:
    """What the gateways' formats share: they retry whatever the answer, and send a job even
    when its credential is gone (unsigned then, as before there were webhooks)."""

    requires_key = False

    def gone(self, status: int | None) -> bool:
        return False

    def destination_gone(self, job: CallbackJob, uow: UnitOfWork, at: datetime) -> None:
        return None


class UnsignedCallback(GatewayCallback):
    """For formats whose gateway does not sign its callbacks: no key, no extra headers."""

    def signing_key(self, job: CallbackJob, uow: UnitOfWork) -> str | None:
        return None

    def headers(self, job: CallbackJob, key: str | None, now: datetime) -> dict[str, str]:
        return {}


class CallbackService:
    def __init__(self, transactor: Transactor, clock: Clock = utc_now) -> None:
        self._tx = transactor
        self._clock = clock

    async def list_jobs(self, query: JobQuery) -> list[CallbackJob]:
        return await self._tx.read(lambda uow: uow.outbox.jobs(query))

    async def show(self, job_id: int) -> tuple[CallbackJob, list[DeliveryAttempt]]:
        """The job and every attempt made to deliver it."""

        def work(uow: UnitOfWork) -> tuple[CallbackJob, list[DeliveryAttempt]]:
            job = uow.outbox.get(job_id)
            if job is None:
                raise CallbackJobNotFound
            return job, uow.outbox.attempts(job_id)

        return await self._tx.read(work)

    async def redeliver(self, job_id: int) -> CallbackJob:
        """A fresh round for a delivered or failed job: due now, with the full retry budget."""

        def work(uow: UnitOfWork) -> CallbackJob:
            job = uow.outbox.get(job_id)
            if job is None:
                raise CallbackJobNotFound
            if job.state is CallbackState.PENDING:
                raise CallbackJobPending
            uow.outbox.redeliver(job_id, self._clock())
            again = uow.outbox.get(job_id)
            assert again is not None
            return again

        return await self._tx.write(work)
