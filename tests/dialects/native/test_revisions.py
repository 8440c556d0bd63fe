"""One history: every change from every dialect and the CLI, by whom, field by field."""

from typing import Any

from tests.conftest import winpay_headers
from tests.dialects.native.conftest import NativeClient, paylink_body


def test_the_history_holds_every_dialects_changes_with_who_and_what(
    native: NativeClient,
) -> None:
    onboarded = native.onboarded
    created = native.create("H-1")
    invoice_id = created["id"]
    winpay = native.http.put(
        f"/api/update/{invoice_id}",
        headers=winpay_headers(onboarded.winpay.public_id, onboarded.winpay.secret or ""),
        json={
            "customer": {"name": "Delina Prasetya", "email": "", "phone": "082342341"},
            "invoice": {
                "ref": "H-2",
                "products": [{"name": "01002676", "qty": 2, "price": 260000}],
            },
            "back_url": "https://your-invoice-url.com",
        },
    )
    assert winpay.status_code == 200, winpay.text
    patched = native.patch(invoice_id, {"due_date": "2031-02-03"}, '"v2"')
    assert patched.status_code == 200, patched.text
    native.run(lambda rt: rt.payments.pay_invoice(invoice_id, channel="BSI"))  # as the CLI does

    answer = native.call("GET", f"/invoices/{invoice_id}/revisions")

    assert answer.status_code == 200
    history: list[dict[str, Any]] = answer.json()["data"]
    assert [(r["version"], r["action"], r["dialect"]) for r in history] == [
        (1, "created", "native"),
        (2, "updated", "winpay"),
        (3, "updated", "native"),
        (4, "paid", "cli"),
    ]
    key_id = onboarded.native.credential.id
    assert [r["by"] for r in history] == [key_id, onboarded.winpay.public_id, key_id, "operator"]
    assert onboarded.native.secret not in answer.text

    created_change = history[0]["changes"]
    assert created_change[0]["pointer"] == "" and created_change[0]["before"] is None
    assert created_change[0]["after"]["reference"] == "H-1"
    by_pointer = {c["pointer"]: c for c in history[1]["changes"]}
    assert by_pointer["/reference"] == {"pointer": "/reference", "before": "H-1", "after": "H-2"}
    assert by_pointer["/customer/email"]["after"] == ""
    assert by_pointer["/total"] == {"pointer": "/total", "before": 260000, "after": 520000}
    assert [i["quantity"] for i in by_pointer["/items"]["after"]] == [2]
    assert history[2]["changes"] == [
        {"pointer": "/due_date", "before": None, "after": "2031-02-03"}
    ]
    paid = {c["pointer"]: c for c in history[3]["changes"]}
    assert paid["/status"] == {"pointer": "/status", "before": "unpaid", "after": "paid"}
    assert paid["/payment/id"]["before"] is None and paid["/payment/id"]["after"]
    assert history[0]["at"] <= history[1]["at"] <= history[2]["at"] <= history[3]["at"]


def test_paylink_changes_show_the_key_id_never_its_hash(native: NativeClient) -> None:
    onboarded = native.onboarded
    created = native.http.post(
        f"/api/merchants/{native.merchant_id}/invoices",
        headers={"X-API-KEY": onboarded.paylink.secret},
        json=paylink_body("PL-9", price=10, quantity=1),
    ).json()

    history = native.call("GET", f"/invoices/{created['invoiceId']}/revisions").json()["data"]

    assert history[0]["by"] == onboarded.paylink.credential.id
    assert history[0]["dialect"] == "paylink"
    assert onboarded.paylink.credential.public_id not in str(history)
