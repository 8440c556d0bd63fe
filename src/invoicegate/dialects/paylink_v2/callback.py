"""Paylink v2 payment webhooks (DIALECTS.md §3): the order status, to the merchant's webhook URL.

Paylink POSTs `{amount, merchantEmail, transactionNo, merchantOrderNumber, orderStatus}`
to the webhook URL the merchant configured (here: the callback URL of its Paylink v2
credential), unsigned, and retries up to 10 times until the merchant answers HTTP 200.
"""

from typing import Any

import orjson

from invoicegate.domain.callbacks import NewCallbackJob
from invoicegate.domain.events import InvoiceEvent, InvoicePaid
from invoicegate.domain.invoice import Invoice
from invoicegate.domain.merchant import Credential
from invoicegate.domain.money import format_major
from invoicegate.services.callbacks import UnsignedCallback
from invoicegate.services.merchants import PAYLINK_V2
from invoicegate.services.ports import UnitOfWork


def webhook_payload(invoice: Invoice) -> dict[str, Any]:
    """§3's body. `amount` is a JSON float, as Paylink sends it; we keep no merchant email
    (our choice: null)."""
    return {
        "amount": float(format_major(invoice.total, invoice.currency)),
        "merchantEmail": None,
        "transactionNo": invoice.id,
        "merchantOrderNumber": invoice.reference,
        "orderStatus": "Paid",
    }


class PaylinkV2Callback(UnsignedCallback):  # §3: the webhook carries no signature
    dialect = PAYLINK_V2
    topics = frozenset({InvoicePaid.name})  # the gateway calls back on payment only
    needs_origin = True  # it goes to the credential the invoice was made with
    max_retries = 10

    def jobs_for(
        self, event: InvoiceEvent, origin: Credential | None, uow: UnitOfWork
    ) -> list[NewCallbackJob]:
        invoice = event.invoice
        if not isinstance(event, InvoicePaid) or origin is None or origin.dialect != PAYLINK_V2:
            return []
        if not origin.callback_url:
            return []
        body = orjson.dumps(webhook_payload(invoice)).decode()
        return [NewCallbackJob.reporting(event, PAYLINK_V2, origin.id, origin.callback_url, body)]

    def acknowledged(self, status: int, answer: bytes) -> bool:
        return status == 200
