"""Webhook endpoint use cases of the native API: manage a merchant's endpoints, read their
deliveries. The secret is made here and shown once, in what `create` returns."""

import base64
import secrets
from dataclasses import dataclass, replace
from datetime import datetime

from invoicegate.domain.callbacks import CallbackJob, DeliveryAttempt
from invoicegate.domain.errors import (
    InvalidInput,
    TooManyWebhookEndpoints,
    WebhookEndpointNotFound,
)
from invoicegate.domain.events import EVENT_TYPES
from invoicegate.domain.webhooks import MAX_ENDPOINTS, SECRET_PREFIX, WebhookEndpoint
from invoicegate.services import ids
from invoicegate.services.invoices import utc_now
from invoicegate.services.merchants import NATIVE
from invoicegate.services.ports import MAX_PAGE_SIZE, Clock, Transactor, UnitOfWork

SECRET_BYTES = 32  # Standard Webhooks asks for 24 to 64 random bytes


def new_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


@dataclass(frozen=True, slots=True)
class EndpointChanges:
    """A partial change; None keeps a field. `description` may be cleared."""

    url: str | None = None
    events: tuple[str, ...] | None = None
    enabled: bool | None = None
    description: str | None = None
    clear_description: bool = False


@dataclass(frozen=True, slots=True)
class Delivery:
    """One message to an endpoint, with every attempt to deliver it."""

    job: CallbackJob
    attempts: list[DeliveryAttempt]


class WebhookService:
    def __init__(self, transactor: Transactor, clock: Clock = utc_now) -> None:
        self._tx = transactor
        self._clock = clock

    async def create(
        self, merchant_id: str, url: str, events: tuple[str, ...], description: str | None
    ) -> WebhookEndpoint:
        """A new enabled endpoint; the one answer holding its secret."""
        _check_events(events)

        def work(uow: UnitOfWork) -> WebhookEndpoint:
            if len(uow.webhooks.of_merchant(merchant_id)) >= MAX_ENDPOINTS:
                raise TooManyWebhookEndpoints
            now = self._clock()
            endpoint = WebhookEndpoint(
                id=ids.new_id(),
                merchant_id=merchant_id,
                url=url,
                events=_ordered(events),
                description=description,
                enabled=True,
                secret=new_secret(),
                created_at=now,
                updated_at=now,
            )
            uow.webhooks.add(endpoint)
            return endpoint

        return await self._tx.write(work)

    async def list_endpoints(self, merchant_id: str) -> list[WebhookEndpoint]:
        return await self._tx.read(lambda uow: uow.webhooks.of_merchant(merchant_id))

    async def get(self, merchant_id: str, endpoint_id: str) -> WebhookEndpoint:
        return await self._tx.read(lambda uow: _owned(uow, merchant_id, endpoint_id))

    async def update(
        self, merchant_id: str, endpoint_id: str, changes: EndpointChanges
    ) -> WebhookEndpoint:
        if changes.events is not None:
            _check_events(changes.events)

        def work(uow: UnitOfWork) -> WebhookEndpoint:
            current = _owned(uow, merchant_id, endpoint_id)
            enabled = current.enabled if changes.enabled is None else changes.enabled
            description = current.description
            if changes.clear_description:
                description = None
            elif changes.description is not None:
                description = changes.description
            changed = replace(
                current,
                url=changes.url or current.url,
                events=_ordered(changes.events) if changes.events else current.events,
                description=description,
                enabled=enabled,
                # Set by hand either way: why the service once disabled it no longer holds.
                disabled_reason=None if changes.enabled is not None else current.disabled_reason,
                updated_at=self._clock(),
            )
            uow.webhooks.save(changed)
            if changed.url != current.url:  # queued messages follow the endpoint
                uow.outbox.redirect(NATIVE, endpoint_id, changed.url)
            return changed

        return await self._tx.write(work)

    async def delete(self, merchant_id: str, endpoint_id: str) -> None:
        """Gone for good; its queued messages fail when next due (there is no key to sign)."""

        def work(uow: UnitOfWork) -> None:
            _owned(uow, merchant_id, endpoint_id)
            uow.webhooks.delete(endpoint_id)

        await self._tx.write(work)

    async def deliveries(
        self, merchant_id: str, endpoint_id: str, before_id: int | None, limit: int
    ) -> tuple[list[Delivery], bool]:
        """One keyset page of the endpoint's messages, newest first, and whether more follow."""
        if not 1 <= limit <= MAX_PAGE_SIZE:
            raise InvalidInput([("limit", f"must be 1 to {MAX_PAGE_SIZE}")])

        def work(uow: UnitOfWork) -> list[Delivery]:
            _owned(uow, merchant_id, endpoint_id)
            jobs = uow.outbox.destination_jobs(NATIVE, endpoint_id, before_id, limit + 1)
            attempts = uow.outbox.attempts_of([job.id for job in jobs[:limit]])
            return [Delivery(job, attempts.get(job.id, [])) for job in jobs]

        found = await self._tx.read(work)
        return found[:limit], len(found) > limit


def disable(endpoint: WebhookEndpoint, reason: str, at: datetime) -> WebhookEndpoint:
    return replace(endpoint, enabled=False, disabled_reason=reason, updated_at=at)


def _owned(uow: UnitOfWork, merchant_id: str, endpoint_id: str) -> WebhookEndpoint:
    """The endpoint if it is this merchant's; another merchant's is simply not found."""
    endpoint = uow.webhooks.get(endpoint_id)
    if endpoint is None or endpoint.merchant_id != merchant_id:
        raise WebhookEndpointNotFound
    return endpoint


def _check_events(events: tuple[str, ...]) -> None:
    unknown = [(f"enabled_events[{i}]", "is not an event type") for i, e in enumerate(events)
               if e not in EVENT_TYPES]  # fmt: skip
    if not events:
        unknown.append(("enabled_events", "must name at least one event type"))
    if unknown:
        raise InvalidInput(unknown)


def _ordered(events: tuple[str, ...]) -> tuple[str, ...]:
    """Each type once, in the order of an invoice's life (EVENT_TYPES)."""
    return tuple(e for e in EVENT_TYPES if e in events)
