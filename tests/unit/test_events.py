"""One domain event per change, whoever made it; expiries announced once each by the sweep."""

from datetime import timedelta

import pytest

from invoicegate.composition import callback_formats
from invoicegate.domain.callbacks import NewCallbackJob
from invoicegate.domain.errors import InvoiceCancelled
from invoicegate.domain.events import EVENT_TYPES, InvoiceEvent
from invoicegate.domain.invoice import InvoiceChanges
from invoicegate.domain.merchant import Credential
from invoicegate.services.events import PublishingTransactor
from invoicegate.services.expiry import ExpiryService
from invoicegate.services.invoices import Actor, InvoiceService
from invoicegate.services.merchants import MerchantService
from invoicegate.services.payments import PaymentService
from invoicegate.services.ports import UnitOfWork
from tests.unit.test_services import SETTINGS, T0, World

pytestmark = pytest.mark.anyio


class Recorder:
    """A subscriber that keeps every event it hears, as the outbox would see them."""

    topics = frozenset(EVENT_TYPES)
    needs_origin = False

    def __init__(self) -> None:
        self.heard: list[InvoiceEvent] = []

    def jobs_for(
        self, event: InvoiceEvent, origin: Credential | None, uow: UnitOfWork
    ) -> list[NewCallbackJob]:
        self.heard.append(event)
        return []

    def names(self) -> list[tuple[str, int]]:
        return [(e.name, e.invoice.version) for e in self.heard]


class Heard(World):
    def __init__(self) -> None:
        super().__init__()
        self.recorder = Recorder()
        formats = list(callback_formats(SETTINGS).values())
        self.tx = PublishingTransactor(self.fake, [*formats, self.recorder])
        self.invoices = InvoiceService(self.tx, self.clock)
        self.payments = PaymentService(self.tx, self.clock)
        self.merchants = MerchantService(self.tx, self.clock)
        self.expiries = ExpiryService(self.tx, self.clock)


@pytest.fixture
def heard() -> Heard:
    return Heard()


@pytest.fixture
async def shop(heard: Heard) -> Actor:
    return await heard.onboard("Shop")


async def test_every_change_records_one_event_of_its_kind(heard: Heard, shop: Actor) -> None:
    first = await heard.create(shop, "A")
    await heard.invoices.update_invoice(shop, first.id, InvoiceChanges(reference="A2"))
    await heard.payments.pay_invoice(first.id)
    second = await heard.create(shop, "B")
    await heard.invoices.cancel_invoice(shop, second.id)
    assert heard.recorder.names() == [
        ("invoice.created", 1),
        ("invoice.updated", 2),
        ("invoice.paid", 3),
        ("invoice.created", 1),
        ("invoice.cancelled", 2),
    ]
    # Each event carries the invoice as the change left it.
    assert heard.recorder.heard[1].invoice.reference == "A2"


async def test_a_refused_change_records_no_event(heard: Heard, shop: Actor) -> None:
    invoice = await heard.create(shop)
    await heard.invoices.cancel_invoice(shop, invoice.id)
    with pytest.raises(InvoiceCancelled):
        await heard.invoices.update_invoice(shop, invoice.id, InvoiceChanges(reference="X"))
    assert [name for name, _ in heard.recorder.names()] == ["invoice.created", "invoice.cancelled"]


async def test_gateway_callbacks_still_hear_payments_only(heard: Heard, shop: Actor) -> None:
    invoice = await heard.create(shop)
    await heard.invoices.update_invoice(shop, invoice.id, InvoiceChanges(reference="B"))
    assert heard.store.outbox == []  # created and updated: no Winpay callback
    await heard.payments.pay_invoice(invoice.id)
    assert [job.topic for job in heard.store.outbox] == ["invoice.paid"]


async def test_an_expiry_is_announced_once(heard: Heard, shop: Actor) -> None:
    invoice = await heard.create(shop, expires_at=T0 + timedelta(hours=1))
    assert await heard.expiries.announce_expiries() == 0  # not yet
    heard.clock.advance(hours=1)
    assert await heard.expiries.announce_expiries() == 1
    assert await heard.expiries.announce_expiries() == 0
    heard.clock.advance(days=3)
    assert await heard.expiries.announce_expiries() == 0
    expired = heard.recorder.heard[-1]
    assert (expired.name, expired.invoice.id, expired.at) == (
        "invoice.expired",
        invoice.id,
        T0 + timedelta(hours=1),
    )
    # Announcing is not a change: no new version, no revision.
    assert heard.store.invoice(invoice.id).version == 1
    assert len(heard.store.revisions_of(invoice.id)) == 1


async def test_an_expiry_moved_later_is_announced_again_when_it_passes(
    heard: Heard, shop: Actor
) -> None:
    invoice = await heard.create(shop, expires_at=T0 + timedelta(hours=1))
    heard.clock.advance(hours=2)
    assert await heard.expiries.announce_expiries() == 1
    later = heard.clock.now + timedelta(hours=1)
    await heard.invoices.update_invoice(shop, invoice.id, InvoiceChanges(expires_at=later))
    assert await heard.expiries.announce_expiries() == 0  # the new expiry has not passed
    # Another change that keeps the expiry does not make it new.
    heard.clock.advance(hours=2)
    assert await heard.expiries.announce_expiries() == 1
    await heard.invoices.update_invoice(shop, invoice.id, InvoiceChanges(reference="Z"))
    assert await heard.expiries.announce_expiries() == 0
    assert [n for n, _ in heard.recorder.names()] == [
        "invoice.created",
        "invoice.expired",
        "invoice.updated",
        "invoice.expired",
        "invoice.updated",
    ]


async def test_paid_cancelled_and_open_ended_invoices_never_expire(
    heard: Heard, shop: Actor
) -> None:
    paid = await heard.create(shop, "P", expires_at=T0 + timedelta(hours=1))
    await heard.payments.pay_invoice(paid.id)
    gone = await heard.create(shop, "C", expires_at=T0 + timedelta(hours=1))
    await heard.invoices.cancel_invoice(shop, gone.id)
    await heard.create(shop, "O", expires_at=None)
    heard.clock.advance(days=30)
    assert await heard.expiries.announce_expiries() == 0
    assert "invoice.expired" not in [n for n, _ in heard.recorder.names()]


async def test_an_announcement_that_fails_to_commit_is_made_by_the_next_sweep(
    heard: Heard, shop: Actor
) -> None:
    await heard.create(shop, expires_at=T0)
    heard.store.fail_on("announce_expiry")
    with pytest.raises(Exception, match="announce_expiry"):
        await heard.expiries.announce_expiries()
    assert await heard.expiries.announce_expiries() == 1
    assert [n for n, _ in heard.recorder.names()] == ["invoice.created", "invoice.expired"]
