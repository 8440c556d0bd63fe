"""The callback worker on a real database (SQLite and PostgreSQL), the network faked by httpx's
MockTransport: acknowledgement, retries and back-off, timeouts, the delivery log, leases.

Most tests drive the worker a step at a time (claim, then wait for the deliveries), so
nothing depends on timing; a few run its loop to show that deliveries run side by side.
"""

import asyncio
import json
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field, replace
from datetime import timedelta
from typing import Any

import httpx
import pytest

from invoicegate.callbacks.worker import CallbackWorker, worker_for
from invoicegate.composition import build_runtime
from invoicegate.dialects.winpay.signature import verify
from invoicegate.domain.callbacks import CallbackJob, CallbackState, DeliveryAttempt
from invoicegate.domain.errors import CallbackJobNotFound, CallbackJobPending
from invoicegate.domain.invoice import Invoice
from invoicegate.runtime import Runtime
from invoicegate.services.invoices import Actor
from invoicegate.services.ports import JobQuery
from invoicegate.settings import Settings
from invoicegate.store.secrets import SecretBox
from invoicegate.store.transactors import open_transactor
from tests.integration.conftest import terms

pytestmark = pytest.mark.anyio
CALLBACK_URL = "http://merchant.test/winpay"

Handler = Callable[[httpx.Request], Any]


@dataclass
class Merchant:
    """A fake merchant endpoint: records every request, answers with `handler`."""

    handler: Handler = lambda request: httpx.Response(200, text="ACCEPTED")
    received: list[httpx.Request] = field(default_factory=list)

    async def __call__(self, request: httpx.Request) -> httpx.Response:
        self.received.append(request)
        answer = self.handler(request)
        if asyncio.iscoroutine(answer):
            answer = await answer
        assert isinstance(answer, httpx.Response)
        return answer


@dataclass
class Deliveries:
    runtime: Runtime
    actor: Actor
    secret: str
    merchant: Merchant
    worker: CallbackWorker

    async def paid_invoice(self, reference: str = "ref-1") -> Invoice:
        invoice = await self.runtime.invoices.create_invoice(self.actor, terms(reference))
        return await self.runtime.payments.pay_invoice(invoice.id, channel="BSI", fee=2500)

    async def step(self) -> int:
        """Claim what is due, deliver it, wait for the results; how many were claimed."""
        claimed = await self.worker.claim_and_start()
        await self.worker.drain()
        return claimed

    async def jobs(self) -> list[CallbackJob]:
        return await self.runtime.callbacks.list_jobs(JobQuery())

    async def log(self, job_id: int) -> list[DeliveryAttempt]:
        return (await self.runtime.callbacks.show(job_id))[1]


@asynccontextmanager
async def deliveries(settings: Settings, **overrides: Any) -> AsyncIterator[Deliveries]:
    values: dict[str, Any] = {"callback_retry_delays": (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)}
    values.update(overrides)
    settings = replace(settings, **values)
    transactor = open_transactor(settings.database_url, SecretBox(settings.resolve_secret_key()))
    runtime = build_runtime(settings, transactor)
    onboarded = await runtime.merchants.create_merchant("Acme", CALLBACK_URL)
    actor = Actor(onboarded.merchant.id, onboarded.winpay.id, "winpay")
    merchant = Merchant()
    worker = worker_for(runtime, httpx.MockTransport(merchant))
    try:
        yield Deliveries(runtime, actor, onboarded.winpay.secret or "", merchant, worker)
    finally:
        await worker.stop(grace_seconds=0)
        await transactor.aclose()


@pytest.fixture
async def world(settings: Settings) -> AsyncIterator[Deliveries]:
    async with deliveries(settings) as made:
        yield made


# --- acknowledgement ------------------------------------------------------------------------


