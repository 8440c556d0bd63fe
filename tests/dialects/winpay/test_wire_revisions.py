"""Every change through Winpay leaves a revision: version, action, dialect, the credential
that acted, and the invoice before and after. Refused calls leave none."""

from tests.dialects.winpay.conftest import WinpayClient, create_body, seed_body


def test_create_and_two_updates_leave_three_revisions(winpay: WinpayClient) -> None:
    invoice_id = winpay.create(ref="R1")["id"]
    winpay.call("PUT", f"/api/update/{invoice_id}", seed_body(ref="R2"))
    second = seed_body(ref="R3")
    second["invoice"]["products"] = [{"name": "Teh", "qty": 4, "price": 5000}]
    winpay.call("PUT", f"/api/update/{invoice_id}", second)

    revisions = winpay.revisions(invoice_id)

    assert [(r.version, r.action) for r in revisions] == [
        (1, "created"),
        (2, "updated"),
        (3, "updated"),
    ]
    assert {r.invoice_id for r in revisions} == {invoice_id}
    assert {r.dialect for r in revisions} == {"winpay"}
    assert {r.actor for r in revisions} == {winpay.credential_id()}
    first, middle, last = revisions
    assert first.before is None
    assert middle.before == first.after and last.before == middle.after
    assert [r.after["reference"] for r in revisions] == ["R1", "R2", "R3"]
    assert middle.changed == ["items", "reference"]  # items: every update renews product uuids
    assert last.after["items"][0]["name"] == "Teh" and last.after["total"] == 20000
    assert "items" in last.changed and "total" in last.changed
    assert first.at <= middle.at <= last.at


def test_snapshots_hold_what_the_client_sent(winpay: WinpayClient) -> None:
    invoice_id = winpay.create()["id"]

    [created] = winpay.revisions(invoice_id)

    found = winpay.find(invoice_id)
    assert created.after["customer"] == found["customer"]
    assert created.after["back_url"] == found["back_url"]
    assert created.after["currency"] == "IDR"
    assert [
        (i["id"], i["name"], i["quantity"], i["unit_price"]) for i in created.after["items"]
    ] == [(p["uuid"], p["name"], p["qty"], p["price"]) for p in found["products"]]
    assert created.after["status"] == "unpaid"


def test_delete_adds_a_cancelled_revision(winpay: WinpayClient) -> None:
    invoice_id = winpay.create(ref="R1")["id"]

    winpay.call("DELETE", "/api/deleteByRef/R1")

    last = winpay.revisions(invoice_id)[-1]
    assert (last.version, last.action, last.dialect) == (2, "cancelled", "winpay")
    assert last.actor == winpay.credential_id()
    assert last.after["status"] == "cancelled"


def test_refused_calls_leave_no_revision(winpay: WinpayClient) -> None:
    invoice_id = winpay.create(ref="R1")["id"]
    winpay.create(ref="TAKEN")

    winpay.call("PUT", f"/api/update/{invoice_id}", seed_body(ref="TAKEN"))  # 4000303
    winpay.call("PUT", f"/api/update/{invoice_id}", {**seed_body(), "interval": 0})  # 4000301
    winpay.call("POST", "/api/create", create_body(ref="R1"))  # 4000303
    winpay.pay(invoice_id)
    winpay.call("PUT", f"/api/update/{invoice_id}", seed_body())  # 4000302
    winpay.call("DELETE", f"/api/delete/{invoice_id}")  # 4000302

    assert [r.action for r in winpay.revisions(invoice_id)] == ["created", "paid"]
