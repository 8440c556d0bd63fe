"""A Paylink v2 client (auth → bearer token) against the real app, one per merchant."""

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import anyio
import pytest
from starlette.testclient import TestClient

from invoicegate.app import create_app
from invoicegate.settings import Settings


@dataclass
class V2Client:
    http: TestClient
    merchant_id: str
    api_id: str
    secret_key: str
    paylink_api_key: str
    token: str = ""

    def authenticate(self, persist: bool = False) -> Any:
        answer = self.http.post(
            "/api/auth",
            json={"apiId": self.api_id, "secretKey": self.secret_key, "persistToken": persist},
        )
        if answer.status_code == 200:
            self.token = answer.json()["id_token"]
        return answer

    def call(self, method: str, path: str, body: Any = None, token: str | None = None) -> Any:
        if not self.token and token is None:
            self.authenticate()
        headers = {"Authorization": f"Bearer {self.token if token is None else token}"}
        return self.http.request(method, path, json=body, headers=headers)

    def add(self, **changes: Any) -> dict[str, Any]:
        answer = self.call("POST", "/api/addInvoice", add_body(**changes))
        assert answer.status_code == 200, answer.text
        added: dict[str, Any] = answer.json()
        return added


def add_body(**changes: Any) -> dict[str, Any]:
    """An addInvoice body as paylink-package 1.0.7 sends it: every optional key, null if unset."""
    body: dict[str, Any] = {
        "amount": 170.0,
        "callBackUrl": "https://merchant.example/return",
        "cancelUrl": None,
        "clientEmail": "client@example.com",
        "clientMobile": "0500000000",
        "currency": None,
        "clientName": "Mohammed Ali",
        "note": "Test invoice",
        "orderNumber": "ORDER-1",
        "products": [
            {
                "title": "Book",
                "price": 50.0,
                "qty": 2,
                "description": None,
                "isDigital": False,
                "imageSrc": None,
                "specificVat": None,
                "productCost": None,
            },
            {
                "title": "Pen",
                "price": 70.0,
                "qty": 1,
                "description": "blue",
                "isDigital": False,
                "imageSrc": None,
                "specificVat": None,
                "productCost": None,
            },
        ],
        "smsMessage": None,
        "supportedCardBrands": None,
        "displayPending": True,
    }
    body.update(changes)
    return body


def new_client(http: TestClient, name: str) -> V2Client:
    runtime = http.app.state.runtime  # type: ignore[attr-defined]

    async def make() -> Any:
        return await runtime.merchants.create_merchant(name)

    onboarded = anyio.run(make)
    return V2Client(
        http,
        onboarded.merchant.id,
        onboarded.paylink_v2.credential.public_id,
        onboarded.paylink_v2.secret,
        onboarded.paylink.secret,
    )


@pytest.fixture
def v2_app(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings)) as http:
        yield http


@pytest.fixture
def v2(v2_app: TestClient) -> V2Client:
    return new_client(v2_app, "Acme")


@pytest.fixture
def other_v2(v2_app: TestClient) -> V2Client:
    return new_client(v2_app, "Other")
