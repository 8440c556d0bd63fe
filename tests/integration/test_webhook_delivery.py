"""Native webhooks through the real worker and database (SQLite and PostgreSQL), the network
faked by httpx's MockTransport: a deleted or disabled endpoint's queued messages are not
sent, a changed URL takes the queued ones along, a 410 stops retrying and disables."""

import httpx
import pytest

from invoicegate.callbacks.worker import worker_for
from invoicegate.domain.callbacks import CallbackState
from invoicegate.domain.events import EVENT_TYPES
from invoicegate.services.invoices import Actor
from invoicegate.services.webhooks import EndpointChanges
from invoicegate.settings import Settings
from tests.integration.conftest import terms
from tests.integration.test_callback_worker import Deliveries, deliveries

pytestmark = pytest.mark.anyio
HOOK = "http://shop.test/hooks"


async def native_actor(world: Deliveries) -> Actor:
    return Actor(world.actor.merchant_id, None, "native")


async def queued(world: Deliveries) -> str:
    """An endpoint hearing everything, and one invoice.created message queued for it."""
    endpoint = await world.runtime.webhooks.create(world.actor.merchant_id, HOOK, EVENT_TYPES, None)
    await world.runtime.invoices.create_invoice(await native_actor(world), terms("hooked"))
    return endpoint.id


async def test_a_deleted_endpoints_queued_message_is_not_sent(settings: Settings) -> None:
    async with deliveries(settings) as world:
        endpoint_id = await queued(world)
        await world.runtime.webhooks.delete(world.actor.merchant_id, endpoint_id)
        assert await world.step() == 1
        assert world.merchant.received == []
        [job] = await world.jobs()
        assert job.state is CallbackState.FAILED  # at once: retrying cannot bring it back
        [attempt] = await world.log(job.id)
        assert (attempt.status, attempt.error) == (
            None,
            "not sent: the destination was deleted or disabled",
        )


async def test_a_disabled_endpoints_queued_message_is_not_sent(settings: Settings) -> None:
    async with deliveries(settings) as world:
        endpoint_id = await queued(world)
        off = EndpointChanges(enabled=False)
        await world.runtime.webhooks.update(world.actor.merchant_id, endpoint_id, off)
        assert await world.step() == 1
        assert world.merchant.received == []
        [job] = await world.jobs()
        assert job.state is CallbackState.FAILED


async def test_a_new_url_takes_the_queued_messages_along(settings: Settings) -> None:
    async with deliveries(settings) as world:
        world.merchant.handler = lambda request: httpx.Response(204)
        endpoint_id = await queued(world)
        fixed = EndpointChanges(url="http://shop.test/fixed")
        await world.runtime.webhooks.update(world.actor.merchant_id, endpoint_id, fixed)
        assert await world.step() == 1
        [request] = world.merchant.received
        assert str(request.url) == "http://shop.test/fixed"
        [job] = await world.jobs()
        assert job.state is CallbackState.DELIVERED


async def test_a_410_is_not_retried_and_disables_the_endpoint(settings: Settings) -> None:
    async with deliveries(settings) as world:
        world.merchant.handler = lambda request: httpx.Response(410, text="gone")
        endpoint_id = await queued(world)
        assert await world.step() == 1
        assert await world.step() == 0  # retries are immediate here: none is due
        [job] = await world.jobs()
        assert (job.state, job.attempts) == (CallbackState.FAILED, 1)
        endpoint = await world.runtime.webhooks.get(world.actor.merchant_id, endpoint_id)
        assert (endpoint.enabled, endpoint.disabled_reason) == (
            False,
            "the endpoint answered 410 Gone",
        )
        await world.runtime.invoices.create_invoice(await native_actor(world), terms("later"))
        assert len(await world.jobs()) == 1  # a disabled endpoint gets no new jobs


async def test_a_500_is_retried_as_a_gateway_callback_is(settings: Settings) -> None:
    async with deliveries(settings) as world:
        answers = iter([httpx.Response(500), httpx.Response(200)])
        world.merchant.handler = lambda request: next(answers)
        endpoint_id = await queued(world)
        assert await world.step() == 1
        assert await world.step() == 1
        [job] = await world.jobs()
        assert (job.state, job.attempts) == (CallbackState.DELIVERED, 2)
        ids = {r.headers["webhook-id"] for r in world.merchant.received}
        assert len(ids) == 1
        endpoint = await world.runtime.webhooks.get(world.actor.merchant_id, endpoint_id)
        assert endpoint.enabled is True


async def test_the_ssrf_guard_refuses_a_metadata_address_as_for_callbacks(
    settings: Settings,
) -> None:
    async with deliveries(settings) as world:
        # The service's own worker and transport (the guard), not the test's fake network.
        guarded = worker_for(world.runtime)
        try:
            metadata = "http://169.254.169.254/latest/meta-data"
            await world.runtime.webhooks.create(
                world.actor.merchant_id, metadata, ("invoice.created",), None
            )
            await world.runtime.invoices.create_invoice(await native_actor(world), terms("x"))
            assert await guarded.claim_and_start() == 1
            await guarded.drain()
        finally:
            await guarded.stop(grace_seconds=0)
        [job] = await world.jobs()
        [attempt] = await world.log(job.id)
        assert attempt.status is None
        assert attempt.error is not None and attempt.error.startswith("refused:"), attempt.error
        assert "link-local" in attempt.error
