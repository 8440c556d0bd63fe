"""Tokens: wrong or expired credentials are 401 without saying why; foreign invoices are 404."""

from datetime import timedelta
from typing import Any

import pytest

from invoicegate.dialects.paylink_v2.token import TokenSigner
from tests.dialects.paylink_v2.conftest import V2Client, add_body

UNAUTHORIZED = {
    "type": "about:blank",
    "title": "Unauthorized",
    "status": 401,
    "detail": "Missing, invalid or expired credentials.",
}


@pytest.mark.parametrize(
    "body",
    [
        lambda v2: {"apiId": v2.api_id, "secretKey": "wrong"},
        lambda v2: {"apiId": "APP_ID_unknown", "secretKey": v2.secret_key},
        lambda v2: {"apiId": v2.api_id},
        lambda v2: {},
        lambda v2: {"apiId": v2.api_id, "secretKey": v2.paylink_api_key},
    ],
    ids=["wrong secret", "unknown id", "no secret", "empty", "another dialect's key"],
)
def test_bad_credentials_get_one_answer(v2: V2Client, body: Any) -> None:
    answer = v2.http.post("/api/auth", json=body(v2))
    assert answer.status_code == 401
    assert answer.json() == UNAUTHORIZED


def endpoints(number: str) -> list[tuple[str, str, Any]]:
    return [
        ("POST", "/api/addInvoice", add_body(orderNumber="FOREIGN")),
        ("GET", f"/api/getInvoice/{number}", None),
        ("POST", "/api/cancelInvoice", {"transactionNo": number}),
    ]


@pytest.mark.parametrize(
    "token",
    ["", "garbage", "a.b.c", None],
    ids=["empty", "garbage", "jwt-shaped", "missing header"],
)
def test_bad_tokens_are_refused_everywhere(v2: V2Client, token: str | None) -> None:
    number = v2.add()["transactionNo"]
    for method, path, body in endpoints(number):
        headers = {} if token is None else {"Authorization": f"Bearer {token}"}
        answer = v2.http.request(method, path, json=body, headers=headers)
        assert answer.status_code == 401 and answer.json() == UNAUTHORIZED


def test_tampered_token_is_refused(v2: V2Client, other_v2: V2Client) -> None:
    v2.authenticate()
    other_v2.authenticate()
    header, payload, _ = v2.token.split(".")
    _, _, other_signature = other_v2.token.split(".")
    forged = f"{header}.{other_v2.token.split('.')[1]}.{v2.token.split('.')[2]}"
    mixed = f"{header}.{payload}.{other_signature}"
    for token in (forged, mixed):
        assert v2.call("GET", "/api/getInvoice/x", token=token).status_code == 401


def test_token_signed_with_another_service_key_is_refused(v2: V2Client) -> None:
    runtime = v2.http.app.state.runtime  # type: ignore[attr-defined]
    stranger = TokenSigner("some other deployment's key")
    token = stranger.issue(v2.merchant_id, "x", v2.api_id, now=runtime.now(), persist=False)
    assert v2.call("GET", "/api/getInvoice/x", token=token).status_code == 401


@pytest.mark.parametrize(("persist", "lives"), [(False, 30 * 60), (True, 30 * 3600)])
def test_tokens_expire_after_30_minutes_or_30_hours(
    v2: V2Client, persist: bool, lives: int
) -> None:
    runtime = v2.http.app.state.runtime  # type: ignore[attr-defined]
    real_clock = runtime.clock
    v2.authenticate(persist=persist)
    number = v2.add()["transactionNo"]
    start = real_clock()
    try:
        runtime.clock = lambda: start + timedelta(seconds=lives - 5)
        assert v2.call("GET", f"/api/getInvoice/{number}").status_code == 200
        runtime.clock = lambda: start + timedelta(seconds=lives + 1)
        expired = v2.call("GET", f"/api/getInvoice/{number}")
        assert expired.status_code == 401 and expired.json() == UNAUTHORIZED
    finally:
        runtime.clock = real_clock


def test_foreign_token_can_never_touch_another_merchants_invoices(
    v2: V2Client, other_v2: V2Client
) -> None:
    victim = v2.add()
    number = victim["transactionNo"]
    unknown = "00000000-0000-4000-8000-000000000000"

    for method, path, body in endpoints(number)[1:]:
        foreign = other_v2.call(method, path, body)
        missing = other_v2.call(
            method, path.replace(number, unknown), {"transactionNo": unknown} if body else None
        )
        assert foreign.status_code == missing.status_code == 404
        assert foreign.json() == missing.json()
        assert foreign.json()["detail"] == "Invoice not found."
    assert v2.call("GET", f"/api/getInvoice/{number}").json() == victim
    # An orderNumber of another merchant is free: references are per merchant.
    assert other_v2.call("POST", "/api/addInvoice", add_body()).status_code == 200


def test_secret_key_is_never_answered(v2: V2Client) -> None:
    answer = v2.authenticate()
    assert v2.secret_key not in answer.text
    assert v2.secret_key not in v2.add().__repr__()
