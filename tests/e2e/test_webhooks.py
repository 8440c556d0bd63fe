"""Native webhooks from a real `invoicegate serve` to a real HTTP listener on 127.0.0.1, each
delivery verified on the receiver's side with the `standardwebhooks` package: every event
type, a 410 that disables the endpoint, and a failing-then-accepting endpoint whose retries
show in the deliveries log. On SQLite and PostgreSQL."""

import itertools
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from standardwebhooks import Webhook, WebhookVerificationError

from tests.e2e.conftest import Server, free_port, start_server, stop_server
from tests.e2e.listener import Answer, Listener, Received
from tests.e2e.test_callbacks import FAST, pay

NO_CONTENT = Answer(204, "")


@pytest.fixture
def listener() -> Iterator[Listener]:
    running = Listener(free_port(), respond=lambda request: NO_CONTENT).start()
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture
def server(database_url: str, tmp_path: Path) -> Iterator[Server]:
    running = start_server(database_url, tmp_path / "data", env=FAST)
    try:
        yield running
    finally:
        stop_server(running)


class Api:
    """The native API as a merchant's code calls it."""

    def __init__(self, server: Server) -> None:
        key = server.create_merchant()["native"]["api_key"]
        self.http = httpx.Client(
            base_url=f"{server.url}/v1", headers={"Authorization": f"Bearer {key}"}, timeout=30
        )

    def __call__(self, method: str, path: str, expect: int, **kwargs: Any) -> httpx.Response:
        answer = self.http.request(method, path, **kwargs)
        assert answer.status_code == expect, answer.text
        return answer

    def endpoint(self, url: str, events: list[str]) -> dict[str, Any]:
        body = {"url": url, "enabled_events": events}
        created: dict[str, Any] = self("POST", "/webhook-endpoints", 201, json=body).json()
        return created

    def invoice(self, reference: str, expires_in: timedelta = timedelta(hours=1)) -> str:
        body = {
            "reference": reference,
            "customer": {"name": "Delina Prasetya"},
            "items": [{"name": "01002676", "quantity": 1, "unit_price": 260000}],
            "currency": "IDR",
            "expires_at": (datetime.now(UTC) + expires_in).isoformat(),
        }
        invoice_id: str = self("POST", "/invoices", 201, json=body).json()["id"]
        return invoice_id

    def deliveries(self, endpoint_id: str) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = self(
            "GET", f"/webhook-endpoints/{endpoint_id}/deliveries", 200
        ).json()["data"]
        return found


def verified(secret: str, request: Received) -> Any:
    """The event, as a receiver gets it: only if its signature and timestamp hold."""
    return Webhook(secret).verify(request.body, request.headers)


def eventually(check: Callable[[], Any], timeout: float = 20) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        try:
            return check()
        except AssertionError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def test_every_event_type_arrives_signed_the_standard_webhooks_way(
    server: Server, listener: Listener
) -> None:
    api = Api(server)
    everything = ["invoice.created", "invoice.updated", "invoice.paid", "invoice.cancelled",
                  "invoice.expired"]  # fmt: skip
    endpoint = api.endpoint(f"{listener.url}/hooks", everything)
    secret = endpoint["secret"]

    paid = api.invoice("PAID")
    etag = api("GET", f"/invoices/{paid}", 200).headers["etag"]
    api("PATCH", f"/invoices/{paid}", 200, json={"due_date": "2030-01-31"},
        headers={"If-Match": etag})  # fmt: skip
    pay(server, paid)  # the CLI: one event per change, whoever makes it
    cancelled = api.invoice("CANCELLED")
    api("POST", f"/invoices/{cancelled}/cancel", 200)
    expiring = api.invoice("EXPIRING", expires_in=timedelta(seconds=2))

    requests = listener.wait_for(7, "/hooks", timeout=30)
    events = [verified(secret, r) for r in requests]
    seen = sorted((e["data"]["reference"], e["type"], e["data"]["version"]) for e in events)
    assert seen == [
        ("CANCELLED", "invoice.cancelled", 2),
        ("CANCELLED", "invoice.created", 1),
        ("EXPIRING", "invoice.created", 1),
        ("EXPIRING", "invoice.expired", 1),
        ("PAID", "invoice.created", 1),
        ("PAID", "invoice.paid", 3),
        ("PAID", "invoice.updated", 2),
    ]
    # Exactly seven messages, the expiry announced once: no eighth arrives.
    time.sleep(1.5)
    assert len(listener.requests("/hooks")) == 7
    for request in requests:
        assert request.headers["content-type"] == "application/json"
        assert request.headers["webhook-id"].startswith("msg_")
        sent_at = int(request.headers["webhook-timestamp"])
        assert abs(sent_at - time.time()) < 60
    assert len({r.headers["webhook-id"] for r in requests}) == 7

    by_type = {(e["data"]["reference"], e["type"]): e for e in events}
    for event in events:  # a change happened when its version was made; an expiry later
        if event["type"] != "invoice.expired":
            assert event["timestamp"] == event["data"]["updated_at"], event
    expiry = by_type["EXPIRING", "invoice.expired"]
    noticed = datetime.fromisoformat(expiry["timestamp"])
    assert noticed >= datetime.fromisoformat(expiry["data"]["expires_at"])
    # The data is the invoice as GET /v1/invoices/{id} shows it, at that change.
    now = api("GET", f"/invoices/{paid}", 200).json()
    paid_event = by_type["PAID", "invoice.paid"]
    assert paid_event["data"] == now
    assert by_type["PAID", "invoice.updated"]["data"]["due_date"] == "2030-01-31"
    expired = by_type["EXPIRING", "invoice.expired"]["data"]
    assert (expired["id"], expired["status"], expired["expired"]) == (expiring, "unpaid", True)

    # A receiver with another secret, or a body changed on the way, refuses every one.
    other = Webhook("whsec_" + "QUJD" * 8)
    for request in requests:
        with pytest.raises(WebhookVerificationError):
            other.verify(request.body, request.headers)
        with pytest.raises(WebhookVerificationError):
            Webhook(secret).verify(request.body + b" ", request.headers)

    log = eventually(lambda: _all_delivered(api.deliveries(endpoint["id"]), 7))
    assert {d["id"] for d in log} == {r.headers["webhook-id"] for r in requests}


