"""In-memory ports for unit tests: repositories, outbox and a transactor that rolls back."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from typing import TypeVar

from invoicegate.domain.callbacks import (
    CallbackJob,
    CallbackState,
    DeliveryAttempt,
    NewCallbackJob,
)
from invoicegate.domain.errors import DuplicateReference, IdempotencyKeyTaken, StaleVersion
from invoicegate.domain.events import InvoiceEvent
from invoicegate.domain.invoice import Invoice, InvoiceStatus, Revision
from invoicegate.domain.merchant import Credential, Merchant
from invoicegate.domain.webhooks import WebhookEndpoint
from invoicegate.services.ports import (
    IdempotencyRecord,
    InvoiceFilter,
    InvoiceQuery,
    JobQuery,
    PagePosition,
    StoredAnswer,
    UnitOfWork,
)

T = TypeVar("T")


class IntegrityViolation(Exception):
    """What the database would refuse with an IntegrityError: a key or constraint broken."""


class InjectedFailure(Exception):
    """Raised by a fake operation a test asked to fail, to break a unit of work midway."""


@dataclass(slots=True)
class State:
    """Everything the fake database holds; stored objects are immutable, containers are not."""

    invoices: dict[str, Invoice] = field(default_factory=dict)
    revisions: dict[str, tuple[Revision, ...]] = field(default_factory=dict)
    merchants: dict[str, Merchant] = field(default_factory=dict)
    credentials: dict[str, Credential] = field(default_factory=dict)
    outbox: tuple[CallbackJob, ...] = ()
    expiry_announced: dict[str, datetime] = field(default_factory=dict)  # id -> expires_at
    idempotency: dict[tuple[str, str], IdempotencyRecord] = field(default_factory=dict)
    webhooks: dict[str, WebhookEndpoint] = field(default_factory=dict)

    def copy(self) -> State:
        return replace(
            self,
            idempotency=dict(self.idempotency),
            webhooks=dict(self.webhooks),
            expiry_announced=dict(self.expiry_announced),
            invoices=dict(self.invoices),
            revisions=dict(self.revisions),
            merchants=dict(self.merchants),
            credentials=dict(self.credentials),
        )


class FakeStore:
    """The fake database: the state, plus failures a test can inject into named operations."""

    def __init__(self) -> None:
        self.state = State()
        self._failures: dict[str, Exception] = {}
        self.commits = 0
        self.rollbacks = 0

    def fail_on(self, operation: str, error: Exception | None = None) -> None:
        """Make the next call of `operation` (e.g. "add_revision", "enqueue") raise."""
        self._failures[operation] = error or InjectedFailure(operation)

    def check(self, operation: str) -> None:
        error = self._failures.pop(operation, None)
        if error is not None:
            raise error

    # Conveniences for assertions.
    def invoice(self, invoice_id: str) -> Invoice:
        return self.state.invoices[invoice_id]

    def revisions_of(self, invoice_id: str) -> list[Revision]:
        return list(self.state.revisions.get(invoice_id, ()))

    @property
    def outbox(self) -> list[CallbackJob]:
        return list(self.state.outbox)


class FakeInvoiceRepository:
    def __init__(self, store: FakeStore) -> None:
        self._store = store
        self._events: list[InvoiceEvent] = []

    @property
    def _state(self) -> State:
        return self._store.state

    def get(self, invoice_id: str, *, for_update: bool = False) -> Invoice | None:
        self._store.check("get")
        return self._state.invoices.get(invoice_id)

    def get_by_checkout_slug(self, slug: str) -> Invoice | None:
        self._store.check("get_by_checkout_slug")
        found = (i for i in self._state.invoices.values() if i.checkout_slug == slug)
        return next(found, None)

    def get_live_by_reference(
        self, merchant_id: str, reference: str, *, for_update: bool = False
    ) -> Invoice | None:
        self._store.check("get_live_by_reference")
        return self._live_with_reference(merchant_id, reference, except_id=None)

    def reference_taken(self, merchant_id: str, reference: str, except_id: str | None) -> bool:
        self._store.check("reference_taken")
        return self._live_with_reference(merchant_id, reference, except_id) is not None

    def add(self, invoice: Invoice) -> None:
        self._store.check("add")
        if invoice.id in self._state.invoices:
            raise IntegrityViolation(f"invoice {invoice.id} exists")
        if invoice.merchant_id not in self._state.merchants:
            raise IntegrityViolation(f"no merchant {invoice.merchant_id}")
        if any(i.checkout_slug == invoice.checkout_slug for i in self._state.invoices.values()):
            raise IntegrityViolation(f"checkout slug {invoice.checkout_slug} exists")
        self._check_live_reference(invoice)
        self._state.invoices[invoice.id] = replace(invoice, events=())  # events are not stored
        self._events.extend(invoice.events)

    def save(self, invoice: Invoice, revision: Revision) -> None:
        self._store.check("save")
        if revision.invoice_id != invoice.id or revision.version != invoice.version:
            raise ValueError("a revision is saved with the version of the invoice it records")
        stored = self._state.invoices.get(invoice.id)
        if stored is None or stored.version != invoice.version - 1:
            raise StaleVersion(stored.version if stored else 0)
        self._check_live_reference(invoice)
        # Identity and creation facts are not columns an update writes (as in the SQL one).
        self._state.invoices[invoice.id] = replace(
            invoice,
            merchant_id=stored.merchant_id,
            credential_id=stored.credential_id,
            checkout_slug=stored.checkout_slug,
            callback_url=stored.callback_url,
            created_at=stored.created_at,
            events=(),
        )
        self.add_revision(revision)  # as the SQL one, which may send both in one statement
        self._events.extend(invoice.events)

    def collect_events(self) -> list[InvoiceEvent]:
        events, self._events = self._events, []
        return events

    def has_unannounced_expiry(self, now: datetime) -> bool:
        return bool(self.unannounced_expiries(now, 1))

    def unannounced_expiries(self, now: datetime, limit: int) -> list[Invoice]:
        due = [
            i
            for i in self._state.invoices.values()
            if i.status is InvoiceStatus.UNPAID
            and i.expires_at is not None
            and i.expires_at <= now
            and self._state.expiry_announced.get(i.id) != i.expires_at
        ]
        due.sort(key=lambda i: (i.expires_at, i.id))
        return due[:limit]

    def announce_expiry(self, invoice: Invoice) -> bool:
        self._store.check("announce_expiry")
        stored = self._state.invoices.get(invoice.id)
        if (
            stored is None
            or stored.version != invoice.version
            or stored.expires_at != invoice.expires_at
            or self._state.expiry_announced.get(invoice.id) == invoice.expires_at
        ):
            return False
        assert invoice.expires_at is not None
        self._state.expiry_announced[invoice.id] = invoice.expires_at
        self._events.extend(invoice.events)
        return True

    def add_revision(self, revision: Revision) -> None:
        self._store.check("add_revision")
        if revision.invoice_id not in self._state.invoices:
            raise IntegrityViolation(f"no invoice {revision.invoice_id}")
        history = self._state.revisions.get(revision.invoice_id, ())
        if any(r.version == revision.version for r in history):
            raise IntegrityViolation(f"revision {revision.version} exists")
        self._state.revisions[revision.invoice_id] = (*history, revision)

    def revisions(self, invoice_id: str) -> list[Revision]:
        self._store.check("revisions")
        return sorted(self._state.revisions.get(invoice_id, ()), key=lambda r: r.version)

    def list_for_merchant(self, merchant_id: str, query: InvoiceQuery) -> tuple[list[Invoice], int]:
        self._store.check("list_for_merchant")
        matching = [
            i
            for i in self._state.invoices.values()
            if i.merchant_id == merchant_id and _matches(i, query)
        ]
        matching.sort(key=lambda i: (i.created_at, i.id))
        start = (query.page - 1) * query.page_size
        return matching[start : start + query.page_size], len(matching)

    def page_for_merchant(
        self, merchant_id: str, where: InvoiceFilter, after: PagePosition | None, limit: int
    ) -> list[Invoice]:
        self._store.check("page_for_merchant")
        matching = [
            i
            for i in self._state.invoices.values()
            if i.merchant_id == merchant_id
            and _filtered(i, where)
            and (after is None or (i.created_at, i.id) < (after.created_at, after.invoice_id))
        ]
        matching.sort(key=lambda i: (i.created_at, i.id), reverse=True)
        return matching[:limit]

    def _live_with_reference(
        self, merchant_id: str, reference: str, except_id: str | None
    ) -> Invoice | None:
        for invoice in self._state.invoices.values():
            if (
                invoice.merchant_id == merchant_id
                and invoice.reference == reference
                and invoice.status is not InvoiceStatus.CANCELLED
                and invoice.id != except_id
            ):
                return invoice
        return None

    def _check_live_reference(self, invoice: Invoice) -> None:
        """The partial unique index: one live invoice per (merchant, reference)."""
        if invoice.status is InvoiceStatus.CANCELLED:
            return
        if self._live_with_reference(invoice.merchant_id, invoice.reference, invoice.id):
            raise DuplicateReference


def _matches(invoice: Invoice, query: InvoiceQuery) -> bool:
    created: date = invoice.created_at.astimezone(UTC).date()
    return (
        (query.status is None or invoice.status is query.status)
        and (query.created_from is None or created >= query.created_from)
        and (query.created_to is None or created <= query.created_to)
        and (query.currencies is None or invoice.currency.code in query.currencies)
        and (
            not query.customer_name or query.customer_name.lower() in invoice.customer.name.lower()
        )
        and (
            not query.customer_phone
            or query.customer_phone.lower() in invoice.customer.phone.lower()
        )
    )


def _filtered(invoice: Invoice, where: InvoiceFilter) -> bool:
    customer = invoice.customer
    needle = (where.customer or "").lower()
    return (
        (where.status is None or invoice.status is where.status)
        and (where.reference is None or invoice.reference == where.reference)
        and (where.created_from is None or invoice.created_at >= where.created_from)
        and (where.created_before is None or invoice.created_at < where.created_before)
        and any(needle in part.lower() for part in (customer.name, customer.email, customer.phone))
    )


class FakeMerchantRepository:
    def __init__(self, store: FakeStore) -> None:
        self._store = store

    @property
    def _state(self) -> State:
        return self._store.state

    def add_merchant(self, merchant: Merchant) -> None:
        self._store.check("add_merchant")
        if merchant.id in self._state.merchants:
            raise IntegrityViolation(f"merchant {merchant.id} exists")
        self._state.merchants[merchant.id] = merchant

    def get_merchant(self, merchant_id: str) -> Merchant | None:
        return self._state.merchants.get(merchant_id)

    def find_merchant_by_name(self, name: str) -> Merchant | None:
        named = [m for m in self._state.merchants.values() if m.name == name]
        return min(named, key=lambda m: m.created_at) if named else None

    def add_credential(self, credential: Credential) -> None:
        self._store.check("add_credential")
        if credential.id in self._state.credentials:
            raise IntegrityViolation(f"credential {credential.id} exists")
        if credential.merchant_id not in self._state.merchants:
            raise IntegrityViolation(f"no merchant {credential.merchant_id}")
        if self.credential(credential.dialect, credential.public_id) is not None:
            raise IntegrityViolation(f"{credential.dialect} {credential.public_id} exists")
        self._state.credentials[credential.id] = credential

    def credential(self, dialect: str, public_id: str) -> Credential | None:
        for credential in self._state.credentials.values():
            if credential.dialect == dialect and credential.public_id == public_id:
                return credential
        return None

    def credentials_of(self, merchant_id: str) -> list[Credential]:
        owned = [c for c in self._state.credentials.values() if c.merchant_id == merchant_id]
        return sorted(owned, key=lambda c: c.created_at)

    def get_credential(self, credential_id: str) -> Credential | None:
        return self._state.credentials.get(credential_id)

    def revoke_credential(self, credential_id: str, at: datetime) -> None:
        self._store.check("revoke_credential")
        credential = self._state.credentials[credential_id]
        self._state.credentials[credential_id] = replace(credential, revoked_at=at)

    def set_callback_url(self, credential_id: str, url: str | None) -> None:
        credential = self._state.credentials[credential_id]
        self._state.credentials[credential_id] = replace(credential, callback_url=url)


class FakeOutbox:
    """Adding and reading jobs; claiming and delivering are tested on the real store."""

    def __init__(self, store: FakeStore) -> None:
        self._store = store

    def add(self, job: NewCallbackJob, at: datetime) -> None:
        self._store.check("add_job")
        stored = CallbackJob(
            id=len(self._store.state.outbox) + 1,
            topic=job.topic,
            invoice_id=job.invoice_id,
            merchant_id=job.merchant_id,
            dialect=job.dialect,
            destination_id=job.destination_id,
            url=job.url,
            body=job.body,
            state=CallbackState.PENDING,
            attempts=0,
            next_attempt_at=at,
            created_at=at,
        )
        self._store.state.outbox = (*self._store.state.outbox, stored)

    def get(self, job_id: int) -> CallbackJob | None:
        return next((j for j in self._store.state.outbox if j.id == job_id), None)

    def jobs(self, query: JobQuery) -> list[CallbackJob]:
        matching = [
            j
            for j in reversed(self._store.state.outbox)
            if query.invoice_id in (None, j.invoice_id) and query.state in (None, j.state)
        ]
        return matching[: query.limit]

    def attempts(self, job_id: int) -> list[DeliveryAttempt]:
        return []

    def redeliver(self, job_id: int, at: datetime) -> None:
        self._store.state.outbox = tuple(
            replace(j, state=CallbackState.PENDING, attempts=0, next_attempt_at=at)
            if j.id == job_id and j.state is not CallbackState.PENDING
            else j
            for j in self._store.state.outbox
        )

    def redirect(self, dialect: str, destination_id: str, url: str) -> None:
        self._store.state.outbox = tuple(
            replace(j, url=url)
            if (j.dialect, j.destination_id, j.state)
            == (dialect, destination_id, CallbackState.PENDING)
            else j
            for j in self._store.state.outbox
        )

    def destination_jobs(
        self, dialect: str, destination_id: str, before_id: int | None, limit: int
    ) -> list[CallbackJob]:
        return [
            j
            for j in reversed(self._store.state.outbox)
            if (j.dialect, j.destination_id) == (dialect, destination_id)
            and (before_id is None or j.id < before_id)
        ][:limit]

    def attempts_of(self, job_ids: list[int]) -> dict[int, list[DeliveryAttempt]]:
        return {}


class FakeWebhookEndpoints:
    def __init__(self, store: FakeStore) -> None:
        self._store = store

    @property
    def _endpoints(self) -> dict[str, WebhookEndpoint]:
        return self._store.state.webhooks

    def add(self, endpoint: WebhookEndpoint) -> None:
        self._store.check("add_webhook")
        if endpoint.merchant_id not in self._store.state.merchants:
            raise IntegrityViolation(f"no merchant {endpoint.merchant_id}")
        self._endpoints[endpoint.id] = endpoint

    def get(self, endpoint_id: str) -> WebhookEndpoint | None:
        return self._endpoints.get(endpoint_id)

    def of_merchant(self, merchant_id: str) -> list[WebhookEndpoint]:
        owned = [e for e in self._endpoints.values() if e.merchant_id == merchant_id]
        return sorted(owned, key=lambda e: (e.created_at, e.id))

    def subscribed(self, merchant_id: str, event_type: str) -> list[WebhookEndpoint]:
        return [e for e in self.of_merchant(merchant_id) if e.hears(event_type)]

    def save(self, endpoint: WebhookEndpoint) -> None:
        stored = self._endpoints[endpoint.id]
        self._endpoints[endpoint.id] = replace(endpoint, secret=stored.secret)

    def delete(self, endpoint_id: str) -> None:
        self._endpoints.pop(endpoint_id, None)


class FakeIdempotencyRecords:
    def __init__(self, store: FakeStore) -> None:
        self._store = store

    @property
    def _records(self) -> dict[tuple[str, str], IdempotencyRecord]:
        return self._store.state.idempotency

    def get(self, scope: str, key: str, *, for_update: bool = False) -> IdempotencyRecord | None:
        return self._records.get((scope, key))

    def claim(
        self,
        scope: str,
        key: str,
        fingerprint: str,
        now: datetime,
        locked_until: datetime,
        expires_at: datetime,
    ) -> None:
        self._store.check("claim")
        if (scope, key) in self._records:
            raise IdempotencyKeyTaken
        self._records[scope, key] = IdempotencyRecord(fingerprint, locked_until, expires_at, None)

    def relock(self, scope: str, key: str, locked_until: datetime) -> None:
        self._records[scope, key] = replace(self._records[scope, key], locked_until=locked_until)

    def answer(self, scope: str, key: str, answer: StoredAnswer) -> None:
        self._store.check("answer")
        self._records[scope, key] = replace(self._records[scope, key], answer=answer)

    def forget(self, scope: str, key: str) -> None:
        self._records.pop((scope, key), None)

    def purge(self, now: datetime) -> int:
        old = [k for k, record in self._records.items() if record.expires_at <= now]
        for k in old:
            del self._records[k]
        return len(old)


class FakeUnitOfWork:
    def __init__(self, store: FakeStore) -> None:
        self.invoices = FakeInvoiceRepository(store)
        self.merchants = FakeMerchantRepository(store)
        self.outbox = FakeOutbox(store)
        self.idempotency = FakeIdempotencyRecords(store)
        self.webhooks = FakeWebhookEndpoints(store)


class FakeTransactor:
    """Runs work against the store; work that raises leaves the state as it found it."""

    def __init__(self, store: FakeStore | None = None) -> None:
        self.store = store or FakeStore()

    def run(self, work: Callable[[UnitOfWork], T]) -> T:
        before = self.store.state.copy()
        try:
            result = work(FakeUnitOfWork(self.store))
        except BaseException:
            self.store.state = before
            self.store.rollbacks += 1
            raise
        self.store.commits += 1
        return result

    async def write(self, work: Callable[[UnitOfWork], T], *, optimistic: bool = False) -> T:
        return self.run(work)

    async def read(self, work: Callable[[UnitOfWork], T]) -> T:
        return self.run(work)

    async def lookup(self, work: Callable[[UnitOfWork], T], *, one_statement: bool = False) -> T:
        return self.run(work)
