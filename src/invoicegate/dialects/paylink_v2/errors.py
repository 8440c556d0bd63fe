"""Paylink v2's answer to every error: one table, problem bodies the SDKs read (§3).

The SDKs read `detail`, then `title`; `code` here is the title.
"""

from collections.abc import Sequence
from typing import Any

from starlette.responses import Response

from invoicegate.domain import errors as core
from invoicegate.edge import errors as edge
from invoicegate.edge.dispatch import ErrorAnswer, ErrorTable
from invoicegate.edge.errors import Problem
from invoicegate.edge.requests import json_answer
from invoicegate.services.ports import StoreUnavailable

INVALID = ErrorAnswer(400, "Bad Request", "Invalid request")
# One answer for every authentication failure: it never says which part was wrong.
UNAUTHORIZED = ErrorAnswer(401, "Unauthorized", "Missing, invalid or expired credentials.")

# Idempotency keys are the native API's; no request of this dialect carries one.
IDEMPOTENCY_CONFLICT = ErrorAnswer(
    409, "Conflict", "Request conflicts with another one with the same key."
)

TABLE = ErrorTable(
    {
        edge.BadInput: INVALID,
        core.InvalidInput: INVALID,
        core.AmountMismatch: INVALID,
        edge.Unauthorized: UNAUTHORIZED,
        # The token's merchant is gone: the token no longer lets anyone in.
        core.CredentialNotFound: UNAUTHORIZED,
        core.MerchantNotFound: UNAUTHORIZED,
        core.InvoiceNotFound: ErrorAnswer(404, "Not Found", "Invoice not found."),
        core.InvoiceAlreadyPaid: ErrorAnswer(409, "Conflict", "Invoice is already paid."),
        core.InvoiceCancelled: ErrorAnswer(409, "Conflict", "Invoice is already cancelled."),
        core.InvoiceExpired: ErrorAnswer(409, "Conflict", "Invoice is expired."),
        core.DuplicateReference: ErrorAnswer(
            409, "Conflict", "orderNumber is already used by another open invoice."
        ),
        core.StaleVersion: ErrorAnswer(
            409, "Conflict", "Invoice was changed meanwhile; try again."
        ),
        edge.MethodNotAllowed: ErrorAnswer(405, "Method Not Allowed", "Method not allowed."),
        edge.BodyTooLarge: ErrorAnswer(413, "Payload Too Large", "Request body is too large."),
        core.IdempotencyKeyReused: IDEMPOTENCY_CONFLICT,
        core.IdempotencyRequestInProgress: IDEMPOTENCY_CONFLICT,
        core.IdempotencyKeyTaken: IDEMPOTENCY_CONFLICT,
        # The database could not take the change (failed commit, full pool): nothing saved.
        StoreUnavailable: ErrorAnswer(
            503, "Service Unavailable", "Nothing was saved; try again shortly."
        ),
        # Callback jobs are the operator's (CLI); no request of this dialect names one.
        core.CallbackJobNotFound: ErrorAnswer(404, "Not Found", "Callback not found."),
        core.CallbackJobPending: ErrorAnswer(409, "Conflict", "Callback is still being delivered."),
        core.WebhookEndpointNotFound: ErrorAnswer(404, "Not Found", "Webhook endpoint not found."),
        core.TooManyWebhookEndpoints: ErrorAnswer(409, "Conflict", "Too many webhook endpoints."),
        # Any refusal of the core not named above is still the client's to fix, never a 5xx.
        core.DomainError: ErrorAnswer(400, "Bad Request", "Request refused."),
    },
    fallback=ErrorAnswer(500, "Internal Server Error", "Unexpected error."),
)


def render(found: ErrorAnswer, problems: Sequence[Problem], operation: str) -> Response:
    """RFC 9457-style body; with field problems, `detail` lists them and `errors` holds them."""
    detail = "; ".join(f"{field}: {reason}" for field, reason in problems)
    body: dict[str, Any] = {
        "type": "about:blank",
        "title": found.code,
        "status": found.status,
        "detail": detail or found.message,
    }
    if problems:
        body["errors"] = [{"field": field, "reason": reason} for field, reason in problems]
    return json_answer(found.status, body)
