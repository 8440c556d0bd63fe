"""The native API's bodies and answers as Pydantic models: they validate, render and document.

Money is integer minor units of the invoice's ISO-4217 currency (IDR 260000, SAR 5200.00 as
520000), as Stripe does: no decimals on the wire, so nothing is ever rounded.
"""

from datetime import UTC, date, datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field, Strict
from pydantic_core import PydanticCustomError

from invoicegate.dialects.jsonwire import CurrencyCode, HttpUrl, text
from invoicegate.domain.invoice import MAX_ITEMS, MAX_QUANTITY
from invoicegate.domain.money import MAX_MINOR_UNITS
from invoicegate.services.ports import MAX_PAGE_SIZE


def _storable_instant(value: datetime) -> datetime:
    """An aware instant whose UTC form exists (year 1..9999): 9999-12-31T23:00-05:00 does not."""
    try:
        return value.astimezone(UTC)
    except OverflowError:
        raise PydanticCustomError("datetime", "is out of range") from None


def _storable_date(value: date) -> date:
    if not 1900 <= value.year <= 9999:
        raise PydanticCustomError("date", "must be in the years 1900 to 9999")
    return value


Instant = Annotated[AwareDatetime, AfterValidator(_storable_instant)]
Day = Annotated[date, AfterValidator(_storable_date)]
MinorUnits = Annotated[int, Strict(), Field(ge=0, le=MAX_MINOR_UNITS)]
Quantity = Annotated[int, Strict(), Field(ge=1, le=MAX_QUANTITY)]
Email = Annotated[str, Field(max_length=255, pattern=r"^[^@\s\x00]+@[^@\s\x00]+$")]
Phone = Annotated[str, Field(pattern=r"^\+?[0-9]{5,20}$")]
Reference = text(128)
Name = text(255)
Channel = Annotated[str, Field(pattern=r"^[A-Za-z0-9_.-]{1,32}$")]
Status = Literal["unpaid", "paid", "cancelled"]


class Body(BaseModel):
    # Strict and closed: a misspelt field is an error here, not silently dropped.
    model_config = ConfigDict(extra="forbid", strict=True)


class ItemIn(Body):
    name: Name  # type: ignore[valid-type]
    quantity: Quantity
    unit_price: MinorUnits = Field(description="minor units of the invoice's currency")


class CustomerIn(Body):
    name: Name  # type: ignore[valid-type]
    email: Email | None = None
    phone: Phone | None = None


class CreateInvoice(Body):
    """A new invoice. Its reference is unique among the merchant's live invoices."""

    reference: Reference  # type: ignore[valid-type]
    customer: CustomerIn
    items: Annotated[list[ItemIn], Field(min_length=1, max_length=MAX_ITEMS)]
    currency: CurrencyCode
    back_url: HttpUrl | None = None
    expires_at: Instant | None = Field(None, description="after this it can no longer be paid")
    due_date: Day | None = None


class CustomerPatch(Body):
    name: Name | None = None  # type: ignore[valid-type]
    email: Email | None = None
    phone: Phone | None = None


class InvoicePatch(Body):
    """A JSON merge patch (RFC 7396): absent keeps a field, null clears it where allowed."""

    reference: Reference | None = None  # type: ignore[valid-type]
    customer: CustomerPatch | None = None
    items: Annotated[list[ItemIn], Field(min_length=1, max_length=MAX_ITEMS)] | None = None
    currency: CurrencyCode | None = None
    back_url: HttpUrl | None = None
    expires_at: Instant | None = None
    due_date: Day | None = None


class RecordPayment(Body):
    """A payment received outside invoicegate; the core takes whole payments only."""

    amount: MinorUnits = Field(description="must equal the invoice's total")
    channel: Channel = Field(description="how it was paid, e.g. bank_transfer, cash, BSI")
    reference: Reference = Field(description="your reference of the payment")  # type: ignore[valid-type]


EventType = Literal[
    "invoice.created", "invoice.updated", "invoice.paid", "invoice.cancelled", "invoice.expired"
]
EventTypes = Annotated[list[EventType], Field(min_length=1, max_length=5)]
Description = text(500)


class CreateWebhookEndpoint(Body):
    """Where to send events; the answer holds the signing secret, that once only."""

    url: HttpUrl = Field(description="http(s); with INVOICEGATE_CALLBACK_PUBLIC_ONLY public only")
    enabled_events: EventTypes = Field(description="the event types to send here")
    description: Description | None = None  # type: ignore[valid-type]


class WebhookEndpointPatch(Body):
    """A JSON merge patch: absent keeps a field; only `description` may be null (cleared)."""

    url: HttpUrl | None = None
    enabled_events: EventTypes | None = None
    enabled: bool | None = Field(None, description="false stops deliveries, queued ones too")
    description: Description | None = None  # type: ignore[valid-type]


