"""Paying on the checkout page: exactly once, through the one payment code path."""

import asyncio
import re
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from invoicegate.checkout.csrf import COOKIE, CsrfTokens
from invoicegate.domain.invoice import Customer, InvoiceTerms, ItemSpec
from invoicegate.domain.money import Currency
from invoicegate.services.invoices import Actor
from invoicegate.store.tables import callback_jobs as jobs
from tests.checkout.conftest import Shop, form_fields
from tests.dialects.winpay.conftest import seed_body

pytestmark = pytest.mark.anyio


def seed_update(qty: int) -> dict[str, Any]:
    """The seed's Winpay update body, buying `qty` of its one product (Rp260.000 each)."""
    body = seed_body()
    body["invoice"]["products"][0]["qty"] = qty
    return body


async def winpay_find(shop: Shop, invoice_id: str) -> dict[str, Any]:
    answer = await shop.winpay("GET", f"/api/find/{invoice_id}")
    assert answer.status_code == 200, answer.text
    data: dict[str, Any] = answer.json()["responseData"]
    return data


async def history(shop: Shop, invoice_id: str) -> list[str]:
    revisions = await shop.runtime.invoices.revisions(shop.merchant.merchant.id, invoice_id)
    return [revision.action for revision in revisions]


def callback_jobs(shop: Shop, invoice_id: str) -> int:
    """Rows the payment queued for the merchant's callback (same transaction as the payment)."""
    engine = sa.create_engine(shop.runtime.settings.database_url)
    try:
        with engine.connect() as conn:
            query = sa.select(sa.func.count()).where(jobs.c.invoice_id == invoice_id)
            return int(conn.execute(query).scalar_one())
    finally:
        engine.dispose()


def shown(page: str, css_class: str) -> str:
    found = re.search(rf'class="{css_class}">([^<]*)<', page)
    assert found is not None, css_class
    return found.group(1)


async def test_paying_a_winpay_invoice_shows_the_payment_and_the_way_back(shop: Shop) -> None:
    created = await shop.winpay_invoice()

    page = await shop.pay(created["redirect_url"], "BSI")

    assert page.status_code == 200
    assert "Pembayaran diterima" in page.text
    assert shown(page.text, "channel-paid") == "BSI"
    assert re.fullmatch(r"8\d{15}", shown(page.text, "code"))  # a VA number
    assert shown(page.text, "amount-paid") == "Rp260.000"
    assert '<a class="button" href="https://your-invoice-url.com">' in page.text
    assert "<form" not in page.text
    found = await winpay_find(shop, created["id"])
    assert found["status"] == "PAID"
    payment = found["payment"]
    assert payment["channel"] == "BSI" and payment["code"] == shown(page.text, "code")
    assert (payment["paid_amount"], payment["fee"], payment["nett"]) == (
        "260000",
        "4000",  # BSI's simulated virtual-account fee
        "256000",
    )
    assert await history(shop, created["id"]) == ["created", "paid"]


async def test_a_javascript_back_url_becomes_a_back_button_not_a_link(shop: Shop) -> None:
    created = await shop.winpay_invoice(back_url="javascript:history.back()")
    page = await shop.pay(created["redirect_url"], "QRIS")
    assert '<button type="button" class="button" data-history-back hidden>' in page.text
    assert "javascript:" not in page.text
    assert "data-history-hint>" in page.text  # without JavaScript: say how to go back
    qris = shown(page.text, "code")
    assert qris.startswith("000201010212") and "5303360" in qris and "5406260000" in qris


async def test_a_paylink_v2_payment_returns_to_the_callback_url_with_the_order(
    shop: Shop,
) -> None:
    added = await shop.v2_invoice(callBackUrl="https://merchant.example/return?shop=1")

    page = await shop.pay(added["url"], "stcpay")

    back = re.search(r'<a class="button" href="([^"]+)">', page.text)
    assert back is not None
    assert back.group(1) == (
        "https://merchant.example/return?shop=1&amp;transactionNo="
        f"{added['transactionNo']}&amp;orderNumber=ORDER-1"
    )
    invoice = (await shop.v2("GET", f"/api/getInvoice/{added['transactionNo']}")).json()
    assert invoice["orderStatus"] == "Paid"
    assert invoice["paymentReceipt"]["paymentMethod"] == "stcpay"


