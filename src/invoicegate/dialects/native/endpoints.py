"""Native API v1 webhook endpoints: manage where events go, and read what was delivered.

Routed by routes.py like every native operation (auth, idempotency, problem details); the
deliveries are the outbox's jobs for the endpoint with their attempts (decision 0019).
"""

import base64
import binascii
import uuid

from starlette.requests import Request
from starlette.responses import Response

from invoicegate.dialects.native.idempotency import Runner
from invoicegate.dialects.native.problems import NOT_FOUND, NativeProblem, bad_parameters
from invoicegate.dialects.native.schemas import (
    AttemptOut,
    CreateWebhookEndpoint,
    DeliveryOut,
    DeliveryPage,
    NewWebhookEndpointOut,
    NoQuery,
    PageQuery,
    WebhookEndpointList,
    WebhookEndpointOut,
    WebhookEndpointPatch,
)
from invoicegate.dialects.native.webhooks import message_id
from invoicegate.dialects.native.wire import json_answer, parse_body, parse_query
from invoicegate.domain.callbacks import CallbackState
from invoicegate.domain.errors import InvalidInput
from invoicegate.domain.webhooks import WebhookEndpoint
from invoicegate.runtime import Runtime
from invoicegate.services.invoices import Actor
from invoicegate.services.ports import MAX_PAGE_SIZE
from invoicegate.services.webhooks import Delivery, EndpointChanges

PATH = "/v1/webhook-endpoints"
NOT_YOURS = "No webhook endpoint with this id is yours."


class WebhookEndpointsApi:
    def __init__(self, runtime: Runtime) -> None:
        self.rt = runtime

    async def create_webhook_endpoint(
        self, request: Request, actor: Actor, runner: Runner
    ) -> Response:
        body = parse_body(request.state.body, CreateWebhookEndpoint)

        def answer(endpoint: WebhookEndpoint, secret: str | None) -> Response:
            out = NewWebhookEndpointOut(**endpoint_out(endpoint).model_dump(), secret=secret)
            return json_answer(201, out, {"Location": f"{PATH}/{endpoint.id}"})

        return await runner.run(
            lambda services: services.webhooks.create(
                actor.merchant_id, body.url, tuple(body.enabled_events), body.description
            ),
            lambda endpoint: answer(endpoint, endpoint.secret),
            # A replay must not show the secret again, nor keep it unsealed with the answer.
            kept=lambda endpoint: answer(endpoint, None),
        )

    async def list_webhook_endpoints(self, request: Request, actor: Actor, _: Runner) -> Response:
        parse_query(request, NoQuery)  # a merchant has a few endpoints: one page
        endpoints = await self.rt.webhooks.list_endpoints(actor.merchant_id)
        return json_answer(200, WebhookEndpointList(data=[endpoint_out(e) for e in endpoints]))

    async def get_webhook_endpoint(self, request: Request, actor: Actor, _: Runner) -> Response:
        endpoint = await self.rt.webhooks.get(actor.merchant_id, _endpoint_id(request))
        return json_answer(200, endpoint_out(endpoint))

    async def update_webhook_endpoint(
        self, request: Request, actor: Actor, runner: Runner
    ) -> Response:
        endpoint_id = _endpoint_id(request)
        changes = endpoint_changes(parse_body(request.state.body, WebhookEndpointPatch))
        return await runner.run(
            lambda services: services.webhooks.update(actor.merchant_id, endpoint_id, changes),
            lambda endpoint: json_answer(200, endpoint_out(endpoint)),
        )

    async def delete_webhook_endpoint(self, request: Request, actor: Actor, _: Runner) -> Response:
        await self.rt.webhooks.delete(actor.merchant_id, _endpoint_id(request))
        return Response(status_code=204)

    async def list_webhook_deliveries(self, request: Request, actor: Actor, _: Runner) -> Response:
        endpoint_id = _endpoint_id(request)
        query = parse_query(request, PageQuery)
        before = None
        if query.cursor is not None:
            before = decode_cursor(query.cursor)
            if before is None:
                raise bad_parameters([("cursor", "is not a cursor this API gave out")])
        found, more = await self.rt.webhooks.deliveries(
            actor.merchant_id, endpoint_id, before, min(query.limit, MAX_PAGE_SIZE)
        )
        page = DeliveryPage(
            data=[delivery_out(d) for d in found],
            has_more=more,
            next_cursor=encode_cursor(found[-1].job.id) if more and found else None,
        )
        return json_answer(200, page)


def endpoint_out(endpoint: WebhookEndpoint) -> WebhookEndpointOut:
    return WebhookEndpointOut(
        id=endpoint.id,
        url=endpoint.url,
        enabled_events=list(endpoint.events),
        description=endpoint.description,
        enabled=endpoint.enabled,
        disabled_reason=endpoint.disabled_reason,
        created_at=endpoint.created_at,
        updated_at=endpoint.updated_at,
    )


def endpoint_changes(patch: WebhookEndpointPatch) -> EndpointChanges:
    """RFC 7396: null clears, which only the description allows."""
    sent = patch.model_fields_set
    cleared = sorted(name for name in sent if getattr(patch, name) is None)
    refused = [(name, "cannot be cleared") for name in cleared if name != "description"]
    if refused:
        raise InvalidInput(refused)
    return EndpointChanges(
        url=patch.url,
        events=tuple(patch.enabled_events) if patch.enabled_events is not None else None,
        enabled=patch.enabled,
        description=patch.description,
        clear_description="description" in cleared,
    )


def delivery_out(delivery: Delivery) -> DeliveryOut:
    job = delivery.job
    pending = job.state is CallbackState.PENDING
    return DeliveryOut(
        id=message_id(job),
        event_type=job.topic,
        invoice_id=job.invoice_id,
        status=job.state.value,
        created_at=job.created_at,
        next_attempt_at=job.next_attempt_at if pending else None,
        delivered_at=job.delivered_at,
        attempts=[
            AttemptOut(
                started_at=a.started_at,
                finished_at=a.finished_at,
                url=a.url,
                status=a.status,
                answer=a.answer,
                latency_ms=a.latency_ms,
                error=a.error,
            )
            for a in delivery.attempts
        ],
    )


def encode_cursor(job_id: int) -> str:
    return base64.urlsafe_b64encode(f"d|{job_id}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> int | None:
    """The job id a cursor of ours names; None for anything else."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    kind, _, digits = raw.partition("|")
    if kind != "d" or not (digits.isascii() and digits.isdigit() and len(digits) < 19):
        return None
    return int(digits)


def _endpoint_id(request: Request) -> str:
    """Ids are UUIDs; anything else cannot name an endpoint, so it is simply not found."""
    try:
        return str(uuid.UUID(request.path_params["endpoint_id"]))
    except ValueError:
        raise NativeProblem(NOT_FOUND, NOT_YOURS) from None
