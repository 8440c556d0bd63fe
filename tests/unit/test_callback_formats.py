"""Each dialect's callback, key for key: which paid invoice gets one, where it goes, its exact
payload (DIALECTS.md §1, §2, §3), its signature, and which answer acknowledges it."""

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from invoicegate.dialects.paylink.callback import PaylinkCallback
from invoicegate.dialects.paylink_v2.callback import PaylinkV2Callback
from invoicegate.dialects.winpay.callback import WinpayCallback
from invoicegate.dialects.winpay.signature import verify
from invoicegate.domain.callbacks import CallbackJob, CallbackState, NewCallbackJob
from invoicegate.domain.events import InvoicePaid
from invoicegate.domain.invoice import (
    Customer,
    Invoice,
    InvoiceTerms,
    ItemSpec,
    Payment,
    new_invoice,
)
from invoicegate.domain.merchant import Credential
from invoicegate.domain.money import Currency
from invoicegate.services.callbacks import CallbackFormat

T0 = datetime(2025, 3, 4, 5, 6, 7, tzinfo=UTC)
PUBLIC = "https://pay.test"


def credential(dialect: str, callback_url: str | None = "https://shop.test/cb") -> Credential:
    return Credential(
        id=f"cred-{dialect}",
        merchant_id="m-1",
        dialect=dialect,
        public_id=f"key-{dialect}",
        secret="s3cret" if dialect == "winpay" else None,
        secret_hash=None,
        display_name="Shop",
        callback_url=callback_url,
        created_at=T0,
    )


ITEMS = [ItemSpec("Tea", 2, 15_000), ItemSpec("Cake", 1, 30_050)]


def paid(
    currency: str = "IDR", callback_url: str | None = None, items: list[ItemSpec] = ITEMS
) -> Invoice:
    code = Currency.of(currency)
    terms = InvoiceTerms(
        reference="INV-9",
        customer=Customer("Budi", "0812", "budi@example.com"),
        items=items,
        currency=code,
        callback_url=callback_url,
    )
    invoice = new_invoice(
        terms,
        invoice_id="inv-1",
        merchant_id="m-1",
        credential_id="cred",
        checkout_slug="abcdefghijk",
        now=T0,
        new_id=iter(["item-1", "item-2"]).__next__,
    )
    payment = Payment("pay-1", "BSI", "CODE1", "payref1", invoice.total, 2_500, T0)
    return invoice.paid(payment, T0 + timedelta(minutes=1))


def event_of(invoice: Invoice) -> InvoicePaid:
    [event] = invoice.events
    assert isinstance(event, InvoicePaid)
    return event


def only_job(fmt: CallbackFormat, invoice: Invoice, origin: Credential | None) -> NewCallbackJob:
    [job] = fmt.jobs_for(event_of(invoice), origin, uow=None)  # type: ignore[arg-type]
    return job


def body(job: NewCallbackJob) -> Any:
    return json.loads(job.body)


def claimed(job: NewCallbackJob) -> CallbackJob:
    return CallbackJob(
        1, job.topic, job.invoice_id, job.merchant_id, job.dialect, job.destination_id,
        job.url, job.body, CallbackState.PENDING, 1, T0, T0,
    )  # fmt: skip


# --- Winpay (§1) ----------------------------------------------------------------------------


def test_winpay_payload_is_exactly_the_documented_one() -> None:
    invoice = paid()
    job = only_job(WinpayCallback(PUBLIC), invoice, credential("winpay"))
    assert (job.url, job.dialect, job.destination_id) == (
        "https://shop.test/cb",
        "winpay",
        "cred-winpay",
    )
    assert (job.topic, job.invoice_id, job.merchant_id) == ("invoice.paid", "inv-1", "m-1")
    assert body(job) == {
        "uuid": "pay-1",
        "created_at": "2025-03-04T12:06:07+07:00",
        "ref": "payref1",
        "channel": "BSI",
        "amount": 60_050,
        "fee": 2_500,
        "nett_amount": 57_550,
        "products": [
            {"name": "Tea", "qty": 2, "price": 15_000},
            {"name": "Cake", "qty": 1, "price": 30_050},
        ],
        "invoice": {
            "uuid": "inv-1",
            "ref": "INV-9",
            "url": "https://pay.test/abcdefghijk",
            "customer": {"name": "Budi", "email": "budi@example.com", "phone": "0812"},
        },
    }
    for key in ("amount", "fee", "nett_amount"):
        assert type(body(job)[key]) is int


def test_winpay_callback_is_signed_like_a_request_at_send_time() -> None:
    fmt = WinpayCallback(PUBLIC)
    job = claimed(only_job(fmt, paid(), credential("winpay")))
    now = datetime.now(UTC)
    headers = fmt.headers(job, "s3cret", now)
    assert set(headers) == {"X-Winpay-Timestamp", "X-Winpay-Signature"}
    assert headers["X-Winpay-Timestamp"].endswith("+07:00")
    assert verify("s3cret", headers["X-Winpay-Timestamp"], headers["X-Winpay-Signature"],
                  now=now, tolerance_seconds=1)  # fmt: skip
    assert not verify("other", headers["X-Winpay-Timestamp"], headers["X-Winpay-Signature"],
                      now=now, tolerance_seconds=1)  # fmt: skip


