"""Publishing domain events: the unit of work turns them into outbox rows before it commits.

Use cases never write outbox rows themselves. A change records events on the invoice it
returns (domain/events.py); after the use case's work, still inside its transaction, every
event goes to every subscriber, and the callback jobs they format are added to the outbox.
So a job exists exactly when the change it reports was committed.
"""

from collections.abc import Callable, Sequence
from typing import Protocol, TypeVar

from invoicegate.domain.callbacks import NewCallbackJob
from invoicegate.domain.events import InvoiceEvent
from invoicegate.domain.merchant import Credential
from invoicegate.services.ports import Transactor, UnitOfWork

T = TypeVar("T")


class Subscriber(Protocol):
    # The event types it formats; others never reach it. Asking for the origin credential
    # costs a read per event, so only subscribers that route by it say they need it.
    topics: frozenset[str]
    needs_origin: bool

    def jobs_for(
        self, event: InvoiceEvent, origin: Credential | None, uow: UnitOfWork
    ) -> list[NewCallbackJob]:
        """The jobs this event needs, one per destination; `origin` is the credential the
        invoice was created with (None for an operator's invoice)."""


class Audience:
    """Who hears each event type, worked out once rather than for every event."""

    def __init__(self, subscribers: Sequence[Subscriber]) -> None:
        self._by_topic = {
            topic: [s for s in subscribers if topic in s.topics]
            for topic in {topic for s in subscribers for topic in s.topics}
        }
        self._origin_read_for = {
            t for t, heard in self._by_topic.items() if any(s.needs_origin for s in heard)
        }

    def of(self, topic: str) -> Sequence[Subscriber]:
        return self._by_topic.get(topic, ())

    def needs_origin(self, topic: str) -> bool:
        return topic in self._origin_read_for


def publish(uow: UnitOfWork, audience: Audience) -> int:
    """Add the jobs for every event recorded in this unit of work; how many were added."""
    added = 0
    for event in uow.invoices.collect_events():
        credential_id = event.invoice.credential_id
        origin = None
        if credential_id and audience.needs_origin(event.name):
            origin = uow.merchants.get_credential(credential_id)
        for subscriber in audience.of(event.name):
            for job in subscriber.jobs_for(event, origin, uow):
                uow.outbox.add(job, event.at)
                added += 1
    return added


class PublishingTransactor:
    """A transactor whose every write publishes the events its changes recorded.

    Listeners (an in-process worker) hear after the commit that jobs were queued, so they
    need not wait for their next poll.
    """

    def __init__(self, inner: Transactor, subscribers: Sequence[Subscriber]) -> None:
        self.inner = inner
        self._audience = Audience(subscribers)
        self._listeners: list[Callable[[], None]] = []

    def on_jobs_queued(self, listener: Callable[[], None]) -> None:
        self._listeners.append(listener)

    async def write(self, work: Callable[[UnitOfWork], T], *, optimistic: bool = False) -> T:
        queued = 0

        def unit(uow: UnitOfWork) -> T:
            nonlocal queued
            result = work(uow)
            queued = publish(uow, self._audience)
            return result

        # An optimistic unit whose events need an outbox job is run again in a transaction.
        result = await self.inner.write(unit, optimistic=optimistic)
        if queued:
            for listener in self._listeners:
                listener()
        return result

    async def read(self, work: Callable[[UnitOfWork], T]) -> T:
        return await self.inner.read(work)

    async def lookup(self, work: Callable[[UnitOfWork], T], *, one_statement: bool = False) -> T:
        return await self.inner.lookup(work, one_statement=one_statement)

    # The store's transactors hold connections; fakes do not, hence the lookups.
    def close(self) -> None:
        """Close the inner transactor (code with no write in flight)."""
        close = getattr(self.inner, "close", None)
        if close is not None:
            close()

    async def aclose(self) -> None:
        """Shut the inner transactor down, answering every write still waiting."""
        aclose = getattr(self.inner, "aclose", None)
        if aclose is not None:
            await aclose()
