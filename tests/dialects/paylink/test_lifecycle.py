"""Paid and cancelled invoices, listing, currencies, and the one core behind the dialect."""

from typing import Any

import anyio
import pytest

from invoicegate.services.invoices import Actor
from tests.dialects.paylink.conftest import PaylinkClient, create_body, seed_update_body


def pay(paylink: PaylinkClient, invoice_id: str) -> Any:
    runtime = paylink.http.app.state.runtime  # type: ignore[attr-defined]

    async def run() -> Any:
        return await runtime.payments.pay_invoice(invoice_id)

    return anyio.run(run)


def revisions(paylink: PaylinkClient, invoice_id: str) -> Any:
    runtime = paylink.http.app.state.runtime  # type: ignore[attr-defined]

    async def run() -> Any:
        return await runtime.invoices.revisions(paylink.merchant_id, invoice_id)

    return anyio.run(run)


def test_an_id_in_another_spelling_of_its_uuid_names_the_same_invoice(
    paylink: PaylinkClient,
) -> None:
    invoice_id = paylink.create()["invoiceId"]
    for spelling in (invoice_id.upper(), invoice_id.replace("-", "")):
        answer = paylink.call("GET", f"/{spelling}")
        assert answer.status_code == 200, spelling
        assert answer.json()["invoiceId"] == invoice_id
    assert paylink.call("GET", f"/{invoice_id}0").status_code == 404


def test_paid_invoice_cannot_be_updated_or_deleted(paylink: PaylinkClient) -> None:
    invoice_id = paylink.create()["invoiceId"]
    pay(paylink, invoice_id)

    updated = paylink.call("PUT", f"/{invoice_id}", seed_update_body())
    deleted = paylink.call("DELETE", f"/{invoice_id}")

    for answer in (updated, deleted):
        assert answer.status_code == 409
        assert answer.json() == {"message": "Invoice is already paid and can no longer be changed."}
    found = paylink.call("GET", f"/{invoice_id}").json()
    assert found["status"] == "paid" and found["totalAmount"] == 301


def test_cancelled_invoice_cannot_be_updated_or_deleted_again(paylink: PaylinkClient) -> None:
    invoice_id = paylink.create()["invoiceId"]
    assert paylink.call("DELETE", f"/{invoice_id}").status_code == 200

    updated = paylink.call("PUT", f"/{invoice_id}", seed_update_body())
    deleted = paylink.call("DELETE", f"/{invoice_id}")

    for answer in (updated, deleted):
        assert answer.status_code == 409
        assert answer.json() == {"message": "Invoice is cancelled and can no longer be changed."}
    assert paylink.call("GET", f"/{invoice_id}").json()["totalAmount"] == 301


def test_revisions_record_the_paylink_dialect(paylink: PaylinkClient) -> None:
    invoice_id = paylink.create()["invoiceId"]
    paylink.call("PUT", f"/{invoice_id}", seed_update_body())
    pay(paylink, invoice_id)

    history = revisions(paylink, invoice_id)

    assert [(r.action, r.dialect) for r in history] == [
        ("created", "paylink"),
        ("updated", "paylink"),
        ("paid", "cli"),
    ]
    assert set(history[1].changed) >= {"items", "total", "due_date"}


@pytest.mark.parametrize(
    ("currency", "price", "total", "minor"),
    [("JPY", 1500, 3000, 3000), ("SAR", 12.34, 24.68, 2468), ("KWD", 1.234, 2.468, 2468)],
)
def test_currencies_with_0_2_and_3_decimals_end_to_end(
    paylink: PaylinkClient, currency: str, price: float, total: float, minor: int
) -> None:
    items = [{"description": "Widget", "quantity": 2, "price": price}]
    created = paylink.create(items=items, totalAmount=total, currency=currency)
    assert created["totalAmount"] == total and created["items"][0]["price"] == price

    update = {"items": items, "totalAmount": total, "dueDate": "2025-01-31", "currency": currency}
    assert paylink.call("PUT", f"/{created['invoiceId']}", update).status_code == 200
    paid = pay(paylink, created["invoiceId"])

    assert paid.total == minor and paid.payment.amount == minor
    found = paylink.call("GET", f"/{created['invoiceId']}").json()
    assert found["status"] == "paid" and found["totalAmount"] == total
    assert found["currency"] == currency