async def test_a_paylink_invoice_is_paid_with_no_way_back(shop: Shop) -> None:
    created = await shop.paylink_invoice()

    page = await shop.pay(created["invoicePaymentUrl"] + "?lang=en", "mada")

    assert "Payment received" in page.text and shown(page.text, "channel-paid") == "mada"
    assert "SAR301.00" in shown(page.text, "amount-paid")
    assert "way-back" not in page.text
    got = await shop.paylink("GET", f"/{created['invoiceId']}")
    assert got.json()["status"] == "paid"


async def test_a_post_without_a_valid_token_changes_nothing(shop: Shop) -> None:
    created = await shop.winpay_invoice()
    other = await shop.winpay_invoice("OTHER-1")
    url = created["redirect_url"]
    page = await shop.open(url)
    good = form_fields(page.text)
    other_form = form_fields((await shop.open(other["redirect_url"])).text)
    attempts = [
        {"channel": "BRI", "version": "1"},  # no token at all
        {**good, "csrf_token": "0" * 64, "channel": "BRI"},  # a wrong token
        {**other_form, "channel": "BRI"},  # another invoice's token
        {**good, "csrf_token": "ü" * 64, "channel": "BRI"},  # not even ASCII
        {**good, "channel": "BRI", "csrf_token": ""},  # an empty one
    ]
    for form in attempts:
        answer = await shop.submit(url, form)
        assert answer.status_code == 403, form
        assert "Belum ada yang dibayar" in answer.text
    shop.http.cookies.clear()  # the right token, without the cookie: as a cross-site POST
    answer = await shop.submit(url, {**good, "channel": "BRI"})
    assert answer.status_code == 403

    assert (await winpay_find(shop, created["id"]))["status"] == "UNPAID"
    assert await history(shop, created["id"]) == ["created"]
    assert callback_jobs(shop, created["id"]) == 0


async def test_a_cancelled_invoice_says_so_and_cannot_be_paid(shop: Shop) -> None:
    created = await shop.winpay_invoice()
    url = created["redirect_url"]
    form = form_fields((await shop.open(url)).text)
    deleted = await shop.winpay("DELETE", f"/api/delete/{created['id']}")
    assert deleted.status_code == 200

    page = await shop.open(url + "?lang=en")
    assert page.status_code == 410
    assert "This invoice has been cancelled" in page.text and "<form" not in page.text

    late = await shop.submit(url, {**form, "channel": "BRI"})  # a tab opened before
    assert late.status_code == 303
    assert "cancelled" in (await shop.http.get(late.headers["location"] + "?lang=en")).text
    assert await history(shop, created["id"]) == ["created", "cancelled"]


async def test_an_expired_invoice_refuses_payment_while_winpay_still_says_unpaid(
    shop: Shop,
) -> None:
    actor = Actor(shop.merchant.merchant.id, shop.merchant.winpay.id, "winpay")
    invoice = await shop.runtime.invoices.create_invoice(
        actor,
        InvoiceTerms(
            reference="LATE-1",
            customer=Customer("Delina Prasetya", "082342341"),
            items=[ItemSpec("01002676", 1, 260_000)],
            currency=Currency.of("IDR"),
            back_url="https://shop.example/back",
            expires_at=shop.runtime.now() - timedelta(minutes=1),
        ),
    )
    url = f"/{invoice.checkout_slug}"

    page = await shop.open(url + "?lang=en")
    assert page.status_code == 410
    assert "This invoice has expired" in page.text and "<form" not in page.text

    # Even a well-formed POST with a valid token (as from a tab opened in time) pays nothing.
    tokens = CsrfTokens(shop.runtime.settings.resolve_secret_key())
    nonce = "n" * 43
    shop.http.cookies.set(COOKIE, nonce, path=url)
    form = {"csrf_token": tokens.token(invoice.checkout_slug, nonce), "version": "1"}
    answer = await shop.submit(url, {**form, "channel": "BRI"})
    assert answer.status_code == 303
    assert (await winpay_find(shop, invoice.id))["status"] == "UNPAID"  # DIALECTS.md §1
    assert await history(shop, invoice.id) == ["created"]


