"""Paylink merchant invoices API callbacks: the invoice, as `get` shows it, to its callbackUrl.

The merchant gave the URL with the invoice (`callbackUrl`, §2). Once the invoice is paid
we POST the same object `get` answers (status `paid`); any 2xx acknowledges it, and it is
retried up to 10 times, as Paylink retries its webhooks (§3).
"""

import orjson

from invoicegate.dialects.paylink.translate import invoice_json
from invoicegate.domain.callbacks import NewCallbackJob
from invoicegate.domain.events import InvoiceEvent, InvoicePaid
from invoicegate.domain.merchant import Credential
from invoicegate.services.callbacks import UnsignedCallback
from invoicegate.services.merchants import PAYLINK
from invoicegate.services.ports import UnitOfWork


class PaylinkCallback(UnsignedCallback):
    dialect = PAYLINK
    topics = frozenset({InvoicePaid.name})  # the gateway calls back on payment only
    needs_origin = True  # it goes to the credential the invoice was made with
    max_retries = 10

    def __init__(self, public_url: str) -> None:
        self._public_url = public_url

    def jobs_for(
        self, event: InvoiceEvent, origin: Credential | None, uow: UnitOfWork
    ) -> list[NewCallbackJob]:
        invoice = event.invoice
        if not isinstance(event, InvoicePaid) or origin is None or origin.dialect != PAYLINK:
            return []
        if not invoice.callback_url:
            return []
        body = orjson.dumps(invoice_json(invoice, self._public_url)).decode()
        return [NewCallbackJob.reporting(event, PAYLINK, origin.id, invoice.callback_url, body)]

    def acknowledged(self, status: int, answer: bytes) -> bool:
        return 200 <= status < 300
