"""Errors as RFC 9457 problem details: one table from error class to problem type, one renderer.

A problem's `type` is a stable URI per kind of problem (clients branch on it, never on the
`detail` text); `errors` lists each bad field by JSON pointer into the body, or names the
query parameter or header.
"""

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import orjson
from starlette.responses import Response

from invoicegate.domain.changes import escape
from invoicegate.domain.errors import (
    AmountMismatch,
    CallbackJobNotFound,
    CallbackJobPending,
    CredentialNotFound,
    DomainError,
    DuplicateReference,
    IdempotencyKeyReused,
    IdempotencyKeyTaken,
    IdempotencyRequestInProgress,
    InvalidInput,
    InvoiceAlreadyPaid,
    InvoiceCancelled,
    InvoiceExpired,
    InvoiceNotFound,
    MerchantNotFound,
    StaleVersion,
    TooManyWebhookEndpoints,
    WebhookEndpointNotFound,
)
from invoicegate.edge.errors import BadInput
from invoicegate.services.ports import StoreUnavailable

log = logging.getLogger("invoicegate.native")

PROBLEM_JSON = "application/problem+json"
TYPE_PREFIX = "tag:invoicegate,2026:problem:"  # a name, not a link (RFC 9457 §3.1.1)


@dataclass(frozen=True, slots=True)
class ProblemType:
    slug: str
    status: int
    title: str

    @property
    def uri(self) -> str:
        return TYPE_PREFIX + self.slug


INVALID_INPUT = ProblemType("invalid-input", 400, "The request has invalid input")
UNAUTHORIZED = ProblemType("unauthorized", 401, "A valid API key is required")
NOT_FOUND = ProblemType("not-found", 404, "No such resource")
METHOD_NOT_ALLOWED = ProblemType("method-not-allowed", 405, "Method not allowed here")
INVOICE_PAID = ProblemType("invoice-paid", 409, "The invoice is paid and can no longer change")
INVOICE_CANCELLED = ProblemType(
    "invoice-cancelled", 409, "The invoice is cancelled and can no longer change"
)
INVOICE_EXPIRED = ProblemType("invoice-expired", 409, "The invoice has expired")
DUPLICATE_REFERENCE = ProblemType(
    "duplicate-reference", 409, "Another live invoice has this reference"
)
REQUEST_IN_PROGRESS = ProblemType(
    "idempotency-request-in-progress", 409, "A request with this Idempotency-Key is running"
)
VERSION_MISMATCH = ProblemType(
    "version-mismatch", 412, "The invoice has changed since the version you sent"
)
BODY_TOO_LARGE = ProblemType("body-too-large", 413, "The request body is too large")
AMOUNT_MISMATCH = ProblemType("amount-mismatch", 422, "The amount is not the invoice total")
KEY_REUSED = ProblemType(
    "idempotency-key-reused", 422, "This Idempotency-Key was used for another request"
)
PRECONDITION_REQUIRED = ProblemType(
    "precondition-required", 428, "If-Match with the invoice's ETag is required"
)
DELIVERY_PENDING = ProblemType("delivery-pending", 409, "The message is still being delivered")
REFUSED = ProblemType("refused", 409, "The request was refused")
TOO_MANY_ENDPOINTS = ProblemType(
    "too-many-webhook-endpoints", 409, "You have as many webhook endpoints as one may have"
)
STORE_UNAVAILABLE = ProblemType(
    "service-unavailable", 503, "The service could not save the change; nothing was saved"
)
INTERNAL = ProblemType("internal", 500, "Unexpected error")


@dataclass
class NativeProblem(Exception):
    """A problem the native edge raises itself (auth, headers, parameters, routes, ...)."""

    kind: ProblemType
    detail: str
    errors: list[dict[str, str]] | None = None
    extensions: dict[str, Any] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)


def bad_parameters(problems: list[tuple[str, str]]) -> NativeProblem:
    errors = [{"parameter": name, "detail": reason} for name, reason in problems]
    return NativeProblem(INVALID_INPUT, _summary(problems), errors)


def bad_header(name: str, reason: str, kind: ProblemType = INVALID_INPUT) -> NativeProblem:
    return NativeProblem(kind, f"{name}: {reason}", [{"header": name, "detail": reason}])


