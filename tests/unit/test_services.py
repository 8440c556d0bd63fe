"""Invoice, payment and merchant use cases over the in-memory fakes, one unit of work each."""

import itertools
import json
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from invoicegate.composition import callback_formats
from invoicegate.domain.errors import (
    DuplicateReference,
    InvalidInput,
    InvoiceAlreadyPaid,
    InvoiceCancelled,
    InvoiceExpired,
    InvoiceNotFound,
    MerchantNotFound,
    StaleVersion,
)
from invoicegate.domain.invoice import (
    Customer,
    Invoice,
    InvoiceChanges,
    InvoiceStatus,
    InvoiceTerms,
    ItemSpec,
)
from invoicegate.domain.money import Currency
from invoicegate.services.events import PublishingTransactor
from invoicegate.services.invoices import Actor, InvoiceService
from invoicegate.services.merchants import (
    NATIVE,
    PAYLINK,
    PAYLINK_V2,
    WINPAY,
    CredentialCache,
    MerchantService,
    hash_secret,
    secret_matches,
)
from invoicegate.services.payments import PaymentService
from invoicegate.services.ports import InvoiceQuery
from invoicegate.settings import Settings
from tests.unit.fakes import FakeStore, FakeTransactor, InjectedFailure, State

pytestmark = pytest.mark.anyio

T0 = datetime(2025, 1, 1, 9, 0, tzinfo=UTC)
SETTINGS = Settings(database_url="-", public_url="https://pay.test", data_dir=Path("-"))
CALLBACK_URL = "https://merchant.test/callbacks"
IDR = Currency.of("IDR")


@pytest.fixture(scope="module")
def anyio_backend() -> str:
    return "asyncio"


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


class World:
    """The services wired to one fake store, with two merchants ready to act."""

    def __init__(self) -> None:
        self.clock = Clock()
        self.fake = FakeTransactor()
        self.store: FakeStore = self.fake.store
        # Every gateway's callback format subscribes, as at the composition root.
        self.tx = PublishingTransactor(self.fake, list(callback_formats(SETTINGS).values()))
        self.invoices = InvoiceService(self.tx, self.clock)
        self.payments = PaymentService(self.tx, self.clock)
        self.merchants = MerchantService(self.tx, self.clock)

    async def onboard(self, name: str) -> Actor:
        onboarded = await self.merchants.create_merchant(name, CALLBACK_URL)
        return Actor(onboarded.merchant.id, onboarded.winpay.id, WINPAY)

    async def create(self, actor: Actor, reference: str = "INV-1", **overrides: object) -> Invoice:
        return await self.invoices.create_invoice(actor, terms(reference, **overrides))

    def snapshot(self) -> State:
        return self.store.state.copy()


def terms(reference: str = "INV-1", **overrides: object) -> InvoiceTerms:
    values: dict[str, object] = {
        "reference": reference,
        "customer": Customer("Budi", "08123456789"),
        "items": [ItemSpec("Tea", 2, 15_000), ItemSpec("Cake", 1, 30_000)],
        "currency": IDR,
        "expires_at": T0 + timedelta(days=1),
    }
    values.update(overrides)
    return InvoiceTerms(**values)  # type: ignore[arg-type]


@pytest.fixture
def world() -> World:
    return World()


@pytest.fixture
async def alice(world: World) -> Actor:
    return await world.onboard("Alice's shop")


@pytest.fixture
async def bob(world: World) -> Actor:
    return await world.onboard("Bob's shop")


def actions(world: World, invoice_id: str) -> list[tuple[int, str]]:
    return [(r.version, r.action) for r in world.store.revisions_of(invoice_id)]


# --- creating -------------------------------------------------------------------------------


async def test_create_writes_revision_1_created(world: World, alice: Actor) -> None:
    invoice = await world.create(alice)
    assert world.store.invoice(invoice.id) == invoice
    assert invoice.merchant_id == alice.merchant_id
    assert invoice.credential_id == alice.credential_id
    [revision] = world.store.revisions_of(invoice.id)
    assert (revision.version, revision.action) == (1, "created")
    assert (revision.actor, revision.dialect, revision.at) == (alice.credential_id, WINPAY, T0)
    assert revision.before is None
    assert revision.after == invoice.snapshot()


