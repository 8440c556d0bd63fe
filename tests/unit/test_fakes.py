"""The fakes keep the SQL store's promises, so service tests over them mean something."""

from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import anyio
import pytest

from invoicegate.domain.callbacks import NewCallbackJob
from invoicegate.domain.errors import DuplicateReference, StaleVersion
from invoicegate.domain.invoice import (
    Customer,
    Invoice,
    InvoiceStatus,
    InvoiceTerms,
    ItemSpec,
    Revision,
    new_invoice,
)
from invoicegate.domain.merchant import Merchant
from invoicegate.domain.money import Currency
from invoicegate.services.ports import UnitOfWork
from tests.unit.fakes import FakeTransactor, IntegrityViolation

T0 = datetime(2025, 1, 1, tzinfo=UTC)


def invoice(invoice_id: str, reference: str = "R", merchant_id: str = "m1") -> Invoice:
    terms = InvoiceTerms(reference, Customer("c", "1"), [ItemSpec("x", 1, 1)], Currency.of("IDR"))
    return new_invoice(
        terms,
        invoice_id=invoice_id,
        merchant_id=merchant_id,
        credential_id=None,
        checkout_slug=f"slug-{invoice_id}",
        now=T0,
        new_id=lambda: f"item-{invoice_id}",
    )


def revised(changed: Invoice) -> Revision:
    return Revision.of("updated", None, changed, actor="a", dialect="d", at=T0)


def save(tx: FakeTransactor, changed: Invoice) -> None:
    tx.run(lambda uow: uow.invoices.save(changed, revised(changed)))


@pytest.fixture
def tx() -> FakeTransactor:
    tx = FakeTransactor()

    def merchants(uow: UnitOfWork) -> None:
        uow.merchants.add_merchant(Merchant("m1", "One", T0))
        uow.merchants.add_merchant(Merchant("m2", "Two", T0))

    tx.run(merchants)
    return tx


def test_save_needs_the_stored_version_to_be_the_one_before(tx: FakeTransactor) -> None:
    first = invoice("i1")
    tx.run(lambda uow: uow.invoices.add(first))
    second = first.cancelled(T0)
    save(tx, second)
    for stale in (first, second, replace(second, version=4)):  # behind, same, ahead
        with pytest.raises(StaleVersion) as error:
            save(tx, stale)
        assert error.value.current_version == 2
    with pytest.raises(StaleVersion) as error:
        save(tx, invoice("never-added").cancelled(T0))
    assert error.value.current_version == 0
    assert tx.store.invoice("i1") == second


def test_add_refuses_a_live_reference_of_the_same_merchant(tx: FakeTransactor) -> None:
    tx.run(lambda uow: uow.invoices.add(invoice("i1", "R")))
    with pytest.raises(DuplicateReference):
        tx.run(lambda uow: uow.invoices.add(invoice("i2", "R")))
    tx.run(lambda uow: uow.invoices.add(invoice("i3", "R", merchant_id="m2")))
    save(tx, tx.store.invoice("i1").cancelled(T0))
    tx.run(lambda uow: uow.invoices.add(invoice("i4", "R")))
    assert sorted(tx.store.state.invoices) == ["i1", "i3", "i4"]
    assert tx.store.invoice("i1").status is InvoiceStatus.CANCELLED


def test_save_onto_a_live_reference_is_refused_like_the_unique_index(tx: FakeTransactor) -> None:
    tx.run(lambda uow: uow.invoices.add(invoice("i1", "A")))
    tx.run(lambda uow: uow.invoices.add(invoice("i2", "B")))
    clash = replace(tx.store.invoice("i2"), reference="A", version=2)
    with pytest.raises(DuplicateReference):
        save(tx, clash)
    assert tx.store.invoice("i2").reference == "B"


def test_keys_the_database_enforces_are_enforced(tx: FakeTransactor) -> None:
    with pytest.raises(IntegrityViolation):
        tx.run(lambda uow: uow.invoices.add(invoice("i1", merchant_id="nobody")))
    with pytest.raises(IntegrityViolation):
        rev = Revision.of("created", None, invoice("ghost"), actor="a", dialect="d", at=T0)
        tx.run(lambda uow: uow.invoices.add_revision(rev))
    tx.run(lambda uow: uow.invoices.add(invoice("i1")))
    rev = Revision.of("created", None, tx.store.invoice("i1"), actor="a", dialect="d", at=T0)
    tx.run(lambda uow: uow.invoices.add_revision(rev))
    with pytest.raises(IntegrityViolation):
        tx.run(lambda uow: uow.invoices.add_revision(rev))


def test_work_that_raises_leaves_no_trace(tx: FakeTransactor) -> None:
    before = tx.store.state.copy()

    def half_done(uow: UnitOfWork) -> None:
        uow.invoices.add(invoice("i1"))
        uow.outbox.add(job("i1", "{}"), T0)
        uow.merchants.add_merchant(Merchant("m3", "Three", T0))
        raise RuntimeError("crash")

    async def both() -> None:
        for run in (tx.write, tx.read):
            with pytest.raises(RuntimeError):
                await run(half_done)

    anyio.run(both)
    assert tx.store.state == before
    assert tx.store.rollbacks == 2


def test_work_that_returns_is_kept(tx: FakeTransactor) -> None:
    def work(uow: UnitOfWork) -> Any:
        uow.invoices.add(invoice("i1"))
        uow.outbox.add(job("i1", '{"k": 1}'), T0)
        return uow.invoices.get("i1")

    kept = anyio.run(tx.write, work)
    assert kept == tx.store.invoice("i1")
    assert [m.body for m in tx.store.outbox] == ['{"k": 1}']


def job(invoice_id: str, body: str) -> NewCallbackJob:
    return NewCallbackJob("t", invoice_id, "m1", "winpay", None, "http://x.test/", body)
