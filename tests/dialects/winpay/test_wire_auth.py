"""Auth on every call: X-Winpay-Key, -Timestamp and -Signature (HMAC-SHA256 of the timestamp).

Every failure is the same 401 "4010300" envelope with `responseData: []`, whichever part
failed, and happens before the body or the id is looked at.
"""

import hmac
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from starlette.testclient import TestClient

from invoicegate.app import create_app
from invoicegate.dialects.winpay.signature import sign, verify
from invoicegate.settings import Settings
from tests.dialects.winpay.conftest import (
    RESPONSE_DATE,
    WinpayClient,
    _new_merchant,
    create_body,
    expect_error,
    seed_body,
    signed,
    timestamp,
)

UNAUTHORIZED = {"responseCode": "4010300", "responseMessage": "Unauthorized", "responseData": []}
MINUS_FIVE = timezone(timedelta(hours=-5))


def test_signature_matches_the_documented_test_vector() -> None:
    assert (
        sign("test-secret-key", "2023-09-05T09:52:53+07:00")
        == "3d0e290c5e0b2752297e21aa5bff19abf602b42425db9e479e9e7df34ea7a57c"
    )


def test_signature_covers_the_exact_timestamp_string() -> None:
    # Same instant, other spelling: a different signature (the raw header is signed).
    assert sign("test-secret-key", "2023-09-05T02:52:53+00:00") != sign(
        "test-secret-key", "2023-09-05T09:52:53+07:00"
    )


