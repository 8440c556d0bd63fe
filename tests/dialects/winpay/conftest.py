"""A Winpay client against the real app (ASGI, real SQLite file) with a fresh merchant.

Besides the fixtures, this holds what every contract test reads the wire with: the formats
of DIALECTS.md §1 as regexes, signed headers for any timestamp, and a strict check of the
error envelope.
"""

import re
import uuid
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from functools import partial
from typing import Any

import anyio
import pytest
from starlette.testclient import TestClient

from invoicegate.app import create_app
from invoicegate.dialects.winpay.signature import sign
from invoicegate.domain.invoice import Invoice, Revision
from invoicegate.services.invoices import Actor
from invoicegate.settings import Settings
from tests.conftest import winpay_headers

PUBLIC_URL = "http://checkout.test"  # tests.conftest.make_settings
JAKARTA = timezone(timedelta(hours=7))
RESPONSE_DATE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+07:00$")
CREATED_AT = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$")
REDIRECT_URL = re.compile(r"^http://checkout\.test/[a-z0-9]{11}$")
ENVELOPE_KEYS = {"responseCode", "responseMessage", "responseDate", "responseData"}


def is_uuid4(value: Any) -> bool:
    """A canonical lowercase UUIDv4 string, as Winpay hands out."""
    if not isinstance(value, str):
        return False
    try:
        parsed = uuid.UUID(value)
    except ValueError:
        return False
    return parsed.version == 4 and str(parsed) == value


def timestamp(seconds_from_now: float = 0, tz: tzinfo = JAKARTA) -> str:
    """An `X-Winpay-Timestamp` value: now (shifted), ISO-8601 in the given offset."""
    moment = datetime.now(UTC) + timedelta(seconds=seconds_from_now)
    return moment.astimezone(tz).isoformat(timespec="seconds")


def signed(key: str, secret: str, stamp: str, **extra: str) -> dict[str, str]:
    """The three auth headers for exactly this timestamp string, plus any extra headers."""
    return {
        "X-Winpay-Key": key,
        "X-Winpay-Timestamp": stamp,
        "X-Winpay-Signature": sign(secret, stamp),
        **extra,
    }


def expect_error(answer: Any, status: int, code: str, message: str) -> list[Any]:
    """Assert a Winpay error envelope, exactly; returns responseData (always a list)."""
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"] == "application/json"
    body = answer.json()
    assert set(body) == ENVELOPE_KEYS
    assert body["responseCode"] == code  # a JSON string: clients compare with ===
    assert body["responseMessage"] == message
    assert RESPONSE_DATE.match(body["responseDate"])
    assert isinstance(body["responseData"], list)
    data: list[Any] = body["responseData"]
    return data


def expect_invalid(answer: Any) -> list[str]:
    """Assert 400 "4000301" and return its messages (one string per bad field)."""
    messages = expect_error(answer, 400, "4000301", "Invalid Parameters")
    assert messages and all(isinstance(m, str) for m in messages), messages
    return messages


@dataclass
class WinpayClient:
    http: TestClient
    key: str
    secret: str
    merchant_id: str

    def headers(self) -> dict[str, str]:
        return winpay_headers(self.key, self.secret)

    def call(self, method: str, path: str, body: Any = None, **kwargs: Any) -> Any:
        headers = kwargs.pop("headers", None) or self.headers()
        if body is not None and not isinstance(body, bytes | str):
            kwargs["json"] = body
        elif body is not None:
            kwargs["content"] = body
        return self.http.request(method, path, headers=headers, **kwargs)

    # --- shortcuts for the calls most tests make first ----------------------------------

    def create(self, ref: str = "111130", **changes: Any) -> dict[str, Any]:
        """POST /api/create, asserting 201; returns responseData."""
        answer = self.call("POST", "/api/create", create_body(ref, **changes))
        assert answer.status_code == 201, answer.text
        data: dict[str, Any] = answer.json()["responseData"]
        return data

    def find(self, invoice_id: str) -> dict[str, Any]:
        """GET /api/find/{id}, asserting 200; returns responseData."""
        answer = self.call("GET", f"/api/find/{invoice_id}")
        assert answer.status_code == 200, answer.text
        data: dict[str, Any] = answer.json()["responseData"]
        return data

    # --- the runtime underneath, for what no Winpay call can do -------------------------

    @property
    def runtime(self) -> Any:
        app: Any = self.http.app
        return app.state.runtime

    def run(self, call: Callable[[], Awaitable[Any]]) -> Any:
        """Await `call()` on the app's own event loop, as a request handler would."""

        async def go() -> Any:
            return await call()

        assert self.http.portal is not None, "use the client inside its `with` block"
        return self.http.portal.call(go)

    def pay(self, invoice_id: str, **kwargs: Any) -> Invoice:
        """Mark the invoice paid, as a completed checkout would."""
        paid: Invoice = self.run(partial(self.runtime.payments.pay_invoice, invoice_id, **kwargs))
        return paid

    def revisions(self, invoice_id: str) -> list[Revision]:
        history: list[Revision] = self.run(
            partial(self.runtime.invoices.revisions, self.merchant_id, invoice_id)
        )
        return history

    def stored(self, invoice_id: str) -> Invoice:
        """The invoice as the core holds it (for facts the wire does not show, like expiry)."""
        found: Invoice = self.run(
            partial(self.runtime.invoices.find_invoice, self.actor(), invoice_id)
        )
        return found

    def actor(self) -> Actor:
        """The merchant as the core sees it, in every currency (for what the wire hides)."""
        return Actor(self.merchant_id, None, "test")

    def credential_id(self) -> str:
        credential = self.run(partial(self.runtime.credentials.get, "winpay", self.key))
        assert credential is not None
        return str(credential.id)

    def state(self, invoice_id: str) -> tuple[dict[str, Any], int]:
        """What a client sees of the invoice, and how many revisions it has."""
        return self.find(invoice_id), len(self.revisions(invoice_id))


def seed_body(ref: str = "111130", **changes: Any) -> dict[str, Any]:
    """The seed's Update Invoice request sample (shared/seeds/winpay-update-invoice.txt)."""
    body: dict[str, Any] = {
        "customer": {"name": "Delina Prasetya", "email": "[email protected]", "phone": "082342341"},
        "invoice": {"ref": ref, "products": [{"name": "01002676", "qty": 1, "price": 260000}]},
        "back_url": "https://your-invoice-url.com",
    }
    body.update(changes)
    return body


def create_body(ref: str = "111130", interval: int = 60, **changes: Any) -> dict[str, Any]:
    return {**seed_body(ref, **changes), "interval": interval}


def _new_merchant(app: Any, name: str) -> tuple[str, str, str]:
    runtime = app.state.runtime

    async def make() -> Any:
        return await runtime.merchants.create_merchant(name)

    onboarded = anyio.run(make)
    return onboarded.merchant.id, onboarded.winpay.public_id, onboarded.winpay.secret


@pytest.fixture
def winpay(sqlite_settings: Settings) -> Iterator[WinpayClient]:
    app = create_app(sqlite_settings)
    with TestClient(app) as http:
        merchant_id, key, secret = _new_merchant(app, "Acme")
        yield WinpayClient(http, key, secret, merchant_id)


@pytest.fixture
def other_merchant(winpay: WinpayClient) -> WinpayClient:
    """A second merchant on the same service."""
    merchant_id, key, secret = _new_merchant(winpay.http.app, "Other")
    return WinpayClient(winpay.http, key, secret, merchant_id)
