"""What the services need from the outside world, as protocols the store (or a fake) fills."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Protocol, TypeVar

from invoicegate.domain.callbacks import (
    AttemptResult,
    CallbackJob,
    CallbackState,
    DeliveryAttempt,
    NewCallbackJob,
)
from invoicegate.domain.events import InvoiceEvent
from invoicegate.domain.invoice import Invoice, InvoiceStatus, Revision
from invoicegate.domain.merchant import Credential, Merchant
from invoicegate.domain.webhooks import WebhookEndpoint

T = TypeVar("T")

MAX_PAGE_SIZE = 100


@dataclass(frozen=True, slots=True)
class InvoiceFilter:
    """Which of a merchant's invoices a keyset page holds; a filter left as None matches all."""

    status: InvoiceStatus | None = None
    reference: str | None = None
    created_from: datetime | None = None  # inclusive
    created_before: datetime | None = None  # exclusive
    customer: str | None = None  # any part of the customer's name, email or phone


@dataclass(frozen=True, slots=True)
class PagePosition:
    """Where a page ends, in the order pages run: newest first, ids breaking ties."""

    created_at: datetime
    invoice_id: str


@dataclass(frozen=True, slots=True)
class InvoiceQuery:
    """Which of a merchant's invoices to list; every filter left as None matches all.

    Dates are inclusive and compare with the creation instant's UTC date; the name and
    phone match any part, case-insensitively; `currencies` limits to those codes. Pages
    count from 1, ordered by creation.
    """

    status: InvoiceStatus | None = None
    created_from: date | None = None
    created_to: date | None = None
    customer_name: str | None = None
    customer_phone: str | None = None
    currencies: frozenset[str] | None = None
    page: int = 1
    page_size: int = 20


class InvoiceRepository(Protocol):
    def get(self, invoice_id: str, *, for_update: bool = False) -> Invoice | None:
        """Any invoice by id, whoever owns it; callers check ownership."""

    def get_by_checkout_slug(self, slug: str) -> Invoice | None:
        """The invoice whose payment link ends in this slug, whatever its status."""

    def get_live_by_reference(
        self, merchant_id: str, reference: str, *, for_update: bool = False
    ) -> Invoice | None:
        """The merchant's invoice with this reference that is not cancelled."""

    def reference_taken(self, merchant_id: str, reference: str, except_id: str | None) -> bool:
        """Whether another live invoice of the merchant carries this reference."""

    def add(self, invoice: Invoice) -> None:
        """Store a new invoice; raises DuplicateReference if a live one has its reference."""

    def save(self, invoice: Invoice, revision: Revision) -> None:
        """Store the next version with the revision that records it (one of that version);
        raises StaleVersion, storing neither, unless the stored one is version - 1."""

    def add_revision(self, revision: Revision) -> None:
        """A new invoice's first revision (the later ones come with `save`)."""

    def revisions(self, invoice_id: str) -> list[Revision]: ...

    def list_for_merchant(self, merchant_id: str, query: InvoiceQuery) -> tuple[list[Invoice], int]:
        """One page of the merchant's invoices (cancelled included) and how many match."""

    def page_for_merchant(
        self, merchant_id: str, where: InvoiceFilter, after: PagePosition | None, limit: int
    ) -> list[Invoice]:
        """Up to `limit` matching invoices older than `after` (keyset), newest first.

        Rows inserted meanwhile are newer than any page already read, so a walk through
        the pages never repeats or skips an invoice that existed when it began.
        """

    def collect_events(self) -> list[InvoiceEvent]:
        """The events of every invoice added or saved in this unit of work, each once."""

    def has_unannounced_expiry(self, now: datetime) -> bool:
        """Whether an unpaid invoice is past an expiry not yet announced."""

    def unannounced_expiries(self, now: datetime, limit: int) -> list[Invoice]:
        """Up to `limit` unpaid invoices past an expiry not yet announced, soonest first;
        locked, skipping rows another node holds (PostgreSQL)."""

    def announce_expiry(self, invoice: Invoice) -> bool:
        """Mark the invoice's current expires_at as announced and keep its events; False
        (nothing kept) if that expiry was announced already or the invoice moved on."""


class MerchantRepository(Protocol):
    def add_merchant(self, merchant: Merchant) -> None: ...

    def get_merchant(self, merchant_id: str) -> Merchant | None: ...

    def find_merchant_by_name(self, name: str) -> Merchant | None: ...

    def add_credential(self, credential: Credential) -> None: ...

    def credential(self, dialect: str, public_id: str) -> Credential | None: ...

    def credentials_of(self, merchant_id: str) -> list[Credential]: ...

    def get_credential(self, credential_id: str) -> Credential | None: ...

    def revoke_credential(self, credential_id: str, at: datetime) -> None: ...

    def set_callback_url(self, credential_id: str, url: str | None) -> None: ...


@dataclass(frozen=True, slots=True)
class JobQuery:
    """Which callback jobs to list, newest first; filters left as None match all."""

    invoice_id: str | None = None
    state: CallbackState | None = None
    limit: int = 100


@dataclass(frozen=True, slots=True)
class StoredAnswer:
    """An HTTP answer as it was sent, to be sent again to a retry."""

    status: int
    headers: dict[str, str]
    body: str


@dataclass(frozen=True, slots=True)
class IdempotencyRecord:
    fingerprint: str
    locked_until: datetime  # while unanswered: the claim holds until then
    expires_at: datetime
    answer: StoredAnswer | None  # None while the first request runs


