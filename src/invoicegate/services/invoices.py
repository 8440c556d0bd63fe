"""Invoice use cases: create, find, update and cancel, each one unit of work."""

from dataclasses import dataclass, replace
from datetime import UTC, datetime

from invoicegate.domain.errors import (
    DuplicateReference,
    InvalidInput,
    InvoiceNotFound,
    StaleVersion,
)
from invoicegate.domain.invoice import (
    Invoice,
    InvoiceChanges,
    InvoiceStatus,
    InvoiceTerms,
    Revision,
    new_invoice,
)
from invoicegate.domain.money import Currency
from invoicegate.services import ids
from invoicegate.services.ports import (
    MAX_PAGE_SIZE,
    Clock,
    InvoiceFilter,
    InvoiceQuery,
    PagePosition,
    Transactor,
    UnitOfWork,
)


@dataclass(frozen=True, slots=True)
class Actor:
    """Who asks: a merchant through one of its credentials, in one dialect.

    `currencies` are the codes the dialect can express (None: every currency). An invoice
    in any other currency does not exist for this actor, exactly like another merchant's:
    a dialect must never show or change amounts whose currency it cannot say.
    """

    merchant_id: str
    credential_id: str | None
    dialect: str
    currencies: frozenset[str] | None = None

    @property
    def name(self) -> str:
        return self.credential_id or f"{self.dialect}:operator"

    def speaks(self, currency: Currency) -> bool:
        return self.currencies is None or currency.code in self.currencies


def utc_now() -> datetime:
    return datetime.now(UTC)


