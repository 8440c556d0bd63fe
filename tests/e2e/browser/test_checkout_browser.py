"""A customer in a real browser: opens a payment link, sees the invoice, pays, goes back."""

import re
from datetime import UTC, datetime, timedelta
from urllib.parse import quote

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from invoicegate.store.tables import invoices
from tests.e2e.browser.conftest import Merchant, Phone
from tests.e2e.conftest import Server

RLM = "\u200f"


def winpay_body(ref: str, back_url: str, interval: int = 60) -> dict[str, object]:
    return {
        "customer": {"name": "Delina Prasetya", "email": "", "phone": "082342341"},
        "invoice": {
            "ref": ref,
            "products": [
                {"name": "Kopi Gayo 250 g", "qty": 2, "price": 130000},
                {"name": "<script>alert(1)</script>", "qty": 1, "price": "15000.00"},
            ],
        },
        "back_url": back_url,
        "interval": interval,
    }


def test_a_winpay_customer_pays_by_virtual_account_and_returns_to_the_shop(
    phone: Phone, merchant: Merchant, shop: str
) -> None:
    created = merchant.winpay("POST", "/api/create", winpay_body("INV-101", f"{shop}/return"))
    page = phone.page

    page.goto(created["redirect_url"])

    expect(page.locator("html")).to_have_attribute("lang", "id")
    expect(page.get_by_role("heading", level=1)).to_have_text("Tagihan INV-101")
    expect(page.locator(".merchant-name")).to_have_text("Toko Delina")
    expect(page.locator(".facts")).to_contain_text("Delina Prasetya")
    expect(page.locator(".facts")).to_contain_text(re.compile(r"sisa (59|60) menit"))
    rows = page.locator("table.items tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.nth(0)).to_have_text(re.compile(r"Kopi Gayo 250 g\s*2\s*Rp130\.000\s*Rp260\.000"))
    expect(rows.nth(1)).to_contain_text("<script>alert(1)</script>")  # shown, not run
    expect(page.locator("tfoot")).to_contain_text("Rp275.000")
    expect(page.get_by_role("radio")).to_have_count(18)
    phone.check_page("unpaid")

    page.get_by_label("BCA").check()
    page.get_by_role("button", name="Bayar Rp275.000").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Pembayaran diterima")
    expect(page.locator(".channel-paid")).to_have_text("BCA")
    expect(page.locator(".code")).to_have_text(re.compile(r"^8\d{15}$"))
    expect(page.locator(".amount-paid")).to_have_text("Rp275.000")
    code = page.locator(".code").inner_text()
    phone.check_page("paid")

    page.get_by_role("link", name="Kembali ke Toko Delina").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Back at the shop")
    assert page.url == f"{shop}/return"

    found = merchant.winpay("GET", f"/api/find/{created['id']}")
    assert found["status"] == "PAID"
    assert found["payment"]["channel"] == "BCA" and found["payment"]["code"] == code


def test_a_javascript_back_url_is_a_button_that_returns_to_the_shop(
    phone: Phone, merchant: Merchant, shop: str
) -> None:
    created = merchant.winpay(
        "POST", "/api/create", winpay_body("INV-102", "javascript:history.back()")
    )
    page = phone.page
    page.goto(f"{shop}/shop?to={quote(created['redirect_url'])}")
    page.click("#pay")

    page.get_by_label("QRIS").check()
    page.get_by_role("button", name=re.compile("^Bayar")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Pembayaran diterima")
    expect(page.locator(".code")).to_have_text(re.compile(r"^00020101021226"))

    # Paying posted to the page's own URL, so the paid page replaced the form in the
    # history: one step back is the shop, not the form again.
    expect(page.get_by_text("Gunakan tombol Kembali")).to_be_hidden()  # the button instead
    page.get_by_role("button", name="Kembali").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Shop")


@pytest.mark.locale("ar-SA")
def test_a_sar_invoice_from_the_paylink_api_in_arabic_right_to_left(
    phone: Phone, merchant: Merchant, shop: str
) -> None:
    created = merchant.paylink(
        "POST",
        "",
        {
            "invoiceNumber": "INV-SA-1",
            "dueDate": "2030-07-15",
            "items": [
                {"description": "استشارة تقنية", "quantity": 2, "price": 150.5},
                {"description": "Hosting", "quantity": 1, "price": 200},
            ],
            "totalAmount": 501,
            "currency": "SAR",
            "customerInfo": {"customerName": "سارة القحطاني", "customerPhone": "966500000001"},
            "callbackUrl": f"{shop}/paylink/callback",
        },
    )
    page = phone.page

    page.goto(created["invoicePaymentUrl"])

    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    expect(page.locator("html")).to_have_attribute("lang", "ar")
    heading = page.get_by_role("heading", level=1)
    expect(heading).to_have_text("فاتورة INV-SA-1")
    # Right to left as drawn, not only as declared: the heading hugs the right edge.
    box = heading.bounding_box()
    assert box is not None and box["x"] + box["width"] > 360 - 40
    expect(page.locator("tfoot")).to_contain_text(f"{RLM}501.00\xa0ر.س.{RLM}")
    expect(page.locator(".facts")).to_contain_text("سارة القحطاني")
    expect(page.get_by_role("radio")).to_have_count(5)
    expect(page.get_by_role("link", name="English")).to_be_visible()
    phone.check_page("unpaid")

    page.get_by_label("mada").check()
    page.get_by_role("button", name=re.compile("^ادفع")).click()

    expect(page.get_by_role("heading", level=1)).to_have_text("تم استلام الدفعة")
    expect(page.locator(".channel-paid")).to_have_text("mada")
    expect(page.locator(".code")).to_have_text(re.compile(r"^\d{6}$"))
    expect(page.locator(".way-back")).to_have_count(0)  # the merchant API has no way back
    phone.check_page("paid")
    got = merchant.paylink("GET", f"/{created['invoiceId']}")
    assert got["status"] == "paid"


@pytest.mark.locale("en-US")
def test_a_paylink_v2_customer_pays_and_returns_with_the_order_numbers(
    phone: Phone, merchant: Merchant, shop: str
) -> None:
    added = merchant.v2(
        "POST",
        "/api/addInvoice",
        {
            "amount": 170.0,
            "callBackUrl": f"{shop}/return",
            "clientMobile": "0500000000",
            "clientName": "Mohammed Ali",
            "orderNumber": "ORDER-7",
            "products": [
                {"title": "Book", "price": 50.0, "qty": 2},
                {"title": "Pen", "price": 70.0, "qty": 1},
            ],
        },
    )
    page = phone.page

    page.goto(added["url"])
    expect(page.get_by_role("heading", level=1)).to_have_text("Invoice ORDER-7")
    expect(page.locator("tfoot")).to_contain_text("SAR170.00")
    phone.check_page("unpaid")

    page.get_by_label("Apple Pay").check()
    page.get_by_role("button", name="Pay SAR170.00").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Payment received")
    expect(page.locator(".channel-paid")).to_have_text("Apple Pay")
    page.get_by_role("link", name="Back to Toko Delina").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Back at the shop")
    expect(page.locator("li")).to_have_text(
        [f"transactionNo={added['transactionNo']}", "orderNumber=ORDER-7"]
    )
    got = merchant.v2("GET", f"/api/getInvoice/{added['transactionNo']}")
    assert got["orderStatus"] == "Paid"


@pytest.mark.locale("en-US")
def test_expired_and_cancelled_invoices_say_so_and_offer_no_payment(
    phone: Phone, merchant: Merchant, server: Server
) -> None:
    expired = merchant.winpay(
        "POST", "/api/create", winpay_body("INV-OLD", "https://shop.invalid/")
    )
    cancelled = merchant.winpay(
        "POST", "/api/create", winpay_body("INV-DEL", "https://shop.invalid/")
    )
    merchant.winpay("DELETE", f"/api/delete/{cancelled['id']}")
    _let_expire(server, expired["id"])
    page = phone.page

    page.goto(expired["redirect_url"])
    expect(page.get_by_role("heading", level=1)).to_have_text("This invoice has expired")
    expect(page.locator("form")).to_have_count(0)
    phone.check_page("expired")
    assert merchant.winpay("GET", f"/api/find/{expired['id']}")["status"] == "UNPAID"

    page.goto(cancelled["redirect_url"])
    expect(page.get_by_role("heading", level=1)).to_have_text("This invoice has been cancelled")
    expect(page.locator("form")).to_have_count(0)
    phone.check_page("cancelled")


@pytest.mark.no_javascript
def test_paying_works_without_javascript(phone: Phone, merchant: Merchant) -> None:
    created = merchant.winpay(
        "POST", "/api/create", winpay_body("INV-NOJS", "javascript:history.back()")
    )
    page = phone.page

    page.goto(created["redirect_url"])
    page.get_by_label("Alfamart").check()
    page.get_by_role("button", name=re.compile("^Bayar")).click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Pembayaran diterima")
    expect(page.locator(".code")).to_have_text(re.compile(r"^[A-Z2-9]{12}$"))
    expect(page.get_by_text("Gunakan tombol Kembali di peramban Anda")).to_be_visible()
    expect(page.get_by_role("button", name="Kembali")).to_be_hidden()
    phone.screenshot("paid")


def _let_expire(server: Server, invoice_id: str) -> None:
    """Time passes: the invoice's validity ends a minute ago (the server has no clock to set)."""
    engine = sa.create_engine(server.env["INVOICEGATE_DATABASE_URL"])
    try:
        with engine.begin() as conn:
            past = datetime.now(UTC) - timedelta(minutes=1)
            conn.execute(
                sa.update(invoices).where(invoices.c.id == invoice_id), {"expires_at": past}
            )
    finally:
        engine.dispose()


def test_the_accessibility_check_finds_what_it_should(phone: Phone) -> None:
    """The helper every page goes through can fail: an unlabelled field is critical."""
    phone.page.set_content("<!doctype html><html lang='en'><title>t</title><input></html>")
    assert "label" in {v["id"] for v in phone.axe() if v["impact"] == "critical"}