class NoQuery(BaseModel):
    """For lists that take no parameters: any given is an error, not silently ignored."""

    model_config = ConfigDict(extra="forbid")


class PageQuery(BaseModel):
    """Position of a keyset page; a limit above the cap is served as the cap."""

    model_config = ConfigDict(extra="forbid")

    limit: Annotated[int, Field(ge=1)] = Field(20, description=f"capped at {MAX_PAGE_SIZE}")
    cursor: Annotated[str, Field(max_length=200)] | None = Field(
        None, description="`next_cursor` of the previous page"
    )


class ListQuery(BaseModel):
    """Filters and position of `GET /v1/invoices`; a limit above the cap is served as the cap."""

    model_config = ConfigDict(extra="forbid")

    status: Status | None = None
    reference: Reference | None = None  # type: ignore[valid-type]
    created_gte: Instant | None = Field(None, description="created at or after")
    created_lt: Instant | None = Field(None, description="created before")
    customer: text(255) | None = Field(  # type: ignore[valid-type]
        None, description="any part of the customer's name, email or phone"
    )
    limit: Annotated[int, Field(ge=1)] = Field(20, description=f"capped at {MAX_PAGE_SIZE}")
    cursor: Annotated[str, Field(max_length=200)] | None = Field(
        None, description="`next_cursor` of the previous page"
    )


# --- answers ------------------------------------------------------------------------------


class Answer(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ItemOut(Answer):
    id: str
    name: str
    quantity: int
    unit_price: int
    total: int


class CustomerOut(Answer):
    name: str
    email: str
    phone: str


class PaymentOut(Answer):
    id: str
    channel: str
    code: str
    reference: str
    amount: int
    fee: int
    net: int
    paid_at: datetime


class InvoiceOut(Answer):
    id: str
    reference: str
    status: Status
    expired: bool = Field(description="unpaid and past expires_at: it can no longer be paid")
    currency: str
    total: int = Field(description="minor units")
    items: list[ItemOut]
    customer: CustomerOut
    back_url: str | None
    expires_at: datetime | None
    due_date: date | None
    checkout_url: str = Field(description="the hosted payment page of the invoice")
    payment: PaymentOut | None
    version: int = Field(description="grows by one with every change; the ETag is derived from it")
    created_at: datetime
    updated_at: datetime


class InvoicePage(Answer):
    data: list[InvoiceOut]
    has_more: bool
    next_cursor: str | None


class FieldChangeOut(Answer):
    pointer: str = Field(description='JSON pointer into the invoice; "" is all of it')
    before: Any
    after: Any


class RevisionOut(Answer):
    version: int
    action: str = Field(description="created, updated, cancelled, paid, ...")
    at: datetime
    by: str = Field(description="the public id of the credential or API key, or who else acted")
    dialect: str = Field(description="the API it came through: native, winpay, paylink, ...")
    changes: list[FieldChangeOut]


class RevisionList(Answer):
    data: list[RevisionOut]


class WebhookEndpointOut(Answer):
    id: str
    url: str
    enabled_events: list[EventType]
    description: str | None
    enabled: bool
    disabled_reason: str | None = Field(
        description="why the service disabled it (a 410 Gone answer); null otherwise"
    )
    created_at: datetime
    updated_at: datetime


class NewWebhookEndpointOut(WebhookEndpointOut):
    secret: str | None = Field(
        description="`whsec_` + base64 key that signs every delivery; shown in this answer "
        "only: a replay of the request with its Idempotency-Key has null here"
    )


class WebhookEndpointList(Answer):
    data: list[WebhookEndpointOut]


class AttemptOut(Answer):
    started_at: datetime
    finished_at: datetime | None = Field(description="null while running, or if cut off")
    url: str
    status: int | None = Field(description="the endpoint's HTTP status; null if none came")
    answer: str | None = Field(description="the start of the endpoint's answer (1 KiB)")
    latency_ms: float | None
    error: str | None = Field(description="timeout, connection error, or why it was not sent")


class DeliveryOut(Answer):
    id: str = Field(description="the `webhook-id` header: the same on every retry")
    event_type: EventType
    invoice_id: str
    status: Literal["pending", "delivered", "failed"]
    created_at: datetime
    next_attempt_at: datetime | None = Field(description="when it is tried next, if pending")
    delivered_at: datetime | None
    attempts: list[AttemptOut] = Field(description="oldest first")


class DeliveryPage(Answer):
    data: list[DeliveryOut]
    has_more: bool
    next_cursor: str | None


class ProblemItem(Answer):
    pointer: str | None = Field(None, description="JSON pointer into the request body")
    parameter: str | None = Field(None, description="a query parameter")
    header: str | None = Field(None, description="a request header")
    detail: str


class Problem(BaseModel):
    """RFC 9457 problem details; `type` is stable per kind of problem."""

    model_config = ConfigDict(extra="allow")

    type: str
    title: str
    status: int
    detail: str
    errors: list[ProblemItem] | None = None