class InvoiceService:
    def __init__(self, transactor: Transactor, clock: Clock = utc_now) -> None:
        self._tx = transactor
        self._clock = clock

    async def create_invoice(self, actor: Actor, terms: InvoiceTerms) -> Invoice:
        _check_speaks(actor, terms.currency)

        def work(uow: UnitOfWork) -> Invoice:
            if uow.invoices.reference_taken(actor.merchant_id, terms.reference, None):
                raise DuplicateReference
            now = self._clock()
            invoice = new_invoice(
                terms,
                invoice_id=ids.new_id(),
                merchant_id=actor.merchant_id,
                credential_id=actor.credential_id,
                checkout_slug=ids.new_checkout_slug(),
                now=now,
                new_id=ids.new_id,
            )
            uow.invoices.add(invoice)
            uow.invoices.add_revision(
                Revision.of(
                    "created", None, invoice, actor=actor.name, dialect=actor.dialect, at=now
                )
            )
            return invoice

        return await self._tx.write(work)

    async def find_invoice(
        self, actor: Actor, invoice_id: str, *, include_cancelled: bool = False
    ) -> Invoice:
        def work(uow: UnitOfWork) -> Invoice:
            return _owned(uow.invoices.get(invoice_id), actor, include_cancelled)

        return await self._tx.lookup(work, one_statement=True)  # the SELECT by id

    async def find_by_reference(self, actor: Actor, reference: str) -> Invoice:
        def work(uow: UnitOfWork) -> Invoice:
            invoice = uow.invoices.get_live_by_reference(actor.merchant_id, reference)
            return _owned(invoice, actor, include_cancelled=False)

        return await self._tx.lookup(work)

    async def update_invoice(
        self,
        actor: Actor,
        invoice_id: str,
        changes: InvoiceChanges,
        *,
        expected_version: int | None = None,
    ) -> Invoice:
        """Apply changes atomically: the invoice is locked, re-checked and saved at version+1."""
        if changes.currency is not None:
            _check_speaks(actor, changes.currency)

        def work(uow: UnitOfWork) -> Invoice:
            current = uow.invoices.get(invoice_id, for_update=True)
            current = _owned(current, actor, include_cancelled=True)
            current.ensure_changeable()
            check_version(current, expected_version)
            reference = changes.reference
            if (
                reference is not None
                and reference != current.reference
                and uow.invoices.reference_taken(actor.merchant_id, reference, current.id)
            ):
                raise DuplicateReference
            now = self._clock()
            updated = current.updated(changes, now, ids.new_id)
            uow.invoices.save(
                updated,
                Revision.of(
                    "updated", current, updated, actor=actor.name, dialect=actor.dialect, at=now
                ),
            )
            return updated

        # One invoice read, then changed through `save`: a store may skip the row lock.
        return await self._tx.write(work, optimistic=True)

    async def cancel_invoice(
        self, actor: Actor, invoice_id: str, *, expected_version: int | None = None
    ) -> Invoice:
        """Soft delete: the invoice and its revisions stay; it just stops being live."""

        def work(uow: UnitOfWork) -> Invoice:
            current = _owned(uow.invoices.get(invoice_id, for_update=True), actor, True)
            current.ensure_changeable()
            check_version(current, expected_version)
            return _cancel(uow, actor, current, self._clock())

        return await self._tx.write(work, optimistic=True)

    async def cancel_by_reference(self, actor: Actor, reference: str) -> Invoice:
        def work(uow: UnitOfWork) -> Invoice:
            found = uow.invoices.get_live_by_reference(
                actor.merchant_id, reference, for_update=True
            )
            current = _owned(found, actor, include_cancelled=False)
            return _cancel(uow, actor, current, self._clock())

        return await self._tx.write(work)

    async def list_invoices(self, actor: Actor, query: InvoiceQuery) -> tuple[list[Invoice], int]:
        """One page of the merchant's invoices and the count of all that match the filters.

        Only invoices in currencies the actor speaks are listed (or counted).
        """
        problems: list[tuple[str, str]] = []
        if query.page < 1:
            problems.append(("page", "must be 1 or more"))
        if not 1 <= query.page_size <= MAX_PAGE_SIZE:
            problems.append(("page_size", f"must be 1 to {MAX_PAGE_SIZE}"))
        if problems:
            raise InvalidInput(problems)
        query = replace(query, currencies=actor.currencies)
        return await self._tx.read(
            lambda uow: uow.invoices.list_for_merchant(actor.merchant_id, query)
        )

    async def revisions(self, merchant_id: str, invoice_id: str) -> list[Revision]:
        """The invoice's history, for its merchant whatever the currency (an audit view)."""

        def work(uow: UnitOfWork) -> list[Revision]:
            _owned(uow.invoices.get(invoice_id), Actor(merchant_id, None, "audit"), True)
            return uow.invoices.revisions(invoice_id)

        return await self._tx.read(work)

    async def history(self, merchant_id: str, invoice_id: str) -> list[Revision]:
        """The revisions, each actor named as a person may see it (a credential's public id)."""

        def work(uow: UnitOfWork) -> list[Revision]:
            _owned(uow.invoices.get(invoice_id), Actor(merchant_id, None, "audit"), True)
            shown = {c.id: c.shown_id for c in uow.merchants.credentials_of(merchant_id)}
            return [
                replace(r, actor=shown.get(r.actor, r.actor))
                for r in uow.invoices.revisions(invoice_id)
            ]

        return await self._tx.read(work)

    async def page_invoices(
        self, merchant_id: str, where: InvoiceFilter, after: PagePosition | None, limit: int
    ) -> tuple[list[Invoice], bool]:
        """One keyset page, newest first, and whether more follow it."""
        if not 1 <= limit <= MAX_PAGE_SIZE:
            raise InvalidInput([("limit", f"must be 1 to {MAX_PAGE_SIZE}")])

        def work(uow: UnitOfWork) -> list[Invoice]:
            return uow.invoices.page_for_merchant(merchant_id, where, after, limit + 1)

        found = await self._tx.read(work)
        return found[:limit], len(found) > limit


def check_version(current: Invoice, expected_version: int | None) -> None:
    """A caller that states the version it saw is refused if the invoice moved on since."""
    if expected_version is not None and expected_version != current.version:
        raise StaleVersion(current.version)


def _owned(invoice: Invoice | None, actor: Actor, include_cancelled: bool) -> Invoice:
    """The invoice if this actor may see it; another merchant's is simply not found, and so
    is one in a currency the actor's dialect cannot express."""
    if invoice is None or invoice.merchant_id != actor.merchant_id:
        raise InvoiceNotFound
    if not actor.speaks(invoice.currency):
        raise InvoiceNotFound
    if invoice.status is InvoiceStatus.CANCELLED and not include_cancelled:
        raise InvoiceNotFound
    return invoice


def _check_speaks(actor: Actor, currency: Currency) -> None:
    if not actor.speaks(currency):
        raise InvalidInput([("currency", f"{currency.code} cannot be used in {actor.dialect}")])


def _cancel(uow: UnitOfWork, actor: Actor, current: Invoice, now: datetime) -> Invoice:
    cancelled = current.cancelled(now)
    uow.invoices.save(
        cancelled,
        Revision.of(
            "cancelled", current, cancelled, actor=actor.name, dialect=actor.dialect, at=now
        ),
    )
    return cancelled
