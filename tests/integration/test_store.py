"""The SQL store keeps invoices, revisions, credentials and outbox rows on both backends."""

import sqlite3
from typing import Any

import pytest
import sqlalchemy as sa

from invoicegate.domain.errors import DuplicateReference, InvoiceAlreadyPaid, InvoiceNotFound
from invoicegate.domain.events import EVENT_TYPES
from invoicegate.domain.invoice import Customer, InvoiceChanges, InvoiceStatus, ItemSpec
from invoicegate.services.invoices import Actor
from invoicegate.services.webhooks import EndpointChanges
from invoicegate.store.database import create_engine
from invoicegate.store.postgres import PostgresTransactor
from invoicegate.store.sqlite_writer import GroupCommitTransactor
from invoicegate.store.tables import callback_jobs, credentials
from tests.integration.conftest import CALLBACK_URL, World, terms

pytestmark = pytest.mark.anyio
HOOK = "http://shop.test/hooks"


async def test_invoice_round_trips_through_the_store(world: World) -> None:
    found = await world.runtime.invoices.find_invoice(world.actor, world.invoice.id)
    assert found == world.invoice
    assert found.total == 260000
    assert found.created_at.tzinfo is not None


async def test_update_is_kept_as_a_revision_with_before_and_after(world: World) -> None:
    changes = InvoiceChanges(
        reference="ref-2",
        customer=Customer("Budi", "0811", ""),
        items=[ItemSpec("A", 2, 1000), ItemSpec("B", 1, 5)],
        currency=world.invoice.currency,
    )
    updated = await world.runtime.invoices.update_invoice(world.actor, world.invoice.id, changes)

    revisions = await world.runtime.invoices.revisions(world.actor.merchant_id, world.invoice.id)
    assert [(r.version, r.action) for r in revisions] == [(1, "created"), (2, "updated")]
    second = revisions[1]
    assert second.dialect == "winpay" and second.actor == world.actor.credential_id
    assert second.before is not None and second.before["reference"] == "ref-1"
    assert second.after["reference"] == "ref-2" and second.after["total"] == 2005
    assert {"reference", "customer", "items", "total"} <= set(second.changed)
    assert updated.version == 2
    assert {i.id for i in updated.items}.isdisjoint({i.id for i in world.invoice.items})


async def test_live_reference_is_unique_per_merchant_but_freed_by_cancel(world: World) -> None:
    with pytest.raises(DuplicateReference):
        await world.runtime.invoices.create_invoice(world.actor, terms("ref-1"))
    await world.runtime.invoices.cancel_invoice(world.actor, world.invoice.id)
    again = await world.runtime.invoices.create_invoice(world.actor, terms("ref-1"))
    found = await world.runtime.invoices.find_by_reference(world.actor, "ref-1")
    assert found.id == again.id


async def test_payment_writes_revision_and_callback_job_in_one_commit(world: World) -> None:
    paid = await world.runtime.payments.pay_invoice(world.invoice.id, channel="BSI", fee=2500)
    assert paid.status is InvoiceStatus.PAID
    assert paid.payment is not None and paid.payment.nett == 260000 - 2500
    with pytest.raises(InvoiceAlreadyPaid):
        await world.runtime.invoices.update_invoice(
            world.actor, world.invoice.id, InvoiceChanges(reference="x")
        )
    revisions = await world.runtime.invoices.revisions(world.actor.merchant_id, world.invoice.id)
    assert [r.action for r in revisions] == ["created", "paid"]
    engine = create_engine(world.runtime.settings.database_url)
    with engine.connect() as conn:
        rows = conn.execute(
            sa.select(callback_jobs.c.topic, callback_jobs.c.invoice_id, callback_jobs.c.url)
        ).all()
    engine.dispose()
    assert rows == [("invoice.paid", world.invoice.id, CALLBACK_URL)]


async def test_a_change_is_queued_for_each_enabled_endpoint_of_the_merchant_only(
    world: World,
) -> None:
    # The locked read also tells whether the merchant has any enabled endpoint, so a change
    # of a merchant with none looks no further (decision 0029); with one, it is heard.
    service, merchant_id = world.runtime.invoices, world.actor.merchant_id

    async def update(reference: str) -> None:
        changes = InvoiceChanges(reference=reference)
        await service.update_invoice(world.actor, world.invoice.id, changes)

    def native_jobs() -> list[tuple[str, str | None]]:
        engine = create_engine(world.runtime.settings.database_url)
        with engine.connect() as conn:
            rows = conn.execute(
                sa.select(callback_jobs.c.topic, callback_jobs.c.destination_id)
                .where(callback_jobs.c.dialect == "native")
                .order_by(callback_jobs.c.id)
            ).all()
        engine.dispose()
        return [(topic, destination) for topic, destination in rows]

    await update("ref-2")
    assert native_jobs() == []
    endpoint = await world.runtime.webhooks.create(merchant_id, HOOK, EVENT_TYPES, None)
    await update("ref-3")
    assert native_jobs() == [("invoice.updated", endpoint.id)]
    off = EndpointChanges(enabled=False)
    await world.runtime.webhooks.update(merchant_id, endpoint.id, off)
    await update("ref-4")
    assert native_jobs() == [("invoice.updated", endpoint.id)]