def test_list_filters_by_status_customer_and_date(paylink: PaylinkClient) -> None:
    a = paylink.create(
        number="A", customerInfo={"customerName": "Sara Ali", "customerPhone": "966500000001"}
    )
    b = paylink.create(
        number="B", customerInfo={"customerName": "Omar Saleh", "customerPhone": "966511112222"}
    )
    c = paylink.create(
        number="C", customerInfo={"customerName": "SARAH Noor", "customerPhone": "966533334444"}
    )
    pay(paylink, b["invoiceId"])
    paylink.call("DELETE", f"/{c['invoiceId']}")
    today = a["date"]

    def numbers(query: str) -> list[str]:
        answer = paylink.call("GET", query)
        assert answer.status_code == 200, answer.text
        return [i["invoiceNumber"] for i in answer.json()["invoices"]]

    assert numbers("") == ["A", "B", "C"]
    assert numbers("?status=paid") == ["B"]
    assert numbers("?status=cancelled") == ["C"]
    assert numbers("?status=unpaid") == ["A"]
    assert numbers("?customerName=sara") == ["A", "C"]  # partial, any case
    assert numbers("?customerPhone=1111") == ["B"]
    assert numbers(f"?startDate={today}&endDate={today}") == ["A", "B", "C"]  # inclusive
    assert numbers("?startDate=2000-01-01&endDate=2000-12-31") == []
    assert numbers("?customerName=%25") == []  # a % is a character, not a wildcard
    assert numbers("?customerName=sara&status=unpaid") == ["A"]


def test_list_pages_in_a_stable_order_and_caps_page_size(paylink: PaylinkClient) -> None:
    for n in range(7):
        paylink.create(number=f"N{n}")

    pages = [paylink.call("GET", f"?page={p}&pageSize=3").json() for p in (1, 2, 3)]

    assert [len(p["invoices"]) for p in pages] == [3, 3, 1]
    seen = [i["invoiceNumber"] for p in pages for i in p["invoices"]]
    assert seen == [f"N{n}" for n in range(7)]
    assert pages[0]["totalCount"] == 7 and pages[0]["totalPages"] == 3
    capped = paylink.call("GET", "?pageSize=100000").json()
    assert capped["pageSize"] == 100 and len(capped["invoices"]) == 7


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("?status=open", "status"),
        ("?startDate=2024-02-30", "startDate"),
        ("?endDate=yesterday", "endDate"),
        ("?startDate=2024-02-02&endDate=2024-02-01", "endDate"),
        ("?page=0", "page"),
        ("?pageSize=-1", "pageSize"),
        ("?page=two", "page"),
    ],
)
def test_bad_list_filters_are_refused(paylink: PaylinkClient, query: str, field: str) -> None:
    answer = paylink.call("GET", query)
    assert answer.status_code == 400
    assert answer.json()["message"] == "Invalid request data"
    assert [e["field"] for e in answer.json()["errors"]] == [field]


def test_an_invoice_made_here_is_readable_through_the_service(paylink: PaylinkClient) -> None:
    created = paylink.create(**create_body(number="CORE-1"))
    runtime = paylink.http.app.state.runtime  # type: ignore[attr-defined]

    async def find() -> Any:
        return await runtime.invoices.find_invoice(
            Actor(paylink.merchant_id, None, "test"), created["invoiceId"]
        )

    invoice = anyio.run(find)
    assert invoice.reference == "CORE-1" and invoice.total == 30100
    assert created["invoicePaymentUrl"].endswith("/" + invoice.checkout_slug)