async def test_an_operator_without_credential_is_named_after_the_dialect(
    world: World, alice: Actor
) -> None:
    operator = Actor(alice.merchant_id, None, "cli")
    invoice = await world.create(operator)
    assert world.store.revisions_of(invoice.id)[0].actor == "cli:operator"


async def test_create_with_bad_items_stores_nothing(world: World, alice: Actor) -> None:
    before = world.snapshot()
    with pytest.raises(InvalidInput):
        await world.create(alice, items=[])
    assert world.store.state == before


async def test_create_refuses_a_live_reference_of_the_same_merchant(
    world: World, alice: Actor, bob: Actor
) -> None:
    first = await world.create(alice, "INV-1")
    with pytest.raises(DuplicateReference):
        await world.create(alice, "INV-1")
    assert list(world.store.state.invoices) == [first.id]
    other = await world.create(bob, "INV-1")  # references are per merchant
    assert other.reference == "INV-1"


async def test_a_cancelled_invoices_reference_is_free_again(world: World, alice: Actor) -> None:
    first = await world.create(alice, "INV-1")
    await world.invoices.cancel_invoice(alice, first.id)
    second = await world.create(alice, "INV-1")
    assert second.id != first.id
    found = await world.invoices.find_by_reference(alice, "INV-1")
    assert found.id == second.id


# --- updating -------------------------------------------------------------------------------


async def test_update_writes_revision_n_updated_with_before_and_after(
    world: World, alice: Actor
) -> None:
    invoice = await world.create(alice)
    world.clock.advance(minutes=1)
    first = await world.invoices.update_invoice(alice, invoice.id, InvoiceChanges(reference="A"))
    world.clock.advance(minutes=1)
    new_items = [ItemSpec("Rice", 1, 5_000)]
    second = await world.invoices.update_invoice(
        alice, invoice.id, InvoiceChanges(items=new_items, currency=IDR)
    )

    assert (first.version, second.version) == (2, 3)
    assert world.store.invoice(invoice.id) == second
    history = await world.invoices.revisions(alice.merchant_id, invoice.id)
    assert [(r.version, r.action) for r in history] == [
        (1, "created"),
        (2, "updated"),
        (3, "updated"),
    ]
    assert history[1].before == invoice.snapshot()
    assert history[1].after == first.snapshot()
    assert history[1].changed == ["reference"]
    assert history[1].at == T0 + timedelta(minutes=1)
    assert history[2].before == first.snapshot()
    assert history[2].after == second.snapshot()
    assert history[2].after["total"] == 5_000
    assert history[2].changed == ["items", "total"]


async def test_update_to_another_live_invoices_reference_is_refused(
    world: World, alice: Actor
) -> None:
    await world.create(alice, "A")
    b = await world.create(alice, "B")
    before = world.snapshot()
    with pytest.raises(DuplicateReference):
        await world.invoices.update_invoice(alice, b.id, InvoiceChanges(reference="A"))
    assert world.store.state == before


async def test_update_to_its_own_reference_is_fine(world: World, alice: Actor) -> None:
    invoice = await world.create(alice, "A")
    updated = await world.invoices.update_invoice(
        alice, invoice.id, InvoiceChanges(reference="A", customer=Customer("Siti", "0800"))
    )
    assert updated.version == 2
    assert updated.customer.name == "Siti"


async def test_update_to_a_cancelled_invoices_reference_is_fine(world: World, alice: Actor) -> None:
    a = await world.create(alice, "A")
    b = await world.create(alice, "B")
    await world.invoices.cancel_invoice(alice, a.id)
    updated = await world.invoices.update_invoice(alice, b.id, InvoiceChanges(reference="A"))
    assert updated.reference == "A"


async def test_update_at_the_expected_version_only(world: World, alice: Actor) -> None:
    invoice = await world.create(alice)
    await world.invoices.update_invoice(alice, invoice.id, InvoiceChanges(reference="R2"))
    before = world.snapshot()
    with pytest.raises(StaleVersion) as error:
        await world.invoices.update_invoice(
            alice, invoice.id, InvoiceChanges(reference="R3"), expected_version=1
        )
    assert error.value.current_version == 2
    assert world.store.state == before
    updated = await world.invoices.update_invoice(
        alice, invoice.id, InvoiceChanges(reference="R3"), expected_version=2
    )
    assert updated.version == 3


