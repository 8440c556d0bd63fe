"""Webhook endpoints over the real app and database (SQLite and PostgreSQL): the secret shown
once and sealed at rest, problem details for bad input, another merchant's endpoint is 404,
changes, deletion, and the deliveries log with keyset pages."""

import base64
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from invoicegate.domain.events import EVENT_TYPES
from invoicegate.domain.webhooks import MAX_ENDPOINTS
from invoicegate.store.database import create_engine
from invoicegate.store.tables import webhook_endpoints
from tests.dialects.native.conftest import NativeClient

PROBLEM = "tag:invoicegate,2026:problem:"
URL = "https://shop.example/hooks"
UNKNOWN = "00000000-0000-4000-8000-000000000000"


def endpoint_body(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"url": URL, "enabled_events": ["invoice.paid"]}
    body.update(changes)
    return body


def create(native: NativeClient, **changes: Any) -> dict[str, Any]:
    answer = native.call("POST", "/webhook-endpoints", endpoint_body(**changes))
    assert answer.status_code == 201, answer.text
    created: dict[str, Any] = answer.json()
    return created


def endpoints(native: NativeClient) -> list[dict[str, Any]]:
    answer = native.call("GET", "/webhook-endpoints")
    assert answer.status_code == 200, answer.text
    found: list[dict[str, Any]] = answer.json()["data"]
    return found


def problem(answer: httpx.Response, status: int, kind: str) -> dict[str, Any]:
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = answer.json()
    assert body["type"] == PROBLEM + kind
    return body


def test_the_secret_is_shown_once_and_sealed_at_rest(native: NativeClient) -> None:
    answer = native.call("POST", "/webhook-endpoints", endpoint_body(description="orders"))
    assert answer.status_code == 201, answer.text
    created = answer.json()
    assert answer.headers["location"] == f"/v1/webhook-endpoints/{created['id']}"
    secret = created["secret"]
    assert secret.startswith("whsec_")
    assert len(base64.b64decode(secret.removeprefix("whsec_"), validate=True)) >= 24
    assert created["enabled_events"] == ["invoice.paid"]
    assert (created["enabled"], created["description"]) == (True, "orders")

    shown = native.call("GET", f"/webhook-endpoints/{created['id']}")
    assert shown.status_code == 200
    assert "secret" not in shown.json()
    assert secret not in shown.text
    assert [e["id"] for e in endpoints(native)] == [created["id"]]
    assert secret not in native.call("GET", "/webhook-endpoints").text

    # At rest: sealed (decision 0004), the plain secret appears nowhere in the row.
    engine = create_engine(native.runtime.settings.database_url)
    try:
        with engine.connect() as conn:
            row = conn.execute(sa.select(webhook_endpoints)).mappings().one()
    finally:
        engine.dispose()
    assert secret not in str(dict(row))
    assert secret.removeprefix("whsec_") not in str(dict(row))


