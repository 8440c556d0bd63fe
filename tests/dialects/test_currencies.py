"""Money never changes meaning across dialects (issue 6, defect 2).

The rule: an invoice in a currency a dialect cannot express does not exist in that dialect,
exactly like another merchant's. Winpay speaks rupiah only; both Paylink APIs speak every
currency. The whole matrix: an invoice made in each dialect (in IDR, and in SAR where the
dialect allows it) is read, updated and cancelled through each dialect.
"""

from typing import Any

import pytest

from tests.dialects.conftest import CREATE_PATHS, MAJOR, Tenant, create_body, created_id

# (dialect that makes it, currency). The SAR total is 260000 minor units on purpose: the
# same number a rupiah total of 260000 has.
MADE = [
    ("winpay", "IDR"),
    ("paylink", "IDR"),
    ("paylink", "SAR"),
    ("paylink_v2", "IDR"),
    ("paylink_v2", "SAR"),
]


def speaks(dialect: str, currency: str) -> bool:
    return dialect != "winpay" or currency == "IDR"


def make(tenant: Tenant, dialect: str, currency: str, ref: str) -> str:
    body = create_body(dialect, ref, currency)
    return created_id(dialect, tenant.call(dialect, "POST", CREATE_PATHS[dialect], body))


def truth(tenant: Tenant, invoice_id: str) -> tuple[Any, int]:
    """The invoice as Paylink's merchant API shows it (it speaks every currency), and how
    many revisions it has: what must not move when another dialect may not touch it."""
    shown = tenant.call("paylink", "GET", f"/api/merchants/{{merchant}}/invoices/{invoice_id}")
    assert shown.status_code == 200, shown.text

    async def history() -> Any:
        return await tenant.runtime.invoices.revisions(tenant.merchant_id, invoice_id)

    return shown.json(), len(tenant.run(history))


# --- reading ------------------------------------------------------------------------------


def read(tenant: Tenant, dialect: str, invoice_id: str, ref: str) -> list[tuple[int, Any]]:
    """(status, (currency, major total)) for every way the dialect reads one invoice."""
    if dialect == "winpay":
        answers = [
            tenant.call("winpay", "GET", f"/api/find/{invoice_id}"),
            tenant.call("winpay", "GET", f"/api/findByRef/{ref}"),
        ]
        return [(a.status_code, _winpay_total(a.json())) for a in answers]
    if dialect == "paylink":
        a = tenant.call("paylink", "GET", f"/api/merchants/{{merchant}}/invoices/{invoice_id}")
        return [(a.status_code, (a.json()["currency"], a.json()["totalAmount"]))]
    a = tenant.call("paylink_v2", "GET", f"/api/getInvoice/{invoice_id}")
    order = a.json()["gatewayOrderRequest"]
    return [(a.status_code, (order["currency"], a.json()["amount"]))]


def _winpay_total(body: Any) -> Any:
    if body["responseCode"] != "2000300":
        return body["responseCode"]
    return ("IDR", sum(p["price"] * p["qty"] for p in body["responseData"]["products"]))


@pytest.mark.parametrize("reader", ["winpay", "paylink", "paylink_v2"])
def test_each_dialect_reads_only_what_it_can_express_and_reads_it_right(
    tenant: Tenant, reader: str
) -> None:
    for n, (maker, currency) in enumerate(MADE):
        ref = f"R-{n}"
        invoice_id = make(tenant, maker, currency, ref)
        before = truth(tenant, invoice_id)

        seen = read(tenant, reader, invoice_id, ref)

        expected = (200, (currency, MAJOR[currency]))
        if not speaks(reader, currency):
            expected = (404, "4040300")  # Winpay's "Invoice not found", as for a stranger's
        assert seen == [expected] * len(seen), (maker, currency)
        assert truth(tenant, invoice_id) == before


# --- updating -----------------------------------------------------------------------------


def update(tenant: Tenant, dialect: str, invoice_id: str, currency: str) -> Any:
    """Each dialect's update, pricing the one item at 270000 (rupiah) or 2700 (the currency)."""
    if dialect == "winpay":
        body = {
            "customer": {"name": "Delina", "email": "", "phone": "082342341"},
            "invoice": {
                "ref": f"NEW-{invoice_id}",
                "products": [{"name": "Teh", "qty": 1, "price": 270000}],
            },
            "back_url": "https://shop.example/back",
        }
        return tenant.call("winpay", "PUT", f"/api/update/{invoice_id}", body)
    price = 270000 if currency == "IDR" else 2700
    body = {
        "items": [{"description": "Teh", "quantity": 1, "price": price}],
        "totalAmount": price,
        "dueDate": "2030-02-28",
        "currency": currency,
    }
    path = f"/api/merchants/{{merchant}}/invoices/{invoice_id}"
    return tenant.call("paylink", "PUT", path, body)


