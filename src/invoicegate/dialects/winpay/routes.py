"""Winpay Checkout Page API endpoints: create, find, findByRef, update, delete, deleteByRef."""

import logging
import uuid
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import orjson
from pydantic import ValidationError
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from invoicegate.dialects.winpay import translate
from invoicegate.dialects.winpay.schemas import CreateInvoiceBody, UpdateInvoiceBody
from invoicegate.dialects.winpay.signature import sign, verify
from invoicegate.domain.errors import (
    DuplicateReference,
    InvalidInput,
    InvoiceAlreadyPaid,
    InvoiceCancelled,
    InvoiceNotFound,
)
from invoicegate.runtime import Runtime
from invoicegate.services.invoices import Actor
from invoicegate.web import BodyTooLarge, read_body

DIALECT = "winpay"
log = logging.getLogger("invoicegate.winpay")

Handler = Callable[[Request, Actor], Awaitable[Response]]
M = TypeVar("M", CreateInvoiceBody, UpdateInvoiceBody)


class WinpayError(Exception):
    """An answer in Winpay's envelope: HTTP status, responseCode, message, data list."""

    def __init__(self, status: int, code: str, message: str, data: list[str] | None = None):
        self.status, self.code, self.message, self.data = status, code, message, data or []


UNAUTHORIZED = WinpayError(401, "4010300", "Unauthorized")
NOT_FOUND = WinpayError(404, "4040300", "Invoice not found")
DUPLICATE_REF = WinpayError(400, "4000303", "Merchant ref already exists")


def routes(runtime: Runtime) -> list[BaseRoute]:
    api = WinpayApi(runtime)
    # `{ref:path}`: a ref may hold "/" (INV/2023/001); the server decodes %2F before routing,
    # so a plain `{ref}` would leave such an invoice unreachable by ref.
    return [
        Route("/api/create", api.endpoint(api.create_invoice, "create"), methods=["POST"]),
        Route("/api/find/{id}", api.endpoint(api.find_invoice, "find"), methods=["GET"]),
        Route("/api/findByRef/{ref:path}", api.endpoint(api.find_by_ref, "find"), methods=["GET"]),
        Route("/api/update/{id}", api.endpoint(api.update_invoice, "update"), methods=["PUT"]),
        Route("/api/delete/{id}", api.endpoint(api.delete_invoice, "delete"), methods=["DELETE"]),
        Route(
            "/api/deleteByRef/{ref:path}",
            api.endpoint(api.delete_by_ref, "delete"),
            methods=["DELETE"],
        ),
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
        invoice = await self.rt.invoices.find_invoice(actor.merchant_id, _invoice_id(request))
        data = translate.invoice_data(invoice, self.rt.settings.public_url, with_status=True)
        return self._answer(200, "2000300", "Invoice Found", data)

    async def find_by_ref(self, request: Request, actor: Actor) -> Response:
        reference = request.path_params["ref"]
        invoice = await self.rt.invoices.find_by_reference(actor.merchant_id, reference)
        data = translate.invoice_data(invoice, self.rt.settings.public_url, with_status=True)
        return self._answer(200, "2000300", "Invoice Found", data)

    async def update_invoice(self, request: Request, actor: Actor) -> Response:
        invoice_id = _invoice_id(request)
        body = await self._parse(request, UpdateInvoiceBody)
        invoice = await self.rt.invoices.update_invoice(
            actor, invoice_id, translate.update_changes(body, self.rt.now())
        )
        data = translate.invoice_data(invoice, self.rt.settings.public_url, with_status=True)
        return self._answer(200, "2000300", "Invoice Updated", data)

    async def delete_invoice(self, request: Request, actor: Actor) -> Response:
        await self.rt.invoices.cancel_invoice(actor, _invoice_id(request))
        return self._answer(200, "2000300", "Invoice has been deleted", [])

    async def delete_by_ref(self, request: Request, actor: Actor) -> Response:
        await self.rt.invoices.cancel_by_reference(actor, request.path_params["ref"])
        return self._answer(200, "2000300", "Invoice has been deleted", [])

    # --- the envelope around every operation --------------------------------------------

    def endpoint(
        self, handler: Handler, operation: str
    ) -> Callable[[Request], Awaitable[Response]]:
        async def serve(request: Request) -> Response:
            try:
                actor = await self._authenticate(request)
                return await handler(request, actor)
            except WinpayError as error:
                return self._error(error)
            except (InvoiceNotFound, InvoiceCancelled):
                return self._error(NOT_FOUND)
            except InvoiceAlreadyPaid:
                word = operation if operation in ("update", "delete") else "change"
                return self._error(
                    WinpayError(400, "4000302", f"Failed to {word}: Invoice already paid")
                )
            except DuplicateReference:
                return self._error(DUPLICATE_REF)
            except InvalidInput as error:
                messages = [f"{translate.wire_path(p)}: {m}" for p, m in error.problems]
                return self._error(WinpayError(400, "4000301", "Invalid Parameters", messages))
            except Exception:
                log.exception("winpay %s failed", operation)
                return self._error(WinpayError(500, "5000300", "General Error"))

        serve.__name__ = handler.__name__
        return serve

    async def _authenticate(self, request: Request) -> Actor:
        """Key, timestamp and signature must all hold; the answer never says which failed."""
        headers = request.headers
        key = headers.get("x-winpay-key", "")
        timestamp = headers.get("x-winpay-timestamp", "")
        signature = headers.get("x-winpay-signature", "")
        if not (0 < len(key) <= 100 and 0 < len(timestamp) <= 64 and 0 < len(signature) <= 128):
            raise UNAUTHORIZED
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
            raise UNAUTHORIZED
        return Actor(credential.merchant_id, credential.id, DIALECT)

    async def _parse(self, request: Request, model: type[M]) -> M:
        try:
            raw = await read_body(request, self.rt.settings.max_body_bytes)
        except BodyTooLarge:
            limit = self.rt.settings.max_body_bytes
            raise WinpayError(
                400, "4000301", "Invalid Parameters", [f"body: must be at most {limit} bytes"]
            ) from None
        try:
            return model.model_validate_json(raw or b"{}")
        except ValidationError as error:
            messages = translate.validation_messages(error)
            raise WinpayError(400, "4000301", "Invalid Parameters", messages) from None

    def _answer(self, status: int, code: str, message: str, data: Any) -> Response:
        body = {
            "responseCode": code,
            "responseMessage": message,
            "responseDate": translate.jakarta_iso(self.rt.now()),
            "responseData": data,
        }
        return Response(_dumps(body), status, media_type="application/json")

    def _error(self, error: WinpayError) -> Response:
        return self._answer(error.status, error.code, error.message, error.data)


def _invoice_id(request: Request) -> str:
    """Ids are UUIDs; anything else cannot name an invoice, so it is simply not found."""
    raw = request.path_params["id"]
    try:
        return str(uuid.UUID(raw))
    except ValueError:
        raise NOT_FOUND from None


def _dumps(body: dict[str, Any]) -> bytes:
    return orjson.dumps(body)


__all__ = ["routes", "sign"]
