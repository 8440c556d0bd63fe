"""Native REST API v1 endpoints under /v1: invoices, their payments and their history."""

import logging
import uuid
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from pydantic import BaseModel
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route
from starlette.types import Receive, Scope, Send

from invoicegate.dialects.native import idempotency, translate
from invoicegate.dialects.native.endpoints import WebhookEndpointsApi
from invoicegate.dialects.native.idempotency import AnsweringRunner, Runner, Services
from invoicegate.dialects.native.openapi import SURFACE
from invoicegate.dialects.native.problems import (
    BODY_TOO_LARGE,
    METHOD_NOT_ALLOWED,
    NOT_FOUND,
    PRECONDITION_REQUIRED,
    UNAUTHORIZED,
    VERSION_MISMATCH,
    NativeProblem,
    bad_header,
    bad_parameters,
    problem_response,
    render,
)
from invoicegate.dialects.native.schemas import (
    CreateInvoice,
    InvoicePage,
    InvoicePatch,
    ListQuery,
    RecordPayment,
    RevisionList,
)
from invoicegate.dialects.native.wire import json_answer, parse_body, parse_query
from invoicegate.domain.errors import StaleVersion
from invoicegate.domain.invoice import Invoice, InvoiceStatus
from invoicegate.edge.errors import BodyTooLarge
from invoicegate.edge.requests import read_body
from invoicegate.runtime import Runtime
from invoicegate.services.idempotency import Claim
from invoicegate.services.invoices import Actor, check_version
from invoicegate.services.merchants import API_KEY_PREFIX, NATIVE, digest_matches, hash_secret
from invoicegate.services.ports import MAX_PAGE_SIZE, InvoiceFilter, PagePosition

DIALECT = NATIVE
log = logging.getLogger("invoicegate.native")
MAX_KEY_LENGTH = 200
JSON = "application/json"

Handler = Callable[[Request, Actor, Runner], Awaitable[Response]]
Endpoint = Callable[[Request], Awaitable[Response]]
M = TypeVar("M", bound=BaseModel)


def routes(runtime: Runtime) -> list[BaseRoute]:
    """One route per path of the declared operations (openapi.py), then a 404 for the rest."""
    api = NativeApi(runtime)
    webhooks = WebhookEndpointsApi(runtime)
    by_path: dict[str, dict[str, Endpoint]] = {}
    for op in SURFACE.operations:
        handler: Handler = getattr(api, op.operation_id, None) or getattr(webhooks, op.operation_id)
        by_path.setdefault(op.path, {})[op.method] = api.endpoint(handler)
    return [
        *(Route(path, Resource(handlers)) for path, handlers in by_path.items()),
        Route("/v1/{rest:text}", _no_such_route, methods=list(_METHODS)),
    ]


_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")


class Resource:
    """One path of the API: a handler per method, and a 405 problem for any other method."""

    def __init__(self, handlers: dict[str, Endpoint]) -> None:
        self.handlers = handlers
        if "GET" in handlers:
            self.handlers["HEAD"] = handlers["GET"]
        self.allow = ", ".join(sorted(handlers))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope, receive)
        handler = self.handlers.get(request.method)
        if handler is None:
            detail = f"{request.method} is not allowed here; allowed: {self.allow}"
            problem = NativeProblem(METHOD_NOT_ALLOWED, detail, headers={"Allow": self.allow})
            response = render(problem)
        else:
            response = await handler(request)
        await response(scope, receive, send)


async def _no_such_route(request: Request) -> Response:
    return render(NativeProblem(NOT_FOUND, f"No resource at {request.url.path}."))


