"""Update rules: what an update replaces and keeps, and which invoices it may not touch.

Paid invoices never change (4000302), a ref belongs to one live invoice per merchant
(4000303), and another merchant's invoice is simply not found (4040300).
"""

from datetime import timedelta
from typing import Any

import pytest

from tests.dialects.winpay.conftest import (
    CREATED_AT,
    WinpayClient,
    create_body,
    expect_error,
    is_uuid4,
    seed_body,
)

PAYMENT_KEYS = {
    "uuid", "channel", "code", "payment_ref", "paid_amount", "fee", "nett",
    "created_at", "updated_at",
}  # fmt: skip


def new_terms() -> dict[str, Any]:
    body = seed_body(ref="NEW-REF", back_url="javascript:history.back()")
    body["customer"] = {"name": "Budi Santoso", "email": "budi@example.com", "phone": "0811"}
    body["invoice"]["products"] = [
        {"name": "Kopi", "qty": 2, "price": 15000},
        {"name": "Roti", "qty": 3, "price": "5000.00"},
    ]
    return body


def test_update_replaces_customer_ref_products_and_back_url(winpay: WinpayClient) -> None:
    created = winpay.create()

    answer = winpay.call("PUT", f"/api/update/{created['id']}", new_terms())

    data = answer.json()["responseData"]
    assert data["customer"] == {
        "name": "Budi Santoso",
        "email": "budi@example.com",
        "phone": "0811",
    }
    assert data["ref"] == "NEW-REF"
    assert data["back_url"] == "javascript:history.back()"
    assert [(p["name"], p["qty"], p["price"]) for p in data["products"]] == [
        ("Kopi", 2, 15000),
        ("Roti", 3, 5000),
    ]
    for kept in ("id", "created_at", "redirect_url"):
        assert data[kept] == created[kept]
    assert winpay.find(created["id"]) == data
    assert winpay.call("GET", "/api/findByRef/NEW-REF").json()["responseData"] == data
    assert winpay.call("GET", "/api/findByRef/111130").status_code == 404


def test_products_get_new_uuids_on_every_update(winpay: WinpayClient) -> None:
    created = winpay.create()
    seen = {p["uuid"] for p in created["products"]}

    for _ in range(2):
        data = winpay.call("PUT", f"/api/update/{created['id']}", seed_body()).json()
        uuids = [p["uuid"] for p in data["responseData"]["products"]]
        assert all(is_uuid4(u) for u in uuids)
        assert seen.isdisjoint(uuids)
        seen.update(uuids)


def test_customer_is_replaced_whole(winpay: WinpayClient) -> None:
    """An update without email clears the email: the customer object is the new one."""
    invoice_id = winpay.create()["id"]
    body = seed_body()
    del body["customer"]["email"]

    winpay.call("PUT", f"/api/update/{invoice_id}", body)

    assert winpay.find(invoice_id)["customer"] == {
        "name": "Delina Prasetya",
        "email": "",
        "phone": "082342341",
    }


def test_update_without_interval_keeps_the_validity(winpay: WinpayClient) -> None:
    invoice_id = winpay.create(interval=90)["id"]
    expires = winpay.stored(invoice_id).expires_at

    winpay.call("PUT", f"/api/update/{invoice_id}", seed_body(ref="R2"))
    winpay.call("PUT", f"/api/update/{invoice_id}", {**seed_body(ref="R3"), "interval": None})

    assert winpay.stored(invoice_id).expires_at == expires


def test_update_with_interval_restarts_the_validity_from_now(winpay: WinpayClient) -> None:
    invoice_id = winpay.create(interval=90)["id"]
    created_expiry = winpay.stored(invoice_id).expires_at
    assert created_expiry is not None

    winpay.call("PUT", f"/api/update/{invoice_id}", {**seed_body(), "interval": 24 * 60})

    stored = winpay.stored(invoice_id)
    assert stored.expires_at is not None
    validity = stored.expires_at - stored.updated_at
    assert abs(validity - timedelta(days=1)) < timedelta(seconds=5)
    assert stored.expires_at > created_expiry


def test_paid_invoice_shows_status_and_payment(winpay: WinpayClient) -> None:
    invoice_id = winpay.create()["id"]

    winpay.pay(invoice_id, channel="BSI", fee=2500)

    data = winpay.find(invoice_id)
    assert data["status"] == "PAID"
    payment = data["payment"]
    assert set(payment) == PAYMENT_KEYS
    assert is_uuid4(payment["uuid"]) and payment["channel"] == "BSI"
    assert isinstance(payment["code"], str) and isinstance(payment["payment_ref"], str)
    assert (payment["paid_amount"], payment["fee"], payment["nett"]) == ("260000", "2500", "257500")
    assert CREATED_AT.match(payment["created_at"]) and CREATED_AT.match(payment["updated_at"])
    by_ref = winpay.call("GET", "/api/findByRef/111130").json()["responseData"]
    assert by_ref == data


