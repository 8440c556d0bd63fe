"""Paylink merchant invoices API endpoints: create, list, get, update, delete (§2)."""

import re
from collections.abc import Awaitable, Callable
from datetime import date
from typing import Any, TypeVar

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute

from invoicegate.dialects.jsonwire import (
    NOT_STORABLE,
    canonical_id,
    parse_exact_body,
    storable,
    validate_exact,
)
from invoicegate.dialects.paylink import translate
from invoicegate.dialects.paylink.errors import TABLE, render
from invoicegate.dialects.paylink.schemas import CreateInvoiceBody, UpdateInvoiceBody, plain_update
from invoicegate.domain.errors import DomainError, InvoiceNotFound, MerchantNotFound
from invoicegate.domain.invoice import InvoiceStatus
from invoicegate.edge.dispatch import Dispatcher, Operation
from invoicegate.edge.errors import BadInput, Problem, Unauthorized
from invoicegate.edge.requests import header, json_answer, read_body
from invoicegate.runtime import Runtime
from invoicegate.services.invoices import Actor
from invoicegate.services.merchants import PAYLINK, digest_matches, hash_secret
from invoicegate.services.ports import MAX_PAGE_SIZE, InvoiceQuery

DIALECT = PAYLINK
DEFAULT_PAGE_SIZE = 20
MAX_KEY_LENGTH = 200

Handler = Callable[[Request, Actor], Awaitable[Response]]
M = TypeVar("M", CreateInvoiceBody, UpdateInvoiceBody)
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def routes(runtime: Runtime) -> list[BaseRoute]:
    api = PaylinkApi(runtime)
    edge = Dispatcher(
        DIALECT,
        TABLE,
        render,
        max_body_bytes=runtime.settings.max_body_bytes,
        wire_path=translate.wire_path,
    )
    # Another merchant's id in the path reads as one that does not exist.
    many, one = api.operation(MerchantNotFound), api.operation(InvoiceNotFound)
    return [
        edge.route(
            "/api/merchants/{merchantId:text}/invoices",
            {"POST": many(api.create_invoice, "create"), "GET": many(api.list_invoices, "list")},
        ),
        edge.route(
            "/api/merchants/{merchantId:text}/invoices/{invoiceId:text}",
            {
                "GET": one(api.get_invoice, "get"),
                "PUT": one(api.update_invoice, "update"),
                "DELETE": one(api.delete_invoice, "delete"),
            },
        ),
    ]


class PaylinkApi:
    def __init__(self, runtime: Runtime) -> None:
        self.rt = runtime

    # --- the five operations -------------------------------------------------------------

    async def create_invoice(self, request: Request, actor: Actor) -> Response:
        body = await self._parse(request, CreateInvoiceBody)
        invoice = await self.rt.invoices.create_invoice(actor, translate.create_terms(body))
        return json_answer(201, translate.invoice_json(invoice, self.rt.settings.public_url))

    async def list_invoices(self, request: Request, actor: Actor) -> Response:
        query = _list_query(request.query_params)
        found, total = await self.rt.invoices.list_invoices(actor, query)
        public_url = self.rt.settings.public_url
        return json_answer(
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
            actor, _invoice_id(request), include_cancelled=True
        )
        return json_answer(200, translate.invoice_json(invoice, self.rt.settings.public_url))

    async def update_invoice(self, request: Request, actor: Actor) -> Response:
        invoice_id = _invoice_id(request)
        raw = await read_body(request, self.rt.settings.max_body_bytes)
        plain = plain_update(raw)  # a plainly valid body without the models (schemas.py)
        changes = translate.plain_update_changes(plain) if plain is not None else None
        if changes is None:
            changes = translate.update_changes(validate_exact(raw, UpdateInvoiceBody))
        await self.rt.invoices.update_invoice(actor, invoice_id, changes)
        return json_answer(200, {"message": "Invoice updated successfully."})

    async def delete_invoice(self, request: Request, actor: Actor) -> Response:
        """A soft delete (cancel): the invoice stays readable with status "cancelled"."""
        await self.rt.invoices.cancel_invoice(actor, _invoice_id(request))
        return json_answer(200, {"message": "Invoice deleted successfully."})

    # --- what every operation shares ----------------------------------------------------

    def operation(self, not_found: type[DomainError]) -> Callable[[Handler, str], Operation]:
        """Operations behind authentication whose path names the key's own merchant."""

        def make(handler: Handler, name: str) -> Operation:
            async def authenticated(request: Request) -> Response:
                actor = await self._authenticate(request)
                if request.path_params["merchantId"] != actor.merchant_id:
                    raise not_found
                return await handler(request, actor)

            return Operation(authenticated, name)

        return make

    async def _authenticate(self, request: Request) -> Actor:
        """Only the key's hash is stored: it is both the lookup and, compared, the proof."""
        key = header(request.scope, b"x-api-key") or ""
        if not 0 < len(key) <= MAX_KEY_LENGTH:
            raise Unauthorized
        digest = hash_secret(key)
        credential = await self.rt.credentials.get(DIALECT, digest)
        stored = credential.secret_hash if credential is not None else None
        matched = digest_matches(digest, stored)  # spent for unknown keys too: no timing
        if credential is None or not matched:
            raise Unauthorized
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
        elif value is not None and not storable(value):
            problems.append((field, NOT_STORABLE))
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
    invoice_id = canonical_id(request.path_params["invoiceId"])
    if invoice_id is None:
        raise InvoiceNotFound
    return invoice_id