@pytest.mark.parametrize("channel", ["", "mada", "BRI<script>", "x" * 500])
async def test_no_channel_or_one_of_another_currency_is_refused_on_the_page(
    shop: Shop, channel: str
) -> None:
    created = await shop.winpay_invoice()
    page = await shop.open(created["redirect_url"])

    answer = await shop.submit(
        created["redirect_url"], {**form_fields(page.text), "channel": channel}
    )

    assert answer.status_code == 400
    assert 'role="alert"' in answer.text and "Pilih metode pembayaran." in answer.text
    assert "<script>" not in answer.text
    assert (await winpay_find(shop, created["id"]))["status"] == "UNPAID"


@pytest.mark.parametrize("version", ["", "x", "²", "-1", "1.0", "9" * 30])
async def test_a_version_that_is_no_number_is_refused_on_the_page(shop: Shop, version: str) -> None:
    created = await shop.winpay_invoice()
    form = form_fields((await shop.open(created["redirect_url"])).text)

    answer = await shop.submit(
        created["redirect_url"], {**form, "version": version, "channel": "BRI"}
    )

    assert answer.status_code == 400
    assert (await winpay_find(shop, created["id"]))["status"] == "UNPAID"


async def test_an_invoice_changed_since_it_was_shown_is_not_paid_blindly(shop: Shop) -> None:
    created = await shop.winpay_invoice()
    url = created["redirect_url"]
    seen = form_fields((await shop.open(url)).text)
    new_body = seed_update(qty=2)
    updated = await shop.winpay("PUT", f"/api/update/{created['id']}", new_body)
    assert updated.status_code == 200

    answer = await shop.submit(url, {**seen, "channel": "BRI"})

    assert answer.status_code == 409
    assert "Tagihan ini berubah" in answer.text and "Bayar Rp520.000" in answer.text
    assert (await winpay_find(shop, created["id"]))["status"] == "UNPAID"
    again = await shop.submit(url, {**form_fields(answer.text), "channel": "BRI"})
    assert again.status_code == 303
    assert (await winpay_find(shop, created["id"]))["payment"]["paid_amount"] == "520000"


async def test_twenty_concurrent_payments_make_one_payment_and_one_callback(shop: Shop) -> None:
    created = await shop.winpay_invoice()
    url = created["redirect_url"]
    form = form_fields((await shop.open(url)).text)
    channels = ["BRI", "QRIS", "OVO", "ALFAMART"] * 5

    answers = await asyncio.gather(
        *(shop.submit(url, {**form, "channel": channel}) for channel in channels)
    )

    assert [answer.status_code for answer in answers] == [303] * 20
    pages = [await shop.http.get(answer.headers["location"]) for answer in answers]
    codes = {shown(page.text, "code") for page in pages}
    assert len(codes) == 1  # winner and losers see the one payment
    found = await winpay_find(shop, created["id"])
    assert found["status"] == "PAID" and found["payment"]["code"] in codes
    assert await history(shop, created["id"]) == ["created", "paid"]
    assert callback_jobs(shop, created["id"]) == 1


async def test_an_update_racing_the_payment_is_refused_or_the_payer_sees_the_change(
    shop: Shop,
) -> None:
    created = await shop.winpay_invoice()
    url = created["redirect_url"]
    form = form_fields((await shop.open(url)).text)
    new_body = seed_update(qty=3)

    paid, updated = await asyncio.gather(
        shop.submit(url, {**form, "channel": "BCA"}),
        shop.winpay("PUT", f"/api/update/{created['id']}", new_body),
    )

    found = await winpay_find(shop, created["id"])
    if paid.status_code == 303:  # the payment was first: the update is refused
        assert updated.json()["responseCode"] == "4000302"
        assert found["status"] == "PAID" and found["payment"]["paid_amount"] == "260000"
        assert await history(shop, created["id"]) == ["created", "paid"]
    else:  # the update was first: the customer is shown the new total, nothing is paid
        assert paid.status_code == 409 and updated.status_code == 200
        assert found["status"] == "UNPAID"
        assert await history(shop, created["id"]) == ["created", "updated"]