async def test_update_after_pay_is_refused_and_writes_nothing(world: World, alice: Actor) -> None:
    invoice = await world.create(alice)
    await world.payments.pay_invoice(invoice.id)
    before = world.snapshot()
    with pytest.raises(InvoiceAlreadyPaid):
        await world.invoices.update_invoice(alice, invoice.id, InvoiceChanges(reference="late"))
    with pytest.raises(InvoiceAlreadyPaid):
        await world.invoices.cancel_invoice(alice, invoice.id)
    assert world.store.state == before
    assert actions(world, invoice.id) == [(1, "created"), (2, "paid")]


async def test_update_of_an_expired_invoice_is_allowed(world: World, alice: Actor) -> None:
    invoice = await world.create(alice, expires_at=T0 + timedelta(minutes=1))
    world.clock.advance(hours=1)
    updated = await world.invoices.update_invoice(alice, invoice.id, InvoiceChanges(reference="Z"))
    assert updated.version == 2


# --- another merchant's invoice -------------------------------------------------------------


OTHER_MERCHANT_CALLS: dict[str, Callable[[World, Actor, Invoice], Awaitable[object]]] = {
    "find": lambda w, a, i: w.invoices.find_invoice(a, i.id),
    "find_cancelled_too": lambda w, a, i: w.invoices.find_invoice(a, i.id, include_cancelled=True),
    "find_by_reference": lambda w, a, i: w.invoices.find_by_reference(a, i.reference),
    "update": lambda w, a, i: w.invoices.update_invoice(a, i.id, InvoiceChanges(reference="x")),
    "cancel": lambda w, a, i: w.invoices.cancel_invoice(a, i.id),
    "cancel_by_reference": lambda w, a, i: w.invoices.cancel_by_reference(a, i.reference),
    "revisions": lambda w, a, i: w.invoices.revisions(a.merchant_id, i.id),
}


@pytest.mark.parametrize("call", OTHER_MERCHANT_CALLS)
async def test_another_merchants_invoice_is_not_found_and_unchanged(
    world: World, alice: Actor, bob: Actor, call: str
) -> None:
    invoice = await world.create(alice)
    before = world.snapshot()
    with pytest.raises(InvoiceNotFound):
        await OTHER_MERCHANT_CALLS[call](world, bob, invoice)
    assert world.store.state == before


async def test_an_unknown_invoice_is_not_found(world: World, alice: Actor) -> None:
    with pytest.raises(InvoiceNotFound):
        await world.invoices.find_invoice(alice, "no-such-id")
    with pytest.raises(InvoiceNotFound):
        await world.invoices.update_invoice(alice, "no-such-id", InvoiceChanges(reference="x"))
    with pytest.raises(InvoiceNotFound):
        await world.payments.pay_invoice("no-such-id")


# --- cancelling -----------------------------------------------------------------------------


async def test_cancel_keeps_the_invoice_for_audit_only(world: World, alice: Actor) -> None:
    invoice = await world.create(alice)
    cancelled = await world.invoices.cancel_invoice(alice, invoice.id)
    assert cancelled.status is InvoiceStatus.CANCELLED
    assert cancelled.version == 2

    kept = await world.invoices.find_invoice(alice, invoice.id, include_cancelled=True)
    assert kept == cancelled
    with pytest.raises(InvoiceNotFound):
        await world.invoices.find_invoice(alice, invoice.id)
    with pytest.raises(InvoiceNotFound):
        await world.invoices.find_by_reference(alice, invoice.reference)
    history = await world.invoices.revisions(alice.merchant_id, invoice.id)
    assert [(r.version, r.action) for r in history] == [(1, "created"), (2, "cancelled")]
    assert history[1].changed == ["status"]


async def test_a_cancelled_invoice_cannot_be_changed_or_paid(world: World, alice: Actor) -> None:
    invoice = await world.create(alice)
    await world.invoices.cancel_invoice(alice, invoice.id)
    before = world.snapshot()
    with pytest.raises(InvoiceCancelled):
        await world.invoices.update_invoice(alice, invoice.id, InvoiceChanges(reference="x"))
    with pytest.raises(InvoiceCancelled):
        await world.invoices.cancel_invoice(alice, invoice.id)
    with pytest.raises(InvoiceCancelled):
        await world.payments.pay_invoice(invoice.id)
    with pytest.raises(InvoiceNotFound):
        await world.invoices.cancel_by_reference(alice, invoice.reference)
    assert world.store.state == before