def _all_delivered(log: list[dict[str, Any]], count: int) -> list[dict[str, Any]]:
    assert len(log) == count and {d["status"] for d in log} == {"delivered"}, log
    return log


def test_a_410_disables_the_endpoint_and_later_events_skip_it(
    server: Server, listener: Listener
) -> None:
    listener.respond = lambda r: Answer(410, "gone") if r.path == "/gone" else NO_CONTENT
    api = Api(server)
    gone = api.endpoint(f"{listener.url}/gone", ["invoice.created"])
    alive = api.endpoint(f"{listener.url}/alive", ["invoice.created"])
    api.invoice("FIRST")
    [refused] = listener.wait_for(1, "/gone")
    verified(gone["secret"], refused)

    def disabled() -> dict[str, Any]:
        shown: dict[str, Any] = api("GET", f"/webhook-endpoints/{gone['id']}", 200).json()
        assert shown["enabled"] is False, shown
        return shown

    shown = eventually(disabled)
    assert shown["disabled_reason"] == "the endpoint answered 410 Gone"
    [delivery] = api.deliveries(gone["id"])
    assert delivery["status"] == "failed"  # not retried
    [attempt] = delivery["attempts"]
    assert (attempt["status"], attempt["answer"], attempt["error"]) == (410, "gone", None)

    api.invoice("SECOND")
    heard = listener.wait_for(2, "/alive")  # the second event was published (and delivered)
    references = sorted(verified(alive["secret"], r)["data"]["reference"] for r in heard)
    assert references == ["FIRST", "SECOND"]
    time.sleep(0.5)
    assert len(listener.requests("/gone")) == 1
    assert len(api.deliveries(gone["id"])) == 1  # no job was made for it

    # Enabled again by hand, it hears the next event.
    api("PATCH", f"/webhook-endpoints/{gone['id']}", 200, json={"enabled": True})
    listener.respond = lambda r: NO_CONTENT
    api.invoice("THIRD")
    [_, again] = listener.wait_for(2, "/gone")
    assert verified(gone["secret"], again)["data"]["reference"] == "THIRD"


def test_a_failing_endpoint_is_retried_with_the_same_message_until_it_accepts(
    server: Server, listener: Listener
) -> None:
    answers = iter([Answer(500, "database down"), Answer(503, "busy"), NO_CONTENT])
    lock = threading.Lock()

    def respond(request: Received) -> Answer:
        with lock:
            return next(answers, NO_CONTENT)

    listener.respond = respond
    api = Api(server)
    endpoint = api.endpoint(f"{listener.url}/flaky", ["invoice.created"])
    invoice_id = api.invoice("RETRIED")
    requests = listener.wait_for(3, "/flaky")
    assert len({r.headers["webhook-id"] for r in requests}) == 1  # one message, three tries
    assert {verified(endpoint["secret"], r)["data"]["id"] for r in requests} == {invoice_id}

    [delivery] = eventually(lambda: _all_delivered(api.deliveries(endpoint["id"]), 1))
    assert delivery["id"] == requests[0].headers["webhook-id"]
    assert (delivery["event_type"], delivery["invoice_id"]) == ("invoice.created", invoice_id)
    assert delivery["delivered_at"] is not None and delivery["next_attempt_at"] is None
    tries = delivery["attempts"]
    assert [(a["status"], a["answer"]) for a in tries] == [
        (500, "database down"),
        (503, "busy"),
        (204, ""),
    ]
    for attempt in tries:
        assert attempt["url"] == f"{listener.url}/flaky"
        assert attempt["latency_ms"] is not None and attempt["finished_at"] is not None
    # The back-off (0.3 s here) separates the tries.
    gaps = [b.at - a.at for a, b in itertools.pairwise(requests)]
    assert min(gaps) >= 0.25, gaps
