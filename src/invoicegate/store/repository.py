"""Every query the service runs, mapping rows to domain objects and back explicitly."""

import dataclasses
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime, time, timedelta
from operator import attrgetter
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import IntegrityError

from invoicegate.domain.errors import DuplicateReference, StaleVersion
from invoicegate.domain.events import InvoiceEvent
from invoicegate.domain.invoice import (
    Invoice,
    InvoiceStatus,
    Payment,
    Revision,
    make_customer,
    make_invoice,
    make_line_item,
)
from invoicegate.domain.merchant import Credential, Merchant
from invoicegate.domain.money import Currency
from invoicegate.services.ports import InvoiceFilter, InvoiceQuery, PagePosition
from invoicegate.store.secrets import SecretBox
from invoicegate.store.statements import HotStatement, HotStatements
from invoicegate.store.tables import (
    EXPIRY_UNANNOUNCED,
    credentials,
    invoice_revisions,
    invoices,
    merchants,
    webhook_endpoints,
)

_LIVE_REFERENCE_INDEX = "uq_invoices_live_reference"

# Statements are built once and run with parameters: building one per call (`.values(...)`)
# costs more than SQLite takes to run it, on the hot update path.
_LIVE = invoices.c.status != InvoiceStatus.CANCELLED.value
_BY_ID = sa.select(invoices).where(invoices.c.id == sa.bindparam("p_id"))
# The invoice a change locks, and whether its merchant has any enabled webhook endpoint: most
# have none, and then the change's events need no lookup of them (decision 0029).
_HAS_ENDPOINTS = (
    sa.exists()
    .where(
        webhook_endpoints.c.merchant_id == invoices.c.merchant_id,
        webhook_endpoints.c.enabled.is_(True),
    )
    .label("merchant_has_endpoints")
)
_BY_ID_CHECKED = sa.select(invoices, _HAS_ENDPOINTS).where(invoices.c.id == sa.bindparam("p_id"))
_BY_ID_LOCKED = _BY_ID_CHECKED.with_for_update(of=invoices)
_BY_SLUG = sa.select(invoices).where(invoices.c.checkout_slug == sa.bindparam("p_slug"))
_BY_REFERENCE = sa.select(invoices).where(
    invoices.c.merchant_id == sa.bindparam("p_merchant"),
    invoices.c.reference == sa.bindparam("p_reference"),
    _LIVE,
)
_BY_REFERENCE_LOCKED = _BY_REFERENCE.with_for_update()
_REFERENCE_TAKEN = (
    sa.select(invoices.c.id)
    .where(
        invoices.c.merchant_id == sa.bindparam("p_merchant"),
        invoices.c.reference == sa.bindparam("p_reference"),
        invoices.c.id != sa.bindparam("p_except"),
        _LIVE,
    )
    .limit(1)
)
_INSERT_INVOICE = sa.insert(invoices)
# The version guard is the last line against a lost update, whatever locking did.
_UPDATE_INVOICE = sa.update(invoices).where(
    invoices.c.id == sa.bindparam("p_id"), invoices.c.version == sa.bindparam("p_prior")
)
# The saved columns that an index of `invoices` holds, as key or in its WHERE: the live
# reference's (reference, status) and the unannounced expiry's (expires_at, status). SQLite
# rewrites an index's entry when an UPDATE sets any of its columns, even to the value it
# had: at a million invoices each is one more B-tree page written per update, to the WAL,
# then to the file (decision 0030). So on SQLite an update that changes none of them does
# not set them; the version guard says they are still what this unit of work read.
# (PostgreSQL compares the values itself: such an update is HOT when its page has room.)
_INDEXED_COLUMNS = ("reference", "status", "expires_at")
_indexed_values = attrgetter(*_INDEXED_COLUMNS)
_CURRENT_VERSION = sa.select(invoices.c.version).where(invoices.c.id == sa.bindparam("p_id"))
_INSERT_REVISION = sa.insert(invoice_revisions)
_REVISIONS = (
    sa.select(invoice_revisions)
    .where(invoice_revisions.c.invoice_id == sa.bindparam("p_id"))
    .order_by(invoice_revisions.c.version)
)
# The one list of the invoice's columns, the table's (`Table.c`): those set on create only
# and the expiry mark (announce_expiry's) aside, every column is saved by each update.
_FIXED_COLUMNS = frozenset(
    "id merchant_id credential_id checkout_slug callback_url created_at".split()
) | {"expiry_announced_for"}
_SAVED_COLUMNS = [c.name for c in invoices.c if c.name not in _FIXED_COLUMNS]
_UNINDEXED_COLUMNS = [c for c in _SAVED_COLUMNS if c not in _INDEXED_COLUMNS]
_UNINDEXED_POSITIONS = [_SAVED_COLUMNS.index(c) for c in _UNINDEXED_COLUMNS]
_REVISION_COLUMNS = "invoice_id version action actor dialect at after changed".split()
_revision_values = attrgetter(*_REVISION_COLUMNS)
_REVISION_BINDS = [f"r_{name}" for name in _REVISION_COLUMNS]


