"""The native API's operations, declared once: its routes and OpenAPI document read them."""

from dataclasses import replace

from invoicegate.dialects.native import problems as kinds
from invoicegate.dialects.native.problems import PROBLEM_JSON, ProblemType
from invoicegate.dialects.native.schemas import (
    CreateInvoice,
    CreateWebhookEndpoint,
    DeliveryPage,
    InvoiceOut,
    InvoicePage,
    InvoicePatch,
    ListQuery,
    NewWebhookEndpointOut,
    PageQuery,
    Problem,
    RecordPayment,
    RevisionList,
    WebhookEndpointList,
    WebhookEndpointOut,
    WebhookEndpointPatch,
)
from invoicegate.openapi import Answer, Body, Operation, Param, Surface

BEARER = "api_key"
MERGE_PATCH = "application/merge-patch+json"
INVOICE = "/v1/invoices/{invoice_id}"

_INVOICE_ID = Param(
    "invoice_id", "path", "the invoice's id", schema={"type": "string", "format": "uuid"}
)
_ETAG = r'^"v[0-9]{1,9}"$'
_IF_MATCH = Param(
    "If-Match",
    "header",
    "the ETag of the invoice as you last read it",
    schema={"type": "string", "pattern": _ETAG},
)
_OPTIONAL_IF_MATCH = replace(_IF_MATCH, required=False)
_IDEMPOTENCY_KEY = Param(
    "Idempotency-Key",
    "header",
    "any string you choose per request, quoted; a retry with it gets the first answer",
    required=False,
    schema={"type": "string", "maxLength": 257},
)
_INVOICE_HEADERS = {"ETag": 'the invoice\'s version, as `"v{version}"`: send it as If-Match'}

_SEED_CREATE = {
    "reference": "111130",
    "customer": {"name": "Delina Prasetya", "email": "delina@example.com", "phone": "082342341"},
    "items": [{"name": "01002676", "quantity": 1, "unit_price": 260000}],
    "currency": "IDR",
    "back_url": "https://your-invoice-url.com",
}


def _problems(*found: ProblemType) -> tuple[Answer, ...]:
    """One answer per status, naming every problem type the operation may answer with it."""
    common = (kinds.UNAUTHORIZED,)
    by_status: dict[int, list[ProblemType]] = {}
    for kind in (*common, *found):
        by_status.setdefault(kind.status, []).append(kind)
    return tuple(
        Answer(
            status,
            "; ".join(f"`{k.slug}`: {k.title}" for k in listed),
            Problem,
            media_type=PROBLEM_JSON,
            headers={"Retry-After": "seconds to wait"}
            if kinds.REQUEST_IN_PROGRESS in listed
            else {},
        )
        for status, listed in sorted(by_status.items())
    )


_WRITE = (kinds.INVALID_INPUT, kinds.BODY_TOO_LARGE, kinds.KEY_REUSED, kinds.REQUEST_IN_PROGRESS)
_CHANGE = (
    *_WRITE,
    kinds.NOT_FOUND,
    kinds.VERSION_MISMATCH,
    kinds.INVOICE_PAID,
    kinds.INVOICE_CANCELLED,
)

OPERATIONS = (
    Operation(
        "POST",
        "/v1/invoices",
        "create_invoice",
        "Create an invoice",
        "Money is integer minor units of `currency`. The answer's `checkout_url` is the "
        "invoice's hosted payment page.",
        params=(_IDEMPOTENCY_KEY,),
        body=Body(CreateInvoice, examples={"seed": _SEED_CREATE}),
        answers=(
            Answer(
                201,
                "the new invoice",
                InvoiceOut,
                headers={**_INVOICE_HEADERS, "Location": "the invoice's URL"},
            ),
            *_problems(*_WRITE, kinds.DUPLICATE_REFERENCE),
        ),
        security=(BEARER,),
    ),
    Operation(
        "GET",
        "/v1/invoices",
        "list_invoices",
        "List invoices, newest first",
        "Keyset pages: pass `next_cursor` as `cursor` until `has_more` is false. Invoices "
        "added meanwhile never shift a walk.",
        query=ListQuery,
        answers=(Answer(200, "one page", InvoicePage), *_problems(kinds.INVALID_INPUT)),
        security=(BEARER,),
    ),
    Operation(
        "GET",
        INVOICE,
        "get_invoice",
        "Read an invoice (made through any API)",
        params=(_INVOICE_ID,),
        answers=(
            Answer(200, "the invoice", InvoiceOut, headers=_INVOICE_HEADERS),
            *_problems(kinds.NOT_FOUND),
        ),
        security=(BEARER,),
    ),
    Operation(
        "PATCH",
        INVOICE,
        "update_invoice",
        "Change an invoice: a JSON merge patch at the version you saw",
        "RFC 7396: an absent member keeps the field, `null` clears it where clearing is "
        "allowed. `If-Match` is required; a stale one answers 412 with the changes since.",
        params=(_INVOICE_ID, _IF_MATCH, _IDEMPOTENCY_KEY),
        body=Body(
            InvoicePatch,
            media_types=(MERGE_PATCH, "application/json"),
            examples={
                "due date and email": {"due_date": "2030-01-31", "customer": {"email": None}}
            },
        ),
        answers=(
            Answer(200, "the changed invoice", InvoiceOut, headers=_INVOICE_HEADERS),
            *_problems(*_CHANGE, kinds.DUPLICATE_REFERENCE, kinds.PRECONDITION_REQUIRED),
        ),
        security=(BEARER,),
    ),
    Operation(
        "POST",
        INVOICE + "/cancel",
        "cancel_invoice",
        "Cancel an invoice (it stays readable, its reference is free again)",
        params=(_INVOICE_ID, _OPTIONAL_IF_MATCH, _IDEMPOTENCY_KEY),
        answers=(
            Answer(200, "the cancelled invoice", InvoiceOut, headers=_INVOICE_HEADERS),
            *_problems(*_CHANGE),
        ),
        security=(BEARER,),
    ),
    Operation(
        "POST",
        INVOICE + "/payments",
        "record_payment",
        "Record a payment received outside invoicegate",
        "A bank transfer, cash, ...: the invoice becomes paid. The amount must be the whole "
        "total (the core takes whole payments only).",
        params=(_INVOICE_ID, _OPTIONAL_IF_MATCH, _IDEMPOTENCY_KEY),
        body=Body(
            RecordPayment,
            examples={
                "transfer": {"amount": 260000, "channel": "bank_transfer", "reference": "TRX-1"}
            },
        ),
        answers=(
            Answer(201, "the paid invoice", InvoiceOut, headers=_INVOICE_HEADERS),
            *_problems(*_CHANGE, kinds.INVOICE_EXPIRED, kinds.AMOUNT_MISMATCH),
        ),
        security=(BEARER,),
    ),
    Operation(
        "GET",
        INVOICE + "/revisions",
        "list_revisions",
        "Every change of an invoice, from every API, the checkout page and the CLI",
        params=(_INVOICE_ID,),
        answers=(
            Answer(200, "the history, oldest first", RevisionList),
            *_problems(kinds.NOT_FOUND),
        ),
        security=(BEARER,),
    ),
)

