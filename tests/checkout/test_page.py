"""What a customer sees on the checkout page, for invoices from every dialect."""

import re
from datetime import timedelta

import pytest

from invoicegate.checkout.csrf import COOKIE
from invoicegate.domain.invoice import Customer, InvoiceTerms, ItemSpec
from invoicegate.domain.money import Currency
from invoicegate.services.invoices import Actor
from tests.checkout.conftest import Shop, form_fields, path_of

pytestmark = pytest.mark.anyio

RUPIAH_CODES = (
    "BRI BNI MANDIRI PERMATA BSI MUAMALAT BCA CIMB SINARMAS BNC MAYBANK "
    "QRIS OVO DANA SPAY ASTRA INDOMARET ALFAMART"
).split()
PAYLINK_CODES = ["mada", "visaMastercard", "amex", "stcpay", "applepay"]
RLM = "\u200f"  # Babel's Arabic amounts carry right-to-left marks (DIALECTS.md §4)


def channels_offered(page: str) -> list[str]:
    return re.findall(r'name="channel" value="([^"]+)"', page)


def html_tag(page: str) -> str:
    found = re.search(r"<html[^>]*>", page)
    assert found is not None
    return found.group(0)


async def test_a_winpay_invoice_shows_everything_a_customer_needs(shop: Shop) -> None:
    created = await shop.winpay_invoice(
        "INV-77",
        invoice={
            "ref": "INV-77",
            "products": [
                {"name": "Kopi Gayo 250 g", "qty": 2, "price": 130000},
                {"name": "Ongkos kirim", "qty": 1, "price": "15000.00"},
            ],
        },
    )
    assert re.fullmatch(r"http://checkout\.test/[a-z0-9]{11}", created["redirect_url"])

    page = await shop.open(created["redirect_url"])

    assert page.status_code == 200
    assert page.headers["content-type"] == "text/html; charset=utf-8"
    text = page.text
    assert html_tag(text) == '<html lang="id" dir="ltr">'  # rupiah, no Accept-Language
    assert "Toko Delina" in text  # the credential's display name
    assert "Tagihan INV-77" in text
    assert "Delina Prasetya" in text
    row = re.compile(
        r'<th scope="row" class="item-name">Kopi Gayo 250 g</th>\s*'
        r'<td class="num">2</td>\s*<td class="num">Rp130\.000</td>\s*'
        r'<td class="num">Rp260\.000</td>'
    )
    assert row.search(text), text
    assert "Ongkos kirim" in text and "Rp15.000" in text
    assert '<td class="num total">Rp275.000</td>' in text
    assert "Bayar Rp275.000" in text
    # interval 60 minutes: a few milliseconds have passed since
    assert "sisa 59 menit" in text
    assert "WIB" in text
    assert channels_offered(text) == RUPIAH_CODES


async def test_a_sar_invoice_from_the_paylink_api_is_arabic_and_right_to_left(shop: Shop) -> None:
    created = await shop.paylink_invoice(
        items=[{"description": "استشارة", "quantity": 2, "price": 150.5}], totalAmount=301
    )

    page = await shop.open(created["invoicePaymentUrl"])

    assert page.status_code == 200
    text = page.text
    assert html_tag(text) == '<html lang="ar" dir="rtl">'
    assert "فاتورة INV-1001" in text
    assert "Sara Al-Qahtani" in text and "استشارة" in text
    assert f"{RLM}150.50\xa0ر.س.{RLM}" in text
    assert f"{RLM}301.00\xa0ر.س.{RLM}" in text
    assert channels_offered(text) == PAYLINK_CODES
    assert "تاريخ الاستحقاق" in text  # no expiry time: the due date is shown instead


async def test_a_paylink_v2_invoice_has_a_page_too(shop: Shop) -> None:
    added = await shop.v2_invoice()

    page = await shop.open(added["url"], headers={"Accept-Language": "en-GB,en;q=0.9"})

    assert page.status_code == 200
    assert html_tag(page.text) == '<html lang="en" dir="ltr">'
    assert "Invoice ORDER-1" in page.text and "Mohammed Ali" in page.text
    assert "SAR170.00" in page.text and "SAR100.00" in page.text  # Book: 2 x 50.00
    assert channels_offered(page.text) == PAYLINK_CODES


@pytest.mark.parametrize(
    ("query", "accept", "expected"),
    [
        ("", None, "id"),  # the currency's language
        ("", "ar-SA,ar;q=0.9,en;q=0.5", "ar"),  # the browser's best
        ("", "fr-FR, en;q=0.4, ar;q=0.6", "ar"),  # by quality, not by order
        ("", "fr, de", "id"),  # none of ours: the currency's again
        ("", "en;q=0, id;q=0.1", "id"),  # q=0 refuses
        ("?lang=en", "ar", "en"),  # ?lang= beats the browser
        ("?lang=xx", "ar", "ar"),  # an unknown ?lang= is ignored
    ],
)
async def test_the_language_comes_from_lang_then_browser_then_currency(
    shop: Shop, query: str, accept: str | None, expected: str
) -> None:
    created = await shop.winpay_invoice()
    headers = {"Accept-Language": accept} if accept else {}

    page = await shop.open(created["redirect_url"] + query, headers=headers)

    direction = "rtl" if expected == "ar" else "ltr"
    assert html_tag(page.text) == f'<html lang="{expected}" dir="{direction}">'
    links = re.findall(r'<a href="\?lang=(\w+)" hreflang="\w+"', page.text)
    assert sorted(links) == sorted({"id", "en", "ar"} - {expected})


