"""PostgreSQL runs an update without locks, and the outcome is still a locked transaction's.

An update reads its invoice unlocked and writes its change as one statement conditional on
the version it read (decision 0035). These tests make another change land in between, as a
real concurrent update would, and check that nothing of either is lost.
"""

import threading
from datetime import datetime

import anyio
import pytest

from invoicegate.composition import build_runtime
from invoicegate.domain.errors import InvoiceAlreadyPaid
from invoicegate.domain.invoice import Customer, InvoiceChanges
from invoicegate.services.invoices import InvoiceService, utc_now
from invoicegate.store.database import is_sqlite
from invoicegate.store.secrets import SecretBox
from invoicegate.store.transactors import open_transactor
from tests.integration.conftest import World

pytestmark = pytest.mark.anyio


def in_another_process_like_node(world: World, change: str) -> None:
    """Run `change` ("update" or "pay") to completion on a runtime of its own (own pool, own
    event loop, own thread), as another app node would, while the caller waits."""
    settings = world.runtime.settings

    async def run() -> None:
        transactor = open_transactor(
            settings.database_url, SecretBox(settings.resolve_secret_key())
        )
        other = build_runtime(settings, transactor)
        try:
            if change == "update":
                moved = InvoiceChanges(customer=Customer("Moved", "0811", "m@example.com"))
                await other.invoices.update_invoice(world.actor, world.invoice.id, moved)
            else:
                await other.payments.pay_invoice(world.invoice.id)
        finally:
            await transactor.aclose()

    failed: list[BaseException] = []

    def thread() -> None:
        try:
            anyio.run(run)
        except BaseException as error:  # handed to the test below
            failed.append(error)

    worker = threading.Thread(target=thread)
    worker.start()
    # Had the update kept the invoice locked, the other change would wait for it: a hang.
    worker.join(timeout=20)
    assert not worker.is_alive(), "the other change waited: the invoice was locked"
    assert not failed, failed


def clock_that_lets(world: World, change: str, calls: list[datetime]) -> InvoiceService:
    """The runtime's invoice service, whose clock (read between the update's read of its
    invoice and its write) lets another node's change land the first time it is read."""

    def clock() -> datetime:
        if not calls:
            in_another_process_like_node(world, change)
        calls.append(utc_now())
        return calls[-1]

    return InvoiceService(world.runtime.transactor, clock)


@pytest.fixture
def postgres_only(world: World) -> None:
    if is_sqlite(world.runtime.settings.database_url):
        pytest.skip(
            "SQLite has one writer, whose units of work run in its own transaction: no other"
            " change can land in between (test_concurrency.py covers both backends)"
        )


@pytest.mark.usefixtures("postgres_only")
async def test_an_update_overtaken_by_another_is_applied_on_top_of_it(world: World) -> None:
    calls: list[datetime] = []
    service = clock_that_lets(world, "update", calls)

    back = InvoiceChanges(back_url="https://example.com/after")
    updated = await service.update_invoice(world.actor, world.invoice.id, back)

    assert len(calls) == 2  # run once, found overtaken, run again in a transaction
    assert updated.version == world.invoice.version + 2
    assert updated.customer.name == "Moved"  # the other node's change is kept
    assert updated.back_url == "https://example.com/after"
    found = await world.runtime.invoices.find_invoice(world.actor, world.invoice.id)
    assert found == updated
    history = await world.runtime.invoices.revisions(world.actor.merchant_id, world.invoice.id)
    assert [(r.version, r.action) for r in history] == [
        (1, "created"),
        (2, "updated"),
        (3, "updated"),
    ]
    assert history[1].after["customer"]["name"] == "Moved"
    assert history[2].after["back_url"] == "https://example.com/after"
    assert history[2].after["customer"]["name"] == "Moved"


@pytest.mark.usefixtures("postgres_only")
async def test_an_update_overtaken_by_a_payment_is_refused_and_changes_nothing(
    world: World,
) -> None:
    calls: list[datetime] = []
    service = clock_that_lets(world, "pay", calls)

    with pytest.raises(InvoiceAlreadyPaid):
        await service.update_invoice(
            world.actor, world.invoice.id, InvoiceChanges(back_url="https://example.com/after")
        )

    found = await world.runtime.invoices.find_invoice(world.actor, world.invoice.id)
    assert found.back_url == world.invoice.back_url  # paid invoices never change
    assert found.version == world.invoice.version + 1  # the payment's version
    history = await world.runtime.invoices.revisions(world.actor.merchant_id, world.invoice.id)
    assert [r.action for r in history] == ["created", "paid"]