def test_an_idempotent_replay_of_the_creation_does_not_show_the_secret(
    native: NativeClient,
) -> None:
    headers = {"Idempotency-Key": '"hook-1"'}
    first = native.call("POST", "/webhook-endpoints", endpoint_body(), headers=headers)
    again = native.call("POST", "/webhook-endpoints", endpoint_body(), headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.headers["idempotent-replayed"] == "true"
    assert first.json()["secret"].startswith("whsec_")
    assert again.json()["secret"] is None
    assert again.json()["id"] == first.json()["id"]
    assert len(endpoints(native)) == 1


@pytest.mark.parametrize(
    ("body", "pointer", "says"),
    [
        (endpoint_body(url="ftp://shop.example/x"), "/url", "http(s)"),
        (endpoint_body(url="https://shop.example/\u202ex"), "/url", "control"),
        (endpoint_body(url="not a url"), "/url", "spaces"),
        (endpoint_body(enabled_events=["invoice.refunded"]), "/enabled_events/0", "invoice."),
        (endpoint_body(enabled_events=[]), "/enabled_events", "at least 1"),
        (endpoint_body(enabled_events="invoice.paid"), "/enabled_events", "array"),
        ({"enabled_events": ["invoice.paid"]}, "/url", "is required"),
        ({"url": URL}, "/enabled_events", "is required"),
        (endpoint_body(secret="whsec_mine"), "/secret", "not a field"),
        (endpoint_body(description="x" * 501), "/description", "500"),
        (endpoint_body(description=7), "/description", "string"),
    ],
)
def test_bad_input_is_a_problem_pointing_at_the_field_and_stores_nothing(
    native: NativeClient, body: dict[str, Any], pointer: str, says: str
) -> None:
    answer = native.call("POST", "/webhook-endpoints", body)
    found = problem(answer, 400, "invalid-input")
    assert [e["pointer"] for e in found["errors"]] == [pointer], found
    assert says in found["errors"][0]["detail"], found
    assert endpoints(native) == []


def test_a_body_that_is_not_json_is_a_problem(native: NativeClient) -> None:
    answer = native.call("POST", "/webhook-endpoints", b"{nope")
    assert problem(answer, 400, "invalid-input")["errors"][0]["detail"] == "must be valid JSON"


def test_another_merchants_endpoint_does_not_exist(
    native: NativeClient, other: NativeClient
) -> None:
    created = create(native)
    path = f"/webhook-endpoints/{created['id']}"
    for method, body in [("GET", None), ("PATCH", {"enabled": False}), ("DELETE", None)]:
        answer = other.call(method, path, body)
        found = problem(answer, 404, "not-found")
        assert found["detail"] == "No webhook endpoint with this id is yours."
    problem(other.call("GET", path + "/deliveries"), 404, "not-found")
    assert endpoints(other) == []
    [mine] = endpoints(native)
    assert mine["enabled"] is True  # the other merchant's PATCH changed nothing
    for path in (f"/webhook-endpoints/{UNKNOWN}", "/webhook-endpoints/not-an-id"):
        problem(native.call("GET", path), 404, "not-found")


def test_an_endpoint_is_changed_by_a_merge_patch(native: NativeClient) -> None:
    created = create(native, description="first")
    path = f"/webhook-endpoints/{created['id']}"
    answer = native.call(
        "PATCH",
        path,
        {
            "url": "https://shop.example/v2",
            "enabled_events": ["invoice.expired", "invoice.created"],
        },
    )
    assert answer.status_code == 200, answer.text
    changed = answer.json()
    assert changed["url"] == "https://shop.example/v2"
    # Each type once, in the order of an invoice's life.
    assert changed["enabled_events"] == ["invoice.created", "invoice.expired"]
    assert changed["description"] == "first"  # absent: kept
    assert "secret" not in changed
    off = native.call("PATCH", path, {"enabled": False, "description": None}).json()
    assert (off["enabled"], off["description"]) == (False, None)
    assert native.call("GET", path).json() == off


@pytest.mark.parametrize(
    ("body", "pointer"),
    [
        ({"url": None}, "/url"),
        ({"enabled_events": None}, "/enabled_events"),
        ({"enabled": None}, "/enabled"),
        ({"enabled": "yes"}, "/enabled"),
        ({"url": "javascript:alert(1)"}, "/url"),
        ({"enabled_events": ["invoice.paid", "nope"]}, "/enabled_events/1"),
        ({"id": UNKNOWN}, "/id"),
    ],
)
def test_a_bad_patch_is_a_problem_and_changes_nothing(
    native: NativeClient, body: dict[str, Any], pointer: str
) -> None:
    created = create(native)
    path = f"/webhook-endpoints/{created['id']}"
    before = native.call("GET", path).json()
    found = problem(native.call("PATCH", path, body), 400, "invalid-input")
    assert [e["pointer"] for e in found["errors"]] == [pointer], found
    assert native.call("GET", path).json() == before


def test_a_deleted_endpoint_is_gone(native: NativeClient) -> None:
    created = create(native)
    path = f"/webhook-endpoints/{created['id']}"
    answer = native.call("DELETE", path)
    assert (answer.status_code, answer.content) == (204, b"")
    problem(native.call("GET", path), 404, "not-found")
    problem(native.call("DELETE", path), 404, "not-found")
    assert endpoints(native) == []


def test_a_merchant_has_at_most_so_many_endpoints(native: NativeClient) -> None:
    for _ in range(MAX_ENDPOINTS):
        create(native)
    found = problem(native.call("POST", "/webhook-endpoints", endpoint_body()), 409,
                    "too-many-webhook-endpoints")  # fmt: skip
    assert "Delete one" in found["detail"]
    assert len(endpoints(native)) == MAX_ENDPOINTS


def test_the_event_types_are_the_domains() -> None:
    from invoicegate.dialects.native.schemas import EventType

    assert EventType.__args__ == EVENT_TYPES  # type: ignore[attr-defined]


def test_deliveries_list_the_endpoints_messages_newest_first_in_keyset_pages(
    native: NativeClient, other: NativeClient
) -> None:
    everything = create(native, enabled_events=list(EVENT_TYPES))
    only_paid = create(native)
    other.create("THEIRS")  # another merchant's events never reach these endpoints
    created = [native.create(f"INV-{n}") for n in range(3)]
    path = f"/webhook-endpoints/{everything['id']}/deliveries"

    first = native.call("GET", path, params={"limit": 2})
    assert first.status_code == 200, first.text
    page = first.json()
    assert page["has_more"] is True
    second = native.call("GET", path, params={"limit": 2, "cursor": page["next_cursor"]}).json()
    assert second["has_more"] is False and second["next_cursor"] is None
    listed = page["data"] + second["data"]
    assert [d["invoice_id"] for d in listed] == [i["id"] for i in reversed(created)]
    delivery = listed[0]
    assert delivery["event_type"] == "invoice.created"
    assert delivery["status"] == "pending"  # no worker runs in this app
    assert delivery["id"].startswith("msg_")
    assert delivery["attempts"] == []
    assert len({d["id"] for d in listed}) == 3

    none = native.call("GET", f"/webhook-endpoints/{only_paid['id']}/deliveries").json()
    assert none == {"data": [], "has_more": False, "next_cursor": None}
    for params in ({"cursor": "bm9wZQ"}, {"limit": 0}, {"since": "x"}):
        problem(native.call("GET", path, params=params), 400, "invalid-input")
