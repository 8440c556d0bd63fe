"""Paylink v2 payment API endpoints: auth, addInvoice, getInvoice, cancelInvoice (§3)."""

import uuid
from collections.abc import Awaitable, Callable
from typing import TypeVar

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute

from invoicegate.dialects.jsonwire import parse_exact_body
from invoicegate.dialects.paylink_v2 import translate
from invoicegate.dialects.paylink_v2.errors import TABLE, render
from invoicegate.dialects.paylink_v2.schemas import AddInvoiceBody, AuthBody, CancelInvoiceBody
from invoicegate.dialects.paylink_v2.token import TokenSigner
from invoicegate.domain.errors import InvoiceNotFound
from invoicegate.edge.dispatch import Dispatcher, Operation
from invoicegate.edge.errors import BadInput, Unauthorized
from invoicegate.edge.requests import json_answer
from invoicegate.runtime import Runtime
from invoicegate.services.invoices import Actor
from invoicegate.services.merchants import PAYLINK_V2, secret_matches

DIALECT = PAYLINK_V2

Handler = Callable[[Request, Actor], Awaitable[Response]]
M = TypeVar("M", AddInvoiceBody, AuthBody, CancelInvoiceBody)


def routes(runtime: Runtime) -> list[BaseRoute]:
    api = PaylinkV2Api(runtime)
    edge = Dispatcher(
        DIALECT,
        TABLE,
        render,
        max_body_bytes=runtime.settings.max_body_bytes,
        wire_path=translate.wire_path,
    )
    op = api.operation
    return [
        edge.route("/api/auth", {"POST": Operation(api.auth, "auth")}),
        edge.route("/api/addInvoice", {"POST": op(api.add_invoice, "addInvoice")}),
        edge.route(
            "/api/getInvoice/{transactionNo:text}", {"GET": op(api.get_invoice, "getInvoice")}
        ),
        edge.route("/api/cancelInvoice", {"POST": op(api.cancel_invoice, "cancelInvoice")}),
    ]


class PaylinkV2Api:
    def __init__(self, runtime: Runtime) -> None:
        self.rt = runtime
        self.tokens = TokenSigner(runtime.settings.resolve_secret_key())

    # --- the four operations -------------------------------------------------------------

    async def auth(self, request: Request) -> Response:
        """apiId + secretKey → id_token; a wrong pair is 401 whichever half was wrong."""
        try:
            body = await self._parse(request, AuthBody)
        except BadInput:
            raise Unauthorized from None
        credential = await self.rt.credentials.get(DIALECT, body.apiId)
        stored = credential.secret_hash if credential is not None else None
        matched = secret_matches(body.secretKey, stored)  # spent for unknown ids too: no timing
        if credential is None or not matched:
            raise Unauthorized
        token = self.tokens.issue(
            credential.merchant_id,
            credential.id,
            credential.public_id,
            now=self.rt.now(),
            persist=bool(body.persistToken),
        )
        return json_answer(200, {"id_token": token})

    async def add_invoice(self, request: Request, actor: Actor) -> Response:
        body = await self._parse(request, AddInvoiceBody)
        invoice = await self.rt.invoices.create_invoice(actor, translate.add_terms(body))
        return json_answer(200, translate.invoice_answer(invoice, self.rt.settings.public_url))

    async def get_invoice(self, request: Request, actor: Actor) -> Response:
        invoice_id = _invoice_id(request.path_params["transactionNo"])
        invoice = await self.rt.invoices.find_invoice(actor, invoice_id, include_cancelled=True)
        return json_answer(200, translate.invoice_answer(invoice, self.rt.settings.public_url))

    async def cancel_invoice(self, request: Request, actor: Actor) -> Response:
        body = await self._parse(request, CancelInvoiceBody)
        await self.rt.invoices.cancel_invoice(actor, _invoice_id(body.transactionNo))
        return json_answer(200, {"success": "true"})  # a string: the SDKs accept only "true"

    # --- what every operation shares ----------------------------------------------------

    def operation(self, handler: Handler, name: str) -> Operation:
        """The handler behind bearer-token authentication."""

        async def authenticated(request: Request) -> Response:
            return await handler(request, await self._authenticate(request))

        return Operation(authenticated, name)

    async def _authenticate(self, request: Request) -> Actor:
        """A bearer token of ours, unexpired, whose credential still exists."""
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not token:
            raise Unauthorized
        claims = self.tokens.verify(token.strip(), now=self.rt.now())
        if claims is None:
            raise Unauthorized
        credential = await self.rt.credentials.get(DIALECT, claims.api_id)
        if credential is None or credential.id != claims.credential_id:
            raise Unauthorized  # the credential was removed since the token was issued
        return Actor(credential.merchant_id, credential.id, DIALECT)

    async def _parse(self, request: Request, model: type[M]) -> M:
        return await parse_exact_body(request, model, self.rt.settings.max_body_bytes)


def _invoice_id(transaction_no: str) -> str:
    """transactionNo is the invoice id (a UUID); anything else is simply not found."""
    try:
        return str(uuid.UUID(transaction_no))
    except ValueError:
        raise InvoiceNotFound from None
