"""What endpoints read and answer with: request headers, capped bodies, exact JSON in and out."""

import json
from decimal import Decimal
from typing import Any

import orjson
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.types import Scope

from invoicegate.edge.errors import BodyTooLarge


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


def header(scope: Scope, name: bytes) -> str | None:
    """A request header's first value, as Starlette's `Headers.get` gives it; `name` in lower
    case, as ASGI servers give names.

    Read from the scope's raw list: Starlette's `Headers` mapping, built per request and
    searched with a lower-cased copy of the name, cost three times as much for the few
    headers a dialect reads (docs/decisions/0025-edge-per-request.md).
    """
    for key, value in scope["headers"]:
        if key == name:
            return str(value.decode("latin-1"))
    return None
