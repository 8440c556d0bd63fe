"""Native webhooks, the Standard Webhooks way: who gets a message, its envelope, its signature
(checked with the spec's own test vector and the `standardwebhooks` receiver), 2xx and 410."""

import base64
import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from standardwebhooks import Webhook, WebhookVerificationError

from invoicegate.dialects.native.webhooks import NativeWebhooks, message_id, sign
from invoicegate.domain.callbacks import CallbackJob, CallbackState
from invoicegate.domain.events import EVENT_TYPES, InvoiceEvent
from invoicegate.domain.invoice import Customer, InvoiceTerms, ItemSpec, new_invoice
from invoicegate.domain.merchant import Merchant
from invoicegate.domain.money import Currency
from invoicegate.domain.webhooks import WebhookEndpoint
from invoicegate.services.webhooks import new_secret
from tests.unit.fakes import FakeStore, FakeUnitOfWork

T0 = datetime(2025, 3, 4, 5, 6, 7, tzinfo=UTC)
PUBLIC = "https://pay.test"


def test_the_signature_matches_the_specs_test_vector() -> None:
    # From the Standard Webhooks specification (and its reference libraries' tests).
    signature = sign(
        "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
        "msg_p5jXN8AQM9LWM0D4loKWxJek",
        "1614265330",
        '{"test": 2432232314}',
    )
    assert signature == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="


def test_a_new_secret_is_whsec_and_24_random_bytes_or_more() -> None:
    secrets = {new_secret() for _ in range(50)}
    assert len(secrets) == 50
    for secret in secrets:
        assert secret.startswith("whsec_")
        assert len(base64.b64decode(secret.removeprefix("whsec_"), validate=True)) >= 24


def endpoint(
    number: int, events: tuple[str, ...] = EVENT_TYPES, **changes: object
) -> WebhookEndpoint:
    made = WebhookEndpoint(
        id=f"ep-{number}",
        merchant_id="m-1",
        url=f"https://shop.test/hook/{number}",
        events=events,
        description=None,
        enabled=True,
        secret=new_secret(),
        created_at=T0,
        updated_at=T0,
    )
    return replace(made, **changes)  # type: ignore[arg-type]


def world(*endpoints: WebhookEndpoint) -> FakeUnitOfWork:
    store = FakeStore()
    store.state.merchants["m-1"] = Merchant("m-1", "Shop", T0)
    store.state.merchants["m-2"] = Merchant("m-2", "Other", T0)
    uow = FakeUnitOfWork(store)
    for made in endpoints:
        uow.webhooks.add(made)
    return uow


def created_event(merchant_id: str = "m-1") -> InvoiceEvent:
    terms = InvoiceTerms(
        reference="INV-9",
        customer=Customer("Budi", "0812"),
        items=[ItemSpec("Tea", 2, 15_000)],
        currency=Currency.of("IDR"),
        expires_at=T0 + timedelta(days=1),
    )
    invoice = new_invoice(
        terms,
        invoice_id="inv-1",
        merchant_id=merchant_id,
        credential_id=None,
        checkout_slug="abcdefghijk",
        now=T0,
        new_id=lambda: "item-1",
    )
    [event] = invoice.events
    return event


def test_one_job_per_enabled_endpoint_subscribed_to_the_type() -> None:
    uow = world(
        endpoint(1),
        endpoint(2, ("invoice.paid",)),
        endpoint(3, enabled=False),
        endpoint(4, merchant_id="m-2"),
        endpoint(5, ("invoice.created", "invoice.expired")),
    )
    jobs = NativeWebhooks(PUBLIC).jobs_for(created_event(), None, uow)  # type: ignore[arg-type]
    assert [(j.destination_id, j.url) for j in jobs] == [
        ("ep-1", "https://shop.test/hook/1"),
        ("ep-5", "https://shop.test/hook/5"),
    ]
    assert {(j.dialect, j.topic, j.invoice_id, j.merchant_id) for j in jobs} == {
        ("native", "invoice.created", "inv-1", "m-1")
    }
    body = json.loads(jobs[0].body)
    assert set(body) == {"type", "timestamp", "data"}
    assert (body["type"], body["timestamp"]) == ("invoice.created", "2025-03-04T05:06:07Z")
    data = body["data"]
    assert (data["id"], data["status"], data["version"], data["total"]) == (
        "inv-1",
        "unpaid",
        1,
        30000,
    )
    assert data["checkout_url"] == "https://pay.test/abcdefghijk"
    assert data["expired"] is False


def test_no_endpoint_no_job() -> None:
    assert NativeWebhooks(PUBLIC).jobs_for(created_event(), None, world()) == []  # type: ignore[arg-type]


def job_for(made: WebhookEndpoint, body: str = '{"type":"invoice.paid"}') -> CallbackJob:
    return CallbackJob(
        id=42,
        topic="invoice.paid",
        invoice_id="inv-1",
        merchant_id="m-1",
        dialect="native",
        destination_id=made.id,
        url=made.url,
        body=body,
        state=CallbackState.PENDING,
        attempts=1,
        next_attempt_at=T0,
        created_at=T0,
    )


def test_every_attempt_is_signed_at_its_time_with_the_same_message_id() -> None:
    made = endpoint(1)
    uow = world(made)
    fmt = NativeWebhooks(PUBLIC)
    job = job_for(made)
    key = fmt.signing_key(job, uow)  # type: ignore[arg-type]
    assert key == made.secret
    now = datetime.now(UTC)
    first = fmt.headers(job, key, now - timedelta(seconds=30))
    second = fmt.headers(job, key, now)
    assert first["webhook-id"] == second["webhook-id"] == message_id(job)
    assert int(second["webhook-timestamp"]) == int(now.timestamp())
    assert first["webhook-signature"] != second["webhook-signature"]
    # The receiver's side: the reference library accepts it, as sent.
    receiver = Webhook(made.secret)
    assert receiver.verify(job.body, second) == {"type": "invoice.paid"}
    with pytest.raises(WebhookVerificationError):
        receiver.verify(job.body + " ", second)
    with pytest.raises(WebhookVerificationError):
        Webhook(new_secret()).verify(job.body, second)


def test_a_deleted_or_disabled_endpoint_has_no_key_so_nothing_is_sent() -> None:
    fmt = NativeWebhooks(PUBLIC)
    off = endpoint(1, enabled=False)
    assert fmt.requires_key is True
    assert fmt.signing_key(job_for(off), world(off)) is None  # type: ignore[arg-type]
    assert fmt.signing_key(job_for(off), world()) is None  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("status", "acknowledged", "gone"),
    [(200, True, False), (204, True, False), (299, True, False), (301, False, False),
     (400, False, False), (404, False, False), (410, False, True), (500, False, False)],
)  # fmt: skip
def test_any_2xx_acknowledges_and_410_means_gone(
    status: int, acknowledged: bool, gone: bool
) -> None:
    fmt = NativeWebhooks(PUBLIC)
    assert fmt.acknowledged(status, b"") is acknowledged
    assert fmt.gone(status) is gone


def test_a_gone_endpoint_is_disabled_with_the_reason() -> None:
    made = endpoint(1)
    uow = world(made)
    NativeWebhooks(PUBLIC).destination_gone(job_for(made), uow, T0)  # type: ignore[arg-type]
    stored = uow.webhooks.get("ep-1")
    assert stored is not None
    assert (stored.enabled, stored.disabled_reason) == (False, "the endpoint answered 410 Gone")
    assert uow.webhooks.subscribed("m-1", "invoice.paid") == []
