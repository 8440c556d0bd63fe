"""Paylink merchant API wire ↔ invoice core: bodies to commands, invoices to wire objects."""

from collections.abc import Sequence
from datetime import UTC, date
from decimal import Decimal
from typing import Any

from invoicegate.dialects.jsonwire import priced_items, wire_amount
from invoicegate.dialects.paylink.schemas import CreateInvoiceBody, ItemIn, UpdateInvoiceBody
from invoicegate.domain.invoice import (
    Customer,
    Invoice,
    InvoiceChanges,
    InvoiceTerms,
    ItemSpec,
)
from invoicegate.domain.money import Currency, MoneyError, parse_minor_units
from invoicegate.edge.errors import BadInput, Problem


def update_changes(body: UpdateInvoiceBody) -> InvoiceChanges:
    """A full replacement of items, total, due date and currency (§2: all four required)."""
    currency, items = _priced_items(body.items, body.totalAmount, body.currency)
    return InvoiceChanges(items=items, currency=currency, due_date=body.dueDate)


def plain_update_changes(body: dict[str, Any]) -> InvoiceChanges | None:
    """`update_changes` of a body `schemas.plain_update` took, all its amounts integers;
    None when an amount is refused or the total is not the items' sum (the models' path
    then gives the answer, with its messages)."""
    currency = Currency.of(body["currency"])
    try:
        items = [
            ItemSpec(
                item["description"], item["quantity"], parse_minor_units(item["price"], currency)
            )
            for item in body["items"]
        ]
        total = parse_minor_units(body["totalAmount"], currency)
    except MoneyError:
        return None
    if total != sum(item.quantity * item.unit_price for item in items):
        return None
    return InvoiceChanges(items=items, currency=currency, due_date=body["dueDate"])


def create_terms(body: CreateInvoiceBody) -> InvoiceTerms:
    currency, items = _priced_items(body.items, body.totalAmount, body.currency)
    return InvoiceTerms(
        reference=body.invoiceNumber,
        customer=Customer(
            name=body.customerInfo.customerName, phone=body.customerInfo.customerPhone
        ),
        items=items,
        currency=currency,
        due_date=body.dueDate,
        callback_url=body.callbackUrl,
    )


def _priced_items(
    wire_items: Sequence[ItemIn], total_amount: Decimal, code: str
) -> tuple[Currency, list[ItemSpec]]:
    """Items in minor units, refusing excess decimals and a total that is not their sum."""
    currency = Currency.of(code)
    problems: list[Problem] = []
    lines = [(item.description, item.quantity, item.price) for item in wire_items]
    items = priced_items(lines, "items", total_amount, "totalAmount", currency, problems)
    if problems:
        raise BadInput(problems)
    return currency, items


def invoice_json(invoice: Invoice, public_url: str) -> dict[str, Any]:
    """The invoice as §2's get answers it; status is lower-case."""
    currency = invoice.currency
    return {
        "invoiceId": invoice.id,
        "merchantId": invoice.merchant_id,
        "invoiceNumber": invoice.reference,
        "date": _utc_date(invoice).isoformat(),
        "dueDate": invoice.due_date.isoformat() if invoice.due_date else None,
        "items": [
            {
                "description": item.name,
                "quantity": item.quantity,
                "price": wire_amount(item.unit_price, currency),
            }
            for item in invoice.items
        ],
        "totalAmount": wire_amount(invoice.total, currency),
        "currency": currency.code,
        "customerInfo": {
            "customerName": invoice.customer.name,
            "customerPhone": invoice.customer.phone,
        },
        "invoicePaymentUrl": f"{public_url}/{invoice.checkout_slug}",
        "callbackUrl": invoice.callback_url,
        "status": invoice.status.value,
    }


def _utc_date(invoice: Invoice) -> date:
    return invoice.created_at.astimezone(UTC).date()


def wire_path(domain_path: str) -> str:
    """The core's field names (items[0].unit_price) in this dialect's words."""
    return domain_path.replace("unit_price", "price").replace("reference", "invoiceNumber")