def _update_with_revision() -> sa.Insert:
    """PostgreSQL: the versioned UPDATE and its revision's INSERT as one statement, so one
    round trip (decision 0029). The revision is inserted only if the UPDATE found the row
    at the prior version, so the INSERT's row count (0 or 1) is the UPDATE's."""
    saved = (
        sa.update(invoices)
        .where(invoices.c.id == sa.bindparam("p_id"), invoices.c.version == sa.bindparam("p_prior"))
        .values({name: sa.bindparam(name) for name in _SAVED_COLUMNS})
        .returning(invoices.c.id)
        .cte("saved")
    )
    revision = [
        sa.bindparam(bind, type_=invoice_revisions.c[name].type)
        for bind, name in zip(_REVISION_BINDS, _REVISION_COLUMNS, strict=True)
    ]
    return sa.insert(invoice_revisions).from_select(
        _REVISION_COLUMNS, sa.select(*revision).select_from(saved)
    )


def _hot(dialect: Dialect) -> dict[str, HotStatement]:
    """What every update and find runs, straight on the driver (store/statements.py)."""
    hot = {
        "by_id": HotStatement(_BY_ID, dialect),
        "by_id_locked": HotStatement(_BY_ID_LOCKED, dialect),
        "update": HotStatement(_UPDATE_INVOICE, dialect, _SAVED_COLUMNS),
        "update_unindexed": HotStatement(_UPDATE_INVOICE, dialect, _UNINDEXED_COLUMNS),
        "add_revision": HotStatement(_INSERT_REVISION, dialect, _REVISION_COLUMNS),
    }
    # `save` and `add_revision` pass their values in these orders (`run_ordered`).
    where = ("p_id", "p_prior")
    assert hot["update"].names == (*_SAVED_COLUMNS, *where), hot["update"].names
    assert hot["update_unindexed"].names == (*_UNINDEXED_COLUMNS, *where)
    assert hot["add_revision"].names == tuple(_REVISION_COLUMNS), hot["add_revision"].names
    if dialect.name == "postgresql":  # SQLite has no UPDATE in a WITH, nor round trips
        hot["update_with_revision"] = HotStatement(_update_with_revision(), dialect)
        hot["by_id_unlocked"] = HotStatement(_BY_ID_CHECKED, dialect)  # optimistic changes
    return hot


class NeedsTransaction(Exception):
    """An optimistic unit of work wanted what only a transaction gives: a second change, or a
    write other than its one `save` (an outbox job, a new invoice). Nothing of it was
    written; the transactor runs it again inside a transaction (decision 0035)."""


_HOT = HotStatements(_hot)