@pytest.mark.parametrize("updater", ["winpay", "paylink"])  # Paylink v2 has no update
def test_an_update_never_reprices_an_invoice_in_another_currency(
    tenant: Tenant, updater: str
) -> None:
    for n, (maker, currency) in enumerate(MADE):
        invoice_id = make(tenant, maker, currency, f"R-{n}")
        before = truth(tenant, invoice_id)

        answer = update(tenant, updater, invoice_id, currency)

        after = truth(tenant, invoice_id)
        if speaks(updater, currency):
            assert answer.status_code == 200, answer.text
            expected_total = 270000 if currency == "IDR" else 2700
            assert (after[0]["currency"], after[0]["totalAmount"]) == (currency, expected_total)
            assert after[1] == before[1] + 1
        else:
            # Before: 200, and the SAR invoice became SAR 2,700.00 from "270000 rupiah".
            assert answer.status_code == 404, (maker, currency, answer.text)
            assert answer.json()["responseCode"] == "4040300"
            assert after == before


# --- cancelling ---------------------------------------------------------------------------


def cancel(tenant: Tenant, dialect: str, invoice_id: str, ref: str, by_ref: bool) -> Any:
    if dialect == "winpay":
        path = f"/api/deleteByRef/{ref}" if by_ref else f"/api/delete/{invoice_id}"
        return tenant.call("winpay", "DELETE", path)
    if dialect == "paylink":
        path = f"/api/merchants/{{merchant}}/invoices/{invoice_id}"
        return tenant.call("paylink", "DELETE", path)
    return tenant.call("paylink_v2", "POST", "/api/cancelInvoice", {"transactionNo": invoice_id})


@pytest.mark.parametrize(
    ("canceller", "by_ref"),
    [("winpay", False), ("winpay", True), ("paylink", False), ("paylink_v2", False)],
)
def test_a_dialect_cancels_only_what_it_can_express(
    tenant: Tenant, canceller: str, by_ref: bool
) -> None:
    for n, (maker, currency) in enumerate(MADE):
        ref = f"R-{n}"
        invoice_id = make(tenant, maker, currency, ref)
        before = truth(tenant, invoice_id)

        answer = cancel(tenant, canceller, invoice_id, ref, by_ref)

        after = truth(tenant, invoice_id)
        if speaks(canceller, currency):
            assert answer.status_code == 200, answer.text
            assert after[0]["status"] == "cancelled"
        else:
            assert answer.status_code == 404, (maker, currency, answer.text)
            assert after == before


def test_an_invoice_repriced_into_another_currency_leaves_winpay(tenant: Tenant) -> None:
    """Paylink may move a rupiah invoice to SAR; from then on Winpay no longer sees it."""
    invoice_id = make(tenant, "winpay", "IDR", "R-1")
    assert tenant.call("winpay", "GET", f"/api/find/{invoice_id}").status_code == 200

    assert update(tenant, "paylink", invoice_id, "SAR").status_code == 200

    assert tenant.call("winpay", "GET", f"/api/find/{invoice_id}").status_code == 404
    assert tenant.call("winpay", "GET", "/api/findByRef/R-1").status_code == 404


def test_refs_stay_unique_per_merchant_across_currencies(tenant: Tenant) -> None:
    """The merchant owns both invoices, so Winpay may say the ref is taken (not whose)."""
    make(tenant, "paylink", "SAR", "SHARED")
    body = {
        "customer": {"name": "Delina", "email": "", "phone": "082342341"},
        "invoice": {"ref": "SHARED", "products": [{"name": "Kopi", "qty": 1, "price": 1000}]},
        "back_url": "https://shop.example/back",
        "interval": 60,
    }
    answer = tenant.call("winpay", "POST", "/api/create", body)
    assert (answer.status_code, answer.json()["responseCode"]) == (400, "4000303")


def test_the_service_refuses_an_actor_its_currency_and_lists_only_what_it_speaks(
    tenant: Tenant,
) -> None:
    """Below the wire: the use cases themselves keep the rule (a future dialect inherits it)."""
    from invoicegate.domain.errors import InvalidInput
    from invoicegate.domain.invoice import Customer, InvoiceTerms, ItemSpec
    from invoicegate.domain.money import Currency
    from invoicegate.services.invoices import Actor
    from invoicegate.services.ports import InvoiceQuery

    make(tenant, "paylink", "SAR", "S-1")
    make(tenant, "winpay", "IDR", "I-1")
    rupiah_only = Actor(tenant.merchant_id, None, "test", frozenset({"IDR"}))
    invoices = tenant.runtime.invoices

    async def go() -> tuple[list[str], int]:
        with pytest.raises(InvalidInput):
            await invoices.create_invoice(
                rupiah_only,
                InvoiceTerms("S-2", Customer("a", "1"), [ItemSpec("x", 1, 1)], Currency.of("SAR")),
            )
        found, total = await invoices.list_invoices(rupiah_only, InvoiceQuery())
        return [i.reference for i in found], total

    assert tenant.run(go) == (["I-1"], 1)
