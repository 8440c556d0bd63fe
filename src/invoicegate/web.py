"""Edge helpers every HTTP surface shares: request ids and access logs, capped body reads."""

import json
import re
import time
from decimal import Decimal
from typing import Any

import orjson
from starlette.convertors import PathConvertor, register_url_convertor
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from invoicegate import logs
from invoicegate.dispatch import BodyTooLarge as BodyTooLarge  # re-exported: read_body raises it
from invoicegate.scope import header
from invoicegate.services.ids import new_request_id


class AnyTextConvertor(PathConvertor):
    """`{name:text}`: a path parameter that may hold anything, "/" and line breaks too.

    Starlette's `path` convertor is `.*`, which stops at a line break: a reference holding
    one (`%0A`) would match no route and never reach its dialect's answer.
    """

    regex = r"[\s\S]*"


register_url_convertor("text", AnyTextConvertor())
_SAFE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


async def read_body(request: Request, limit: int) -> bytes:
    """The whole body, refusing past `limit` bytes before reading them all.

    A declared Content-Length over the limit is refused before reading; a chunked body is
    cut as soon as it passes the limit. Read from the ASGI messages themselves: most bodies
    come in one message, and Starlette's `Request.stream` (an async generator) cost a few
    percent of an update (docs/decisions/0025-edge-per-request.md).
    """
    declared = header(request.scope, b"content-length") or ""
    if declared.isdigit() and int(declared) > limit:
        raise BodyTooLarge(limit)
    receive = request.receive
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.request":
            chunk: bytes = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                raise BodyTooLarge(limit)
            if not message.get("more_body", False):
                return b"".join(chunks) + chunk if chunks else chunk
            chunks.append(chunk)
        elif message["type"] == "http.disconnect":
            raise ClientDisconnect


def json_answer(status: int, body: Any) -> Response:
    """A JSON answer, encoded by orjson (the service's one JSON encoder)."""
    return JsonAnswer(orjson.dumps(body), status)


class JsonAnswer(Response):
    """Starlette's Response for an encoded JSON body, its headers written out directly.

    The same object and headers as `Response(body, status, media_type="application/json")`
    (tests/unit/test_web.py compares them), without the generic header handling that cost
    a few percent of every dialect answer (docs/decisions/0025-edge-per-request.md).
    """

    media_type = "application/json"

    def __init__(self, body: bytes, status: int) -> None:
        self.status_code = status
        self.background = None
        self.body = body
        if status >= 200 and status not in (204, 304):  # as Starlette: no length for those
            self.raw_headers = [(b"content-length", b"%d" % len(body)), _JSON_TYPE]
        else:
            self.raw_headers = [_JSON_TYPE]


_JSON_TYPE = (b"content-type", b"application/json")


def loads_exact(raw: bytes) -> Any:
    """JSON with every non-integer number as an exact Decimal (money never passes a float).

    Raises ValueError for invalid JSON, including NaN and Infinity, which JSON does not have.
    What `json.loads(raw, parse_float=Decimal, ...)` does, with its decoder built once
    instead of per call.
    """
    try:
        return _EXACT_JSON.decode(raw.decode(json.detect_encoding(raw), "surrogatepass"))
    except RecursionError:
        raise ValueError("JSON nested too deeply") from None


def _refuse_constant(constant: str) -> Any:
    raise ValueError(f"{constant} is not JSON")


_EXACT_JSON = json.JSONDecoder(parse_float=Decimal, parse_constant=_refuse_constant)


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