def test_unpaid_invoice_has_no_payment_key(winpay: WinpayClient) -> None:
    invoice_id = winpay.create()["id"]
    assert "payment" not in winpay.find(invoice_id)


@pytest.mark.parametrize(
    ("method", "path", "message"),
    [
        ("PUT", "/api/update/{id}", "Failed to update: Invoice already paid"),
        ("DELETE", "/api/delete/{id}", "Failed to delete: Invoice already paid"),
        ("DELETE", "/api/deleteByRef/111130", "Failed to delete: Invoice already paid"),
    ],
)
def test_paid_invoice_is_refused_and_stays_unchanged(
    winpay: WinpayClient, method: str, path: str, message: str
) -> None:
    invoice_id = winpay.create()["id"]
    winpay.pay(invoice_id)
    before = winpay.state(invoice_id)
    body = seed_body(ref="after-payment") if method == "PUT" else None

    answer = winpay.call(method, path.format(id=invoice_id), body)

    assert expect_error(answer, 400, "4000302", message) == []
    assert winpay.state(invoice_id) == before


def test_ref_of_another_live_invoice_is_refused(winpay: WinpayClient) -> None:
    winpay.create(ref="TAKEN")
    invoice_id = winpay.create(ref="MINE")["id"]
    before = winpay.state(invoice_id)

    clash = winpay.call("PUT", f"/api/update/{invoice_id}", seed_body(ref="TAKEN"))

    assert expect_error(clash, 400, "4000303", "Merchant ref already exists") == []
    assert winpay.state(invoice_id) == before
    on_create = winpay.call("POST", "/api/create", create_body(ref="TAKEN"))
    assert expect_error(on_create, 400, "4000303", "Merchant ref already exists") == []


def test_refs_are_case_sensitive_and_exact(winpay: WinpayClient) -> None:
    winpay.create(ref="ABC")
    assert winpay.call("POST", "/api/create", create_body(ref="abc")).status_code == 201
    assert winpay.call("POST", "/api/create", create_body(ref="ABC ")).status_code == 201


def test_a_paid_invoice_keeps_its_ref(winpay: WinpayClient) -> None:
    winpay.pay(winpay.create(ref="PAID-REF")["id"])

    again = winpay.call("POST", "/api/create", create_body(ref="PAID-REF"))

    assert again.json()["responseCode"] == "4000303"


def test_another_merchant_may_use_the_same_ref(
    winpay: WinpayClient, other_merchant: WinpayClient
) -> None:
    mine = winpay.create(ref="SHARED")
    theirs = other_merchant.create(ref="SHARED")

    assert theirs["id"] != mine["id"]
    assert winpay.call("GET", "/api/findByRef/SHARED").json()["responseData"]["id"] == mine["id"]
    other = other_merchant.call("GET", "/api/findByRef/SHARED").json()["responseData"]
    assert other["id"] == theirs["id"]


def test_another_merchants_invoice_is_not_found_and_stays_unchanged(
    winpay: WinpayClient, other_merchant: WinpayClient
) -> None:
    invoice_id = winpay.create(ref="MINE")["id"]
    before = winpay.state(invoice_id)
    calls = [
        ("GET", f"/api/find/{invoice_id}", None),
        ("GET", "/api/findByRef/MINE", None),
        ("PUT", f"/api/update/{invoice_id}", seed_body(ref="STOLEN")),
        ("DELETE", f"/api/delete/{invoice_id}", None),
        ("DELETE", "/api/deleteByRef/MINE", None),
    ]
    for method, path, body in calls:
        answer = other_merchant.call(method, path, body)
        assert expect_error(answer, 404, "4040300", "Invoice not found") == [], path

    assert winpay.state(invoice_id) == before


def test_another_merchants_paid_invoice_is_not_found_either(
    winpay: WinpayClient, other_merchant: WinpayClient
) -> None:
    """4040300, not 4000302: nothing tells another merchant the invoice exists."""
    invoice_id = winpay.create()["id"]
    winpay.pay(invoice_id)

    answer = other_merchant.call("PUT", f"/api/update/{invoice_id}", seed_body())

    assert expect_error(answer, 404, "4040300", "Invoice not found") == []


@pytest.mark.parametrize("bad_id", ["123", "not-a-uuid", "111130", "%00", "'; DROP TABLE x;--"])
def test_a_non_uuid_id_is_not_found(winpay: WinpayClient, bad_id: str) -> None:
    winpay.create()
    for method, path, body in [
        ("GET", "/api/find/{}", None),
        ("PUT", "/api/update/{}", seed_body()),
        ("DELETE", "/api/delete/{}", None),
    ]:
        answer = winpay.call(method, path.format(bad_id), body)
        assert expect_error(answer, 404, "4040300", "Invoice not found") == []
