"""Paylink v2 wire ↔ invoice core: addInvoice to terms, invoices to §3's invoice answer."""

from decimal import Decimal
from typing import Any

from invoicegate.dialects.jsonwire import priced_items, wire_amount
from invoicegate.dialects.paylink_v2.schemas import AddInvoiceBody
from invoicegate.domain.invoice import Customer, Invoice, InvoiceStatus, InvoiceTerms
from invoicegate.domain.money import Currency
from invoicegate.edge.errors import BadInput, Problem

DEFAULT_CURRENCY = "SAR"
MINIMUM_AMOUNT = {"SAR": Decimal("5.00")}  # §3: Paylink refuses less than 5.00 SAR
ORDER_STATUS = {
    InvoiceStatus.UNPAID: "Pending",
    InvoiceStatus.PAID: "Paid",
    InvoiceStatus.CANCELLED: "Canceled",
}


def add_terms(body: AddInvoiceBody) -> InvoiceTerms:
    """`amount` must be the sum of price * qty: the core derives the total from its items."""
    currency = Currency.of(body.currency or DEFAULT_CURRENCY)
    problems: list[Problem] = []
    lines = [(product.title, product.qty, product.price) for product in body.products]
    items = priced_items(lines, "products", body.amount, "amount", currency, problems)
    minimum = MINIMUM_AMOUNT.get(currency.code)
    if minimum is not None and body.amount < minimum:
        problems.append(("amount", f"must be at least {minimum} {currency.code}"))
    if problems:
        raise BadInput(problems)
    return InvoiceTerms(
        reference=body.orderNumber,
        customer=Customer(
            name=body.clientName, phone=body.clientMobile, email=body.clientEmail or ""
        ),
        items=items,
        currency=currency,
        back_url=body.cancelUrl,
        callback_url=body.callBackUrl,
    )


def invoice_answer(invoice: Invoice, public_url: str) -> dict[str, Any]:
    """What addInvoice and getInvoice answer (§3). `gatewayOrderRequest` is rebuilt from
    the invoice as it is now, so a change made through another dialect shows here too;
    fields the core does not keep (note, smsMessage, card brands) come back empty.
    """
    currency = invoice.currency
    amount = wire_amount(invoice.total, currency)
    payment_url = f"{public_url}/{invoice.checkout_slug}"
    payment = invoice.payment
    return {
        "gatewayOrderRequest": {
            "amount": amount,
            "orderNumber": invoice.reference,
            "callBackUrl": invoice.callback_url,
            "clientEmail": invoice.customer.email or None,
            "clientName": invoice.customer.name,
            "clientMobile": invoice.customer.phone,
            "note": None,
            "cancelUrl": invoice.back_url,
            "products": [
                {
                    "title": item.name,
                    "price": wire_amount(item.unit_price, currency),
                    "qty": item.quantity,
                    "description": None,
                    "isDigital": False,
                    "imageSrc": None,
                    "specificVat": None,
                    "productCost": None,
                }
                for item in invoice.items
            ],
            "supportedCardBrands": [],
            "currency": currency.code,
            "smsMessage": None,
            "displayPending": True,
            "receivers": None,
            "partnerPortion": None,
            "metadata": None,
        },
        "amount": amount,
        "transactionNo": invoice.id,
        "orderStatus": ORDER_STATUS[invoice.status],
        "paymentErrors": None,
        "url": payment_url,
        "qrUrl": payment_url,  # what a QR code should encode; no image endpoint (our choice)
        "mobileUrl": payment_url,
        "checkUrl": f"{public_url}/api/getInvoice/{invoice.id}",
        "success": True,
        "digitalOrder": False,
        "foreignCurrencyRate": None,
        "paymentReceipt": (
            {
                "paymentMethod": payment.channel,
                "paymentDate": payment.paid_at.isoformat(timespec="seconds"),
                "passcode": payment.code,
            }
            if payment is not None
            else None
        ),
        "metadata": None,
    }


def wire_path(domain_path: str) -> str:
    """The core's field names (items[0].unit_price) in this dialect's words."""
    path = domain_path.replace("items", "products").replace("unit_price", "price")
    return path.replace("quantity", "qty").replace("reference", "orderNumber")
