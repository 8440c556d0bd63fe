"""Winpay auth: key, timestamp and signature on every call; every failure answers the same."""

from datetime import UTC, datetime, timedelta, timezone

import pytest

from invoicegate.dialects.winpay.signature import sign, verify
from tests.conftest import winpay_headers
from tests.dialects.winpay.conftest import WinpayClient, create_body

UNAUTHORIZED = {"responseCode": "4010300", "responseMessage": "Unauthorized", "responseData": []}


def test_signature_matches_the_documented_test_vector() -> None:
    assert (
        sign("test-secret-key", "2023-09-05T09:52:53+07:00")
        == "3d0e290c5e0b2752297e21aa5bff19abf602b42425db9e479e9e7df34ea7a57c"
    )


def test_tolerance_window_is_300_seconds_either_way() -> None:
    now = datetime(2023, 9, 5, 2, 52, 53, tzinfo=UTC)  # = 09:52:53+07:00
    stamp = "2023-09-05T09:52:53+07:00"
    signature = sign("s", stamp)

    def ok(at: datetime, tolerance: int = 300) -> bool:
        return verify("s", stamp, signature, now=at, tolerance_seconds=tolerance)

    assert ok(now) and ok(now + timedelta(seconds=300)) and ok(now - timedelta(seconds=300))
    assert not ok(now + timedelta(seconds=301)) and not ok(now - timedelta(seconds=301))
    assert ok(now + timedelta(days=400), tolerance=0)  # 0 disables the window
    assert verify("s", stamp, signature.upper(), now=now, tolerance_seconds=300)
    assert not verify("other", stamp, signature, now=now, tolerance_seconds=300)


def bad_headers(client: WinpayClient) -> dict[str, dict[str, str]]:
    good = client.headers()
    now = datetime.now(UTC)
    other_ts = winpay_headers(client.key, client.secret, now - timedelta(seconds=5))
    naive_ts = now.replace(tzinfo=None).isoformat(timespec="seconds")
    return {
        "no key": {k: v for k, v in good.items() if k != "X-Winpay-Key"},
        "no timestamp": {k: v for k, v in good.items() if k != "X-Winpay-Timestamp"},
        "no signature": {k: v for k, v in good.items() if k != "X-Winpay-Signature"},
        "unknown key": good | {"X-Winpay-Key": "wp_unknown"},
        "wrong signature": good | {"X-Winpay-Signature": "0" * 64},
        "another timestamp's signature": good
        | {"X-Winpay-Signature": other_ts["X-Winpay-Signature"]},
        "wrong secret": winpay_headers(client.key, "not-the-secret"),
        "too old": winpay_headers(client.key, client.secret, now - timedelta(seconds=330)),
        "too new": winpay_headers(client.key, client.secret, now + timedelta(seconds=330)),
        "no offset": good
        | {"X-Winpay-Timestamp": naive_ts, "X-Winpay-Signature": sign(client.secret, naive_ts)},
        "not a timestamp": good
        | {
            "X-Winpay-Timestamp": "yesterday",
            "X-Winpay-Signature": sign(client.secret, "yesterday"),
        },
    }


CALLS = [
    ("POST", "/api/create"),
    ("GET", "/api/find/{id}"),
    ("GET", "/api/findByRef/111130"),
    ("PUT", "/api/update/{id}"),
    ("DELETE", "/api/delete/{id}"),
    ("DELETE", "/api/deleteByRef/111130"),
]


@pytest.mark.parametrize(("method", "path"), CALLS)
def test_every_bad_credential_gets_the_same_401_and_changes_nothing(
    winpay: WinpayClient, method: str, path: str
) -> None:
    created = winpay.call("POST", "/api/create", create_body())
    invoice_id = created.json()["responseData"]["id"]
    before = winpay.call("GET", f"/api/find/{invoice_id}").json()["responseData"]
    for case, headers in bad_headers(winpay).items():
        answer = winpay.http.request(
            method, path.format(id=invoice_id), headers=headers, json=create_body(ref="new")
        )
        assert answer.status_code == 401, case
        reply = answer.json()
        assert {k: reply[k] for k in UNAUTHORIZED} == UNAUTHORIZED, case
    assert winpay.call("GET", f"/api/find/{invoice_id}").json()["responseData"] == before


@pytest.mark.parametrize("offset", [7, 0, -5, 5.5])
def test_timestamps_with_any_offset_are_accepted(winpay: WinpayClient, offset: float) -> None:
    zone = timezone(timedelta(hours=offset))
    headers = winpay_headers(winpay.key, winpay.secret, datetime.now(zone))
    assert winpay.call("POST", "/api/create", create_body(), headers=headers).status_code == 201


def test_zulu_timestamps_are_accepted(winpay: WinpayClient) -> None:
    stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    headers = winpay.headers() | {
        "X-Winpay-Timestamp": stamp,
        "X-Winpay-Signature": sign(winpay.secret, stamp),
    }
    assert winpay.call("POST", "/api/create", create_body(), headers=headers).status_code == 201
