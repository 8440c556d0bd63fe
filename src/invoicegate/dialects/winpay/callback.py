"""Winpay payment callbacks (DIALECTS.md §1): the payload, its signature, what acknowledges it.

The gateway POSTs to the callback URL of the credential the invoice was created with; the
merchant must answer the plain body `ACCEPTED`, else it is retried up to 3 times. The
signature headers are our choice (§1): `X-Winpay-Timestamp` and `X-Winpay-Signature`,
computed as for requests (HMAC-SHA256 of the timestamp with the credential's secret).
"""

from datetime import datetime
from typing import Any

import orjson

from invoicegate.dialects.winpay.signature import sign
from invoicegate.dialects.winpay.translate import jakarta_iso
from invoicegate.domain.callbacks import CallbackJob, NewCallbackJob
from invoicegate.domain.events import InvoiceEvent, InvoicePaid
from invoicegate.domain.invoice import Invoice, Payment
from invoicegate.domain.merchant import Credential
from invoicegate.services.callbacks import GatewayCallback
from invoicegate.services.merchants import WINPAY
from invoicegate.services.ports import UnitOfWork

ACKNOWLEDGEMENT = b"ACCEPTED"


def callback_payload(invoice: Invoice, payment: Payment, public_url: str) -> dict[str, Any]:
    """§1's callback body; amounts are whole rupiah integers, nett = amount - fee."""
    return {
        "uuid": payment.id,
        "created_at": jakarta_iso(payment.paid_at),
        "ref": payment.payment_ref,
        "channel": payment.channel,
        "amount": payment.amount,
        "fee": payment.fee,
        "nett_amount": payment.nett,
        "products": [
            {"name": item.name, "qty": item.quantity, "price": item.unit_price}
            for item in invoice.items
        ],
        "invoice": {
            "uuid": invoice.id,
            "ref": invoice.reference,
            "url": f"{public_url}/{invoice.checkout_slug}",
            "customer": {
                "name": invoice.customer.name,
                "email": invoice.customer.email,
                "phone": invoice.customer.phone,
            },
        },
    }


class WinpayCallback(GatewayCallback):
    dialect = WINPAY
    topics = frozenset({InvoicePaid.name})  # the gateway calls back on payment only
    needs_origin = True  # it goes to the credential the invoice was made with
    max_retries = 3

    def __init__(self, public_url: str) -> None:
        self._public_url = public_url

    def jobs_for(
        self, event: InvoiceEvent, origin: Credential | None, uow: UnitOfWork
    ) -> list[NewCallbackJob]:
        invoice = event.invoice
        if not isinstance(event, InvoicePaid) or invoice.payment is None:
            return []
        if origin is None or origin.dialect != WINPAY or not origin.callback_url:
            return []
        body = orjson.dumps(callback_payload(invoice, invoice.payment, self._public_url))
        return [
            NewCallbackJob.reporting(event, WINPAY, origin.id, origin.callback_url, body.decode())
        ]

    def signing_key(self, job: CallbackJob, uow: UnitOfWork) -> str | None:
        if job.destination_id is None:
            return None
        credential = uow.merchants.get_credential(job.destination_id)
        return credential.secret if credential is not None else None

    def headers(self, job: CallbackJob, key: str | None, now: datetime) -> dict[str, str]:
        if key is None:  # the credential is gone: nothing to sign with
            return {}
        timestamp = jakarta_iso(now)
        return {"X-Winpay-Timestamp": timestamp, "X-Winpay-Signature": sign(key, timestamp)}

    def acknowledged(self, status: int, answer: bytes) -> bool:
        """Only the body `ACCEPTED` counts, whatever the status (§1); whitespace is ignored."""
        return answer.strip() == ACKNOWLEDGEMENT
