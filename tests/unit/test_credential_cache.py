"""The credential cache: bounded, expiring, remembers unknown keys, one read per concurrent miss."""

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TypeVar

import pytest

from invoicegate.domain.merchant import Credential, Merchant
from invoicegate.services.merchants import WINPAY, CredentialCache
from invoicegate.services.ports import UnitOfWork
from tests.unit.fakes import FakeTransactor, InjectedFailure

pytestmark = pytest.mark.anyio
T = TypeVar("T")
T0 = datetime(2025, 1, 1, tzinfo=UTC)


@pytest.fixture(scope="module")
def anyio_backend() -> str:
    return "asyncio"


class CountingTransactor(FakeTransactor):
    """Counts reads; while `gate` is closed, reads wait on it (a slow database)."""

    def __init__(self) -> None:
        super().__init__()
        self.reads = 0
        self.gate = asyncio.Event()
        self.gate.set()
        self.fail_next = False

    async def read(self, work: Callable[[UnitOfWork], T]) -> T:
        self.reads += 1
        await self.gate.wait()
        if self.fail_next:
            self.fail_next = False
            raise InjectedFailure("read")
        return self.run(work)


class Timer:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def stored_credential(tx: FakeTransactor, public_id: str = "wp_known") -> Credential:
    credential = Credential(
        id="c-" + public_id,
        merchant_id="m-1",
        dialect=WINPAY,
        public_id=public_id,
        secret="s3cret",
        secret_hash=None,
        display_name="Shop",
        callback_url=None,
        created_at=T0,
    )

    def add(uow: UnitOfWork) -> None:
        if uow.merchants.get_merchant("m-1") is None:
            uow.merchants.add_merchant(Merchant("m-1", "Shop", T0))
        uow.merchants.add_credential(credential)

    tx.run(add)
    return credential


async def test_known_and_unknown_keys_are_read_once_within_the_ttl() -> None:
    tx, timer = CountingTransactor(), Timer()
    known = stored_credential(tx)
    cache = CredentialCache(tx, ttl_seconds=30, timer=timer)
    for _ in range(3):
        assert await cache.get(WINPAY, known.public_id) == known
        assert await cache.get(WINPAY, "wp_unknown") is None
    assert tx.reads == 2

    timer.now = 29.9
    await cache.get(WINPAY, known.public_id)
    await cache.get(WINPAY, "wp_unknown")
    assert tx.reads == 2
    timer.now = 30.1  # both expired: a revoked key stops working, a new one starts
    await cache.get(WINPAY, known.public_id)
    await cache.get(WINPAY, "wp_unknown")
    assert tx.reads == 4


async def test_a_key_created_after_it_was_unknown_works_once_the_ttl_passes() -> None:
    tx, timer = CountingTransactor(), Timer()
    cache = CredentialCache(tx, ttl_seconds=30, timer=timer)
    assert await cache.get(WINPAY, "wp_later") is None
    created = stored_credential(tx, "wp_later")
    assert await cache.get(WINPAY, "wp_later") is None
    timer.now = 31
    assert await cache.get(WINPAY, "wp_later") == created


async def test_a_flood_of_unknown_keys_stays_bounded_and_never_evicts_known_ones() -> None:
    tx = CountingTransactor()
    known = stored_credential(tx)
    cache = CredentialCache(tx, ttl_seconds=30, max_entries=100, timer=Timer())
    assert await cache.get(WINPAY, known.public_id) == known
    for n in range(1_000):
        assert await cache.get(WINPAY, f"wp_made_up_{n}") is None
    assert tx.reads == 1 + 1_000
    # Neither the known key nor the newest hundred unknown ones are read again...
    assert await cache.get(WINPAY, known.public_id) == known
    for n in range(900, 1_000):
        assert await cache.get(WINPAY, f"wp_made_up_{n}") is None
    assert tx.reads == 1 + 1_000
    # ...while the oldest was let go (bounded), one at a time rather than all at once.
    assert await cache.get(WINPAY, "wp_made_up_0") is None
    assert tx.reads == 1 + 1_000 + 1


async def test_known_keys_beyond_the_bound_push_out_the_least_recently_used() -> None:
    tx = CountingTransactor()
    credentials = [stored_credential(tx, f"wp_{n}") for n in range(3)]
    cache = CredentialCache(tx, max_entries=2, timer=Timer())
    for credential in credentials:
        await cache.get(WINPAY, credential.public_id)
    assert tx.reads == 3
    await cache.get(WINPAY, "wp_2")
    await cache.get(WINPAY, "wp_1")
    assert tx.reads == 3
    await cache.get(WINPAY, "wp_0")
    assert tx.reads == 4


async def test_concurrent_misses_for_one_key_share_one_read() -> None:
    tx = CountingTransactor()
    known = stored_credential(tx)
    cache = CredentialCache(tx, timer=Timer())
    tx.gate.clear()
    waiting = [
        asyncio.ensure_future(cache.get(WINPAY, public_id))
        for public_id in [known.public_id] * 50 + ["wp_unknown"] * 50
    ]
    await asyncio.sleep(0.01)
    assert tx.reads == 2  # one per distinct key, however many ask
    tx.gate.set()
    answers = await asyncio.gather(*waiting)
    assert answers == [known] * 50 + [None] * 50
    assert tx.reads == 2


async def test_a_caller_that_gives_up_does_not_cancel_the_read_others_wait_for() -> None:
    tx = CountingTransactor()
    known = stored_credential(tx)
    cache = CredentialCache(tx, timer=Timer())
    tx.gate.clear()
    impatient = asyncio.ensure_future(cache.get(WINPAY, known.public_id))
    patient = asyncio.ensure_future(cache.get(WINPAY, known.public_id))
    await asyncio.sleep(0.01)
    impatient.cancel()
    await asyncio.sleep(0.01)
    tx.gate.set()
    assert await patient == known
    assert impatient.cancelled()
    assert tx.reads == 1


async def test_a_failed_read_fails_every_waiter_and_is_not_remembered() -> None:
    tx = CountingTransactor()
    known = stored_credential(tx)
    cache = CredentialCache(tx, timer=Timer())
    tx.gate.clear()
    tx.fail_next = True
    waiting = [asyncio.ensure_future(cache.get(WINPAY, known.public_id)) for _ in range(3)]
    await asyncio.sleep(0.01)
    tx.gate.set()
    outcomes = await asyncio.gather(*waiting, return_exceptions=True)
    assert all(isinstance(outcome, InjectedFailure) for outcome in outcomes)
    assert tx.reads == 1
    assert await cache.get(WINPAY, known.public_id) == known  # read again, now it works
    assert tx.reads == 2