async def test_cancel_by_reference_cancels_the_live_one(world: World, alice: Actor) -> None:
    old = await world.create(alice, "R")
    await world.invoices.cancel_invoice(alice, old.id)
    live = await world.create(alice, "R")
    cancelled = await world.invoices.cancel_by_reference(alice, "R")
    assert cancelled.id == live.id
    assert world.store.invoice(live.id).status is InvoiceStatus.CANCELLED


# --- paying ---------------------------------------------------------------------------------


async def test_pay_writes_a_paid_revision_and_one_callback(world: World, alice: Actor) -> None:
    invoice = await world.create(alice)
    world.clock.advance(minutes=3)
    paid = await world.payments.pay_invoice(invoice.id, channel="QRIS", fee=1_000)

    assert world.store.invoice(invoice.id) == paid
    assert paid.status is InvoiceStatus.PAID
    assert paid.payment is not None
    assert (paid.payment.amount, paid.payment.fee, paid.payment.channel) == (60_000, 1_000, "QRIS")
    assert paid.payment.paid_at == T0 + timedelta(minutes=3)
    assert actions(world, invoice.id) == [(1, "created"), (2, "paid")]
    [job] = world.store.outbox
    assert (job.topic, job.dialect, job.url) == ("invoice.paid", WINPAY, CALLBACK_URL)
    assert (job.invoice_id, job.merchant_id) == (invoice.id, alice.merchant_id)
    assert job.destination_id == alice.credential_id
    assert json.loads(job.body)["uuid"] == paid.payment.id
    assert job.next_attempt_at == T0 + timedelta(minutes=3)


@pytest.mark.parametrize("fee", [-1_000, 60_001, 10**9])
async def test_a_fee_outside_zero_to_the_amount_is_refused(
    world: World, alice: Actor, fee: int
) -> None:
    invoice = await world.create(alice)
    with pytest.raises(InvalidInput):
        await world.payments.pay_invoice(invoice.id, fee=fee)
    assert world.store.invoice(invoice.id) == invoice
    assert world.store.outbox == []


async def test_the_whole_amount_may_go_to_fees(world: World, alice: Actor) -> None:
    invoice = await world.create(alice)
    paid = await world.payments.pay_invoice(invoice.id, fee=60_000)
    assert paid.payment is not None and paid.payment.nett == 0


async def test_paying_twice_is_refused_with_one_callback_only(world: World, alice: Actor) -> None:
    invoice = await world.create(alice)
    await world.payments.pay_invoice(invoice.id)
    with pytest.raises(InvoiceAlreadyPaid):
        await world.payments.pay_invoice(invoice.id)
    assert len(world.store.outbox) == 1
    assert actions(world, invoice.id) == [(1, "created"), (2, "paid")]


async def test_a_payment_goes_through_a_channel_of_the_invoices_currency(
    world: World, alice: Actor
) -> None:
    invoice = await world.create(alice)
    with pytest.raises(InvalidInput) as refused:
        await world.payments.pay_invoice(invoice.id, channel="mada")
    assert refused.value.problems[0][0] == "channel"
    assert world.store.invoice(invoice.id) == invoice
    assert world.store.outbox == []

    paid = await world.payments.pay_invoice(invoice.id, channel="ovo")
    assert paid.payment is not None
    assert (paid.payment.channel, paid.payment.fee) == ("OVO", 900)  # 1.5 % of Rp60.000


async def test_without_a_channel_the_currencys_default_is_used(world: World, alice: Actor) -> None:
    rupiah = await world.create(alice)
    riyal = await world.create(
        alice, "INV-2", currency=Currency.of("SAR"), items=[ItemSpec("Tea", 1, 30_100)]
    )
    paid_rupiah = await world.payments.pay_invoice(rupiah.id)
    paid_riyal = await world.payments.pay_invoice(riyal.id)
    assert paid_rupiah.payment is not None and paid_riyal.payment is not None
    assert (paid_rupiah.payment.channel, paid_rupiah.payment.fee) == ("BSI", 4_000)
    assert (paid_riyal.payment.channel, paid_riyal.payment.fee) == ("mada", 301)