async def test_an_accepted_callback_is_delivered_once_and_logged(world: Deliveries) -> None:
    world.merchant.handler = lambda request: httpx.Response(200, text="  ACCEPTED\n")
    invoice = await world.paid_invoice()

    assert await world.step() == 1
    assert await world.step() == 0  # nothing left to deliver

    [request] = world.merchant.received
    assert str(request.url) == CALLBACK_URL
    assert request.headers["content-type"] == "application/json"
    assert json.loads(request.content)["invoice"]["uuid"] == invoice.id
    stamp = request.headers["x-winpay-timestamp"]
    signature = request.headers["x-winpay-signature"]
    assert verify(world.secret, stamp, signature, now=world.runtime.now(), tolerance_seconds=60)
    [job] = await world.jobs()
    assert (job.state, job.attempts, job.invoice_id) == (CallbackState.DELIVERED, 1, invoice.id)
    assert job.delivered_at is not None
    [attempt] = await world.log(job.id)
    assert (attempt.url, attempt.status, attempt.answer) == (CALLBACK_URL, 200, "  ACCEPTED\n")
    assert attempt.error is None and attempt.finished_at is not None
    assert attempt.latency_ms is not None and attempt.latency_ms >= 0


async def test_winpay_retries_anything_but_accepted_three_times_then_fails(
    world: Deliveries,
) -> None:
    world.merchant.handler = lambda request: httpx.Response(200, text="OK")
    await world.paid_invoice()

    for _ in range(4):
        assert await world.step() == 1
    assert await world.step() == 0

    assert len(world.merchant.received) == 4  # the first attempt and 3 retries
    [job] = await world.jobs()
    assert (job.state, job.attempts) == (CallbackState.FAILED, 4)
    log = await world.log(job.id)
    assert [(a.status, a.answer) for a in log] == [(200, "OK")] * 4


async def test_refused_then_accepted_stops_retrying(world: Deliveries) -> None:
    answers = iter(["BUSY", "ACCEPTED"])
    world.merchant.handler = lambda request: httpx.Response(200, text=next(answers))
    await world.paid_invoice()

    assert [await world.step() for _ in range(3)] == [1, 1, 0]
    [job] = await world.jobs()
    assert (job.state, job.attempts) == (CallbackState.DELIVERED, 2)
    assert [a.answer for a in await world.log(job.id)] == ["BUSY", "ACCEPTED"]


async def test_retries_wait_for_the_configured_delay(settings: Settings) -> None:
    async with deliveries(settings, callback_retry_delays=(3600,)) as world:
        world.merchant.handler = lambda request: httpx.Response(500, text="down")
        await world.paid_invoice()
        before = world.runtime.now()
        assert await world.step() == 1
        assert await world.step() == 0  # not due for an hour
        [job] = await world.jobs()
        assert job.state is CallbackState.PENDING
        wait = job.next_attempt_at - before
        assert timedelta(seconds=3599) < wait < timedelta(seconds=3660)


async def test_the_delay_list_caps_the_number_of_retries(settings: Settings) -> None:
    async with deliveries(settings, callback_retry_delays=(0,)) as world:
        world.merchant.handler = lambda request: httpx.Response(200, text="no")
        await world.paid_invoice()
        assert [await world.step() for _ in range(3)] == [1, 1, 0]
        [job] = await world.jobs()
        assert (job.state, job.attempts) == (CallbackState.FAILED, 2)


async def test_no_delays_means_no_retries(settings: Settings) -> None:
    async with deliveries(settings, callback_retry_delays=()) as world:
        world.merchant.handler = lambda request: httpx.Response(200, text="no")
        await world.paid_invoice()
        assert [await world.step() for _ in range(2)] == [1, 0]
        [job] = await world.jobs()
        assert job.state is CallbackState.FAILED


# --- failures on the way --------------------------------------------------------------------


async def test_a_merchant_slower_than_the_timeout_is_a_failed_attempt(settings: Settings) -> None:
    async def slow(request: httpx.Request) -> httpx.Response:
        await asyncio.sleep(5)
        return httpx.Response(200, text="ACCEPTED")

    async with deliveries(settings, callback_timeout_seconds=0.2) as world:
        world.merchant.handler = slow
        await world.paid_invoice()
        started = time.monotonic()
        assert await world.step() == 1
        assert time.monotonic() - started < 2
        [job] = await world.jobs()
        assert (job.state, job.attempts) == (CallbackState.PENDING, 1)
        [attempt] = await world.log(job.id)
        assert attempt.error == "timed out after 0.2 s"
        assert attempt.status is None
        assert attempt.latency_ms is not None and 150 < attempt.latency_ms < 2000


