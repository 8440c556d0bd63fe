"""One merchant speaking all three dialects against the real app (SQLite and PostgreSQL).

For tests that cross dialects: an invoice made in one, read and changed through another.
"""

from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from typing import Any

import anyio
import pytest
from starlette.testclient import TestClient

from invoicegate.app import create_app
from invoicegate.settings import Settings
from tests.conftest import winpay_headers

DIALECTS = ("winpay", "paylink", "paylink_v2")


@dataclass
class Tenant:
    """A merchant's three ways in; `call(dialect, …)` signs the request as that dialect."""

    http: TestClient
    merchant_id: str
    winpay_key: str
    winpay_secret: str
    paylink_key: str
    v2_api_id: str
    v2_secret: str
    native_key: str
    _v2_token: str = ""

    def headers(self, dialect: str) -> dict[str, str]:
        if dialect == "winpay":
            return winpay_headers(self.winpay_key, self.winpay_secret)
        if dialect == "paylink":
            return {"X-API-KEY": self.paylink_key, "Content-Type": "application/json"}
        token = self.native_key if dialect == "native" else self.v2_token()
        return {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}

    def v2_token(self) -> str:
        if not self._v2_token:
            answer = self.http.post(
                "/api/auth", json={"apiId": self.v2_api_id, "secretKey": self.v2_secret}
            )
            assert answer.status_code == 200, answer.text
            self._v2_token = answer.json()["id_token"]
        return self._v2_token

    def call(self, dialect: str, method: str, path: str, body: Any = None) -> Any:
        path = path.replace("{merchant}", self.merchant_id)
        return self.http.request(method, path, json=body, headers=self.headers(dialect))

    @property
    def runtime(self) -> Any:
        return self.http.app.state.runtime  # type: ignore[attr-defined]

    def run(self, job: Callable[[], Awaitable[Any]]) -> Any:
        """Await `job()` on the app's own event loop, as a request handler would."""
        assert self.http.portal is not None, "use the client inside its `with` block"
        return self.http.portal.call(job)


def new_tenant(http: TestClient, name: str) -> Tenant:
    runtime = http.app.state.runtime  # type: ignore[attr-defined]

    async def make() -> Any:
        return await runtime.merchants.create_merchant(name)

    made = anyio.run(make)
    return Tenant(
        http,
        made.merchant.id,
        made.winpay.public_id,
        made.winpay.secret,
        made.paylink.secret,
        made.paylink_v2.credential.public_id,
        made.paylink_v2.secret,
        made.native.secret,
    )


@pytest.fixture
def app_client(settings: Settings) -> Iterator[TestClient]:
    """The whole app on SQLite, then on PostgreSQL."""
    with TestClient(create_app(settings)) as http:
        yield http


@pytest.fixture
def tenant(app_client: TestClient) -> Tenant:
    return new_tenant(app_client, "Acme")


# Where each dialect creates an invoice, and a body that it accepts (IDR 260000, or SAR
# 2,600.00 where the dialect speaks SAR): tests change one field at a time.
CREATE_PATHS = {
    "winpay": "/api/create",
    "paylink": "/api/merchants/{merchant}/invoices",
    "paylink_v2": "/api/addInvoice",
    "native": "/v1/invoices",
}
MAJOR = {"IDR": 260000, "SAR": 2600}


def create_body(dialect: str, ref: str, currency: str = "IDR") -> dict[str, Any]:
    amount = MAJOR[currency]
    if dialect == "winpay":
        return {
            "customer": {"name": "Delina", "email": "d@example.com", "phone": "082342341"},
            "invoice": {"ref": ref, "products": [{"name": "Kopi", "qty": 1, "price": amount}]},
            "back_url": "https://shop.example/back",
            "interval": 60,
        }
    if dialect == "paylink":
        return {
            "invoiceNumber": ref,
            "dueDate": "2030-01-31",
            "items": [{"description": "Kopi", "quantity": 1, "price": amount}],
            "totalAmount": amount,
            "currency": currency,
            "customerInfo": {"customerName": "Sara", "customerPhone": "966500000001"},
            "callbackUrl": "https://shop.example/paid",
        }
    if dialect == "paylink_v2":
        return {
            "orderNumber": ref,
            "amount": amount,
            "currency": currency,
            "callBackUrl": "https://shop.example/paid",
            "cancelUrl": "https://shop.example/back",
            "clientName": "Mohammed",
            "clientMobile": "0500000000",
            "clientEmail": "m@example.com",
            "note": "a note",
            "smsMessage": "a message",
            "supportedCardBrands": ["mada"],
            "products": [
                {
                    "title": "Kopi",
                    "price": amount,
                    "qty": 1,
                    "description": "hot",
                    "imageSrc": "https://shop.example/kopi.png",
                }
            ],
        }
    return {
        "reference": ref,
        "customer": {"name": "Delina", "email": "d@example.com", "phone": "082342341"},
        "items": [
            {
                "name": "Kopi",
                "quantity": 1,
                "unit_price": amount * 100 if currency == "SAR" else amount,
            }
        ],
        "currency": currency,
        "back_url": "https://shop.example/back",
    }


def created_id(dialect: str, answer: Any) -> str:
    """The new invoice's id from a create answer, asserting it succeeded."""
    assert answer.status_code in (200, 201), answer.text
    body = answer.json()
    if dialect == "winpay":
        return str(body["responseData"]["id"])
    return str(body.get("invoiceId") or body.get("transactionNo") or body["id"])
