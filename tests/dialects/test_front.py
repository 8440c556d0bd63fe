"""The front (front.py) answers the dispatchers' routes itself: it must pick exactly the
route Starlette's router would, or leave the request to Starlette."""

import io
import json
import logging
from typing import Any

import pytest
from starlette.responses import Response
from starlette.routing import Match, Route
from starlette.testclient import TestClient

from invoicegate import logs
from invoicegate.app import create_app
from invoicegate.edge.dispatch import HTTP_METHODS, DispatchedRoute
from invoicegate.edge.pipeline import Service
from invoicegate.edge.routing import match as _match
from invoicegate.settings import Settings

PATHS = [
    "/api/create",
    "/api/create/",
    "/api/create/x",
    "/api/find/",
    "/api/find/0b6bd6ab-5e7a-4a5d-8c1e-1d0e2a3c4f50",
    "/api/find/a/b",
    "/api/find/line\nbreak",
    "/api/findByRef/INV/2023/001",
    "/api/update/x",
    "/api/delete/x",
    "/api/deleteByRef/x",
    "/api/merchants/m/invoices",
    "/api/merchants/m/invoices/",
    "/api/merchants/m/invoices/i",
    "/api/merchants/m/invoices/i/invoices",
    "/api/merchants/m/invoices/i/invoices/j",
    "/api/merchants//invoices",
    "/api/auth",
    "/api/addInvoice",
    "/api/getInvoice/T-1",
    "/api/cancelInvoice",
    "/api",
    "/api/",
    "/healthz",
    "/v1/invoices",
    "/v1/anything",
    "/docs",
    "/docs/assets/x.js",
    "/openapi.json",
    "/",
    "/some-slug",
    "/api/nothing",
]


def starlette_pick(app: Service, method: str, path: str) -> tuple[Any, dict[str, Any]] | None:
    """What Starlette's router does: the first full match, else the first partial one."""
    scope = {"type": "http", "method": method, "path": path, "root_path": "", "headers": []}
    partial = None
    for route in app.routes:
        match, child = route.matches(scope)
        if match is Match.FULL:
            return route, child.get("path_params", {})
        if match is Match.PARTIAL and partial is None:
            partial = (route, child.get("path_params", {}))
    return partial


@pytest.mark.parametrize("method", [*HTTP_METHODS, "PROPFIND"])
def test_the_front_picks_the_routers_route_or_none(sqlite_settings: Settings, method: str) -> None:
    app = create_app(sqlite_settings)
    assert isinstance(app, Service)
    picked_by_front = 0
    for path in PATHS:
        front = _match(app._table, method, path)
        router = starlette_pick(app, method, path)
        if front is not None:
            picked_by_front += 1
            assert router is not None and front[0] is router[0], path
            assert front[1] == router[1], path
        elif router is not None and method in HTTP_METHODS:
            # Left to Starlette: only when the router's pick is not a dispatcher's route.
            assert not isinstance(router[0], DispatchedRoute), path
    if method in HTTP_METHODS:
        assert picked_by_front >= 15  # the dialects' paths are the front's to answer
    else:
        assert picked_by_front == 0


def test_a_bug_behind_a_dispatcher_gets_the_neutral_500_with_its_request_id(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """An error no dispatcher caught: the same 500 problem as Starlette's handler gives,
    with the request id, one access line, and the error passed on to the server."""

    async def broken(request: Any) -> Response:
        raise RuntimeError("a bug")

    caplog.set_level(logging.INFO, logger="invoicegate.access")
    stream = io.StringIO()
    logs.access.flush()  # what earlier tests' apps left waiting goes where it was going
    monkeypatch.setattr(logs.access, "_stream", lambda: stream)
    app = Service(
        routes=[DispatchedRoute("/api/broken/{id:text}", broken), Route("/", broken)],
        unexpected=lambda: Response(b'{"status":500}', 500, media_type="application/json"),
    )
    with TestClient(app, raise_server_exceptions=False) as http:
        answer = http.get("/api/broken/x", headers={"X-Request-Id": "bug-1"})
    logs.access.flush()
    assert (answer.status_code, answer.json()) == (500, {"status": 500})
    assert answer.headers["x-request-id"] == "bug-1"
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert [(x["request_id"], x["path"], x["status"]) for x in lines] == [
        ("bug-1", "/api/broken/{id:text}", 500)
    ]