async def test_a_payer_who_saw_an_older_version_is_refused_but_a_late_one_hears_paid(
    world: World, alice: Actor
) -> None:
    invoice = await world.create(alice)
    await world.invoices.update_invoice(alice, invoice.id, InvoiceChanges(reference="INV-9"))
    with pytest.raises(StaleVersion):
        await world.payments.pay_invoice(invoice.id, expected_version=1)
    assert world.store.invoice(invoice.id).status is InvoiceStatus.UNPAID
    await world.payments.pay_invoice(invoice.id, expected_version=2)
    with pytest.raises(InvoiceAlreadyPaid):
        await world.payments.pay_invoice(invoice.id, expected_version=2)
    assert len(world.store.outbox) == 1


async def test_an_expired_invoice_is_not_paid(world: World, alice: Actor) -> None:
    invoice = await world.create(alice, expires_at=T0 + timedelta(hours=1))
    world.clock.advance(hours=1)
    with pytest.raises(InvoiceExpired):
        await world.payments.pay_invoice(invoice.id)
    assert world.store.invoice(invoice.id).status is InvoiceStatus.UNPAID
    assert world.store.outbox == []


# --- failing units of work ------------------------------------------------------------------


async def test_a_create_that_fails_midway_leaves_nothing(world: World, alice: Actor) -> None:
    before = world.snapshot()
    world.store.fail_on("add_revision")
    with pytest.raises(InjectedFailure):
        await world.create(alice)
    assert world.store.state == before
    assert world.store.state.invoices == {}
    assert (await world.create(alice)).version == 1  # the reference was never taken


async def test_an_update_that_fails_midway_leaves_no_revision(world: World, alice: Actor) -> None:
    invoice = await world.create(alice)
    world.store.fail_on("add_revision")
    with pytest.raises(InjectedFailure):
        await world.invoices.update_invoice(alice, invoice.id, InvoiceChanges(reference="B"))
    assert world.store.invoice(invoice.id) == invoice
    assert actions(world, invoice.id) == [(1, "created")]
    again = await world.invoices.update_invoice(alice, invoice.id, InvoiceChanges(reference="B"))
    assert again.version == 2


async def test_a_payment_whose_callback_cannot_be_queued_is_not_paid(
    world: World, alice: Actor
) -> None:
    invoice = await world.create(alice)
    world.store.fail_on("add_job")
    with pytest.raises(InjectedFailure):
        await world.payments.pay_invoice(invoice.id)
    assert world.store.invoice(invoice.id) == invoice
    assert actions(world, invoice.id) == [(1, "created")]
    assert world.store.outbox == []


# --- listing --------------------------------------------------------------------------------


async def test_list_shows_only_the_merchants_invoices(
    world: World, alice: Actor, bob: Actor
) -> None:
    mine = [await world.create(alice, f"A-{n}") for n in range(3)]
    await world.create(bob, "B-1")
    await world.invoices.cancel_invoice(alice, mine[0].id)
    page, total = await world.invoices.list_invoices(alice, InvoiceQuery(page_size=2, page=2))
    assert total == 3
    assert len(page) == 1
    assert all(i.merchant_id == alice.merchant_id for i in page)
    cancelled, count = await world.invoices.list_invoices(
        alice, InvoiceQuery(status=InvoiceStatus.CANCELLED)
    )
    assert ([i.id for i in cancelled], count) == ([mine[0].id], 1)


@pytest.mark.parametrize(
    ("query", "fields"),
    [
        (InvoiceQuery(page=0), ["page"]),
        (InvoiceQuery(page_size=0), ["page_size"]),
        (InvoiceQuery(page_size=101), ["page_size"]),
        (InvoiceQuery(page=-1, page_size=1000), ["page", "page_size"]),
    ],
)
async def test_list_refuses_bad_pages(
    world: World, alice: Actor, query: InvoiceQuery, fields: list[str]
) -> None:
    with pytest.raises(InvalidInput) as error:
        await world.invoices.list_invoices(alice, query)
    assert [path for path, _ in error.value.problems] == fields


# --- merchants ------------------------------------------------------------------------------