class SqlInvoiceRepository:
    def __init__(
        self,
        conn: sa.Connection,
        without_endpoints: set[str] | None = None,
        *,
        optimistic: bool = False,
    ) -> None:
        self._conn = conn
        # Optimistic (PostgreSQL, decision 0035): invoices are read without a lock, and the
        # one change is held back, to be written by `write_held` as a single statement
        # conditional on the version read, after the work has returned.
        self._optimistic = optimistic
        self._held: dict[str, Any] | None = None
        self._hot = _HOT.of(conn.dialect)
        self._events: list[InvoiceEvent] = []  # recorded by the invoices this unit stored
        # Merchants that the invoices locked in this unit of work showed to have no enabled
        # webhook endpoint; shared with the unit's SqlWebhookEndpoints.
        self._without_endpoints = without_endpoints if without_endpoints is not None else set()
        # Each invoice read, by id: its indexed values as read (save: which UPDATE).
        self._read: dict[str, tuple[Any, ...]] = {}

    def get(self, invoice_id: str, *, for_update: bool = False) -> Invoice | None:
        if not for_update:
            hot = self._hot["by_id"]
            raw = hot.run(self._conn, {"p_id": invoice_id}).fetchone()
            return _invoice_from_row(hot.values(raw)) if raw else None
        hot = self._hot["by_id_unlocked" if self._optimistic else "by_id_locked"]
        raw = hot.run(self._conn, {"p_id": invoice_id}).fetchone()
        if not raw:
            return None
        *row, has_endpoints = hot.values(raw)
        invoice = _invoice_from_row(row)
        if has_endpoints:
            self._without_endpoints.discard(invoice.merchant_id)
        else:
            self._without_endpoints.add(invoice.merchant_id)
        self._read[invoice.id] = _indexed_values(invoice)
        return invoice

    def get_by_checkout_slug(self, slug: str) -> Invoice | None:
        row = self._conn.execute(_BY_SLUG, {"p_slug": slug}).first()
        return _invoice_from_row(row) if row else None

    def get_live_by_reference(
        self, merchant_id: str, reference: str, *, for_update: bool = False
    ) -> Invoice | None:
        query = _BY_REFERENCE_LOCKED if for_update else _BY_REFERENCE
        params = {"p_merchant": merchant_id, "p_reference": reference}
        row = self._conn.execute(query, params).first()
        return _invoice_from_row(row) if row else None

    def reference_taken(self, merchant_id: str, reference: str, except_id: str | None) -> bool:
        params = {"p_merchant": merchant_id, "p_reference": reference, "p_except": except_id or ""}
        return self._conn.execute(_REFERENCE_TAKEN, params).first() is not None

    def add(self, invoice: Invoice) -> None:
        self._refuse_if_optimistic()
        values = _invoice_to_row(invoice)
        values["id"] = invoice.id
        values["merchant_id"] = invoice.merchant_id
        values["credential_id"] = invoice.credential_id
        values["checkout_slug"] = invoice.checkout_slug
        values["created_at"] = invoice.created_at
        values["callback_url"] = invoice.callback_url
        self._write(_INSERT_INVOICE, values)
        self._events.extend(invoice.events)

    def save(self, invoice: Invoice, revision: Revision) -> None:
        if revision.invoice_id != invoice.id or revision.version != invoice.version:
            raise ValueError("a revision is saved with the version of the invoice it records")
        together = self._hot.get("update_with_revision")
        if together is not None:  # one statement: the revision only if the update landed
            values = _invoice_to_row(invoice)
            values["p_id"] = invoice.id
            values["p_prior"] = invoice.version - 1
            values.update(zip(_REVISION_BINDS, _revision_values(revision), strict=True))
            if self._optimistic:
                if self._held is not None:
                    raise NeedsTransaction("a second change")
                self._held = values
            elif not self._saved(together, values):
                self._raise_stale(invoice.id)
        else:  # SQLite: the indexed columns set only when they change (decision 0030)
            saved = _saved_values(invoice)  # in the UPDATEs' order (checked in `_hot`)
            if self._read.get(invoice.id) == _indexed_values(invoice):
                saved = [saved[index] for index in _UNINDEXED_POSITIONS]
                statement = self._hot["update_unindexed"]
            else:
                statement = self._hot["update"]
            saved += (invoice.id, invoice.version - 1)  # p_id, p_prior
            try:
                cursor = statement.run_ordered(self._conn, saved)
            except IntegrityError as error:
                _raise_duplicate_reference(error.orig)
                raise
            if cursor.rowcount != 1:
                self._raise_stale(invoice.id)
            self.add_revision(revision)
        self._read[invoice.id] = _indexed_values(invoice)  # what the row holds now
        self._events.extend(invoice.events)

    def write_held(self) -> bool:
        """Write the change an optimistic unit of work held back, as one statement in its
        own (implicit) transaction: whether it landed, False if the invoice moved on since
        it was read (nothing was written then). True when nothing was held."""
        held, self._held = self._held, None
        return held is None or self._saved(self._hot["update_with_revision"], held)

    def _saved(self, statement: HotStatement, values: dict[str, Any]) -> bool:
        """Run the versioned UPDATE with its revision; whether the row was at that version."""
        try:
            return bool(statement.run(self._conn, values).rowcount == 1)
        except IntegrityError as error:
            _raise_duplicate_reference(error.orig)
            raise

    def _raise_stale(self, invoice_id: str) -> None:
        current = self._conn.execute(_CURRENT_VERSION, {"p_id": invoice_id}).scalar()
        raise StaleVersion(current or 0)

    def _refuse_if_optimistic(self) -> None:
        if self._optimistic:
            raise NeedsTransaction("a write other than the one change")

    def collect_events(self) -> list[InvoiceEvent]:
        events, self._events = self._events, []
        return events

    def has_unannounced_expiry(self, now: datetime) -> bool:
        query = sa.select(invoices.c.id).where(_unannounced_expiry(now)).limit(1)
        return self._conn.execute(query).first() is not None

    def unannounced_expiries(self, now: datetime, limit: int) -> list[Invoice]:
        query = (
            sa.select(invoices)
            .where(_unannounced_expiry(now))
            .order_by(invoices.c.expires_at, invoices.c.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        return [_invoice_from_row(row) for row in self._conn.execute(query)]

    def announce_expiry(self, invoice: Invoice) -> bool:
        self._refuse_if_optimistic()
        # Guarded by what was read: another node that announced this expiry first, or a
        # change since (paid, cancelled, a new expires_at), leaves no row to update.
        marked = self._conn.execute(
            sa.update(invoices)
            .where(
                invoices.c.id == invoice.id,
                invoices.c.version == invoice.version,
                invoices.c.expires_at == invoice.expires_at,
                EXPIRY_UNANNOUNCED,
            )
            .values(expiry_announced_for=invoice.expires_at)
        )
        if marked.rowcount != 1:
            return False
        self._events.extend(invoice.events)
        return True

    def add_revision(self, revision: Revision) -> None:
        self._refuse_if_optimistic()
        # The revision's fields read at once, in the INSERT's order (checked in `_hot`).
        self._hot["add_revision"].run_ordered(self._conn, list(_revision_values(revision)))

    def revisions(self, invoice_id: str) -> list[Revision]:
        rows = self._conn.execute(_REVISIONS, {"p_id": invoice_id}).mappings()
        history: list[Revision] = []
        for row in rows:
            history.append(
                Revision(
                    invoice_id=row["invoice_id"],
                    version=row["version"],
                    action=row["action"],
                    actor=row["actor"],
                    dialect=row["dialect"],
                    at=row["at"],
                    before=history[-1].after if history else None,
                    after=row["after"],
                    changed=row["changed"],
                )
            )
        return history

    def list_for_merchant(self, merchant_id: str, query: InvoiceQuery) -> tuple[list[Invoice], int]:
        conditions: list[sa.ColumnElement[bool]] = [invoices.c.merchant_id == merchant_id]
        if query.status is not None:
            conditions.append(invoices.c.status == query.status.value)
        if query.created_from is not None:
            conditions.append(invoices.c.created_at >= _utc_midnight(query.created_from))
        if query.created_to is not None and query.created_to < date.max:
            # inclusive: up to the next day's midnight (the last day there is has no next)
            end = _utc_midnight(query.created_to + timedelta(days=1))
            conditions.append(invoices.c.created_at < end)
        if query.currencies is not None:
            conditions.append(invoices.c.currency.in_(sorted(query.currencies)))
        if query.customer_name:
            conditions.append(
                invoices.c.customer_name.icontains(query.customer_name, autoescape=True)
            )
        if query.customer_phone:
            conditions.append(
                invoices.c.customer_phone.icontains(query.customer_phone, autoescape=True)
            )
        count = sa.select(sa.func.count()).select_from(invoices).where(*conditions)
        total = int(self._conn.execute(count).scalar_one())
        page = (
            sa.select(invoices)
            .where(*conditions)
            .order_by(invoices.c.created_at, invoices.c.id)  # stable: ids break ties
            .limit(query.page_size)
            .offset((query.page - 1) * query.page_size)
        )
        return [_invoice_from_row(row) for row in self._conn.execute(page)], total

    def page_for_merchant(
        self, merchant_id: str, where: InvoiceFilter, after: PagePosition | None, limit: int
    ) -> list[Invoice]:
        conditions: list[sa.ColumnElement[bool]] = [invoices.c.merchant_id == merchant_id]
        if where.status is not None:
            conditions.append(invoices.c.status == where.status.value)
        if where.reference is not None:
            conditions.append(invoices.c.reference == where.reference)
        if where.created_from is not None:
            conditions.append(invoices.c.created_at >= where.created_from)
        if where.created_before is not None:
            conditions.append(invoices.c.created_at < where.created_before)
        if where.customer:
            conditions.append(
                sa.or_(
                    *(
                        column.icontains(where.customer, autoescape=True)
                        for column in (
                            invoices.c.customer_name,
                            invoices.c.customer_email,
                            invoices.c.customer_phone,
                        )
                    )
                )
            )
        if after is not None:  # keyset: strictly past the last row of the previous page
            conditions.append(
                sa.or_(
                    invoices.c.created_at < after.created_at,
                    sa.and_(
                        invoices.c.created_at == after.created_at, invoices.c.id < after.invoice_id
                    ),
                )
            )
        page = (
            sa.select(invoices)
            .where(*conditions)
            .order_by(invoices.c.created_at.desc(), invoices.c.id.desc())
            .limit(limit)
        )
        return [_invoice_from_row(row) for row in self._conn.execute(page)]

    def _write(self, statement: sa.Executable, values: dict[str, Any]) -> sa.CursorResult[Any]:
        try:
            return self._conn.execute(statement, values)
        except IntegrityError as error:
            _raise_duplicate_reference(error.orig)
            raise


def _unannounced_expiry(now: datetime) -> sa.ColumnElement[bool]:
    return sa.and_(EXPIRY_UNANNOUNCED, invoices.c.expires_at <= now)


def _raise_duplicate_reference(error: BaseException | None) -> None:
    """DuplicateReference if the driver's error is the live-reference index refusing a row."""
    text = str(error)
    if _LIVE_REFERENCE_INDEX in text or "invoices.merchant_id, invoices.reference" in text:
        raise DuplicateReference from None


class SqlMerchantRepository:
    def __init__(self, conn: sa.Connection, box: SecretBox) -> None:
        self._conn = conn
        self._box = box

    def add_merchant(self, merchant: Merchant) -> None:
        self._conn.execute(
            sa.insert(merchants).values(
                id=merchant.id, name=merchant.name, created_at=merchant.created_at
            )
        )

    def get_merchant(self, merchant_id: str) -> Merchant | None:
        row = self._conn.execute(sa.select(merchants).where(merchants.c.id == merchant_id)).first()
        return Merchant(row.id, row.name, row.created_at) if row else None

    def find_merchant_by_name(self, name: str) -> Merchant | None:
        row = self._conn.execute(
            sa.select(merchants).where(merchants.c.name == name).order_by(merchants.c.created_at)
        ).first()
        return Merchant(row.id, row.name, row.created_at) if row else None

    def add_credential(self, credential: Credential) -> None:
        sealed = self._box.seal(credential.secret) if credential.secret is not None else None
        self._conn.execute(
            sa.insert(credentials).values(
                id=credential.id,
                merchant_id=credential.merchant_id,
                dialect=credential.dialect,
                public_id=credential.public_id,
                secret_encrypted=sealed,
                secret_hash=credential.secret_hash,
                display_name=credential.display_name,
                callback_url=credential.callback_url,
                created_at=credential.created_at,
            )
        )

    def credential(self, dialect: str, public_id: str) -> Credential | None:
        row = (
            self._conn.execute(
                sa.select(credentials).where(
                    credentials.c.dialect == dialect, credentials.c.public_id == public_id
                )
            )
            .mappings()
            .first()
        )
        return self._credential_from_row(row) if row else None

    def credentials_of(self, merchant_id: str) -> list[Credential]:
        rows = self._conn.execute(
            sa.select(credentials)
            .where(credentials.c.merchant_id == merchant_id)
            .order_by(credentials.c.created_at)
        ).mappings()
        return [self._credential_from_row(row) for row in rows]

    def get_credential(self, credential_id: str) -> Credential | None:
        query = sa.select(credentials).where(credentials.c.id == credential_id)
        row = self._conn.execute(query).mappings().first()
        return self._credential_from_row(row) if row else None

    def revoke_credential(self, credential_id: str, at: datetime) -> None:
        self._conn.execute(
            sa.update(credentials).where(credentials.c.id == credential_id).values(revoked_at=at)
        )

    def set_callback_url(self, credential_id: str, url: str | None) -> None:
        self._conn.execute(
            sa.update(credentials).where(credentials.c.id == credential_id).values(callback_url=url)
        )

    def _credential_from_row(self, row: sa.RowMapping) -> Credential:
        sealed = row["secret_encrypted"]
        return Credential(
            id=row["id"],
            merchant_id=row["merchant_id"],
            dialect=row["dialect"],
            public_id=row["public_id"],
            secret=self._box.open(sealed) if sealed is not None else None,
            secret_hash=row["secret_hash"],
            display_name=row["display_name"],
            callback_url=row["callback_url"],
            created_at=row["created_at"],
            revoked_at=row["revoked_at"],
        )


def _invoice_to_row(invoice: Invoice) -> dict[str, Any]:
    """The columns an update may change (identity and creation facts never do)."""
    return dict(zip(_SAVED_COLUMNS, _saved_values(invoice), strict=True))


_STATUSES = {status.value: status for status in InvoiceStatus}


def _revision_to_row(revision: Revision) -> dict[str, Any]:
    """The stored columns (the state before is the previous revision's: not stored)."""
    return dict(zip(_REVISION_COLUMNS, _revision_values(revision), strict=True))


def _utc_midnight(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


def _payment_to_json(payment: Payment) -> dict[str, Any]:
    return {
        "id": payment.id,
        "channel": payment.channel,
        "code": payment.code,
        "payment_ref": payment.payment_ref,
        "amount": payment.amount,
        "fee": payment.fee,
        "paid_at": payment.paid_at.isoformat(),
    }


def _payment_from_json(data: dict[str, Any]) -> Payment:
    return Payment(
        id=data["id"],
        channel=data["channel"],
        code=data["code"],
        payment_ref=data["payment_ref"],
        amount=data["amount"],
        fee=data["fee"],
        paid_at=datetime.fromisoformat(data["paid_at"]),
    )


# How the invoice's fields and its columns meet, from the dataclass and the table: a column
# named as a field holds its value as it is, so a field added to both under one name is
# stored and read with no edit here. The others are written (`_TO_COLUMN`) and read
# (`_TO_FIELD`) by these expressions; a column or field neither covers fails the import.
_TO_COLUMN = {  # column: its value, from `invoice` (and its `customer` and `payment`)
    "customer_name": "customer.name",
    "customer_email": "customer.email",
    "customer_phone": "customer.phone",
    "items": "[[i.id, i.name, i.quantity, i.unit_price] for i in invoice.items]",
    "currency": "invoice.currency.code",
    "total": "invoice.total",  # kept for listing and filters; never read back
    "status": "invoice.status._value_",
    "payment": "_payment_to_json(payment) if payment else None",
}
_TO_FIELD = {  # field: its value, from the row's columns (each a local of its name)
    "customer": "make_customer(customer_name, customer_phone, customer_email)",
    "items": "tuple([make_line_item(*item) for item in items])",
    "currency": "Currency.of(currency)",
    "status": "_STATUSES[status]",
    "payment": "_payment_from_json(payment) if payment else None",
    "events": "()",  # what a change recorded: never stored
}
_NOT_READ = frozenset({"total", "expiry_announced_for"})  # the items' sum; announce_expiry's


def _mappers() -> str:
    """The source of `_saved_values` and `_invoice_from_row`, written out once from the
    table and the dataclass (as `dataclasses` writes `__init__`): the hot paths then run
    one plain function each, at the cost of the hand-written ones they replace."""
    fields = [f.name for f in dataclasses.fields(Invoice)]
    columns = [c.name for c in invoices.c]
    unmapped = set(columns) - set(fields) - _TO_COLUMN.keys() - _NOT_READ
    unmapped |= {c for c in _SAVED_COLUMNS if c not in fields and c not in _TO_COLUMN}
    unstored = set(fields) - set(columns) - _TO_FIELD.keys()
    if unmapped or unstored:
        raise AssertionError(
            f"invoices columns no invoice field maps to: {sorted(unmapped)};"
            f" invoice fields no column stores: {sorted(unstored)}"
        )
    saved = [_TO_COLUMN.get(c, f"invoice.{c}") for c in _SAVED_COLUMNS]
    read = [_TO_FIELD.get(f, f) for f in fields]
    return (
        "def _saved_values(invoice):\n"
        "    customer, payment = invoice.customer, invoice.payment\n"
        f"    return [{', '.join(saved)}]\n"
        "def _invoice_from_row(row):\n"
        f"    ({', '.join(columns)},) = row\n"
        f"    return make_invoice({', '.join(read)})\n"
    )


_made: dict[str, Any] = {}
_USED = {  # what the expressions above call
    "make_invoice": make_invoice,
    "make_customer": make_customer,
    "make_line_item": make_line_item,
    "Currency": Currency,
    "_STATUSES": _STATUSES,
    "_payment_to_json": _payment_to_json,
    "_payment_from_json": _payment_from_json,
}
exec(_mappers(), _USED, _made)  # noqa: S102 - written above from the two lists of names
_saved_values: Callable[[Invoice], list[Any]] = _made["_saved_values"]  # `_SAVED_COLUMNS`' order
_invoice_from_row: Callable[[Sequence[Any]], Invoice] = _made["_invoice_from_row"]