async def test_a_connection_error_is_logged_and_retried(world: Deliveries) -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    world.merchant.handler = refuse
    await world.paid_invoice()
    assert await world.step() == 1
    [job] = await world.jobs()
    assert job.state is CallbackState.PENDING
    [attempt] = await world.log(job.id)
    assert attempt.error == "ConnectError: connection refused"
    world.merchant.handler = lambda request: httpx.Response(200, text="ACCEPTED")
    assert await world.step() == 1
    assert (await world.jobs())[0].state is CallbackState.DELIVERED


async def test_the_log_keeps_the_first_kib_of_an_answer_even_with_nul(world: Deliveries) -> None:
    answer = "\x00" + "é" * 2000  # NUL is refused by PostgreSQL text columns
    world.merchant.handler = lambda request: httpx.Response(502, text=answer)
    await world.paid_invoice()
    await world.step()
    [job] = await world.jobs()
    [attempt] = await world.log(job.id)
    assert attempt.status == 502
    assert attempt.answer is not None
    assert len(attempt.answer.encode()) <= 1024
    assert attempt.answer.startswith("\ufffdéé")


# --- concurrency and leases -----------------------------------------------------------------


async def test_a_slow_merchant_does_not_delay_another(settings: Settings) -> None:
    async def by_host(request: httpx.Request) -> httpx.Response:
        if request.url.host == "slow.test":
            await asyncio.sleep(3)
        return httpx.Response(200, text="ACCEPTED")

    async with deliveries(settings, callback_poll_seconds=0.05) as world:
        world.merchant.handler = by_host
        slow = await world.runtime.merchants.create_merchant("Slow", "http://slow.test/cb")
        slow_actor = Actor(slow.merchant.id, slow.winpay.id, "winpay")
        slow_invoice = await world.runtime.invoices.create_invoice(slow_actor, terms("s-1"))
        await world.runtime.payments.pay_invoice(slow_invoice.id)
        running = asyncio.create_task(world.worker.run())
        await asyncio.sleep(0.2)  # the slow delivery is under way
        fast_invoice = await world.paid_invoice("f-1")
        started = time.monotonic()
        while True:
            jobs = {j.invoice_id: j for j in await world.jobs()}
            if jobs[fast_invoice.id].state is CallbackState.DELIVERED:
                break
            assert time.monotonic() - started < 2, "the fast merchant waited for the slow one"
            await asyncio.sleep(0.05)
        assert jobs[slow_invoice.id].state is CallbackState.PENDING  # still in flight
        await world.worker.stop(grace_seconds=5)
        await running
        assert (await world.jobs())[-1].state is CallbackState.DELIVERED


async def test_a_payment_in_the_same_process_wakes_the_idle_worker(settings: Settings) -> None:
    async with deliveries(settings, callback_poll_seconds=60) as world:
        running = asyncio.create_task(world.worker.run())
        await asyncio.sleep(0.2)  # idle: its next look for due jobs is a minute away
        await world.paid_invoice()
        paid = time.monotonic()
        while not world.merchant.received:
            assert time.monotonic() - paid < 2, "the worker waited for its poll"
            await asyncio.sleep(0.01)
        await world.worker.stop()
        await running


async def test_a_job_leased_to_a_dead_worker_is_delivered_after_the_lease(
    settings: Settings,
) -> None:
    async with deliveries(
        settings, callback_lease_seconds=0.5, callback_timeout_seconds=0.2
    ) as world:
        await world.paid_invoice()
        # A worker claims the job and dies before it delivers (nothing settles the claim).
        now = world.runtime.now()
        lease = now + timedelta(seconds=0.5)
        await world.runtime.transactor.write(lambda uow: uow.outbox.claim(now, lease, "dead", 10))
        assert await world.step() == 0  # leased: no other worker takes it
        await asyncio.sleep(0.6)
        assert await world.step() == 1
        [job] = await world.jobs()
        assert (job.state, job.attempts) == (CallbackState.DELIVERED, 2)
        assert len(world.merchant.received) == 1
        cut, delivered = await world.log(job.id)
        assert cut.finished_at is None and cut.status is None  # shown as interrupted
        assert delivered.status == 200


