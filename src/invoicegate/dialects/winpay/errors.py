"""Winpay's answer to every error: one table from error class to envelope (DIALECTS.md §1).

Codes are HTTP status + service `03` + case, as Winpay's own are. 4000304, 4090300, 4090301,
4050300 and 4130300 are our choices for cases the documents do not cover (README).
"""

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from starlette.responses import Response

from invoicegate.dialects.winpay.translate import jakarta_iso
from invoicegate.domain import errors as core
from invoicegate.edge import errors as edge
from invoicegate.edge.dispatch import ErrorAnswer, ErrorTable, Render
from invoicegate.edge.errors import Problem
from invoicegate.edge.requests import json_answer
from invoicegate.services.ports import Clock, StoreUnavailable

INVALID = ErrorAnswer(400, "4000301", "Invalid Parameters")
NOT_FOUND = ErrorAnswer(404, "4040300", "Invoice not found")
UNAUTHORIZED = ErrorAnswer(401, "4010300", "Unauthorized")

# Idempotency keys are the native API's; no request of this dialect carries one.
IDEMPOTENCY_CONFLICT = ErrorAnswer(
    409, "4090301", "Request conflicts with another one with the same key"
)

TABLE = ErrorTable(
    {
        edge.BadInput: INVALID,
        core.InvalidInput: INVALID,
        core.AmountMismatch: INVALID,
        edge.Unauthorized: UNAUTHORIZED,
        # The credential's merchant is gone: the credential no longer lets anyone in.
        core.CredentialNotFound: UNAUTHORIZED,
        core.MerchantNotFound: UNAUTHORIZED,
        core.InvoiceNotFound: NOT_FOUND,
        core.InvoiceCancelled: NOT_FOUND,  # a deleted invoice is gone for this API
        core.InvoiceAlreadyPaid: ErrorAnswer(
            400, "4000302", "Failed to {operation}: Invoice already paid"
        ),
        core.DuplicateReference: ErrorAnswer(400, "4000303", "Merchant ref already exists"),
        core.InvoiceExpired: ErrorAnswer(400, "4000304", "Invoice expired"),
        core.StaleVersion: ErrorAnswer(409, "4090300", "Invoice was changed meanwhile, try again"),
        edge.MethodNotAllowed: ErrorAnswer(405, "4050300", "Method Not Allowed"),
        edge.BodyTooLarge: ErrorAnswer(413, "4130300", "Payload Too Large"),
        core.IdempotencyKeyReused: IDEMPOTENCY_CONFLICT,
        core.IdempotencyRequestInProgress: IDEMPOTENCY_CONFLICT,
        core.IdempotencyKeyTaken: IDEMPOTENCY_CONFLICT,
        # The database could not take the change (failed commit, full pool): nothing saved.
        StoreUnavailable: ErrorAnswer(503, "5030300", "Service Unavailable"),
        # Callback jobs are the operator's (CLI); no request of this dialect names one.
        core.CallbackJobNotFound: ErrorAnswer(404, "4040301", "Callback not found"),
        core.CallbackJobPending: ErrorAnswer(409, "4090302", "Callback is still being delivered"),
        core.WebhookEndpointNotFound: ErrorAnswer(404, "4040302", "Webhook endpoint not found"),
        core.TooManyWebhookEndpoints: ErrorAnswer(409, "4090303", "Too many webhook endpoints"),
        # Any refusal of the core not named above is still the client's to fix, never a 5xx.
        core.DomainError: ErrorAnswer(400, "4000300", "Request refused"),
    },
    fallback=ErrorAnswer(500, "5000300", "General Error"),
)

# "Failed to delete: Invoice already paid" (DIALECTS.md §1); update says so too.
_VERBS = {"update": "update", "delete": "delete"}


def answer(status: int, code: str, message: str, data: Any, now: datetime) -> Response:
    """Winpay's envelope; `responseCode` is always a string (clients compare with ===)."""
    body = {
        "responseCode": code,
        "responseMessage": message,
        "responseDate": jakarta_iso(now),
        "responseData": data,
    }
    return json_answer(status, body)


def renderer(clock: Clock) -> Render:
    """Errors in the envelope, `responseData` one "path: reason" line per bad field."""

    def render(found: ErrorAnswer, problems: Sequence[Problem], operation: str) -> Response:
        message = found.message.format(operation=_VERBS.get(operation, "change"))
        data = [f"{path}: {reason}" for path, reason in problems]
        return answer(found.status, found.code, message, data, clock())

    return render
