"""Paylink merchant invoices API endpoints: create, list, get, update, delete (§2)."""

import logging
import re
import uuid
from collections.abc import Awaitable, Callable
from datetime import date
from typing import Any, TypeVar

import orjson
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from invoicegate.dialects.jsonwire import BadInput, Problem, parse_exact_body
from invoicegate.dialects.paylink import translate
from invoicegate.dialects.paylink.schemas import CreateInvoiceBody, UpdateInvoiceBody
from invoicegate.domain.errors import (
    DuplicateReference,
    InvalidInput,
    InvoiceAlreadyPaid,
    InvoiceCancelled,
    InvoiceNotFound,
    StaleVersion,
)
from invoicegate.domain.invoice import InvoiceStatus
from invoicegate.runtime import Runtime
from invoicegate.services.invoices import Actor
from invoicegate.services.merchants import PAYLINK, hash_secret, secret_matches
from invoicegate.services.ports import MAX_PAGE_SIZE, InvoiceQuery

DIALECT = PAYLINK
DEFAULT_PAGE_SIZE = 20
MAX_KEY_LENGTH = 200
log = logging.getLogger("invoicegate.paylink")

Handler = Callable[[Request, Actor], Awaitable[Response]]
M = TypeVar("M", CreateInvoiceBody, UpdateInvoiceBody)
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


class PaylinkError(Exception):
    """An answer in §2's shape: {"message": ...}, with the bad fields beside it for 400."""

    def __init__(self, status: int, message: str, errors: list[Problem] | None = None) -> None:
        self.status, self.message, self.errors = status, message, errors


UNAUTHORIZED = PaylinkError(401, "Unauthorized")
INVOICE_NOT_FOUND = PaylinkError(404, "Invoice not found")
MERCHANT_NOT_FOUND = PaylinkError(404, "Merchant not found")
ALREADY_PAID = PaylinkError(409, "Invoice is already paid and can no longer be changed.")
CANCELLED = PaylinkError(409, "Invoice is cancelled and can no longer be changed.")
DUPLICATE_NUMBER = PaylinkError(409, "Invoice number already exists.")
INVALID = "Invalid request data"  # the seed's one documented error message


def routes(runtime: Runtime) -> list[BaseRoute]:
    api = PaylinkApi(runtime)
    many = "/api/merchants/{merchantId}/invoices"
    one = many + "/{invoiceId}"
    return [
        Route(many, api.endpoint(api.create_invoice, MERCHANT_NOT_FOUND), methods=["POST"]),
        Route(many, api.endpoint(api.list_invoices, MERCHANT_NOT_FOUND), methods=["GET"]),
        Route(one, api.endpoint(api.get_invoice, INVOICE_NOT_FOUND), methods=["GET"]),
        Route(one, api.endpoint(api.update_invoice, INVOICE_NOT_FOUND), methods=["PUT"]),
        Route(one, api.endpoint(api.delete_invoice, INVOICE_NOT_FOUND), methods=["DELETE"]),
    ]


