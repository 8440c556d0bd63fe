"""What an update may change, and what it never may: paid, deleted, duplicate, foreign."""

from typing import Any

from tests.dialects.winpay.conftest import WinpayClient, create_body, seed_body


def _create(client: WinpayClient, ref: str = "111130", **changes: Any) -> str:
    created = client.call("POST", "/api/create", create_body(ref=ref, **changes))
    assert created.status_code == 201, created.text
    return str(created.json()["responseData"]["id"])


def _find(client: WinpayClient, invoice_id: str) -> dict[str, Any]:
    return dict(client.call("GET", f"/api/find/{invoice_id}").json()["responseData"])


def _pay(client: WinpayClient, invoice_id: str) -> None:
    """Simulate the payment on the app's own event loop (the CLI's `invoice pay` does the same)."""
    runtime = client.http.app.state.runtime  # type: ignore[attr-defined]

    async def pay() -> None:
        await runtime.payments.pay_invoice(invoice_id, channel="BSI", fee=2500)

    assert client.http.portal is not None
    client.http.portal.call(pay)


def test_update_replaces_customer_ref_products_and_back_url(winpay: WinpayClient) -> None:
    invoice_id = _create(winpay)
    before = _find(winpay, invoice_id)
    body = seed_body(ref="NEW-REF")
    body["customer"] = {"name": "Budi", "email": "b@example.com", "phone": "0811"}
    body["invoice"]["products"] = [
        {"name": "A", "qty": 2, "price": 1000},
        {"name": "B", "qty": 1, "price": 5},
    ]
    body["back_url"] = "https://shop.example/back"

    data = winpay.call("PUT", f"/api/update/{invoice_id}", body).json()["responseData"]

    assert data["ref"] == "NEW-REF" and data["customer"] == body["customer"]
    assert [(p["name"], p["qty"], p["price"]) for p in data["products"]] == [
        ("A", 2, 1000),
        ("B", 1, 5),
    ]
    assert data["back_url"] == "https://shop.example/back"
    old_uuids = {p["uuid"] for p in before["products"]}
    assert old_uuids.isdisjoint(p["uuid"] for p in data["products"])  # fresh product uuids
    assert (data["id"], data["created_at"], data["redirect_url"]) == (
        before["id"],
        before["created_at"],
        before["redirect_url"],
    )
    assert _find(winpay, invoice_id) == data


def test_paid_invoice_is_refused_and_stays_untouched(winpay: WinpayClient) -> None:
    invoice_id = _create(winpay)
    _pay(winpay, invoice_id)
    paid = _find(winpay, invoice_id)
    assert paid["status"] == "PAID"
    payment = paid["payment"]
    assert set(payment) == {
        "uuid", "channel", "code", "payment_ref", "paid_amount", "fee", "nett",
        "created_at", "updated_at",
    }  # fmt: skip
    assert (payment["paid_amount"], payment["fee"], payment["nett"]) == ("260000", "2500", "257500")

    update = winpay.call("PUT", f"/api/update/{invoice_id}", seed_body(ref="other"))
    delete = winpay.call("DELETE", f"/api/delete/{invoice_id}")
    by_ref = winpay.call("DELETE", "/api/deleteByRef/111130")

    assert update.status_code == delete.status_code == by_ref.status_code == 400
    assert update.json()["responseCode"] == "4000302"
    assert update.json()["responseMessage"] == "Failed to update: Invoice already paid"
    assert delete.json()["responseMessage"] == "Failed to delete: Invoice already paid"
    assert by_ref.json()["responseCode"] == "4000302"
    assert _find(winpay, invoice_id) == paid


def test_ref_of_another_live_invoice_is_refused(winpay: WinpayClient) -> None:
    first = _create(winpay, ref="A")
    second = _create(winpay, ref="B")
    clash = winpay.call("PUT", f"/api/update/{second}", seed_body(ref="A"))
    assert clash.status_code == 400
    assert clash.json()["responseCode"] == "4000303"
    assert clash.json()["responseMessage"] == "Merchant ref already exists"
    assert winpay.call("POST", "/api/create", create_body(ref="A")).json()["responseCode"] == (
        "4000303"
    )
    assert _find(winpay, second)["ref"] == "B"
    # Keeping its own ref is no clash.
    assert winpay.call("PUT", f"/api/update/{first}", seed_body(ref="A")).status_code == 200


def test_another_merchants_invoice_is_not_found_and_unchanged(
    winpay: WinpayClient, other_merchant: WinpayClient
) -> None:
    invoice_id = _create(winpay, ref="MINE")
    before = _find(winpay, invoice_id)
    calls = [
        ("GET", f"/api/find/{invoice_id}", None),
        ("GET", "/api/findByRef/MINE", None),
        ("PUT", f"/api/update/{invoice_id}", seed_body(ref="STOLEN")),
        ("DELETE", f"/api/delete/{invoice_id}", None),
        ("DELETE", "/api/deleteByRef/MINE", None),
    ]
    unknown = other_merchant.call("GET", "/api/find/00000000-0000-4000-8000-000000000000")
    for method, path, body in calls:
        answer = other_merchant.call(method, path, body)
        assert answer.status_code == 404, path
        # Exactly what an unknown id gets: nothing says the invoice exists.
        assert answer.json()["responseCode"] == unknown.json()["responseCode"] == "4040300"
        assert answer.json()["responseMessage"] == unknown.json()["responseMessage"]
    assert _find(winpay, invoice_id) == before
    # The same ref is free for the other merchant.
    assert other_merchant.call("POST", "/api/create", create_body(ref="MINE")).status_code == 201


def test_non_uuid_id_is_not_found(winpay: WinpayClient) -> None:
    for path in ["/api/find/123", "/api/find/not-a-uuid"]:
        answer = winpay.call("GET", path)
        assert answer.status_code == 404 and answer.json()["responseCode"] == "4040300"


def test_revisions_record_each_change_with_credential_and_dialect(winpay: WinpayClient) -> None:
    invoice_id = _create(winpay)
    winpay.call("PUT", f"/api/update/{invoice_id}", seed_body(ref="r2"))
    winpay.call("PUT", f"/api/update/{invoice_id}", seed_body(ref="r3"))
    runtime = winpay.http.app.state.runtime  # type: ignore[attr-defined]
    credential = winpay.http.portal.call(runtime.merchants.credential, "winpay", winpay.key)  # type: ignore[union-attr]
    revisions = winpay.http.portal.call(runtime.invoices.revisions, winpay.merchant_id, invoice_id)  # type: ignore[union-attr]
    assert [(r.version, r.action) for r in revisions] == [
        (1, "created"),
        (2, "updated"),
        (3, "updated"),
    ]
    assert {r.dialect for r in revisions} == {"winpay"}
    assert {r.actor for r in revisions} == {credential.id}
    assert revisions[2].before is not None
    assert (revisions[2].before["reference"], revisions[2].after["reference"]) == ("r2", "r3")