async def test_money_follows_the_page_language(shop: Shop) -> None:
    created = await shop.winpay_invoice()
    url = created["redirect_url"]

    assert "Rp260.000" in (await shop.open(url + "?lang=id")).text
    assert "IDR260,000" in (await shop.open(url + "?lang=en")).text
    assert f"{RLM}260,000\xa0IDR" in (await shop.open(url + "?lang=ar")).text
    assert ",00" not in (await shop.open(url + "?lang=id")).text  # whole rupiah


@pytest.mark.parametrize(
    ("currency", "price", "shown"), [("KWD", 12.345, "KWD12.345"), ("OMR", 1, "OMR1.000")]
)
async def test_three_decimal_currencies_show_three_decimals(
    shop: Shop, currency: str, price: float, shown: str
) -> None:
    created = await shop.paylink_invoice(
        currency=currency,
        items=[{"description": "Service", "quantity": 1, "price": price}],
        totalAmount=price,
    )
    page = await shop.open(created["invoicePaymentUrl"] + "?lang=en")
    assert shown in page.text


async def test_what_merchants_and_customers_typed_is_shown_as_text(shop: Shop) -> None:
    script = "<script>alert(1)</script>"
    evil_name = '"><img src=x onerror=alert(2)>'
    credential = await shop.runtime.merchants.add_winpay_credential(
        shop.merchant.merchant.id, "<b>Toko</b> & Co"
    )
    actor = Actor(shop.merchant.merchant.id, credential.id, "winpay")
    invoice = await shop.runtime.invoices.create_invoice(
        actor,
        InvoiceTerms(
            reference="<i>ref</i>",
            customer=Customer(evil_name, "0812"),
            items=[ItemSpec(script, 1, 10_000)],
            currency=Currency.of("IDR"),
            back_url="https://shop.example/?a=1&b=<2>",
            expires_at=shop.runtime.now() + timedelta(hours=1),
        ),
    )

    page = await shop.open(f"/{invoice.checkout_slug}")

    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text
    assert "&#34;&gt;&lt;img src=x onerror=alert(2)&gt;" in page.text
    assert "&lt;b&gt;Toko&lt;/b&gt; &amp; Co" in page.text
    assert "&lt;i&gt;ref&lt;/i&gt;" in page.text
    for raw in (script, "<img", "<b>", "<i>"):
        assert raw not in page.text


SECURITY_HEADERS = {
    "referrer-policy": "no-referrer",
    "x-content-type-options": "nosniff",
    "cache-control": "no-store",
}


def assert_secured(answer: object) -> None:
    headers = answer.headers  # type: ignore[attr-defined]
    for name, value in SECURITY_HEADERS.items():
        assert headers[name] == value, name
    policy = headers["content-security-policy"]
    assert "frame-ancestors 'none'" in policy
    assert "script-src 'self'" in policy
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy


async def test_every_page_carries_the_security_headers(shop: Shop) -> None:
    created = await shop.winpay_invoice()
    url = created["redirect_url"]
    unpaid = await shop.open(url)
    refused = await shop.submit(url, {"channel": "BRI", "version": "1"})
    not_found = await shop.open("/zzzzzzzzzzz")
    paid = await shop.pay(url, "BRI")
    for answer in (unpaid, refused, not_found, paid):
        assert_secured(answer)
    assert (refused.status_code, not_found.status_code, paid.status_code) == (403, 404, 200)


async def test_the_form_is_bound_to_a_cookie_that_cross_site_posts_do_not_carry(
    shop: Shop,
) -> None:
    created = await shop.winpay_invoice()
    page = await shop.open(created["redirect_url"])
    cookie = page.headers["set-cookie"]
    assert cookie.startswith(f"{COOKIE}=")
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie
    assert f"Path={path_of(created['redirect_url'])}" in cookie


async def test_a_second_tab_keeps_the_first_tabs_form_valid(shop: Shop) -> None:
    created = await shop.winpay_invoice()
    first_tab = await shop.open(created["redirect_url"])
    second_tab = await shop.open(created["redirect_url"])
    assert "set-cookie" not in second_tab.headers  # the browser's nonce is kept

    answer = await shop.submit(
        created["redirect_url"], {**form_fields(first_tab.text), "channel": "BNI"}
    )

    assert answer.status_code == 303
    found = (await shop.winpay("GET", f"/api/find/{created['id']}")).json()["responseData"]
    assert found["status"] == "PAID" and found["payment"]["channel"] == "BNI"


async def test_an_unknown_slug_is_a_404_page_in_the_browsers_language(shop: Shop) -> None:
    page = await shop.open("/abcdefghijk", headers={"Accept-Language": "id"})
    assert page.status_code == 404
    assert page.headers["content-type"] == "text/html; charset=utf-8"
    assert "Tagihan tidak ditemukan" in page.text


@pytest.mark.parametrize("path", ["/ABCDEFGHIJK", "/abcdefghijkl", "/abcdefghij", "/api/nope"])
async def test_paths_that_are_no_slug_stay_the_apis_unknown_routes(shop: Shop, path: str) -> None:
    answer = await shop.http.get(path)
    assert answer.status_code == 404
    assert "text/html" not in answer.headers.get("content-type", "")


async def test_the_page_asks_for_its_assets_from_its_own_origin(shop: Shop) -> None:
    created = await shop.winpay_invoice()
    page = (await shop.open(created["redirect_url"])).text
    for asset in re.findall(r'(?:href|src)="(/checkout/assets/[^"]+)"', page):
        answer = await shop.http.get(asset)
        assert answer.status_code == 200, asset
        assert answer.headers["x-content-type-options"] == "nosniff"
    assert "<script>" not in page and "style=" not in page  # nothing inline: the CSP forbids it