async def test_a_claim_leases_at_most_its_limit_and_skips_leased_jobs(world: Deliveries) -> None:
    for n in range(20):
        await world.paid_invoice(f"ref-{n}")
    now = world.runtime.now()
    lease = now + timedelta(seconds=60)

    def claim(token: str) -> Callable[[Any], list[CallbackJob]]:
        return lambda uow: uow.outbox.claim(now, lease, token, 4)

    first = await world.runtime.transactor.write(claim("first"))
    second = await world.runtime.transactor.write(claim("second"))
    assert len(first) == len(second) == 4
    assert not {j.id for j in first} & {j.id for j in second}
    leased = [j for j in await world.jobs() if j.attempts]
    assert sorted(j.id for j in leased) == sorted(j.id for j in first + second)


async def test_two_workers_deliver_each_of_20_jobs_once(settings: Settings) -> None:
    async with deliveries(settings, callback_poll_seconds=0.05) as world:
        for n in range(20):
            await world.paid_invoice(f"ref-{n}")
        other = worker_for(world.runtime, httpx.MockTransport(world.merchant))

        async def slowly(request: httpx.Request) -> httpx.Response:
            await asyncio.sleep(0.05)  # both workers have claims in flight at once
            return httpx.Response(200, text="ACCEPTED")

        world.merchant.handler = slowly
        runs = [asyncio.create_task(w.run()) for w in (world.worker, other)]
        started = time.monotonic()
        while any(j.state is not CallbackState.DELIVERED for j in await world.jobs()):
            assert time.monotonic() - started < 20
            await asyncio.sleep(0.05)
        for worker in (world.worker, other):
            await worker.stop()
        await asyncio.gather(*runs)
        delivered = [json.loads(r.content)["invoice"]["ref"] for r in world.merchant.received]
        assert sorted(delivered) == sorted(f"ref-{n}" for n in range(20))


# --- redelivery -----------------------------------------------------------------------------


async def test_redeliver_starts_a_fresh_round_and_keeps_the_log(world: Deliveries) -> None:
    await world.paid_invoice()
    await world.step()
    [job] = await world.jobs()
    assert job.state is CallbackState.DELIVERED

    again = await world.runtime.callbacks.redeliver(job.id)
    assert (again.state, again.attempts) == (CallbackState.PENDING, 0)
    with pytest.raises(CallbackJobPending):
        await world.runtime.callbacks.redeliver(job.id)
    assert await world.step() == 1
    assert len(world.merchant.received) == 2
    assert [a.status for a in await world.log(job.id)] == [200, 200]
    assert (await world.jobs())[0].state is CallbackState.DELIVERED


async def test_a_failed_job_can_be_redelivered_with_the_full_budget(settings: Settings) -> None:
    async with deliveries(settings, callback_retry_delays=(0,)) as world:
        world.merchant.handler = lambda request: httpx.Response(200, text="no")
        await world.paid_invoice()
        await world.step()
        await world.step()
        [job] = await world.jobs()
        assert job.state is CallbackState.FAILED
        await world.runtime.callbacks.redeliver(job.id)
        world.merchant.handler = lambda request: httpx.Response(200, text="ACCEPTED")
        assert await world.step() == 1
        assert (await world.jobs())[0].state is CallbackState.DELIVERED
        assert len(await world.log(job.id)) == 3


async def test_unknown_job_is_not_found(world: Deliveries) -> None:
    with pytest.raises(CallbackJobNotFound):
        await world.runtime.callbacks.show(404)
    with pytest.raises(CallbackJobNotFound):
        await world.runtime.callbacks.redeliver(404)