async def test_onboarding_issues_one_credential_per_dialect(world: World) -> None:
    onboarded = await world.merchants.create_merchant("Shop", "https://shop.example/cb")
    merchant_id = onboarded.merchant.id
    assert world.store.state.merchants == {merchant_id: onboarded.merchant}
    stored = world.fake.run(lambda uow: uow.merchants.credentials_of(merchant_id))
    assert {c.dialect for c in stored} == {WINPAY, PAYLINK, PAYLINK_V2, NATIVE}
    gateways = [c for c in stored if c.dialect != NATIVE]
    assert all(c.callback_url == "https://shop.example/cb" for c in gateways)

    winpay = await world.merchants.credential(WINPAY, onboarded.winpay.public_id)
    assert winpay == onboarded.winpay
    assert winpay is not None and winpay.secret and winpay.secret_hash is None

    paylink = onboarded.paylink
    assert paylink.credential.secret is None
    assert paylink.credential.public_id == hash_secret(paylink.secret)
    assert await world.merchants.credential(PAYLINK, hash_secret(paylink.secret)) is not None

    v2 = onboarded.paylink_v2
    assert v2.credential.secret is None
    assert secret_matches(v2.secret, v2.credential.secret_hash)
    assert not secret_matches(v2.secret + "x", v2.credential.secret_hash)
    assert not secret_matches(v2.secret, None)

    native = onboarded.native
    assert native.secret.startswith("igk_live_") and len(native.secret) > 40
    assert native.credential.public_id == hash_secret(native.secret)
    assert native.credential.secret is None and native.secret not in repr(stored)


async def test_another_winpay_credential_for_a_merchant(world: World, alice: Actor) -> None:
    extra = await world.merchants.add_winpay_credential(alice.merchant_id, "Branch 2")
    assert extra.merchant_id == alice.merchant_id
    assert extra.id != alice.credential_id
    assert await world.merchants.credential(WINPAY, extra.public_id) == extra


async def test_no_credential_for_an_unknown_merchant(world: World) -> None:
    before = world.snapshot()
    with pytest.raises(MerchantNotFound):
        await world.merchants.add_winpay_credential("no-such-merchant", "x")
    assert world.store.state == before


async def test_onboarding_that_fails_midway_leaves_no_merchant(world: World) -> None:
    world.store.fail_on("add_credential")
    with pytest.raises(InjectedFailure):
        await world.merchants.create_merchant("Shop")
    assert world.store.state == State()


async def test_credential_cache_reads_once_within_its_ttl(world: World, alice: Actor) -> None:
    cache = CredentialCache(world.tx, ttl_seconds=60)
    stored = world.fake.run(lambda uow: uow.merchants.credentials_of(alice.merchant_id))
    winpay = next(c for c in stored if c.dialect == WINPAY)
    reads = world.store.commits
    assert await cache.get(WINPAY, winpay.public_id) == winpay
    assert await cache.get(WINPAY, winpay.public_id) == winpay
    assert await cache.get(WINPAY, "unknown") is None
    assert await cache.get(WINPAY, "unknown") is None
    assert world.store.commits == reads + 2


# --- property: the history explains the invoice ---------------------------------------------

operations = st.lists(
    st.one_of(
        st.builds(lambda ref: InvoiceChanges(reference=ref), st.sampled_from("ABC")),
        st.builds(
            lambda qty, price: InvoiceChanges(items=[ItemSpec("x", qty, price)], currency=IDR),
            st.integers(1, 100),
            st.integers(1, 10**6),
        ),
        st.sampled_from(["pay", "cancel"]),
    ),
    max_size=10,
)


@given(operations)
async def test_revisions_replay_every_committed_change(ops: list[object]) -> None:
    world = World()
    alice = await world.onboard("Alice")
    await world.create(alice, "B")  # a live neighbour whose reference "B" is taken
    invoice = await world.create(alice, "A")
    committed = 1
    for op in ops:
        world.clock.advance(seconds=1)
        try:
            if op == "pay":
                await world.payments.pay_invoice(invoice.id)
            elif op == "cancel":
                await world.invoices.cancel_invoice(alice, invoice.id)
            else:
                assert isinstance(op, InvoiceChanges)
                await world.invoices.update_invoice(alice, invoice.id, op)
            committed += 1
        except (DuplicateReference, InvoiceAlreadyPaid, InvoiceCancelled):
            pass
    stored = world.store.invoice(invoice.id)
    history = await world.invoices.revisions(alice.merchant_id, invoice.id)
    assert stored.version == committed == len(history)
    assert [r.version for r in history] == list(range(1, committed + 1))
    assert history[-1].after == stored.snapshot()
    for previous, revision in itertools.pairwise(history):
        assert revision.before == previous.after  # what the SQL store derives on read
    paid = [m for m in world.store.outbox if m.invoice_id == invoice.id]
    assert len(paid) == (stored.status is InvoiceStatus.PAID)
