"""The invoice and its rules: what it holds, how it may change, and when it can be paid."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, fields
from datetime import UTC, date, datetime
from enum import StrEnum
from operator import attrgetter
from typing import Any, TypeVar, get_args, get_type_hints

from invoicegate.domain import events as happened  # its names meet errors' (InvoiceExpired)
from invoicegate.domain.errors import (
    InvalidInput,
    InvoiceAlreadyPaid,
    InvoiceCancelled,
    InvoiceExpired,
)
from invoicegate.domain.events import InvoiceEvent
from invoicegate.domain.money import MAX_MINOR_UNITS, Currency
from invoicegate.domain.records import Quick

T = TypeVar("T")

MAX_ITEMS = 1000
MAX_QUANTITY = 1_000_000


class InvoiceStatus(StrEnum):
    UNPAID = "unpaid"
    PAID = "paid"
    CANCELLED = "cancelled"


@dataclass(frozen=True, slots=True)
class Customer:
    name: str
    phone: str
    email: str = ""


@dataclass(frozen=True, slots=True)
class ItemSpec:
    """A line item as a caller states it, before the invoice gives it an id."""

    name: str
    quantity: int
    unit_price: int  # minor units


@dataclass(frozen=True, slots=True)
class LineItem:
    id: str
    name: str
    quantity: int
    unit_price: int  # minor units

    @property
    def total(self) -> int:
        return self.quantity * self.unit_price


@dataclass(frozen=True, slots=True)
class Payment:
    id: str
    channel: str
    code: str
    payment_ref: str
    amount: int  # minor units
    fee: int  # minor units
    paid_at: datetime

    @property
    def nett(self) -> int:
        return self.amount - self.fee


@dataclass(frozen=True, slots=True)
class InvoiceTerms:
    """Everything a merchant states when creating an invoice."""

    reference: str
    customer: Customer
    items: Sequence[ItemSpec]
    currency: Currency
    back_url: str | None = None
    expires_at: datetime | None = None
    due_date: date | None = None
    callback_url: str | None = None


@dataclass(frozen=True, slots=True)
class CustomerChanges:
    """A partial change of the customer: every field left as None keeps its current value."""

    name: str | None = None
    email: str | None = None
    phone: str | None = None

    def applied_to(self, current: Customer) -> Customer:
        return make_customer(
            name=_pick(self.name, current.name),
            phone=_pick(self.phone, current.phone),
            email=_pick(self.email, current.email),
        )


@dataclass(frozen=True, slots=True)
class InvoiceChanges:
    """An update: every field left as None keeps its current value; `cleared` ones are unset.

    Items without a currency are priced in the invoice's current one: only a dialect that
    shows its clients the currency may leave it out (Winpay always states rupiah).
    """

    reference: str | None = None
    customer: Customer | CustomerChanges | None = None
    items: Sequence[ItemSpec] | None = None
    currency: Currency | None = None
    back_url: str | None = None
    expires_at: datetime | None = None
    due_date: date | None = None
    cleared: frozenset[str] = frozenset()

    def fields(self) -> frozenset[str]:
        """The names of the fields this update sets or clears."""
        values = _editable_values(self)  # all at once, in C: every update asks
        named = {
            name for name, value in zip(EDITABLE_FIELDS, values, strict=True) if value is not None
        }
        return frozenset(named) | self.cleared


# Every field an update may name: InvoiceChanges' own fields, each the invoice's field of that
# name (checked below Invoice). A field added to InvoiceChanges is editable everywhere at once.
EDITABLE_FIELDS = tuple(f.name for f in fields(InvoiceChanges) if f.name != "cleared")
_editable_values = attrgetter(*EDITABLE_FIELDS)

# What may change in which status: the one table every dialect's update goes through (the
# native API's docs print it). An unpaid invoice past its expiry is still unpaid: it may be
# changed, e.g. given a later expiry, but not paid. Paid and cancelled invoices never change.
_EVERY_EDITABLE = frozenset(EDITABLE_FIELDS)
CHANGEABLE_FIELDS: dict[InvoiceStatus, frozenset[str]] = {
    InvoiceStatus.UNPAID: _EVERY_EDITABLE,
    InvoiceStatus.PAID: frozenset(),
    InvoiceStatus.CANCELLED: frozenset(),
}


@dataclass(frozen=True, slots=True)
class Invoice:
    id: str
    merchant_id: str
    credential_id: str | None  # the credential it was created with (callback URL, display name)
    checkout_slug: str
    reference: str
    customer: Customer
    items: tuple[LineItem, ...]
    currency: Currency
    back_url: str | None
    expires_at: datetime | None
    due_date: date | None
    callback_url: str | None
    status: InvoiceStatus
    version: int
    created_at: datetime
    updated_at: datetime
    payment: Payment | None = None
    # What the change that made this version recorded (domain/events.py); never stored,
    # and not part of an invoice's identity or equality.
    events: tuple[InvoiceEvent, ...] = field(default=(), compare=False, repr=False)

    @property
    def total(self) -> int:
        return sum([item.quantity * item.unit_price for item in self.items])  # LineItem.total

    def is_expired(self, now: datetime) -> bool:
        return self.expires_at is not None and now >= self.expires_at

    def ensure_changeable(self) -> None:
        """Paid invoices never change; cancelled ones are gone for every purpose but audit."""
        if CHANGEABLE_FIELDS[self.status]:
            return
        if self.status is InvoiceStatus.PAID:
            raise InvoiceAlreadyPaid
        raise InvoiceCancelled

    def updated(self, changes: InvoiceChanges, now: datetime, new_id: Callable[[], str]) -> Invoice:
        """The next version of this invoice; line items are replaced whole with fresh ids."""
        self.ensure_changeable()
        changeable = CHANGEABLE_FIELDS[self.status]
        cleared = changes.cleared
        # Every update asks; with nothing cleared and every field changeable (an unpaid
        # invoice: the others were refused above) there is nothing to find.
        if cleared or changeable is not _EVERY_EDITABLE:
            problems = [
                (name, f"cannot be changed while the invoice is {self.status.value}")
                for name in sorted(changes.fields() - changeable)
            ]
            problems += [(name, "cannot be cleared") for name in sorted(cleared - CLEARABLE_FIELDS)]
            if problems:
                raise InvalidInput(problems)
        currency = changes.currency
        if currency is None:
            currency = self.currency
        elif currency != self.currency and changes.items is None:
            # Prices are minor units of the currency: they mean nothing in another one.
            raise InvalidInput([("currency", "a new currency needs the items priced in it")])
        items = self.items
        if changes.items is not None:
            items = _line_items(changes.items, new_id)
        check_total(items)
        customer = changes.customer
        if customer is None:
            customer = self.customer
        elif isinstance(customer, CustomerChanges):
            customer = customer.applied_to(self.customer)
        # Every field as it is, then the changes over it: a field the update does not name
        # (one added to the invoice included) is kept, never reset to its default. The copy
        # that carries the event is built from the same values.
        values = list(_INVOICE.values(self))  # by position, in the fields' order
        for index, value in zip(_EDITABLE_POSITIONS, _editable_values(changes), strict=True):
            if value is not None:
                values[index] = value
        for name in cleared:  # only clearable ones: the others were refused above
            values[_POSITION[name]] = None
        values[_CUSTOMER] = customer
        values[_ITEMS] = items
        values[_CURRENCY] = currency
        values[_VERSION] = self.version + 1
        values[_UPDATED_AT] = now
        values[_EVENTS] = ()
        next_invoice = make_invoice(*values)
        values[_EVENTS] = (_updated_event(next_invoice, now),)
        return make_invoice(*values)

    def cancelled(self, now: datetime) -> Invoice:
        self.ensure_changeable()
        cancelled = _INVOICE.evolved(
            self,
            status=InvoiceStatus.CANCELLED,
            version=self.version + 1,
            updated_at=now,
            events=(),
        )
        return _INVOICE.evolved(cancelled, events=(happened.InvoiceCancelled(cancelled, now),))

    def expiry_noticed(self, now: datetime) -> Invoice:
        """This invoice, unchanged, recording that its expiry has passed (decision 0019).

        Not a new version: expiring writes nothing, it is only announced.
        """
        if self.status is not InvoiceStatus.UNPAID or not self.is_expired(now):
            raise ValueError("only an unpaid invoice past its expiry expires")
        return _INVOICE.evolved(self, events=(happened.InvoiceExpired(self, now),))

    def paid(self, payment: Payment, now: datetime) -> Invoice:
        self.ensure_changeable()
        if self.is_expired(now):
            raise InvoiceExpired
        if not 0 <= payment.fee <= payment.amount:
            raise InvalidInput([("fee", "must be from 0 to the paid amount")])
        paid = _INVOICE.evolved(
            self,
            status=InvoiceStatus.PAID,
            payment=payment,
            version=self.version + 1,
            updated_at=now,
            events=(),
        )
        return _INVOICE.evolved(paid, events=(happened.InvoicePaid(paid, now),))

    def snapshot(self) -> dict[str, Any]:
        """A JSON-ready picture of the invoice, kept in revisions as before/after."""
        # Every update takes two (before and after): the items and their total in one pass,
        # the status's text read as stored (`.value` is a property of the enum's class).
        items = []
        total = 0
        for i in self.items:
            quantity, unit_price = i.quantity, i.unit_price
            items.append(
                {"id": i.id, "name": i.name, "quantity": quantity, "unit_price": unit_price}
            )
            total += quantity * unit_price
        customer = self.customer
        expires_at, due_date, payment = self.expires_at, self.due_date, self.payment
        return {
            "reference": self.reference,
            "customer": {"name": customer.name, "email": customer.email, "phone": customer.phone},
            "items": items,
            "currency": self.currency.code,
            "total": total,
            "back_url": self.back_url,
            "expires_at": expires_at.isoformat() if expires_at else None,
            "due_date": due_date.isoformat() if due_date else None,
            "status": self.status._value_,
            "payment_id": payment.id if payment else None,
        }


_INVOICE_FIELDS = tuple(f.name for f in fields(Invoice))
assert set(EDITABLE_FIELDS) <= set(_INVOICE_FIELDS), "an InvoiceChanges field the invoice lacks"
_POSITION = {name: index for index, name in enumerate(_INVOICE_FIELDS)}
_EDITABLE_POSITIONS = [_POSITION[name] for name in EDITABLE_FIELDS]
_CUSTOMER, _ITEMS, _CURRENCY, _VERSION, _UPDATED_AT, _EVENTS = (
    _POSITION[name] for name in ("customer", "items", "currency", "version", "updated_at", "events")
)
_HINTS = get_type_hints(Invoice)
# The editable fields an update may unset: those the invoice may be without (typed `| None`).
CLEARABLE_FIELDS = frozenset(
    name for name in EDITABLE_FIELDS if type(None) in get_args(_HINTS[name])
)
# What a merchant states on create is the invoice's field of the same name (items aside).
_TERMS_FIELDS = tuple(f.name for f in fields(InvoiceTerms) if f.name != "items")
assert set(_TERMS_FIELDS) <= set(_INVOICE_FIELDS), "an InvoiceTerms field the invoice lacks"
_terms_values = attrgetter(*_TERMS_FIELDS)


def new_invoice(
    terms: InvoiceTerms,
    *,
    invoice_id: str,
    merchant_id: str,
    credential_id: str | None,
    checkout_slug: str,
    now: datetime,
    new_id: Callable[[], str],
) -> Invoice:
    items = _line_items(terms.items, new_id)
    check_total(items)
    invoice = Invoice(
        **dict(zip(_TERMS_FIELDS, _terms_values(terms), strict=True)),
        id=invoice_id,
        merchant_id=merchant_id,
        credential_id=credential_id,
        checkout_slug=checkout_slug,
        items=items,
        status=InvoiceStatus.UNPAID,
        version=1,
        created_at=now,
        updated_at=now,
    )
    return _INVOICE.evolved(invoice, events=(happened.InvoiceCreated(invoice, now),))


def check_total(items: Sequence[LineItem | ItemSpec]) -> None:
    """The rules every set of line items keeps, whatever dialect stated them."""
    problems: list[tuple[str, str]] = []
    if not items:
        problems.append(("items", "must hold at least one item"))
    elif len(items) > MAX_ITEMS:
        problems.append(("items", f"must hold at most {MAX_ITEMS} items"))
    for index, item in enumerate(items):
        if not 1 <= item.quantity <= MAX_QUANTITY:
            problems.append((f"items[{index}].quantity", f"must be 1 to {MAX_QUANTITY}"))
        if item.unit_price < 0:
            problems.append((f"items[{index}].unit_price", "must not be negative"))
    if not problems:
        total = sum(item.quantity * item.unit_price for item in items)
        if total > MAX_MINOR_UNITS:
            problems.append(("items", "total is too large (beyond 64 bits)"))
        elif total <= 0:
            problems.append(("items", "total must be more than zero"))
    if problems:
        raise InvalidInput(problems)


def _line_items(specs: Sequence[ItemSpec], new_id: Callable[[], str]) -> tuple[LineItem, ...]:
    return tuple([make_line_item(new_id(), s.name, s.quantity, s.unit_price) for s in specs])


def _pick(new: T | None, current: T) -> T:
    return current if new is None else new


@dataclass(frozen=True, slots=True)
class Revision:
    """One state change of an invoice: who made it, through which dialect, and what it was."""

    invoice_id: str
    version: int
    action: str  # created, updated, cancelled, paid
    actor: str  # the credential id, or "cli:<user>" for operator commands
    dialect: str
    at: datetime
    before: dict[str, Any] | None
    after: dict[str, Any]
    changed: list[str] = field(default_factory=list)

    @classmethod
    def of(
        cls,
        action: str,
        before: Invoice | None,
        after: Invoice,
        *,
        actor: str,
        dialect: str,
        at: datetime,
    ) -> Revision:
        before_snap = before.snapshot() if before else None
        after_snap = after.snapshot()
        if not before_snap:
            changed = sorted(after_snap)
        else:  # the snapshot's own keys: one added to it is compared with the rest
            changed = [k for k in after_snap if before_snap[k] != after_snap[k]]
            changed.sort()
        return _REVISION.new(
            after.id, after.version, action, actor, dialect, at, before_snap, after_snap, changed
        )


# The records every find and update makes, built at a plain object's cost (records.py): the
# same objects their classes' own constructors and `dataclasses.replace` make.
_INVOICE = Quick(Invoice)
_REVISION = Quick(Revision)
make_invoice = _INVOICE.new
make_customer = Quick(Customer).new
make_line_item = Quick(LineItem).new
_updated_event = Quick(happened.InvoiceUpdated).new


def _snapshot_keys() -> frozenset[str]:
    """The keys of a snapshot; every editable field must be one, or its change would not be
    recorded in the revision (checked when the module loads)."""
    terms = InvoiceTerms("r", Customer("n", "p"), [ItemSpec("i", 1, 1)], Currency.of("IDR"))
    sample = new_invoice(
        terms,
        invoice_id="i",
        merchant_id="m",
        credential_id=None,
        checkout_slug="s",
        now=datetime(2000, 1, 1, tzinfo=UTC),
        new_id=lambda: "li",
    )
    return frozenset(sample.snapshot())


_missing = set(EDITABLE_FIELDS) - _snapshot_keys()
assert not _missing, f"Invoice.snapshot() must record the editable fields {sorted(_missing)}"
