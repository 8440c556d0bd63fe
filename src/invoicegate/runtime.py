"""What the HTTP surfaces, the CLI and the worker share at run time: settings, the use
cases, a clock, and the callback formats (given by the composition root, composition.py)."""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from invoicegate.services.callbacks import CallbackFormat, CallbackService
from invoicegate.services.events import PublishingTransactor
from invoicegate.services.expiry import ExpiryService
from invoicegate.services.idempotency import IdempotencyService
from invoicegate.services.invoices import InvoiceService, utc_now
from invoicegate.services.merchants import CredentialCache, MerchantService
from invoicegate.services.payments import PaymentService
from invoicegate.services.ports import Clock, Transactor
from invoicegate.services.webhooks import WebhookService
from invoicegate.settings import Settings


@dataclass
class Runtime:
    settings: Settings
    transactor: PublishingTransactor  # every write publishes its events to the outbox
    invoices: InvoiceService
    payments: PaymentService
    merchants: MerchantService
    credentials: CredentialCache
    idempotency: IdempotencyService
    callbacks: CallbackService
    expiries: ExpiryService
    webhooks: WebhookService
    callback_formats: Mapping[str, CallbackFormat]
    clock: Clock = utc_now

    @classmethod
    def build(
        cls,
        settings: Settings,
        transactor: Transactor,
        formats: Mapping[str, CallbackFormat],
        clock: Clock = utc_now,
    ) -> "Runtime":
        """The use cases over `transactor`, every write publishing to `formats` by dialect."""
        publishing = PublishingTransactor(transactor, list(formats.values()))
        return cls(
            settings=settings,
            transactor=publishing,
            invoices=InvoiceService(publishing, clock),
            payments=PaymentService(publishing, clock),
            merchants=MerchantService(publishing, clock),
            credentials=CredentialCache(publishing),
            callbacks=CallbackService(publishing, clock),
            expiries=ExpiryService(publishing, clock),
            webhooks=WebhookService(publishing, clock),
            callback_formats=formats,
            idempotency=IdempotencyService(
                publishing, clock, timedelta(seconds=settings.idempotency_ttl_seconds)
            ),
            clock=clock,
        )

    def now(self) -> datetime:
        return self.clock()