async def test_another_merchants_invoice_is_not_found(world: World) -> None:
    other = await world.runtime.merchants.create_merchant("Other")
    with pytest.raises(InvoiceNotFound):
        await world.runtime.invoices.find_invoice(
            Actor(other.merchant.id, None, "test"), world.invoice.id
        )


async def test_hmac_secrets_are_stored_encrypted(world: World) -> None:
    onboarded = await world.runtime.merchants.create_merchant("Sealed")
    engine = create_engine(world.runtime.settings.database_url)
    with engine.connect() as conn:
        stored = conn.execute(
            sa.select(credentials.c.secret_encrypted).where(credentials.c.id == onboarded.winpay.id)
        ).scalar_one()
    engine.dispose()
    assert onboarded.winpay.secret and onboarded.winpay.secret not in stored
    credential = await world.runtime.merchants.credential("winpay", onboarded.winpay.public_id)
    assert credential is not None and credential.secret == onboarded.winpay.secret


async def test_lookups_each_end_their_read_transaction_whatever_ran_in_them(
    world: World,
) -> None:
    """A SQLite lookup's read transaction is begun on the driver (decision 0021); a statement
    run through SQLAlchemy inside it (find by reference) joins it. Each lookup must end its
    own, or the next would fail to begin, or keep reading an old snapshot."""
    invoices = world.runtime.invoices
    for name in ("Budi", "Citra"):
        found = await invoices.find_by_reference(world.actor, "ref-1")  # SQLAlchemy Core
        assert found.id == world.invoice.id
        with pytest.raises(InvoiceNotFound):  # a lookup ended by an error
            await invoices.find_invoice(world.actor, "00000000-0000-0000-0000-000000000000")
        changes = InvoiceChanges(customer=Customer(name, "0811", ""))
        await invoices.update_invoice(world.actor, world.invoice.id, changes)
        seen = await invoices.find_invoice(world.actor, world.invoice.id)  # hot statement
        assert seen.customer.name == name  # the commit above is seen: no stale snapshot


async def test_a_find_by_id_on_sqlite_is_its_select_alone_and_sees_the_last_commit(
    world: World,
) -> None:
    """The find's lookup is one statement, run without BEGIN and COMMIT around it (decision
    0028): SQLite reads it in a transaction of its own, ended with its last row. Lookups of
    other kinds still get their read transaction."""
    transactor = world.runtime.transactor.inner
    if not isinstance(transactor, GroupCommitTransactor):
        pytest.skip("SQLite's lookups; PostgreSQL's: the test below")
    invoices = world.runtime.invoices
    await invoices.find_invoice(world.actor, world.invoice.id)  # opens the lookups' connection
    assert transactor._lookups is not None
    driver = transactor._lookups.connection.driver_connection
    assert isinstance(driver, sqlite3.Connection)
    ran: list[str] = []
    driver.set_trace_callback(ran.append)
    try:
        for name in ("Budi", "Citra"):
            changes = InvoiceChanges(customer=Customer(name, "0811", ""))
            await invoices.update_invoice(world.actor, world.invoice.id, changes)  # the writer
            seen = await invoices.find_invoice(world.actor, world.invoice.id)
            assert seen.customer.name == name  # no stale snapshot kept
            assert not driver.in_transaction
            with pytest.raises(InvoiceNotFound):
                await invoices.find_invoice(world.actor, "00000000-0000-0000-0000-000000000000")
            assert not driver.in_transaction
        assert len(ran) == 4
        assert all(sql.lstrip().upper().startswith("SELECT") for sql in ran)
        ran.clear()
        found = await invoices.find_by_reference(world.actor, "ref-1")
        assert found.id == world.invoice.id and not driver.in_transaction
        assert [ran[0].upper(), ran[-1].upper()] == ["BEGIN", "COMMIT"]
    finally:
        driver.set_trace_callback(None)


async def test_a_find_by_id_on_postgresql_is_its_select_alone_and_sees_the_last_commit(
    world: World,
) -> None:
    """On PostgreSQL too the find's one statement runs without BEGIN and COMMIT, two round
    trips fewer (decision 0029); an uncontended update is its read and its one conditional
    write, with no transaction around them either (decision 0035); other lookups keep it."""
    transactor = world.runtime.transactor.inner
    if not isinstance(transactor, PostgresTransactor):
        pytest.skip("PostgreSQL's transactor; SQLite's: the test above")
    sent: list[str] = []

    class Spy:
        def __init__(self, word: str, statement: Any) -> None:
            self._word, self._statement = word, statement

        def run(self, conn: sa.Connection, values: Any) -> Any:
            sent.append(self._word)
            return self._statement.run(conn, values)

    transactor._control = {word: Spy(word, s) for word, s in transactor._control.items()}  # type: ignore[misc]
    invoices = world.runtime.invoices
    for name in ("Budi", "Citra"):
        changes = InvoiceChanges(customer=Customer(name, "0811", ""))
        await invoices.update_invoice(world.actor, world.invoice.id, changes)
        seen = await invoices.find_invoice(world.actor, world.invoice.id)
        assert seen.customer.name == name  # the update's COMMIT is seen
        with pytest.raises(InvoiceNotFound):
            await invoices.find_invoice(world.actor, "00000000-0000-0000-0000-000000000000")
    assert sent == []  # neither the finds nor the updates

    found = await invoices.find_by_reference(world.actor, "ref-1")
    assert found.id == world.invoice.id
    assert sent == ["begin", "commit"]
