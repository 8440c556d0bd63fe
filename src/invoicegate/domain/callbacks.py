"""Callback jobs: one message to one merchant destination, its attempts, and when to retry.

A job is written in the transaction of the change it reports (the outbox), then delivered
at least once by a worker: pending until an attempt is acknowledged (delivered) or the
retry budget is spent (failed). Every attempt is kept, with what the destination answered.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from invoicegate.domain.events import InvoiceEvent

MAX_ANSWER_BYTES = 1024  # how much of a destination's answer the delivery log keeps


class CallbackState(StrEnum):
    PENDING = "pending"
    DELIVERED = "delivered"
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class NewCallbackJob:
    """A message a subscriber formatted for one destination, ready for the outbox."""

    topic: str  # the event, e.g. "invoice.paid"
    invoice_id: str
    merchant_id: str
    dialect: str  # whose format delivers it: how it is signed and what acknowledges it
    destination_id: str | None  # the credential (or endpoint) it goes to, whose secret signs it
    url: str
    body: str  # the exact JSON text sent, the same on every attempt

    @classmethod
    def reporting(
        cls, event: InvoiceEvent, dialect: str, destination_id: str | None, url: str, body: str
    ) -> NewCallbackJob:
        """The job that tells one destination about `event`."""
        invoice = event.invoice
        return cls(event.name, invoice.id, invoice.merchant_id, dialect, destination_id, url, body)


@dataclass(frozen=True, slots=True)
class CallbackJob:
    id: int
    topic: str
    invoice_id: str
    merchant_id: str
    dialect: str
    destination_id: str | None
    url: str
    body: str
    state: CallbackState
    attempts: int  # in the current round: a redelivery starts a new one
    next_attempt_at: datetime
    created_at: datetime
    delivered_at: datetime | None = None
    lease_token: str | None = None


@dataclass(frozen=True, slots=True)
class AttemptResult:
    """What one HTTP attempt gave: an answer (status and its start), or an error."""

    url: str
    latency_ms: float
    status: int | None = None
    answer: str | None = None  # the first MAX_ANSWER_BYTES of the body, decoded leniently
    error: str | None = None  # timeout, connection error, or why the destination was refused
    acknowledged: bool = False


@dataclass(frozen=True, slots=True)
class DeliveryAttempt:
    """One line of the delivery log; an attempt with no result was cut off (worker died)."""

    job_id: int
    started_at: datetime
    url: str
    finished_at: datetime | None
    status: int | None
    answer: str | None
    latency_ms: float | None
    error: str | None


def allowed_attempts(delays: Sequence[float], max_retries: int) -> int:
    """The first attempt plus one retry per configured delay, capped by the dialect's count."""
    return 1 + min(len(delays), max_retries)


def after_failure(
    attempts: int, delays: Sequence[float], max_retries: int, now: datetime
) -> datetime | None:
    """When to try again after `attempts` failed attempts in this round, or None to give up."""
    if attempts >= allowed_attempts(delays, max_retries):
        return None
    return now + timedelta(seconds=delays[attempts - 1])
