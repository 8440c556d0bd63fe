"""Winpay Checkout Page API endpoints: create, find, findByRef, update, delete, deleteByRef."""

import uuid
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from pydantic import ValidationError
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute

from invoicegate.dialects.jsonwire import canonical_id, storable
from invoicegate.dialects.winpay import translate
from invoicegate.dialects.winpay.errors import TABLE, answer, renderer
from invoicegate.dialects.winpay.schemas import (
    MAX_REFERENCE_LENGTH,
    RUPIAH,
    CreateInvoiceBody,
    UpdateInvoiceBody,
)
from invoicegate.dialects.winpay.signature import sign, verify
from invoicegate.domain.errors import InvoiceNotFound
from invoicegate.edge.dispatch import Dispatcher, Operation
from invoicegate.edge.errors import BadInput, Unauthorized
from invoicegate.edge.requests import header, read_body
from invoicegate.runtime import Runtime
from invoicegate.services.invoices import Actor

DIALECT = "winpay"
CURRENCIES = frozenset({RUPIAH.code})  # Winpay speaks rupiah only (DIALECTS.md §1)

Handler = Callable[[Request, Actor], Awaitable[Response]]
M = TypeVar("M", CreateInvoiceBody, UpdateInvoiceBody)


def routes(runtime: Runtime) -> list[BaseRoute]:
    api = WinpayApi(runtime)
    edge = Dispatcher(
        DIALECT,
        TABLE,
        renderer(runtime.now),
        max_body_bytes=runtime.settings.max_body_bytes,
        wire_path=translate.wire_path,
    )
    op = api.operation
    # `{…:text}`: a ref may hold "/" (INV/2023/001) or any other character create took;
    # the server decodes %2F before routing (web.AnyTextConvertor).
    return [
        edge.route("/api/create", {"POST": op(api.create_invoice, "create")}),
        edge.route("/api/find/{id:text}", {"GET": op(api.find_invoice, "find")}),
        edge.route("/api/findByRef/{ref:text}", {"GET": op(api.find_by_ref, "find")}),
        edge.route("/api/update/{id:text}", {"PUT": op(api.update_invoice, "update")}),
        edge.route("/api/delete/{id:text}", {"DELETE": op(api.delete_invoice, "delete")}),
        edge.route("/api/deleteByRef/{ref:text}", {"DELETE": op(api.delete_by_ref, "delete")}),
    ]


class WinpayApi:
    def __init__(self, runtime: Runtime) -> None:
        self.rt = runtime
        # Spent on unknown keys so that a wrong key costs what a wrong signature does.
        self._decoy_secret = uuid.uuid4().hex

    # --- the six operations -------------------------------------------------------------

    async def create_invoice(self, request: Request, actor: Actor) -> Response:
        body = await self._parse(request, CreateInvoiceBody)
        invoice = await self.rt.invoices.create_invoice(
            actor, translate.create_terms(body, self.rt.now())
        )
        data = translate.invoice_data(invoice, self.rt.settings.public_url, with_status=False)
        return self._answer(201, "2010300", "Invoice created", data)

    async def find_invoice(self, request: Request, actor: Actor) -> Response:
        invoice = await self.rt.invoices.find_invoice(actor, _invoice_id(request))
        data = translate.invoice_data(invoice, self.rt.settings.public_url, with_status=True)
        return self._answer(200, "2000300", "Invoice Found", data)

    async def find_by_ref(self, request: Request, actor: Actor) -> Response:
        reference = _reference(request)
        invoice = await self.rt.invoices.find_by_reference(actor, reference)
        data = translate.invoice_data(invoice, self.rt.settings.public_url, with_status=True)
        return self._answer(200, "2000300", "Invoice Found", data)

    async def update_invoice(self, request: Request, actor: Actor) -> Response:
        invoice_id = _invoice_id(request)
        raw = await read_body(request, self.rt.settings.max_body_bytes)
        changes = translate.update_changes(_validate(raw, UpdateInvoiceBody), self.rt.now())
        invoice = await self.rt.invoices.update_invoice(actor, invoice_id, changes)
        data = translate.invoice_data(invoice, self.rt.settings.public_url, with_status=True)
        return self._answer(200, "2000300", "Invoice Updated", data)

    async def delete_invoice(self, request: Request, actor: Actor) -> Response:
        await self.rt.invoices.cancel_invoice(actor, _invoice_id(request))
        return self._answer(200, "2000300", "Invoice has been deleted", [])

    async def delete_by_ref(self, request: Request, actor: Actor) -> Response:
        await self.rt.invoices.cancel_by_reference(actor, _reference(request))
        return self._answer(200, "2000300", "Invoice has been deleted", [])

    # --- what every operation shares ---------------------------------------------------

    def operation(self, handler: Handler, name: str) -> Operation:
        """The handler behind authentication; errors are answered by the dispatcher."""

        async def authenticated(request: Request) -> Response:
            return await handler(request, await self._authenticate(request))

        return Operation(authenticated, name)

    async def _authenticate(self, request: Request) -> Actor:
        """Key, timestamp and signature must all hold; the answer never says which failed."""
        scope = request.scope
        key = header(scope, b"x-winpay-key") or ""
        timestamp = header(scope, b"x-winpay-timestamp") or ""
        signature = header(scope, b"x-winpay-signature") or ""
        if not (0 < len(key) <= 100 and 0 < len(timestamp) <= 64 and 0 < len(signature) <= 128):
            raise Unauthorized
        credential = await self.rt.credentials.get(DIALECT, key)
        secret = credential.secret if credential is not None else None
        valid = verify(
            secret or self._decoy_secret,
            timestamp,
            signature,
            now=self.rt.now(),
            tolerance_seconds=self.rt.settings.timestamp_tolerance_seconds,
        )
        if credential is None or secret is None or not valid:
            raise Unauthorized
        return Actor(credential.merchant_id, credential.id, DIALECT, CURRENCIES)

    async def _parse(self, request: Request, model: type[M]) -> M:
        return _validate(await read_body(request, self.rt.settings.max_body_bytes), model)

    def _answer(self, status: int, code: str, message: str, data: Any) -> Response:
        return answer(status, code, message, data, self.rt.now())


def _validate(raw: bytes, model: type[M]) -> M:
    try:
        return model.model_validate_json(raw or b"{}")
    except ValidationError as error:
        raise BadInput(translate.validation_problems(error)) from None


def _reference(request: Request) -> str:
    """A ref create could not have accepted (NUL, too long) names no invoice: not found."""
    reference: str = request.path_params["ref"]
    if len(reference) > MAX_REFERENCE_LENGTH or not storable(reference):
        raise InvoiceNotFound
    return reference


def _invoice_id(request: Request) -> str:
    """Ids are UUIDs; anything else cannot name an invoice, so it is simply not found."""
    invoice_id = canonical_id(request.path_params["id"])
    if invoice_id is None:
        raise InvoiceNotFound
    return invoice_id


__all__ = ["routes", "sign"]
