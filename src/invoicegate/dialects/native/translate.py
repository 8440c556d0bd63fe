"""Native wire ↔ invoice core: bodies to commands, invoices and revisions to answers."""

import base64
import binascii
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from invoicegate.dialects.native.schemas import (
    CreateInvoice,
    CustomerOut,
    FieldChangeOut,
    InvoiceOut,
    InvoicePatch,
    ItemIn,
    ItemOut,
    PaymentOut,
    RevisionOut,
)
from invoicegate.domain.changes import field_changes
from invoicegate.domain.errors import InvalidInput
from invoicegate.domain.invoice import (
    Customer,
    CustomerChanges,
    Invoice,
    InvoiceChanges,
    InvoiceStatus,
    InvoiceTerms,
    ItemSpec,
    Revision,
)
from invoicegate.domain.money import Currency
from invoicegate.services.ports import PagePosition


def create_terms(body: CreateInvoice) -> InvoiceTerms:
    customer = body.customer
    return InvoiceTerms(
        reference=body.reference,
        customer=Customer(
            name=customer.name, phone=customer.phone or "", email=customer.email or ""
        ),
        items=_items(body.items),
        currency=Currency.of(body.currency),
        back_url=body.back_url,
        expires_at=body.expires_at,
        due_date=body.due_date,
    )


def invoice_changes(patch: InvoicePatch) -> InvoiceChanges:
    """RFC 7396: a member present as null clears the field; the core says which may be."""
    sent = patch.model_fields_set
    cleared = frozenset(name for name in sent if getattr(patch, name) is None)
    customer: CustomerChanges | None = None
    if patch.customer is not None:
        given = patch.customer.model_fields_set
        if "name" in given and patch.customer.name is None:
            raise InvalidInput([("customer.name", "cannot be cleared")])
        customer = CustomerChanges(
            name=patch.customer.name,
            # A customer without email or phone holds "" there: null clears to that.
            email=_cleared_to_empty(patch.customer.email, "email" in given),
            phone=_cleared_to_empty(patch.customer.phone, "phone" in given),
        )
    return InvoiceChanges(
        reference=patch.reference,
        customer=customer,
        items=_items(patch.items) if patch.items is not None else None,
        currency=Currency.of(patch.currency) if patch.currency is not None else None,
        back_url=patch.back_url,
        expires_at=patch.expires_at,
        due_date=patch.due_date,
        cleared=cleared,
    )


def _cleared_to_empty(value: str | None, sent: bool) -> str | None:
    return "" if sent and value is None else value


def _items(items: Sequence[ItemIn]) -> list[ItemSpec]:
    return [ItemSpec(i.name, i.quantity, i.unit_price) for i in items]


def invoice_out(invoice: Invoice, public_url: str, now: datetime) -> InvoiceOut:
    payment = invoice.payment
    return InvoiceOut(
        id=invoice.id,
        reference=invoice.reference,
        status=invoice.status.value,
        expired=invoice.status is InvoiceStatus.UNPAID and invoice.is_expired(now),
        currency=invoice.currency.code,
        total=invoice.total,
        items=[
            ItemOut(
                id=i.id, name=i.name, quantity=i.quantity, unit_price=i.unit_price, total=i.total
            )
            for i in invoice.items
        ],
        customer=CustomerOut(
            name=invoice.customer.name, email=invoice.customer.email, phone=invoice.customer.phone
        ),
        back_url=invoice.back_url,
        expires_at=invoice.expires_at,
        due_date=invoice.due_date,
        checkout_url=f"{public_url}/{invoice.checkout_slug}",
        payment=(
            PaymentOut(
                id=payment.id,
                channel=payment.channel,
                code=payment.code,
                reference=payment.payment_ref,
                amount=payment.amount,
                fee=payment.fee,
                net=payment.nett,
                paid_at=payment.paid_at,
            )
            if payment
            else None
        ),
        version=invoice.version,
        created_at=invoice.created_at,
        updated_at=invoice.updated_at,
    )


def revision_out(revision: Revision) -> RevisionOut:
    return RevisionOut(
        version=revision.version,
        action=revision.action,
        at=revision.at,
        by=revision.actor,
        dialect=revision.dialect,
        changes=changes_out(revision.before, revision.after),
    )


def changes_out(before: dict[str, object] | None, after: dict[str, object]) -> list[FieldChangeOut]:
    return [
        FieldChangeOut(pointer=_native_pointer(c.pointer), before=c.before, after=c.after)
        for c in field_changes(before, after)
    ]


def _native_pointer(pointer: str) -> str:
    """Snapshots name the payment by its id alone; the invoice answer nests it."""
    return "/payment/id" if pointer == "/payment_id" else pointer


# --- ETags and cursors --------------------------------------------------------------------


def etag(version: int) -> str:
    """A strong ETag: each version of an invoice has exactly one state."""
    return f'"v{version}"'


def version_of(tag: str) -> int | None:
    """The version an ETag names, or None if it is not one of ours."""
    tag = tag.strip()
    if len(tag) > 24 or not (tag.startswith('"v') and tag.endswith('"')):
        return None
    digits = tag[2:-1]
    return int(digits) if digits.isascii() and digits.isdigit() else None


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


def encode_cursor(position: PagePosition) -> str:
    micros = (position.created_at - _EPOCH) // _MICROSECOND  # exact, unlike a float timestamp
    raw = f"{micros}|{position.invoice_id}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> PagePosition | None:
    """The position a cursor of ours names; None for anything else."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        micros, _, invoice_id = raw.partition("|")
        if not (micros.isascii() and micros.isdigit() and 0 < len(invoice_id) <= 36):
            return None
        at = _EPOCH + int(micros) * _MICROSECOND
    except (binascii.Error, UnicodeDecodeError, ValueError, OverflowError):
        return None
    return PagePosition(at, invoice_id)
