"""Every request leaves one access-log line with its request id, even when it is written late.

The server gathers access lines and writes them together (logs.AccessLog); these tests hold
it to the promise that comes with that: no line is lost or doubled, and a clean shutdown
writes whatever was still waiting.
"""

import asyncio
import io
import json
import logging
import time
from collections import Counter

import httpx
import pytest
from starlette.testclient import TestClient

from invoicegate import logs
from invoicegate.app import create_app
from invoicegate.settings import Settings
from tests.e2e.conftest import Server, stop_server


def access_lines(server: Server) -> list[dict[str, object]]:
    lines = [json.loads(line) for line in server.log().splitlines() if line.startswith("{")]
    return [line for line in lines if line.get("logger") == "invoicegate.access"]


async def call_many(url: str, ids: list[str], path: str = "/healthz") -> list[int]:
    async with httpx.AsyncClient(base_url=url, timeout=30) as client:
        answers = await asyncio.gather(
            *(client.get(path, headers={"X-Request-Id": rid}) for rid in ids)
        )
    return [answer.status_code for answer in answers]


def test_a_clean_shutdown_writes_every_waiting_line_once(server: Server) -> None:
    ids = [f"shutdown-{n}" for n in range(200)]
    assert asyncio.run(call_many(server.url, ids)) == [200] * len(ids)
    stop_server(server)  # SIGTERM at once: some lines are still waiting to be written
    # uvicorn shuts down gracefully, then re-raises SIGTERM: -15 is a clean exit here.
    assert server.process.returncode in (0, -15)
    assert "Application shutdown complete" in server.log()
    counted = Counter(str(line["request_id"]) for line in access_lines(server))
    assert {rid: counted[rid] for rid in ids} == dict.fromkeys(ids, 1)


def test_dialect_calls_answered_by_the_front_keep_one_line_each(server: Server) -> None:
    """The gateway dialects' routes skip Starlette's middleware (front.py, decision 0020):
    they must still carry their request id, and leave exactly one line, with the route's
    template as its path, none lost on a clean shutdown."""
    ids = [f"front-{n}" for n in range(200)]
    path = "/api/find/0b6bd6ab-5e7a-4a5d-8c1e-1d0e2a3c4f50"
    assert asyncio.run(call_many(server.url, ids, path)) == [401] * len(ids)
    answer = httpx.get(server.url + path, headers={"X-Request-Id": "front-header"})
    assert answer.headers["x-request-id"] == "front-header"
    stop_server(server)
    assert server.process.returncode in (0, -15)
    lines = [line for line in access_lines(server) if str(line["request_id"]).startswith("front")]
    counted = Counter(str(line["request_id"]) for line in lines)
    assert {rid: counted[rid] for rid in [*ids, "front-header"]} == dict.fromkeys(
        [*ids, "front-header"], 1
    )
    assert {(line["method"], line["path"], line["status"]) for line in lines} == {
        ("GET", "/api/find/{id:text}", 401)
    }


def test_each_line_carries_method_path_status_and_duration(server: Server) -> None:
    answer = httpx.get(f"{server.url}/nowhere", headers={"X-Request-Id": "line-shape"})
    assert answer.status_code == 404
    deadline = time.monotonic() + 5
    while not (found := [x for x in access_lines(server) if x["request_id"] == "line-shape"]):
        assert time.monotonic() < deadline, "no access line within 5 s"
        time.sleep(0.05)
    (line,) = found
    assert (line["method"], line["path"], line["status"], line["level"]) == (
        "GET",
        "(no route)",  # never the path itself (README: what is logged)
        404,
        "info",
    )
    assert isinstance(line["duration_ms"], float) and isinstance(line["ts"], str)


def test_the_app_shutdown_writes_lines_still_waiting(
    sqlite_settings: Settings, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """Lines wait up to FLUSH_SECONDS; stopping the app must not drop the ones waiting."""
    caplog.set_level(logging.INFO, logger="invoicegate.access")
    stream = io.StringIO()
    logs.access.flush()  # what earlier tests' apps left waiting goes where it was going
    monkeypatch.setattr(logs.AccessLog, "FLUSH_SECONDS", 3600.0)  # nothing flushes by itself
    monkeypatch.setattr(logs.access, "_stream", lambda: stream)
    with TestClient(create_app(sqlite_settings)) as http:
        for n in range(5):
            assert http.get("/healthz", headers={"X-Request-Id": f"late-{n}"}).status_code == 200
        assert stream.getvalue() == ""  # written off the hot path: not yet
    written = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert [line["request_id"] for line in written] == [f"late-{n}" for n in range(5)]
