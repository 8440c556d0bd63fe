"""Idempotency claims and answers over the in-memory fakes: the rules, and one transaction."""

from datetime import timedelta

import pytest

from invoicegate.domain.errors import IdempotencyKeyReused, IdempotencyRequestInProgress
from invoicegate.domain.invoice import Customer, InvoiceTerms, ItemSpec
from invoicegate.domain.money import Currency
from invoicegate.services.idempotency import LEASE, AnsweringTransactor, Claim, IdempotencyService
from invoicegate.services.invoices import Actor, InvoiceService
from invoicegate.services.merchants import MerchantService
from invoicegate.services.ports import StoredAnswer, UnitOfWork
from tests.unit.fakes import FakeTransactor, InjectedFailure
from tests.unit.test_services import Clock

pytestmark = pytest.mark.anyio

CLAIM = Claim("key-1", "order-7", "f" * 64)
ANSWER = StoredAnswer(201, {"etag": '"v1"'}, '{"id": "x"}')


@pytest.fixture(scope="module")
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def tx() -> FakeTransactor:
    return FakeTransactor()


@pytest.fixture
def service(tx: FakeTransactor, clock: Clock) -> IdempotencyService:
    return IdempotencyService(tx, clock, timedelta(hours=24))


async def test_the_first_claim_runs_and_its_answer_is_replayed(
    service: IdempotencyService,
) -> None:
    assert await service.claim(CLAIM) is None
    with pytest.raises(IdempotencyRequestInProgress):
        await service.claim(CLAIM)
    await service.answer(CLAIM, ANSWER)
    assert await service.claim(CLAIM) == ANSWER
    assert await service.claim(CLAIM) == ANSWER


async def test_another_request_with_the_key_is_refused_even_while_running(
    service: IdempotencyService,
) -> None:
    await service.claim(CLAIM)
    other = Claim(CLAIM.scope, CLAIM.key, "0" * 64)
    with pytest.raises(IdempotencyKeyReused):
        await service.claim(other)
    await service.answer(CLAIM, ANSWER)
    with pytest.raises(IdempotencyKeyReused):
        await service.claim(other)


async def test_keys_are_per_scope(service: IdempotencyService) -> None:
    await service.claim(CLAIM)
    assert await service.claim(Claim("key-2", CLAIM.key, CLAIM.fingerprint)) is None


async def test_an_abandoned_claim_is_taken_over_after_its_lease(
    service: IdempotencyService, clock: Clock
) -> None:
    await service.claim(CLAIM)
    clock.now += LEASE - timedelta(seconds=1)
    with pytest.raises(IdempotencyRequestInProgress):
        await service.claim(CLAIM)
    clock.now += timedelta(seconds=2)
    assert await service.claim(CLAIM) is None
    with pytest.raises(IdempotencyRequestInProgress):
        await service.claim(CLAIM)  # the new claim holds again


async def test_an_expired_key_starts_over_and_purge_forgets_it(
    service: IdempotencyService, clock: Clock, tx: FakeTransactor
) -> None:
    await service.claim(CLAIM)
    await service.answer(CLAIM, ANSWER)
    clock.now += timedelta(hours=24)
    assert await service.purge() == 1
    assert tx.store.state.idempotency == {}
    assert await service.claim(Claim(CLAIM.scope, CLAIM.key, "0" * 64)) is None


async def test_a_released_claim_runs_again(service: IdempotencyService) -> None:
    await service.claim(CLAIM)
    await service.release(CLAIM)
    assert await service.claim(CLAIM) is None


async def test_the_change_and_its_answer_commit_together(
    service: IdempotencyService, tx: FakeTransactor, clock: Clock
) -> None:
    onboarded = await MerchantService(tx, clock).create_merchant("Shop")
    actor = Actor(onboarded.merchant.id, onboarded.native.credential.id, "native")
    terms = InvoiceTerms(
        "INV-1", Customer("Budi", ""), [ItemSpec("Kopi", 1, 15000)], Currency.of("IDR")
    )
    await service.claim(CLAIM)

    def record(uow: UnitOfWork, _invoice: object) -> None:
        uow.idempotency.answer(CLAIM.scope, CLAIM.key, ANSWER)

    invoices = InvoiceService(AnsweringTransactor(tx, record), clock)
    tx.store.fail_on("answer")
    with pytest.raises(InjectedFailure):
        await invoices.create_invoice(actor, terms)
    assert tx.store.state.invoices == {}  # no change without its answer

    created = await invoices.create_invoice(actor, terms)
    assert tx.store.state.invoices == {created.id: created}
    assert await service.claim(CLAIM) == ANSWER