class IdempotencyRecords(Protocol):
    """Idempotency keys by (scope, key); scope is the credential that sent the key."""

    def get(self, scope: str, key: str, *, for_update: bool = False) -> IdempotencyRecord | None:
        """The record of a key; locked for the transaction's rest when `for_update`."""

    def claim(
        self,
        scope: str,
        key: str,
        fingerprint: str,
        now: datetime,
        locked_until: datetime,
        expires_at: datetime,
    ) -> None:
        """A new, unanswered record; raises IdempotencyKeyTaken if one exists."""

    def relock(self, scope: str, key: str, locked_until: datetime) -> None: ...

    def answer(self, scope: str, key: str, answer: StoredAnswer) -> None: ...

    def forget(self, scope: str, key: str) -> None: ...

    def purge(self, now: datetime) -> int:
        """Delete every record past its expiry; how many went."""


class Outbox(Protocol):
    """Callback jobs: written with the change they report, then claimed and delivered."""

    def add(self, job: NewCallbackJob, at: datetime) -> None:
        """Queue a job, due now, in the same transaction as the change it reports."""

    def has_due(self, now: datetime) -> bool:
        """Whether some pending job is due and not leased to a live worker."""

    def claim(
        self, now: datetime, lease_until: datetime, token: str, limit: int
    ) -> list[CallbackJob]:
        """Lease up to `limit` due jobs to `token`, counting and logging an attempt of each.

        A job leased to another worker is skipped, not waited for; one whose lease has run
        out (its worker died) is due again.
        """

    def finish(
        self,
        job: CallbackJob,
        result: AttemptResult,
        at: datetime,
        retry_at: datetime | None,
    ) -> bool:
        """Log the attempt's result; settle the job (delivered, retry at `retry_at`, failed).

        False when the job's lease was lost meanwhile: the result is logged, the job is not
        touched (another worker owns it now).
        """

    def release(self, job: CallbackJob, at: datetime) -> None:
        """Give a leased job back, due at once (a worker stopping mid-delivery)."""

    def get(self, job_id: int) -> CallbackJob | None: ...

    def jobs(self, query: JobQuery) -> list[CallbackJob]: ...

    def attempts(self, job_id: int) -> list[DeliveryAttempt]:
        """Every attempt of the job, oldest first."""

    def redeliver(self, job_id: int, at: datetime) -> None:
        """Start a fresh round for the job: pending, due at `at`, no attempts counted."""

    def redirect(self, dialect: str, destination_id: str, url: str) -> None:
        """Send the destination's pending jobs to its new URL from their next attempt on."""

    def destination_jobs(
        self, dialect: str, destination_id: str, before_id: int | None, limit: int
    ) -> list[CallbackJob]:
        """Up to `limit` of the destination's jobs older than `before_id`, newest first."""

    def attempts_of(self, job_ids: list[int]) -> dict[int, list[DeliveryAttempt]]:
        """Every attempt of each job, oldest first (jobs without any are left out)."""


class WebhookEndpoints(Protocol):
    """The native API's webhook endpoints; their secrets are sealed at rest."""

    def add(self, endpoint: WebhookEndpoint) -> None: ...

    def get(self, endpoint_id: str) -> WebhookEndpoint | None:
        """Any endpoint by id, whoever owns it; callers check ownership."""

    def of_merchant(self, merchant_id: str) -> list[WebhookEndpoint]:
        """The merchant's endpoints, oldest first."""

    def subscribed(self, merchant_id: str, event_type: str) -> list[WebhookEndpoint]:
        """The merchant's enabled endpoints that subscribe to this event type."""

    def save(self, endpoint: WebhookEndpoint) -> None:
        """Store the changed url, events, description, enabled state and its reason."""

    def delete(self, endpoint_id: str) -> None: ...


class UnitOfWork(Protocol):
    @property
    def invoices(self) -> InvoiceRepository: ...

    @property
    def merchants(self) -> MerchantRepository: ...

    @property
    def outbox(self) -> Outbox: ...

    @property
    def idempotency(self) -> IdempotencyRecords: ...

    @property
    def webhooks(self) -> WebhookEndpoints: ...


class StoreUnavailable(Exception):
    """The store could not take a unit of work just now; nothing of that unit was saved.

    Raised for a failed commit, a connection pool that stayed full, or a store shutting
    down. The caller may retry; a dialect answers it as "service unavailable".
    """

    loggable = True  # its message names what failed, never the data (invoicegate.logs)


class Transactor(Protocol):
    """Runs a function in one unit of work: commits when it returns, rolls back if it raises.

    Either may raise StoreUnavailable, after which nothing of the work is saved.
    """

    async def write(self, work: Callable[[UnitOfWork], T], *, optimistic: bool = False) -> T:
        """Run `work` and commit what it wrote.

        `optimistic`: the work reads and then changes one invoice through `save`, and writes
        nothing else as a rule. A store may then run it without holding locks: the invoice
        read unlocked, the change written as one statement conditional on the version read,
        and the work run again in a transaction when the invoice moved on in between or
        when it writes anything else after all (PostgreSQL: decision 0035). The outcome is
        what a locked transaction would have given.
        """

    async def read(self, work: Callable[[UnitOfWork], T]) -> T: ...

    async def lookup(self, work: Callable[[UnitOfWork], T], *, one_statement: bool = False) -> T:
        """A read of a few rows by key (the hot finds): run where it costs least.

        `one_statement`: the work runs a single statement, whose read is consistent by
        itself, so a store may leave out the transaction around it (SQLite: decision 0028).
        """


Clock = Callable[[], datetime]