def test_signature_with_the_keyed_state_kept_is_openssls_hmac_every_time(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # sign() keeps each secret's keyed HMAC state (decision 0028): every signature must
    # still be HMAC-SHA256 of that secret and that timestamp alone, whatever came before.
    from invoicegate.dialects.winpay import signature

    monkeypatch.setattr(signature, "MAX_KEYED", 3)  # eviction runs too
    secrets = ["test-secret-key", "k" * 200, "kunci-rahasia-ü", "", "test-secret-key"]
    stamps = ["2023-09-05T09:52:53+07:00", "", "2023-09-05T02:52:53+00:00", "ä" * 70]
    for _ in range(2):
        for secret in secrets:
            for stamp in stamps:
                expected = hmac.digest(secret.encode(), stamp.encode(), "sha256").hex()
                assert sign(secret, stamp) == expected
    assert len(signature._KEYED) <= 3


def test_verify_refuses_what_sign_did_not_make() -> None:
    stamp = "2023-09-05T09:52:53+07:00"
    good = sign("test-secret-key", stamp)
    now = datetime.fromisoformat(stamp)
    assert verify("test-secret-key", stamp, good, now=now, tolerance_seconds=300)
    assert not verify("other-secret", stamp, good, now=now, tolerance_seconds=300)
    assert not verify("test-secret-key", stamp, good[:-1] + "0", now=now, tolerance_seconds=300)


def expect_unauthorized(answer: Any) -> dict[str, Any]:
    assert expect_error(answer, 401, "4010300", "Unauthorized") == []
    body: dict[str, Any] = answer.json()
    return body


def bad_headers(winpay: WinpayClient, other: WinpayClient) -> dict[str, dict[str, str]]:
    """One header set per way to fail; each is otherwise a well-formed request."""
    stamp = timestamp()
    good = signed(winpay.key, winpay.secret, stamp, **{"Content-Type": "application/json"})

    def without(name: str) -> dict[str, str]:
        return {key: value for key, value in good.items() if key != name}

    older, newer = timestamp(-310), timestamp(+310)
    naive = timestamp()[:-6]  # 2023-09-05T09:52:53: no offset, so no known instant
    return {
        "no key": without("X-Winpay-Key"),
        "no timestamp": without("X-Winpay-Timestamp"),
        "no signature": without("X-Winpay-Signature"),
        "empty signature": {**good, "X-Winpay-Signature": ""},
        "unknown key": {**good, "X-Winpay-Key": "wp_unknown"},
        "another merchant's key": {**good, "X-Winpay-Key": other.key},
        "wrong secret": signed(winpay.key, "not-the-secret", stamp),
        "wrong signature": {**good, "X-Winpay-Signature": "0" * 64},
        "signature of another timestamp": {
            **good,
            "X-Winpay-Signature": sign(winpay.secret, timestamp(-60)),
        },
        "timestamp 310 s old": signed(winpay.key, winpay.secret, older),
        "timestamp 310 s ahead": signed(winpay.key, winpay.secret, newer),
        "timestamp without offset": signed(winpay.key, winpay.secret, naive),
        "timestamp not a date": signed(winpay.key, winpay.secret, "yesterday"),
        "far-future timestamp": signed(winpay.key, winpay.secret, "9999-12-31T23:59:59-23:59"),
        "key as the secret": signed(winpay.key, winpay.key, stamp),
    }


CASES = [
    "no key",
    "no timestamp",
    "no signature",
    "empty signature",
    "unknown key",
    "another merchant's key",
    "wrong secret",
    "wrong signature",
    "signature of another timestamp",
    "timestamp 310 s old",
    "timestamp 310 s ahead",
    "timestamp without offset",
    "timestamp not a date",
    "far-future timestamp",
    "key as the secret",
]


@pytest.mark.parametrize("case", CASES)
def test_create_is_refused_and_creates_nothing(
    winpay: WinpayClient, other_merchant: WinpayClient, case: str
) -> None:
    headers = bad_headers(winpay, other_merchant)[case]

    answer = winpay.call("POST", "/api/create", create_body(ref="denied"), headers=headers)

    expect_unauthorized(answer)
    expect_error(winpay.call("GET", "/api/findByRef/denied"), 404, "4040300", "Invoice not found")
    expect_error(
        other_merchant.call("GET", "/api/findByRef/denied"), 404, "4040300", "Invoice not found"
    )


@pytest.mark.parametrize("case", CASES)
def test_every_endpoint_requires_auth_and_changes_nothing(
    winpay: WinpayClient, other_merchant: WinpayClient, case: str
) -> None:
    invoice_id = winpay.create(ref="guarded")["id"]
    before = winpay.state(invoice_id)
    headers = bad_headers(winpay, other_merchant)[case]

    calls = [
        ("GET", f"/api/find/{invoice_id}", None),
        ("GET", "/api/findByRef/guarded", None),
        ("PUT", f"/api/update/{invoice_id}", seed_body(ref="changed")),
        ("DELETE", f"/api/delete/{invoice_id}", None),
        ("DELETE", "/api/deleteByRef/guarded", None),
    ]
    for method, path, body in calls:
        expect_unauthorized(winpay.call(method, path, body, headers=headers))

    assert winpay.state(invoice_id) == before


def test_every_failure_answers_the_same_body(
    winpay: WinpayClient, other_merchant: WinpayClient
) -> None:
    """Nothing in the answer tells which of key, timestamp or signature was wrong."""
    bodies = []
    for headers in bad_headers(winpay, other_merchant).values():
        answer = winpay.call("POST", "/api/create", create_body(), headers=headers)
        body = expect_unauthorized(answer)
        assert RESPONSE_DATE.match(body.pop("responseDate"))
        bodies.append((answer.status_code, dict(answer.headers).keys() - {"x-request-id"}, body))
    assert all(entry == bodies[0] for entry in bodies)
    assert bodies[0][2] == UNAUTHORIZED


def test_auth_is_checked_before_the_body_and_the_id(winpay: WinpayClient) -> None:
    headers = signed(winpay.key, "not-the-secret", timestamp())

    expect_unauthorized(winpay.call("POST", "/api/create", b"not json", headers=headers))
    expect_unauthorized(winpay.call("PUT", "/api/update/not-a-uuid", b"{}", headers=headers))
    expect_unauthorized(winpay.call("GET", "/api/find/not-a-uuid", headers=headers))


@pytest.mark.parametrize(
    "stamp",
    [
        pytest.param(lambda: timestamp(), id="+07:00"),
        pytest.param(lambda: timestamp(tz=UTC), id="+00:00"),
        pytest.param(lambda: timestamp(tz=UTC).replace("+00:00", "Z"), id="Z"),
        pytest.param(lambda: timestamp(tz=MINUS_FIVE), id="-05:00"),
        pytest.param(lambda: timestamp(-290), id="290 s old"),
        pytest.param(lambda: timestamp(+290), id="290 s ahead"),
    ],
)
def test_any_offset_inside_the_window_is_accepted(winpay: WinpayClient, stamp: Any) -> None:
    value = stamp()
    headers = signed(winpay.key, winpay.secret, value)

    created = winpay.call("POST", "/api/create", create_body(), headers=headers)
    assert created.status_code == 201, (value, created.text)
    invoice_id = created.json()["responseData"]["id"]
    for method, path in [("GET", f"/api/find/{invoice_id}"), ("GET", "/api/findByRef/111130")]:
        assert winpay.call(method, path, headers=headers).status_code == 200
    deleted = winpay.call("DELETE", f"/api/delete/{invoice_id}", headers=headers)
    assert deleted.json()["responseCode"] == "2000300"


def test_uppercase_hex_signature_is_accepted(winpay: WinpayClient) -> None:
    """Hex is case-insensitive; the service compares it lowercased (signature.verify)."""
    stamp = timestamp()
    headers = signed(winpay.key, winpay.secret, stamp)
    headers["X-Winpay-Signature"] = headers["X-Winpay-Signature"].upper()

    assert winpay.call("POST", "/api/create", create_body(), headers=headers).status_code == 201


def test_a_second_credential_of_the_merchant_works_and_acts_as_itself(
    winpay: WinpayClient,
) -> None:
    async def add() -> Any:
        return await winpay.runtime.merchants.add_winpay_credential(winpay.merchant_id, "Shop 2")

    second = winpay.run(add)
    headers = signed(second.public_id, second.secret, timestamp())

    created = winpay.call("POST", "/api/create", create_body(), headers=headers)

    assert created.status_code == 201
    invoice_id = created.json()["responseData"]["id"]
    assert winpay.find(invoice_id)["ref"] == "111130"  # same merchant, other key
    assert winpay.revisions(invoice_id)[0].actor == second.id


def test_zero_tolerance_setting_accepts_any_old_timestamp(sqlite_settings: Settings) -> None:
    """INVOICEGATE_TIMESTAMP_TOLERANCE=0 disables the window (DIALECTS.md §1: configurable)."""
    app = create_app(replace(sqlite_settings, timestamp_tolerance_seconds=0))
    with TestClient(app) as http:
        _, key, secret = _new_merchant(app, "Lenient")
        client = WinpayClient(http, key, secret, "")
        stale = signed(key, secret, "2023-09-05T09:52:53+07:00")
        assert client.call("POST", "/api/create", create_body(), headers=stale).status_code == 201
        naive = signed(key, secret, "2023-09-05T09:52:53")
        expect_unauthorized(client.call("POST", "/api/create", create_body(), headers=naive))