class NativeApi:
    def __init__(self, runtime: Runtime) -> None:
        self.rt = runtime
        self.runner = Runner(runtime)

    # --- invoices --------------------------------------------------------------------------

    async def create_invoice(self, request: Request, actor: Actor, runner: Runner) -> Response:
        terms = translate.create_terms(self._body(request, CreateInvoice))
        return await runner.run(
            lambda services: services.invoices.create_invoice(actor, terms),
            lambda invoice: self._invoice(invoice, 201, {"Location": f"/v1/invoices/{invoice.id}"}),
        )

    async def get_invoice(self, request: Request, actor: Actor, _: Runner) -> Response:
        invoice = await self.rt.invoices.find_invoice(
            actor, _invoice_id(request), include_cancelled=True
        )
        return self._invoice(invoice, 200)

    async def list_invoices(self, request: Request, actor: Actor, _: Runner) -> Response:
        query = parse_query(request, ListQuery)
        after = None
        if query.cursor is not None:
            after = translate.decode_cursor(query.cursor)
            if after is None:
                raise bad_parameters([("cursor", "is not a cursor this API gave out")])
        where = InvoiceFilter(
            status=InvoiceStatus(query.status) if query.status else None,
            reference=query.reference,
            created_from=query.created_gte,
            created_before=query.created_lt,
            customer=query.customer,
        )
        found, more = await self.rt.invoices.page_invoices(
            actor.merchant_id, where, after, min(query.limit, MAX_PAGE_SIZE)
        )
        now, public_url = self.rt.now(), self.rt.settings.public_url
        last = found[-1] if found else None
        page = InvoicePage(
            data=[translate.invoice_out(i, public_url, now) for i in found],
            has_more=more,
            next_cursor=(
                translate.encode_cursor(PagePosition(last.created_at, last.id))
                if more and last
                else None
            ),
        )
        return json_answer(200, page)

    async def update_invoice(self, request: Request, actor: Actor, runner: Runner) -> Response:
        """A JSON merge patch, only against the version the caller saw (If-Match)."""
        invoice_id = _invoice_id(request)
        expected = _if_match(request, required=True)
        changes = translate.invoice_changes(self._body(request, InvoicePatch))

        async def change(services: Services) -> Invoice:
            if not changes.fields():  # nothing to change: no new version, but still checked
                return await self._current(actor, invoice_id, expected)
            return await self._at_version(
                actor,
                invoice_id,
                expected,
                services.invoices.update_invoice(
                    actor, invoice_id, changes, expected_version=expected
                ),
            )

        return await runner.run(change, lambda invoice: self._invoice(invoice, 200))

    async def cancel_invoice(self, request: Request, actor: Actor, runner: Runner) -> Response:
        invoice_id = _invoice_id(request)
        expected = _if_match(request, required=False)
        return await runner.run(
            lambda services: self._at_version(
                actor,
                invoice_id,
                expected,
                services.invoices.cancel_invoice(actor, invoice_id, expected_version=expected),
            ),
            lambda invoice: self._invoice(invoice, 200),
        )

    async def record_payment(self, request: Request, actor: Actor, runner: Runner) -> Response:
        invoice_id = _invoice_id(request)
        expected = _if_match(request, required=False)
        body = self._body(request, RecordPayment)
        return await runner.run(
            lambda services: self._at_version(
                actor,
                invoice_id,
                expected,
                services.payments.record_payment(
                    actor,
                    invoice_id,
                    amount=body.amount,
                    channel=body.channel,
                    reference=body.reference,
                    expected_version=expected,
                ),
            ),
            lambda invoice: self._invoice(invoice, 201),
        )

    async def list_revisions(self, request: Request, actor: Actor, _: Runner) -> Response:
        history = await self.rt.invoices.history(actor.merchant_id, _invoice_id(request))
        return json_answer(200, RevisionList(data=[translate.revision_out(r) for r in history]))

    # --- what every operation shares -------------------------------------------------------

    def endpoint(self, handler: Handler) -> Endpoint:
        async def serve(request: Request) -> Response:
            claim: Claim | None = None
            try:
                actor = await self._authenticate(request)
                if request.method not in ("POST", "PATCH"):
                    return await handler(request, actor, self.runner)
                body = await self._read(request)
                key = idempotency.key_of(request)
                if key is None:
                    return await handler(request, actor, self.runner)
                assert actor.credential_id is not None
                asked = Claim(actor.credential_id, key, idempotency.fingerprint(request, body))
                answer = await self.rt.idempotency.claim(asked)
                if answer is not None:
                    return idempotency.replayed(answer)
                claim = asked  # ours now: whatever happens next settles it
                return await handler(request, actor, AnsweringRunner(self.rt, claim))
            except Exception as error:
                response = problem_response(error)
                if claim is not None:
                    await self._settle(claim, response)
                return response

        serve.__name__ = handler.__name__
        return serve

    async def _settle(self, claim: Claim, response: Response) -> None:
        """A failed request's claim: its answer is kept, unless the fault was ours (5xx)."""
        try:
            if response.status_code >= 500:
                await self.rt.idempotency.release(claim)
            else:
                await self.rt.idempotency.answer(claim, idempotency.stored(response))
        except Exception:  # the claim then lapses after its lease; the answer still goes out
            log.exception("could not settle idempotency key")

    async def _authenticate(self, request: Request) -> Actor:
        """`Authorization: Bearer igk_live_…`; only the key's hash is stored and compared."""
        scheme, _, key = request.headers.get("authorization", "").partition(" ")
        key = key.strip()
        if scheme.lower() != "bearer" or not key:
            raise _unauthorized("Send Authorization: Bearer <API key>.")
        if not key.startswith(API_KEY_PREFIX) or len(key) > MAX_KEY_LENGTH:
            raise _unauthorized("This is not an invoicegate API key.", invalid=True)
        digest = hash_secret(key)
        credential = await self.rt.credentials.get(DIALECT, digest)
        stored = credential.secret_hash if credential is not None else None
        matched = digest_matches(digest, stored)  # spent for unknown keys too: no timing
        if credential is None or not matched or credential.revoked_at:
            raise _unauthorized("The API key is unknown or revoked.", invalid=True)
        return Actor(credential.merchant_id, credential.id, DIALECT)

    async def _read(self, request: Request) -> bytes:
        """The body, read once (parsed, and fingerprinted for idempotency)."""
        limit = self.rt.settings.max_body_bytes
        try:
            raw = await read_body(request, limit)
        except BodyTooLarge:
            detail = f"The body must be at most {limit} bytes."
            raise NativeProblem(BODY_TOO_LARGE, detail) from None
        request.state.body = raw
        return raw

    def _body(self, request: Request, model: type[M]) -> M:
        return parse_body(request.state.body, model)

    def _invoice(
        self, invoice: Invoice, status: int, headers: dict[str, str] | None = None
    ) -> Response:
        out = translate.invoice_out(invoice, self.rt.settings.public_url, self.rt.now())
        response = json_answer(status, out)
        response.headers["ETag"] = translate.etag(invoice.version)
        for name, value in (headers or {}).items():
            response.headers[name] = value
        return response

    async def _current(self, actor: Actor, invoice_id: str, expected: int | None) -> Invoice:
        invoice = await self.rt.invoices.find_invoice(actor, invoice_id, include_cancelled=True)
        check_version(invoice, expected)
        return invoice

    async def _at_version(
        self, actor: Actor, invoice_id: str, expected: int | None, change: Awaitable[Invoice]
    ) -> Invoice:
        """The changed invoice; a stale If-Match becomes a 412 saying what changed since."""
        try:
            return await change
        except StaleVersion:
            raise await self._version_mismatch(actor, invoice_id, expected) from None

    async def _version_mismatch(
        self, actor: Actor, invoice_id: str, expected: int | None
    ) -> NativeProblem:
        """412, saying what changed between the caller's version and the current one."""
        history = await self.rt.invoices.history(actor.merchant_id, invoice_id)
        current = history[-1]
        seen = next((r for r in history if r.version == expected), None)
        detail = f"The invoice is at version {current.version}; you sent version {expected}."
        extensions: dict[str, Any] = {
            "current_version": current.version,
            "current_etag": translate.etag(current.version),
        }
        if seen is not None:
            changes = translate.changes_out(seen.after, current.after)
            extensions["changes"] = [c.model_dump(mode="json") for c in changes]
        else:
            detail += " That version never existed."
        return NativeProblem(
            VERSION_MISMATCH,
            detail,
            extensions=extensions,
            headers={"ETag": translate.etag(current.version)},
        )


def _unauthorized(detail: str, *, invalid: bool = False) -> NativeProblem:
    challenge = 'Bearer realm="invoicegate"' + (', error="invalid_token"' if invalid else "")
    return NativeProblem(UNAUTHORIZED, detail, headers={"WWW-Authenticate": challenge})


def _invoice_id(request: Request) -> str:
    """Ids are UUIDs; anything else cannot name an invoice, so it is simply not found."""
    try:
        return str(uuid.UUID(request.path_params["invoice_id"]))
    except ValueError:
        raise NativeProblem(NOT_FOUND, "No invoice with this id is yours.") from None


def _if_match(request: Request, *, required: bool) -> int | None:
    """The version named by If-Match: one ETag of ours (a `*` would defeat the check)."""
    header = request.headers.get("if-match")
    if header is None:
        if required:
            raise bad_header(
                "If-Match",
                "is required: send the ETag of the invoice as you last read it",
                PRECONDITION_REQUIRED,
            )
        return None
    version = translate.version_of(header)
    if version is None:
        raise bad_header("If-Match", 'must be one ETag of this API, like "v3"')
    return version
