"""What the HTTP surfaces share at run time: settings, the use cases, a clock."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from invoicegate.services.idempotency import IdempotencyService
from invoicegate.services.invoices import InvoiceService, utc_now
from invoicegate.services.merchants import CredentialCache, MerchantService
from invoicegate.services.payments import PaymentService
from invoicegate.services.ports import Clock, Transactor
from invoicegate.settings import Settings


@dataclass
class Runtime:
    settings: Settings
    transactor: Transactor
    invoices: InvoiceService
    payments: PaymentService
    merchants: MerchantService
    credentials: CredentialCache
    idempotency: IdempotencyService
    clock: Clock = utc_now

    @classmethod
    def build(cls, settings: Settings, transactor: Transactor, clock: Clock = utc_now) -> "Runtime":
        return cls(
            settings=settings,
            transactor=transactor,
            invoices=InvoiceService(transactor, clock),
            payments=PaymentService(transactor, clock),
            merchants=MerchantService(transactor, clock),
            credentials=CredentialCache(transactor),
            idempotency=IdempotencyService(
                transactor, clock, timedelta(seconds=settings.idempotency_ttl_seconds)
            ),
            clock=clock,
        )

    def now(self) -> datetime:
        return self.clock()
