"""The service's ASGI entry: the dialects' routes answered directly, the rest by Starlette.

The dialects' calls (a signed update, a find) are what the service answers most, and
Starlette's generic stack around each of them — the router trying route regexes in order,
ServerErrorMiddleware, our two middlewares each wrapping `send`, ExceptionMiddleware, the
exception wrapper around the endpoint — cost about as much CPU as the use case itself
(docs/decisions/0020-direct-dialect-routes.md). A dispatcher's route answers every error
itself (dispatch.py), so the front calls its endpoint straight: it finds the route Starlette's
router would have found, and does in one frame what the middleware does for it: the request
id, exactly one access-log line, and the unread body of an early answer (unread_body.py).
Every other request (health, native API, docs, checkout page) and every path the front is
not sure of goes through Starlette unchanged.
"""

import logging
import re
import time
from collections.abc import Callable, Sequence
from typing import Any

from starlette.applications import Starlette
from starlette.convertors import PathConvertor, StringConvertor
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Mount, Route, WebSocketRoute
from starlette.types import Message, Receive, Scope, Send

from invoicegate import logs
from invoicegate.dispatch import HTTP_METHODS, DispatchedRoute
from invoicegate.unread_body import UnreadBody, has_body
from invoicegate.web import log_request, request_id_of

log = logging.getLogger("invoicegate.front")
_ANYTHING = re.compile("")

# (literal prefix and suffix of the path, the route's own regex, the route or None for one
# left to Starlette, whether its path parameters are the matched text as it is), in the
# router's order
Entry = tuple[str, str, re.Pattern[str], DispatchedRoute | None, bool]
# Convertors whose `convert` gives back the matched text itself.
_TEXT_CONVERTORS = (StringConvertor, PathConvertor)


class Service(Starlette):
    """Starlette, with the dispatchers' routes answered before its middleware stack.

    `unexpected` is the answer to an error no dispatcher caught (a bug): the same 500 the
    app's Starlette handler gives.
    """

    def __init__(self, *args: Any, unexpected: Callable[[], Response], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._unexpected = unexpected
        self._table = _table(self.router.routes)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and not scope.get("root_path"):
            found = _match(self._table, scope["method"], scope["path"])
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


def _table(routes: Sequence[BaseRoute]) -> list[Entry]:
    """Every route that can answer an HTTP request, in order; the dispatchers' ones usable."""
    table: list[Entry] = []
    for route in routes:
        if isinstance(route, Route):
            prefix, suffix = _literal_ends(route.path)
            dispatched = route if isinstance(route, DispatchedRoute) else None
            text = all(isinstance(c, _TEXT_CONVERTORS) for c in route.param_convertors.values())
            table.append((prefix, suffix, route.path_regex, dispatched, text))
        elif isinstance(route, Mount):
            table.append((route.path, "", _ANYTHING, None, True))
        elif not isinstance(route, WebSocketRoute):  # unknown kind: may match anything
            table.append(("", "", _ANYTHING, None, True))
    return table


def _literal_ends(template: str) -> tuple[str, str]:
    """("/api/merchants/", "/invoices") of "/api/merchants/{merchantId:text}/invoices": every
    path the route matches starts and ends with them. Checked before the route's regex,
    which backtracks over the whole path to find out the same (a template without
    parameters is its own prefix; its regex decides alone)."""
    if "{" not in template:
        return template, ""
    return template.split("{", 1)[0], template.rsplit("}", 1)[1]


def _match(
    table: list[Entry], method: str, path: str
) -> tuple[DispatchedRoute, dict[str, Any]] | None:
    """The dispatcher's route Starlette's router would pick, with its path parameters, or
    None to let Starlette decide (another kind of route matches first, or none does)."""
    if method not in HTTP_METHODS:  # a non-standard method: Starlette's neutral 405
        return None
    for prefix, suffix, regex, route, text in table:
        if path.startswith(prefix) and path.endswith(suffix):
            matched = regex.match(path)
            if matched is not None:
                if route is None:
                    return None
                params = matched.groupdict()
                if not text:
                    convertors = route.param_convertors
                    params = {k: convertors[k].convert(v) for k, v in params.items()}
                return route, params
    return None