class PaylinkApi:
    def __init__(self, runtime: Runtime) -> None:
        self.rt = runtime

    # --- the five operations -------------------------------------------------------------

    async def create_invoice(self, request: Request, actor: Actor) -> Response:
        body = await self._parse(request, CreateInvoiceBody)
        invoice = await self.rt.invoices.create_invoice(actor, translate.create_terms(body))
        return _answer(201, translate.invoice_json(invoice, self.rt.settings.public_url))

    async def list_invoices(self, request: Request, actor: Actor) -> Response:
        query = _list_query(request.query_params)
        found, total = await self.rt.invoices.list_invoices(actor.merchant_id, query)
        public_url = self.rt.settings.public_url
        return _answer(
            200,
            {
                "invoices": [translate.invoice_json(invoice, public_url) for invoice in found],
                "page": query.page,
                "pageSize": query.page_size,
                "totalCount": total,
                "totalPages": -(-total // query.page_size),
            },
        )

    async def get_invoice(self, request: Request, actor: Actor) -> Response:
        invoice = await self.rt.invoices.find_invoice(
            actor.merchant_id, _invoice_id(request), include_cancelled=True
        )
        return _answer(200, translate.invoice_json(invoice, self.rt.settings.public_url))

    async def update_invoice(self, request: Request, actor: Actor) -> Response:
        invoice_id = _invoice_id(request)
        body = await self._parse(request, UpdateInvoiceBody)
        await self.rt.invoices.update_invoice(actor, invoice_id, translate.update_changes(body))
        return _answer(200, {"message": "Invoice updated successfully."})

    async def delete_invoice(self, request: Request, actor: Actor) -> Response:
        """A soft delete (cancel): the invoice stays readable with status "cancelled"."""
        await self.rt.invoices.cancel_invoice(actor, _invoice_id(request))
        return _answer(200, {"message": "Invoice deleted successfully."})

    # --- the envelope around every operation ---------------------------------------------

    def endpoint(
        self, handler: Handler, not_found: PaylinkError
    ) -> Callable[[Request], Awaitable[Response]]:
        async def serve(request: Request) -> Response:
            try:
                actor = await self._authenticate(request)
                if request.path_params["merchantId"] != actor.merchant_id:
                    raise not_found  # another merchant's id reads as one that does not exist
                return await handler(request, actor)
            except PaylinkError as error:
                return _error(error)
            except BadInput as error:
                return _error(PaylinkError(400, INVALID, error.problems))
            except InvalidInput as error:
                problems = [(translate.wire_path(p), m) for p, m in error.problems]
                return _error(PaylinkError(400, INVALID, problems))
            except InvoiceNotFound:
                return _error(INVOICE_NOT_FOUND)
            except InvoiceAlreadyPaid:
                return _error(ALREADY_PAID)
            except InvoiceCancelled:
                return _error(CANCELLED)
            except DuplicateReference:
                return _error(DUPLICATE_NUMBER)
            except StaleVersion:
                return _error(PaylinkError(409, "Invoice was changed meanwhile; try again."))
            except Exception:
                log.exception("paylink %s failed", handler.__name__)
                return _error(PaylinkError(500, "Internal server error"))

        serve.__name__ = handler.__name__
        return serve

    async def _authenticate(self, request: Request) -> Actor:
        """Only the key's hash is stored: it is both the lookup and, compared, the proof."""
        key = request.headers.get("x-api-key", "")
        if not 0 < len(key) <= MAX_KEY_LENGTH:
            raise UNAUTHORIZED
        credential = await self.rt.credentials.get(DIALECT, hash_secret(key))
        stored = credential.secret_hash if credential is not None else None
        matched = secret_matches(key, stored)  # spent for unknown keys too: no timing
        if credential is None or not matched:
            raise UNAUTHORIZED
        return Actor(credential.merchant_id, credential.id, DIALECT)

    async def _parse(self, request: Request, model: type[M]) -> M:
        return await parse_exact_body(request, model, self.rt.settings.max_body_bytes)


def _list_query(params: Any) -> InvoiceQuery:
    """§2's list filters; pageSize above the cap is served as the cap."""
    problems: list[Problem] = []
    status = params.get("status")
    if status is not None:
        try:
            status = InvoiceStatus(status.lower())
        except ValueError:
            problems.append(("status", "must be one of unpaid, paid, cancelled"))
    start = _query_date(params.get("startDate"), "startDate", problems)
    end = _query_date(params.get("endDate"), "endDate", problems)
    if start and end and start > end:
        problems.append(("endDate", "must not be before startDate"))
    page = _query_int(params.get("page"), "page", 1, problems)
    size = _query_int(params.get("pageSize"), "pageSize", DEFAULT_PAGE_SIZE, problems)
    name, phone = params.get("customerName"), params.get("customerPhone")
    for field, value in (("customerName", name), ("customerPhone", phone)):
        if value is not None and len(value) > 255:
            problems.append((field, "must be at most 255 characters"))
    if problems:
        raise BadInput(problems)
    return InvoiceQuery(
        status=status if isinstance(status, InvoiceStatus) else None,
        created_from=start,
        created_to=end,
        customer_name=name or None,
        customer_phone=phone or None,
        page=page,
        page_size=min(size, MAX_PAGE_SIZE),
    )


def _query_date(value: str | None, field: str, problems: list[Problem]) -> date | None:
    if value is None:
        return None
    try:
        if not _DATE.fullmatch(value):
            raise ValueError
        return date.fromisoformat(value)
    except ValueError:
        problems.append((field, "must be a real date as YYYY-MM-DD"))
        return None


def _query_int(value: str | None, field: str, default: int, problems: list[Problem]) -> int:
    if value is None:
        return default
    if not value.isascii() or not value.isdigit() or len(value) > 9 or int(value) < 1:
        problems.append((field, "must be a whole number of 1 or more"))
        return default
    return int(value)


def _invoice_id(request: Request) -> str:
    """Ids are UUIDs; anything else cannot name an invoice, so it is simply not found."""
    try:
        return str(uuid.UUID(request.path_params["invoiceId"]))
    except ValueError:
        raise INVOICE_NOT_FOUND from None


def _answer(status: int, body: dict[str, Any]) -> Response:
    return Response(orjson.dumps(body), status, media_type="application/json")


def _error(error: PaylinkError) -> Response:
    body: dict[str, Any] = {"message": error.message}
    if error.errors is not None:
        body["errors"] = [{"field": field, "reason": reason} for field, reason in error.errors]
    return _answer(error.status, body)
