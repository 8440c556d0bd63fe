"""Winpay wire ↔ invoice core: bodies to commands, invoices and errors to the Winpay envelope."""

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from pydantic import ValidationError

from invoicegate.dialects.jsonwire import field_path
from invoicegate.dialects.winpay.schemas import (
    RUPIAH,
    CreateInvoiceBody,
    CustomerIn,
    InvoiceIn,
    UpdateInvoiceBody,
)
from invoicegate.domain.invoice import (
    Customer,
    Invoice,
    InvoiceChanges,
    InvoiceStatus,
    InvoiceTerms,
    ItemSpec,
)
from invoicegate.edge.errors import Problem

_JAKARTA_OFFSET = timedelta(hours=7)
_ZERO, _ONE_SECOND = timedelta(0), timedelta(seconds=1)
JAKARTA = timezone(_JAKARTA_OFFSET, "WIB")  # Indonesia has no daylight saving time


def jakarta_iso(moment: datetime) -> str:
    """`responseDate` style: 2023-10-25T14:12:14+07:00.

    Every answer dates itself with the clock, so within one second they all write the same
    text: the last one is kept (`isoformat` cost ~2 µs an answer)."""
    last_second, last_text = _last_response_date[0]
    # A UTC instant less than a second past the last UTC second written is in that second:
    # a subtraction and two comparisons, where `replace(microsecond=0)` (a keyword call) cost
    # ~1.7 µs more in the service (decision 0034).
    if (
        moment.tzinfo is UTC
        and last_second is not None
        and last_second.tzinfo is UTC
        and _ZERO <= moment - last_second < _ONE_SECOND
    ):
        return last_text
    second = moment.replace(microsecond=0)
    if last_second == second:
        return last_text
    text = second.astimezone(JAKARTA).isoformat()
    _last_response_date[0] = (second, text)
    return text


# The last instant (to the second) jakarta_iso wrote, and its text.
_last_response_date: list[tuple[datetime | None, str]] = [(None, "")]


def jakarta_plain(moment: datetime) -> str:
    """`created_at` style: 2023-10-25 14:12:14 (Jakarta time, no offset)."""
    if moment.tzinfo is UTC:  # every instant the store and the clock give
        # The UTC instant moved by Jakarta's fixed offset is Jakarta's wall time (decision
        # 0028), written field by field: `isoformat` (or `str`) cost ~5.2 µs in the service
        # against ~3.1 this way (decision 0034).
        wall = moment + _JAKARTA_OFFSET
        return "%04d-%02d-%02d %02d:%02d:%02d" % (  # noqa: UP031
            wall.year, wall.month, wall.day, wall.hour, wall.minute, wall.second
        )  # fmt: skip
    return moment.astimezone(JAKARTA).replace(tzinfo=None).isoformat(" ", "seconds")


def _customer(customer: CustomerIn) -> Customer:
    return Customer(name=customer.name, phone=customer.phone, email=customer.email or "")


def _items(invoice: InvoiceIn) -> list[ItemSpec]:
    return [ItemSpec(p.name, p.qty, p.price) for p in invoice.products]


def create_terms(body: CreateInvoiceBody, now: datetime) -> InvoiceTerms:
    return InvoiceTerms(
        reference=body.invoice.ref,
        customer=_customer(body.customer),
        items=_items(body.invoice),
        currency=RUPIAH,
        back_url=body.back_url,
        expires_at=now + timedelta(minutes=body.interval),
    )


def update_changes(body: UpdateInvoiceBody, now: datetime) -> InvoiceChanges:
    """An update replaces customer, ref, products and back URL; validity only if sent."""
    return InvoiceChanges(
        reference=body.invoice.ref,
        customer=_customer(body.customer),
        items=_items(body.invoice),
        currency=RUPIAH,  # the prices are rupiah: they never travel without their currency
        back_url=body.back_url,
        expires_at=now + timedelta(minutes=body.interval) if body.interval else None,
    )


def invoice_data(invoice: Invoice, public_url: str, *, with_status: bool) -> dict[str, Any]:
    """`responseData` for one invoice; amounts are whole rupiah integers."""
    data: dict[str, Any] = {
        "id": invoice.id,
        "ref": invoice.reference,
        "created_at": jakarta_plain(invoice.created_at),
        "redirect_url": f"{public_url}/{invoice.checkout_slug}",
        "back_url": invoice.back_url,
        "customer": {
            "name": invoice.customer.name,
            "email": invoice.customer.email,
            "phone": invoice.customer.phone,
        },
        "products": [
            {"uuid": item.id, "name": item.name, "qty": item.quantity, "price": item.unit_price}
            for item in invoice.items
        ],
    }
    if with_status:
        data["status"] = "PAID" if invoice.status is InvoiceStatus.PAID else "UNPAID"
        payment = invoice.payment
        if payment is not None:
            data["payment"] = {
                "uuid": payment.id,
                "channel": payment.channel,
                "code": payment.code,
                "payment_ref": payment.payment_ref,
                "paid_amount": str(payment.amount),
                "fee": str(payment.fee),
                "nett": str(payment.nett),
                "created_at": jakarta_plain(payment.paid_at),
                "updated_at": jakarta_plain(payment.paid_at),
            }
    return data


def validation_problems(error: ValidationError) -> list[Problem]:
    """One (field path, reason) per bad field, e.g. (`invoice.products[0].price`, `must …`)."""
    problems: list[Problem] = []
    for problem in error.errors(include_url=False):
        if problem["type"] == "json_invalid":
            problems.append(("body", "must be valid JSON"))
            continue
        message = str(problem["msg"])
        if problem["type"] == "model_type" or problem["type"] == "model_attributes_type":
            message = "must be a JSON object"
        problems.append((field_path(problem["loc"]) or "body", message))
    return problems


# The core's field names, in this dialect's words (for rules the core checks itself).
DOMAIN_PATHS = {"items": "invoice.products", "reference": "invoice.ref"}


def wire_path(domain_path: str) -> str:
    head, dot, rest = domain_path.partition("[")
    wire = DOMAIN_PATHS.get(head, head)
    rest = rest.replace("quantity", "qty").replace("unit_price", "price")
    return wire + (f"[{rest}" if dot else "")
