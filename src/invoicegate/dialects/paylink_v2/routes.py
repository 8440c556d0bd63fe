"""Paylink v2 payment API endpoints: auth, addInvoice, getInvoice, cancelInvoice (§3)."""

import logging
import uuid
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import orjson
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from invoicegate.dialects.jsonwire import BadInput, Problem, parse_exact_body
from invoicegate.dialects.paylink_v2 import translate
from invoicegate.dialects.paylink_v2.schemas import AddInvoiceBody, AuthBody, CancelInvoiceBody
from invoicegate.dialects.paylink_v2.token import TokenSigner
from invoicegate.domain.errors import (
    DuplicateReference,
    InvalidInput,
    InvoiceAlreadyPaid,
    InvoiceCancelled,
    InvoiceNotFound,
    StaleVersion,
)
from invoicegate.runtime import Runtime
from invoicegate.services.invoices import Actor
from invoicegate.services.merchants import PAYLINK_V2, secret_matches

DIALECT = PAYLINK_V2
log = logging.getLogger("invoicegate.paylink_v2")

Handler = Callable[[Request, Actor], Awaitable[Response]]
M = TypeVar("M", AddInvoiceBody, AuthBody, CancelInvoiceBody)


class PaylinkV2Error(Exception):
    """An error the SDKs can read: they look at `detail`, then `title` (§3)."""

    def __init__(
        self, status: int, title: str, detail: str, errors: list[Problem] | None = None
    ) -> None:
        self.status, self.title, self.detail, self.errors = status, title, detail, errors


# One answer for every authentication failure: it never says which part was wrong.
UNAUTHORIZED = PaylinkV2Error(401, "Unauthorized", "Missing, invalid or expired credentials.")
NOT_FOUND = PaylinkV2Error(404, "Not Found", "Invoice not found.")


def routes(runtime: Runtime) -> list[BaseRoute]:
    api = PaylinkV2Api(runtime)
    return [
        Route("/api/auth", api.wrap(api.auth), methods=["POST"]),
        Route("/api/addInvoice", api.endpoint(api.add_invoice), methods=["POST"]),
        Route("/api/getInvoice/{transactionNo}", api.endpoint(api.get_invoice), methods=["GET"]),
        Route("/api/cancelInvoice", api.endpoint(api.cancel_invoice), methods=["POST"]),
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
            raise UNAUTHORIZED from None
        credential = await self.rt.credentials.get(DIALECT, body.apiId)
        stored = credential.secret_hash if credential is not None else None
        matched = secret_matches(body.secretKey, stored)  # spent for unknown ids too: no timing
        if credential is None or not matched:
            raise UNAUTHORIZED
        token = self.tokens.issue(
            credential.merchant_id,
            credential.id,
            credential.public_id,
            now=self.rt.now(),
            persist=bool(body.persistToken),
        )
        return _answer(200, {"id_token": token})

    async def add_invoice(self, request: Request, actor: Actor) -> Response:
        body = await self._parse(request, AddInvoiceBody)
        invoice = await self.rt.invoices.create_invoice(actor, translate.add_terms(body))
        return _answer(200, translate.invoice_answer(invoice, self.rt.settings.public_url))

    async def get_invoice(self, request: Request, actor: Actor) -> Response:
        invoice_id = _invoice_id(request.path_params["transactionNo"])
        invoice = await self.rt.invoices.find_invoice(
            actor.merchant_id, invoice_id, include_cancelled=True
        )
        return _answer(200, translate.invoice_answer(invoice, self.rt.settings.public_url))

    async def cancel_invoice(self, request: Request, actor: Actor) -> Response:
        body = await self._parse(request, CancelInvoiceBody)
        await self.rt.invoices.cancel_invoice(actor, _invoice_id(body.transactionNo))
        return _answer(200, {"success": "true"})  # a string: the SDKs accept only "true"

    # --- the envelope around every operation ---------------------------------------------

    def endpoint(self, handler: Handler) -> Callable[[Request], Awaitable[Response]]:
        async def authenticated(request: Request) -> Response:
            return await handler(request, await self._authenticate(request))

        authenticated.__name__ = handler.__name__
        return self.wrap(authenticated)

    def wrap(
        self, handler: Callable[[Request], Awaitable[Response]]
    ) -> Callable[[Request], Awaitable[Response]]:
        async def serve(request: Request) -> Response:
            try:
                return await handler(request)
            except PaylinkV2Error as error:
                return _error(error)
            except BadInput as error:
                return _invalid(error.problems)
            except InvalidInput as error:
                return _invalid([(_wire_path(p), m) for p, m in error.problems])
            except InvoiceNotFound:
                return _error(NOT_FOUND)
            except InvoiceAlreadyPaid:
                return _error(PaylinkV2Error(409, "Conflict", "Invoice is already paid."))
            except InvoiceCancelled:
                return _error(PaylinkV2Error(409, "Conflict", "Invoice is already cancelled."))
            except DuplicateReference:
                detail = "orderNumber is already used by another open invoice."
                return _error(PaylinkV2Error(409, "Conflict", detail))
            except StaleVersion:
                detail = "Invoice was changed meanwhile; try again."
                return _error(PaylinkV2Error(409, "Conflict", detail))
            except Exception:
                log.exception("paylink_v2 %s failed", handler.__name__)
                return _error(PaylinkV2Error(500, "Internal Server Error", "Unexpected error."))

        serve.__name__ = handler.__name__
        return serve

    async def _authenticate(self, request: Request) -> Actor:
        """A bearer token of ours, unexpired, whose credential still exists."""
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not token:
            raise UNAUTHORIZED
        claims = self.tokens.verify(token.strip(), now=self.rt.now())
        if claims is None:
            raise UNAUTHORIZED
        credential = await self.rt.credentials.get(DIALECT, claims.api_id)
        if credential is None or credential.id != claims.credential_id:
            raise UNAUTHORIZED  # the credential was removed since the token was issued
        return Actor(credential.merchant_id, credential.id, DIALECT)

    async def _parse(self, request: Request, model: type[M]) -> M:
        return await parse_exact_body(request, model, self.rt.settings.max_body_bytes)


def _invoice_id(transaction_no: str) -> str:
    """transactionNo is the invoice id (a UUID); anything else is simply not found."""
    try:
        return str(uuid.UUID(transaction_no))
    except ValueError:
        raise NOT_FOUND from None


def _wire_path(domain_path: str) -> str:
    path = domain_path.replace("items", "products").replace("unit_price", "price")
    return path.replace("quantity", "qty").replace("reference", "orderNumber")


def _answer(status: int, body: dict[str, Any]) -> Response:
    return Response(orjson.dumps(body), status, media_type="application/json")


def _invalid(problems: list[Problem]) -> Response:
    detail = "; ".join(f"{field}: {reason}" for field, reason in problems)
    return _error(PaylinkV2Error(400, "Bad Request", detail or "Invalid request", problems))


def _error(error: PaylinkV2Error) -> Response:
    body: dict[str, Any] = {
        "type": "about:blank",
        "title": error.title,
        "status": error.status,
        "detail": error.detail,
    }
    if error.errors is not None:
        body["errors"] = [{"field": field, "reason": reason} for field, reason in error.errors]
    return _answer(error.status, body)
