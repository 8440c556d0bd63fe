"""§3's payment API as Paylink's SDKs read it: auth, addInvoice, getInvoice, cancelInvoice."""

from typing import Any

import anyio
import pytest

from tests.dialects.paylink_v2.conftest import V2Client, add_body

INVOICE_KEYS = {
    "gatewayOrderRequest", "amount", "transactionNo", "orderStatus", "paymentErrors", "url",
    "qrUrl", "mobileUrl", "checkUrl", "success", "digitalOrder", "foreignCurrencyRate",
    "paymentReceipt", "metadata",
}  # fmt: skip


def pay(v2: V2Client, invoice_id: str) -> Any:
    runtime = v2.http.app.state.runtime  # type: ignore[attr-defined]

    async def run() -> Any:
        return await runtime.payments.pay_invoice(invoice_id)

    return anyio.run(run)


def test_auth_answers_an_id_token(v2: V2Client) -> None:
    answer = v2.authenticate()
    assert answer.status_code == 200
    assert set(answer.json()) == {"id_token"}
    assert answer.json()["id_token"].count(".") == 2  # a JWT, as Paylink's is


def test_add_invoice_answers_the_invoice(v2: V2Client) -> None:
    added = v2.add()

    assert set(added) == INVOICE_KEYS
    assert added["success"] is True
    assert added["orderStatus"] == "Pending"
    assert added["amount"] == 170
    assert added["url"].startswith("http://checkout.test/")
    assert added["mobileUrl"] == added["url"]
    assert added["checkUrl"] == f"http://checkout.test/api/getInvoice/{added['transactionNo']}"
    order = added["gatewayOrderRequest"]
    assert order["orderNumber"] == "ORDER-1"
    assert order["currency"] == "SAR"  # the default
    assert order["clientName"] == "Mohammed Ali" and order["clientMobile"] == "0500000000"
    assert order["clientEmail"] == "client@example.com"
    assert order["callBackUrl"] == "https://merchant.example/return"
    assert [(p["title"], p["price"], p["qty"]) for p in order["products"]] == [
        ("Book", 50, 2),
        ("Pen", 70, 1),
    ]


def test_get_invoice_follows_payment(v2: V2Client) -> None:
    added = v2.add()
    number = added["transactionNo"]

    pending = v2.call("GET", f"/api/getInvoice/{number}")
    assert pending.status_code == 200 and pending.json() == added
    pay(v2, number)
    paid = v2.call("GET", f"/api/getInvoice/{number}").json()

    assert paid["orderStatus"] == "Paid"
    assert paid["paymentReceipt"]["paymentMethod"]


def test_cancel_answers_success_as_the_string_true(v2: V2Client) -> None:
    number = v2.add()["transactionNo"]

    answer = v2.call("POST", "/api/cancelInvoice", {"transactionNo": number})

    assert answer.status_code == 200
    assert answer.json() == {"success": "true"}
    assert v2.call("GET", f"/api/getInvoice/{number}").json()["orderStatus"] == "Canceled"


@pytest.mark.parametrize("first", ["pay", "cancel"])
def test_paid_or_cancelled_invoice_cannot_be_cancelled(v2: V2Client, first: str) -> None:
    number = v2.add()["transactionNo"]
    if first == "pay":
        pay(v2, number)
    else:
        v2.call("POST", "/api/cancelInvoice", {"transactionNo": number})

    answer = v2.call("POST", "/api/cancelInvoice", {"transactionNo": number})

    assert answer.status_code == 409
    assert answer.json()["title"] == "Conflict"
    assert "already" in answer.json()["detail"]


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"amount": 4.99, "products": [{"title": "t", "price": 4.99, "qty": 1}]}, "amount"),
        ({"amount": 171}, "amount"),
        ({"orderNumber": ""}, "orderNumber"),
        ({"callBackUrl": "ftp://x"}, "callBackUrl"),
        ({"products": []}, "products"),
        ({"currency": "XYZ"}, "currency"),
        ({"amount": "170"}, "amount"),
        ({"products": [{"title": "t", "price": 170, "qty": 0.5}], "amount": 85}, "products[0].qty"),
        ({"products": [{"title": "t", "price": 85.001, "qty": 2}]}, "products[0].price"),
    ],
)
def test_bad_add_invoice_is_400_readable_from_detail_and_title(
    v2: V2Client, changes: dict[str, Any], field: str
) -> None:
    answer = v2.call("POST", "/api/addInvoice", add_body(**changes))

    assert answer.status_code == 400
    body = answer.json()
    assert body["title"] == "Bad Request"
    assert field in body["detail"]
    assert field in [e["field"] for e in body["errors"]]


def test_minimum_amount_is_5_sar(v2: V2Client) -> None:
    body = add_body(amount=5, products=[{"title": "t", "price": 5, "qty": 1}])
    assert v2.call("POST", "/api/addInvoice", body).status_code == 200


@pytest.mark.parametrize(
    ("currency", "price", "minor"),
    [("JPY", 700, 1400), ("SAR", 12.5, 2500), ("KWD", 2.125, 4250)],
)
def test_currencies_with_0_2_and_3_decimals_end_to_end(
    v2: V2Client, currency: str, price: float, minor: int
) -> None:
    products = [{"title": "Widget", "price": price, "qty": 2}]
    added = v2.add(currency=currency, amount=price * 2, products=products)

    paid = pay(v2, added["transactionNo"])

    assert paid.total == minor and paid.currency.code == currency
    found = v2.call("GET", f"/api/getInvoice/{added['transactionNo']}").json()
    assert found["amount"] == price * 2 and found["orderStatus"] == "Paid"
    assert found["gatewayOrderRequest"]["currency"] == currency


def test_one_core_v2_invoice_is_the_merchant_api_invoice(v2: V2Client) -> None:
    """Created through v2, read and updated through the merchant API, seen again in v2."""
    number = v2.add()["transactionNo"]
    merchant_api = f"/api/merchants/{v2.merchant_id}/invoices/{number}"
    key = {"X-API-KEY": v2.paylink_api_key}

    seen = v2.http.get(merchant_api, headers=key).json()
    assert seen["invoiceNumber"] == "ORDER-1" and seen["totalAmount"] == 170
    update = {
        "items": [{"description": "Book", "quantity": 3, "price": 50}],
        "totalAmount": 150,
        "dueDate": "2025-03-01",
        "currency": "SAR",
    }
    assert v2.http.put(merchant_api, json=update, headers=key).status_code == 200
    again = v2.call("GET", f"/api/getInvoice/{number}").json()
    assert again["amount"] == 150
    assert again["gatewayOrderRequest"]["products"][0]["qty"] == 3

    runtime = v2.http.app.state.runtime  # type: ignore[attr-defined]

    async def history() -> Any:
        return await runtime.invoices.revisions(v2.merchant_id, number)

    assert [(r.action, r.dialect) for r in anyio.run(history)] == [
        ("created", "paylink_v2"),
        ("updated", "paylink"),
    ]