# The one table: which problem each error is. Subclasses find their nearest listed base.
PROBLEM_TYPES: dict[type[Exception], ProblemType] = {
    InvalidInput: INVALID_INPUT,
    BadInput: INVALID_INPUT,
    InvoiceNotFound: NOT_FOUND,
    MerchantNotFound: NOT_FOUND,
    CredentialNotFound: NOT_FOUND,
    InvoiceAlreadyPaid: INVOICE_PAID,
    InvoiceCancelled: INVOICE_CANCELLED,
    InvoiceExpired: INVOICE_EXPIRED,
    DuplicateReference: DUPLICATE_REFERENCE,
    StaleVersion: VERSION_MISMATCH,
    AmountMismatch: AMOUNT_MISMATCH,
    IdempotencyKeyReused: KEY_REUSED,
    IdempotencyRequestInProgress: REQUEST_IN_PROGRESS,
    # Lost a race for a fresh key: the other request is running, the same answer as above.
    IdempotencyKeyTaken: REQUEST_IN_PROGRESS,
    CallbackJobNotFound: NOT_FOUND,
    WebhookEndpointNotFound: NOT_FOUND,
    TooManyWebhookEndpoints: TOO_MANY_ENDPOINTS,
    CallbackJobPending: DELIVERY_PENDING,
    StoreUnavailable: STORE_UNAVAILABLE,
    # Any refusal of the core not named above is still the client's to fix, never a 5xx.
    DomainError: REFUSED,
}

_DETAILS: dict[ProblemType, str] = {
    NOT_FOUND: "No invoice with this id is yours.",
    INVOICE_PAID: "A paid invoice never changes.",
    INVOICE_CANCELLED: "A cancelled invoice never changes.",
    INVOICE_EXPIRED: "The invoice is past its expires_at; change expires_at to accept payment.",
    DUPLICATE_REFERENCE: "Another of your live invoices has this reference.",
    KEY_REUSED: "The key was first sent with another method, path, If-Match or body.",
    REQUEST_IN_PROGRESS: "The first request with this key has not finished; retry shortly.",
    STORE_UNAVAILABLE: "The database is unavailable just now; retry shortly.",
}

# Where one kind covers several errors, the error's own detail comes first.
_ERROR_DETAILS: dict[type[Exception], str] = {
    WebhookEndpointNotFound: "No webhook endpoint with this id is yours.",
    TooManyWebhookEndpoints: "Delete one you no longer use, or change its url and events.",
}


def problem_response(error: Exception) -> Response:
    """The one dispatcher: any error raised while serving a native call, as a problem."""
    if isinstance(error, NativeProblem):
        return render(error)
    kind = next((PROBLEM_TYPES[c] for c in type(error).__mro__ if c in PROBLEM_TYPES), None)
    if kind is None:
        log.error("native call failed: %s", type(error).__name__, exc_info=error)
        return render(NativeProblem(INTERNAL, "The error was logged; try again later."))
    detail = _ERROR_DETAILS.get(type(error)) or _DETAILS.get(kind)
    problem = NativeProblem(kind, detail or str(error) or kind.title)
    if isinstance(error, InvalidInput | BadInput):
        problem.detail = _summary(error.problems)
        problem.errors = [
            {"pointer": pointer(path), "detail": reason} for path, reason in error.problems
        ]
    elif isinstance(error, AmountMismatch):
        problem.errors = [{"pointer": "/amount", "detail": f"must be {error.total}"}]
    elif isinstance(error, StaleVersion):
        problem.extensions["current_version"] = error.current_version
    elif isinstance(error, IdempotencyRequestInProgress | IdempotencyKeyTaken | StoreUnavailable):
        problem.headers["Retry-After"] = "1"
    return render(problem)


def render(problem: NativeProblem) -> Response:
    kind = problem.kind
    body: dict[str, Any] = {
        "type": kind.uri,
        "title": kind.title,
        "status": kind.status,
        "detail": problem.detail,
    }
    if problem.errors is not None:
        body["errors"] = problem.errors
    body.update(problem.extensions)
    return Response(
        orjson.dumps(body), kind.status, headers=problem.headers, media_type=PROBLEM_JSON
    )


_INDEX = re.compile(r"\[(\d+)\]")


def pointer(path: str) -> str:
    """A core or wire field path (`items[0].unit_price`) as a JSON pointer (/items/0/unit_price)."""
    if path in ("", "body"):
        return ""
    dotted = _INDEX.sub(r".\1", path)
    return "".join("/" + escape(part) for part in dotted.split("."))


def _summary(problems: Sequence[tuple[str, str]]) -> str:
    return "; ".join(f"{path}: {reason}" for path, reason in problems) or "invalid input"
