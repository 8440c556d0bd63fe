"""The unit of work over SQL: the repositories of one connection, made as first used."""

import sqlalchemy as sa

from invoicegate.store.idempotency import SqlIdempotencyRecords
from invoicegate.store.outbox import SqlOutbox
from invoicegate.store.repository import (
    NeedsTransaction,
    SqlInvoiceRepository,
    SqlMerchantRepository,
)
from invoicegate.store.secrets import SecretBox
from invoicegate.store.webhooks import SqlWebhookEndpoints


class SqlUnitOfWork:
    """The repositories over one connection. Every unit of work uses the invoices'; the
    others are made when first used (an update uses one of them, and made all six).

    `optimistic` (PostgreSQL, decision 0035): no transaction around it; the invoices it
    reads are not locked, its one change is held back for the transactor to write, and
    whatever else would write (an outbox job, an idempotency record) raises
    NeedsTransaction before writing anything.
    """

    def __init__(self, conn: sa.Connection, box: SecretBox, *, optimistic: bool = False) -> None:
        self.connection = conn
        self._without_endpoints: set[str] = set()  # merchants seen with no webhook endpoint
        self.invoices = SqlInvoiceRepository(conn, self._without_endpoints, optimistic=optimistic)
        self._optimistic = optimistic
        self._box = box
        self._merchants: SqlMerchantRepository | None = None
        self._outbox: SqlOutbox | None = None
        self._idempotency: SqlIdempotencyRecords | None = None
        self._webhooks: SqlWebhookEndpoints | None = None

    @property
    def merchants(self) -> SqlMerchantRepository:
        if self._merchants is None:
            self._merchants = SqlMerchantRepository(self.connection, self._box)
        return self._merchants

    @property
    def outbox(self) -> SqlOutbox:
        if self._optimistic:
            raise NeedsTransaction("an outbox job")
        if self._outbox is None:
            self._outbox = SqlOutbox(self.connection)
        return self._outbox

    @property
    def idempotency(self) -> SqlIdempotencyRecords:
        if self._optimistic:
            raise NeedsTransaction("an idempotency record")
        if self._idempotency is None:
            self._idempotency = SqlIdempotencyRecords(self.connection)
        return self._idempotency

    @property
    def webhooks(self) -> SqlWebhookEndpoints:
        if self._webhooks is None:
            self._webhooks = SqlWebhookEndpoints(
                self.connection, self._box, self._without_endpoints
            )
        return self._webhooks
