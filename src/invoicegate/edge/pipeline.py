"""The service's ASGI entry: the dialects' routes answered directly, the rest by Starlette.

The dialects' calls (a signed update, a find) are what the service answers most, and
Starlette's generic stack around each of them — the router trying route regexes in order,
ServerErrorMiddleware, our two middlewares each wrapping `send`, ExceptionMiddleware, the
exception wrapper around the endpoint — cost about as much CPU as the use case itself
(docs/decisions/0020-direct-dialect-routes.md). A dispatcher's route answers every error
itself (dispatch.py), so the front calls its endpoint straight: it finds the route Starlette's
router would have found, and does in one frame what the middleware does for it: the request
id, exactly one access-log line, and the unread body of an early answer (drain.py).
Every other request (health, native API, docs, checkout page) and every path the front is
not sure of goes through Starlette unchanged.
"""

import logging
import re
import time
from collections.abc import Callable
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from invoicegate import logs
from invoicegate.edge.dispatch import DispatchedRoute
from invoicegate.edge.drain import UnreadBody, has_body
from invoicegate.edge.requests import header
from invoicegate.edge.routing import Entry, match, table
from invoicegate.services.ids import new_request_id

log = logging.getLogger("invoicegate.front")
_SAFE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


class Service(Starlette):
    """Starlette, with the dispatchers' routes answered before its middleware stack.

    `unexpected` is the answer to an error no dispatcher caught (a bug): the same 500 the
    app's Starlette handler gives.
    """

    def __init__(self, *args: Any, unexpected: Callable[[], Response], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._unexpected = unexpected
        self._table: list[Entry] = table(self.router.routes)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and not scope.get("root_path"):
            found = match(self._table, scope["method"], scope["path"])
            if found is not None:
                await self._serve(found[0], found[1], scope, receive, send)
                return
        await super().__call__(scope, receive, send)

    async def _serve(
        self,
        route: DispatchedRoute,
        params: dict[str, Any],
        scope: Scope,
        receive: Receive,
        send: Send,
    ) -> None:
        # What Starlette and its router would have put in the scope for this route.
        scope["app"] = self
        scope["router"] = self.router
        scope["route"] = route
        scope["endpoint"] = route.endpoint
        scope["path_params"] = params
        rid = request_id_of(scope)
        token = logs.request_id.set(rid)
        started = time.perf_counter_ns()
        status = 500
        body = UnreadBody(receive) if has_body(scope) else None
        try:
            try:
                response = await route.endpoint(Request(scope, body.receive if body else receive))
            except Exception:
                # A dispatcher answers every error; one escaping it is a bug (as Starlette's
                # ServerErrorMiddleware does: the neutral 500, then the error to the server).
                await self._answer(scope, self._unexpected(), rid, body, send)
                raise
            status = response.status_code
            await self._answer(scope, response, rid, body, send)
        finally:
            log_request(scope["method"], route.path, status, started)
            logs.request_id.reset(token)

    @staticmethod
    async def _answer(
        scope: Scope, response: Response, rid: str, body: UnreadBody | None, send: Send
    ) -> None:
        start: Message = {
            "type": "http.response.start",
            "status": response.status_code,
            "headers": [*response.raw_headers, (b"x-request-id", rid.encode())],
        }
        if body is not None and not body.ended:
            start = await body.settle(scope, start)
        await send(start)
        await send({"type": "http.response.body", "body": response.body})
        if response.background is not None:
            await response.background()


class RequestContext:
    """Pure ASGI middleware: a request id (the caller's, if sane) and one access-log line."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        rid = request_id_of(scope)
        token = logs.request_id.set(rid)
        started = time.perf_counter_ns()
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", []), (b"x-request-id", rid.encode())]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            log_request(scope["method"], _route_template(scope), status, started)
            logs.request_id.reset(token)


def request_id_of(scope: Scope) -> str:
    """The caller's X-Request-Id if it is sane, else a new one."""
    given = header(scope, b"x-request-id")
    return given if given and _SAFE_REQUEST_ID.match(given) else new_request_id()


def log_request(method: str, template: str, status: int, started_ns: int) -> None:
    """The request's one access-log line (its id is the current `logs.request_id`);
    `started_ns` is `time.perf_counter_ns()` when the request came."""
    logs.access.request(method, template, status, duration_ms(time.perf_counter_ns() - started_ns))


def duration_ms(elapsed_ns: int) -> float:
    """Milliseconds to two decimals, as `round(seconds * 1000, 2)` gives them, rounded in
    integers: `round` to a number of digits goes through a decimal string, ~3 µs of every
    request's access line under load (decision 0028)."""
    return (elapsed_ns + 5_000) // 10_000 / 100


def _route_template(scope: Scope) -> str:
    """The matched route's template ("/{slug}"), never the path itself: a path carries
    payment-link slugs (bearer links) and merchants' references, which stay out of logs."""
    route = scope.get("route")
    template = getattr(route, "path", None)
    return template if isinstance(template, str) else "(no route)"