@pytest.mark.parametrize(
    ("status", "answer", "accepted"),
    [
        (200, b"ACCEPTED", True),
        (200, b"  ACCEPTED\r\n", True),
        (500, b"ACCEPTED", True),  # §1: the body decides
        (200, b"accepted", False),
        (200, b"OK", False),
        (200, b"", False),
        (200, b'{"status":"ACCEPTED"}', False),
        (200, b"ACCEPTED.", False),
    ],
)
def test_winpay_only_the_body_accepted_acknowledges(
    status: int, answer: bytes, accepted: bool
) -> None:
    assert WinpayCallback(PUBLIC).acknowledged(status, answer) is accepted


def test_winpay_needs_a_winpay_credential_with_a_callback_url() -> None:
    fmt = WinpayCallback(PUBLIC)
    event = event_of(paid())
    for origin in (None, credential("winpay", None), credential("paylink_v2")):
        assert fmt.jobs_for(event, origin, uow=None) == []  # type: ignore[arg-type]


# --- Paylink merchant invoices API (§2) -----------------------------------------------------


def test_paylink_posts_the_invoice_as_get_shows_it_to_its_callback_url() -> None:
    invoice = paid("SAR", callback_url="https://shop.test/paylink?order=9")
    job = only_job(PaylinkCallback(PUBLIC), invoice, credential("paylink"))
    assert job.url == "https://shop.test/paylink?order=9"
    assert body(job) == {
        "invoiceId": "inv-1",
        "merchantId": "m-1",
        "invoiceNumber": "INV-9",
        "date": "2025-03-04",
        "dueDate": None,
        "items": [
            {"description": "Tea", "quantity": 2, "price": 150},
            {"description": "Cake", "quantity": 1, "price": 300.5},
        ],
        "totalAmount": 600.5,
        "currency": "SAR",
        "customerInfo": {"customerName": "Budi", "customerPhone": "0812"},
        "invoicePaymentUrl": "https://pay.test/abcdefghijk",
        "callbackUrl": "https://shop.test/paylink?order=9",
        "status": "paid",
    }


def test_paylink_without_a_callback_url_gets_no_job() -> None:
    invoice = paid("SAR")
    event = event_of(invoice)
    assert PaylinkCallback(PUBLIC).jobs_for(event, credential("paylink"), uow=None) == []  # type: ignore[arg-type]


@pytest.mark.parametrize(("status", "accepted"), [(200, True), (201, True), (204, True),
                                                  (299, True), (301, False), (404, False),
                                                  (500, False)])  # fmt: skip
def test_paylink_any_2xx_acknowledges(status: int, accepted: bool) -> None:
    assert PaylinkCallback(PUBLIC).acknowledged(status, b"") is accepted


# --- Paylink v2 (§3) ------------------------------------------------------------------------


def test_paylink_v2_webhook_is_exactly_the_documented_one() -> None:
    invoice = paid("SAR", callback_url="https://shop.test/return")  # the browser's way back
    job = only_job(PaylinkV2Callback(), invoice, credential("paylink_v2", "https://shop.test/hook"))
    assert job.url == "https://shop.test/hook"  # the merchant's webhook URL, not callBackUrl
    assert body(job) == {
        "amount": 600.5,
        "merchantEmail": None,
        "transactionNo": "inv-1",
        "merchantOrderNumber": "INV-9",
        "orderStatus": "Paid",
    }


def test_paylink_v2_amount_is_a_json_float_even_when_whole() -> None:
    whole = paid("SAR", items=[ItemSpec("Tea", 1, 52_000)])  # 520.00 SAR
    job = only_job(PaylinkV2Callback(), whole, credential("paylink_v2"))
    assert '"amount":520.0,' in job.body
    assert isinstance(body(job)["amount"], float)


@pytest.mark.parametrize(("status", "accepted"), [(200, True), (201, False), (204, False),
                                                  (500, False)])  # fmt: skip
def test_paylink_v2_only_200_acknowledges(status: int, accepted: bool) -> None:
    assert PaylinkV2Callback().acknowledged(status, b"") is accepted


def test_every_format_declares_its_retry_count() -> None:
    assert WinpayCallback(PUBLIC).max_retries == 3
    assert PaylinkCallback(PUBLIC).max_retries == 10
    assert PaylinkV2Callback().max_retries == 10


def test_a_dialect_ignores_invoices_another_dialect_created() -> None:
    event = event_of(paid("SAR", callback_url="https://shop.test/cb"))
    formats: list[CallbackFormat] = [WinpayCallback(PUBLIC), PaylinkCallback(PUBLIC),
                                     PaylinkV2Callback()]  # fmt: skip
    for origin in ("winpay", "paylink", "paylink_v2"):
        made = [f.dialect for f in formats for _ in f.jobs_for(event, credential(origin), None)]  # type: ignore[arg-type]
        assert made == [origin]
