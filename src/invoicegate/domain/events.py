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
class InvoicePaid(InvoiceEvent):
    name: ClassVar[str] = "invoice.paid"