ENDPOINTS = "/v1/webhook-endpoints"
ENDPOINT = ENDPOINTS + "/{endpoint_id}"
_ENDPOINT_ID = Param(
    "endpoint_id", "path", "the webhook endpoint's id", schema={"type": "string", "format": "uuid"}
)
_ENDPOINT_WRITE = (*_WRITE, kinds.NOT_FOUND)
_SAMPLE_ENDPOINT = {
    "url": "https://shop.example/webhooks/invoicegate",
    "enabled_events": ["invoice.paid", "invoice.expired"],
    "description": "orders service",
}

WEBHOOK_OPERATIONS = (
    Operation(
        "POST",
        ENDPOINTS,
        "create_webhook_endpoint",
        "Add a webhook endpoint",
        "Events of the types named are POSTed to `url`, signed the Standard Webhooks way "
        "with the `secret` of this answer, which is never shown again.",
        params=(_IDEMPOTENCY_KEY,),
        body=Body(CreateWebhookEndpoint, examples={"paid and expired": _SAMPLE_ENDPOINT}),
        answers=(
            Answer(
                201,
                "the new endpoint, with its secret",
                NewWebhookEndpointOut,
                headers={"Location": "the endpoint's URL"},
            ),
            *_problems(*_WRITE, kinds.TOO_MANY_ENDPOINTS),
        ),
        security=(BEARER,),
    ),
    Operation(
        "GET",
        ENDPOINTS,
        "list_webhook_endpoints",
        "List your webhook endpoints, oldest first",
        answers=(
            Answer(200, "every endpoint (at most 20)", WebhookEndpointList),
            *_problems(kinds.INVALID_INPUT),
        ),
        security=(BEARER,),
    ),
    Operation(
        "GET",
        ENDPOINT,
        "get_webhook_endpoint",
        "Read a webhook endpoint (not its secret)",
        params=(_ENDPOINT_ID,),
        answers=(Answer(200, "the endpoint", WebhookEndpointOut), *_problems(kinds.NOT_FOUND)),
        security=(BEARER,),
    ),
    Operation(
        "PATCH",
        ENDPOINT,
        "update_webhook_endpoint",
        "Change a webhook endpoint: a JSON merge patch",
        "Change `url`, `enabled_events`, `description`, or `enabled` (true enables an endpoint "
        "disabled by a 410 Gone answer again). Queued deliveries go to the new url.",
        params=(_ENDPOINT_ID, _IDEMPOTENCY_KEY),
        body=Body(
            WebhookEndpointPatch,
            media_types=(MERGE_PATCH, "application/json"),
            examples={"enable again": {"enabled": True}},
        ),
        answers=(
            Answer(200, "the changed endpoint", WebhookEndpointOut),
            *_problems(*_ENDPOINT_WRITE),
        ),
        security=(BEARER,),
    ),
    Operation(
        "DELETE",
        ENDPOINT,
        "delete_webhook_endpoint",
        "Delete a webhook endpoint",
        "Its queued deliveries are not sent; its delivery log goes with it.",
        params=(_ENDPOINT_ID,),
        answers=(Answer(204, "deleted"), *_problems(kinds.NOT_FOUND)),
        security=(BEARER,),
    ),
    Operation(
        "GET",
        ENDPOINT + "/deliveries",
        "list_webhook_deliveries",
        "The messages sent to an endpoint, newest first, with every attempt",
        "Keyset pages: pass `next_cursor` as `cursor` until `has_more` is false.",
        params=(_ENDPOINT_ID,),
        query=PageQuery,
        answers=(
            Answer(200, "one page", DeliveryPage),
            *_problems(kinds.INVALID_INPUT, kinds.NOT_FOUND),
        ),
        security=(BEARER,),
    ),
)

SURFACE = Surface(
    name="native",
    title="invoicegate native API v1",
    description=(
        "JSON under /v1 with `Authorization: Bearer igk_live_…`. Errors are RFC 9457 problem "
        "details whose `type` is `tag:invoicegate,2026:problem:` + the kind named here."
    ),
    operations=(*OPERATIONS, *WEBHOOK_OPERATIONS),
    security_schemes={
        BEARER: {
            "type": "http",
            "scheme": "bearer",
            "description": "an API key (`invoicegate apikey create`), `igk_live_…`",
        }
    },
)
