"""A Paylink merchant-API client against the real app (ASGI, real database) per merchant."""

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import anyio
import pytest
from starlette.testclient import TestClient

from invoicegate.app import create_app
from invoicegate.settings import Settings


@dataclass
class PaylinkClient:
    http: TestClient
    merchant_id: str
    api_key: str

    def call(self, method: str, path: str, body: Any = None, **kwargs: Any) -> Any:
        headers = {"X-API-KEY": self.api_key, "Content-Type": "application/json"}
        headers.update(kwargs.pop("headers", {}))
        if isinstance(body, bytes | str):
            kwargs["content"] = body
        elif body is not None:
            kwargs["json"] = body
        url = f"/api/merchants/{self.merchant_id}/invoices{path}"
        return self.http.request(method, url, headers=headers, **kwargs)

    def create(self, **changes: Any) -> dict[str, Any]:
        answer = self.call("POST", "", create_body(**changes))
        assert answer.status_code == 201, answer.text
        created: dict[str, Any] = answer.json()
        return created


def seed_update_body() -> dict[str, Any]:
    """The seed's update request, verbatim (shared/seeds/paylink-update-invoice.txt)."""
    return {
        "items": [
            {"description": "Web Development Services", "quantity": 1, "price": 5000},
            {"description": "Hosting Services", "quantity": 1, "price": 200},
        ],
        "totalAmount": 5200,
        "dueDate": "2024-07-31",
        "currency": "SAR",
    }


def create_body(number: str = "INV-1001", **changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "invoiceNumber": number,
        "dueDate": "2024-07-15",
        "items": [{"description": "Consulting", "quantity": 2, "price": 150.5}],
        "totalAmount": 301,
        "currency": "SAR",
        "customerInfo": {"customerName": "Sara Al-Qahtani", "customerPhone": "966500000001"},
        "callbackUrl": "https://merchant.example/paylink/callback",
    }
    body.update(changes)
    return body


def new_merchant(app: Any, name: str) -> Any:
    runtime = app.state.runtime

    async def make() -> Any:
        return await runtime.merchants.create_merchant(name)

    return anyio.run(make)


@pytest.fixture
def paylink_app(settings: Settings) -> Iterator[TestClient]:
    """The app on SQLite and on PostgreSQL (the `settings` fixture runs both)."""
    with TestClient(create_app(settings)) as http:
        yield http


@pytest.fixture
def paylink(paylink_app: TestClient) -> PaylinkClient:
    onboarded = new_merchant(paylink_app.app, "Acme")
    return PaylinkClient(paylink_app, onboarded.merchant.id, onboarded.paylink.secret)


@pytest.fixture
def other_paylink(paylink_app: TestClient) -> PaylinkClient:
    onboarded = new_merchant(paylink_app.app, "Other")
    return PaylinkClient(paylink_app, onboarded.merchant.id, onboarded.paylink.secret)
