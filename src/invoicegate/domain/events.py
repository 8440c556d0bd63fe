"""Domain events: what happened to an invoice, recorded by the change that made it happen.

A change records its events on the invoice it returns; the unit of work collects them from
every invoice it stored and turns them into outbox rows in the same transaction, so a
merchant hears of exactly the changes that were committed. Each subscriber (a dialect's
callback, the native API's webhooks) formats the events it cares about.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, ClassVar

if TYPE_CHECKING:
    from invoicegate.domain.invoice import Invoice


@dataclass(frozen=True, slots=True)
class InvoiceEvent:
    """Something that happened to an invoice; `invoice` is its state right after."""

    name: ClassVar[str]  # the event type on the wire, e.g. "invoice.paid"
    invoice: Invoice
    at: datetime


@dataclass(frozen=True, slots=True)
class InvoiceCreated(InvoiceEvent):
    name: ClassVar[str] = "invoice.created"


@dataclass(frozen=True, slots=True)
class InvoiceUpdated(InvoiceEvent):
    name: ClassVar[str] = "invoice.updated"


@dataclass(frozen=True, slots=True)
class InvoicePaid(InvoiceEvent):
    name: ClassVar[str] = "invoice.paid"


@dataclass(frozen=True, slots=True)
class InvoiceCancelled(InvoiceEvent):
    name: ClassVar[str] = "invoice.cancelled"


@dataclass(frozen=True, slots=True)
class InvoiceExpired(InvoiceEvent):
    """Nothing writes when an invoice's expiry passes: the expiry sweep records this one,
    once per expiry (services/expiry.py, decision 0019)."""

    name: ClassVar[str] = "invoice.expired"


# Every event type, in the order an invoice's life runs: what a webhook may subscribe to.
EVENT_TYPES: tuple[str, ...] = tuple(
    kind.name
    for kind in (InvoiceCreated, InvoiceUpdated, InvoicePaid, InvoiceCancelled, InvoiceExpired)
)
