"""Paylink merchant API's answer to every error: one table, `{"message": …}` bodies (§2)."""

from collections.abc import Sequence
from typing import Any

from starlette.responses import Response

from invoicegate.domain import errors as core
from invoicegate.edge import errors as edge
from invoicegate.edge.dispatch import ErrorAnswer, ErrorTable
from invoicegate.edge.errors import Problem
from invoicegate.edge.requests import json_answer
from invoicegate.services.ports import StoreUnavailable

INVALID = ErrorAnswer(400, "", "Invalid request data")  # the seed's one documented message

# Idempotency keys are the native API's; no request of this dialect carries one.
IDEMPOTENCY_CONFLICT = ErrorAnswer(409, "", "Request conflicts with another one with the same key.")

TABLE = ErrorTable(
    {
        edge.BadInput: INVALID,
        core.InvalidInput: INVALID,
        core.AmountMismatch: INVALID,
        edge.Unauthorized: ErrorAnswer(401, "", "Unauthorized"),
        core.CredentialNotFound: ErrorAnswer(401, "", "Unauthorized"),
        core.MerchantNotFound: ErrorAnswer(404, "", "Merchant not found"),
        core.InvoiceNotFound: ErrorAnswer(404, "", "Invoice not found"),
        core.InvoiceAlreadyPaid: ErrorAnswer(
            409, "", "Invoice is already paid and can no longer be changed."
        ),
        core.InvoiceCancelled: ErrorAnswer(
            409, "", "Invoice is cancelled and can no longer be changed."
        ),
        core.InvoiceExpired: ErrorAnswer(409, "", "Invoice is expired and can no longer be paid."),
        core.DuplicateReference: ErrorAnswer(409, "", "Invoice number already exists."),
        core.StaleVersion: ErrorAnswer(409, "", "Invoice was changed meanwhile; try again."),
        edge.MethodNotAllowed: ErrorAnswer(405, "", "Method not allowed"),
        edge.BodyTooLarge: ErrorAnswer(413, "", "Request body is too large"),
        core.IdempotencyKeyReused: IDEMPOTENCY_CONFLICT,
        core.IdempotencyRequestInProgress: IDEMPOTENCY_CONFLICT,
        core.IdempotencyKeyTaken: IDEMPOTENCY_CONFLICT,
        # The database could not take the change (failed commit, full pool): nothing saved.
        StoreUnavailable: ErrorAnswer(
            503, "", "Service temporarily unavailable; nothing was saved. Try again."
        ),
        # Callback jobs are the operator's (CLI); no request of this dialect names one.
        core.CallbackJobNotFound: ErrorAnswer(404, "", "Callback not found"),
        core.CallbackJobPending: ErrorAnswer(409, "", "Callback is still being delivered."),
        core.WebhookEndpointNotFound: ErrorAnswer(404, "", "Webhook endpoint not found"),
        core.TooManyWebhookEndpoints: ErrorAnswer(409, "", "Too many webhook endpoints"),
        # Any refusal of the core not named above is still the client's to fix, never a 5xx.
        core.DomainError: ErrorAnswer(400, "", "Request refused"),
    },
    fallback=ErrorAnswer(500, "", "Internal server error"),
)


def render(found: ErrorAnswer, problems: Sequence[Problem], operation: str) -> Response:
    """`{"message": …}`, with `errors: [{field, reason}]` beside it when fields are at fault."""
    body: dict[str, Any] = {"message": found.message}
    if problems:
        body["errors"] = [{"field": field, "reason": reason} for field, reason in problems]
    return json_answer(found.status, body)
