"""A native API client against the real app (ASGI, real database), one per merchant."""

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import anyio
import httpx
import pytest
from starlette.testclient import TestClient

from invoicegate.app import create_app
from invoicegate.runtime import Runtime
from invoicegate.services.merchants import Onboarded
from invoicegate.settings import Settings


def create_body(reference: str = "INV-1", **changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "reference": reference,
        "customer": {
            "name": "Delina Prasetya",
            "email": "delina@example.com",
            "phone": "082342341",
        },
        "items": [{"name": "01002676", "quantity": 1, "unit_price": 260000}],
        "currency": "IDR",
        "back_url": "https://your-invoice-url.com",
    }
    body.update(changes)
    return body


def paylink_body(number: str, price: float = 150.5, quantity: int = 2) -> dict[str, Any]:
    """A Paylink merchant-API create body (the other dialects' invoices are readable here)."""
    return {
        "invoiceNumber": number,
        "dueDate": "2030-07-15",
        "items": [{"description": "Consulting", "quantity": quantity, "price": price}],
        "totalAmount": price * quantity,
        "currency": "SAR",
        "customerInfo": {"customerName": "Sara", "customerPhone": "966500000001"},
    }


@dataclass
class NativeClient:
    http: TestClient
    onboarded: Onboarded

    @property
    def merchant_id(self) -> str:
        return self.onboarded.merchant.id

    @property
    def api_key(self) -> str:
        return self.onboarded.native.secret

    @property
    def runtime(self) -> Runtime:
        runtime: Runtime = self.http.app.state.runtime  # type: ignore[attr-defined]
        return runtime

    def call(self, method: str, path: str, body: Any = None, **kwargs: Any) -> httpx.Response:
        headers = {"Authorization": f"Bearer {self.api_key}"}
        headers.update(kwargs.pop("headers", {}))
        if isinstance(body, bytes | str):
            kwargs["content"] = body
        elif body is not None:
            kwargs["json"] = body
        return self.http.request(method, f"/v1{path}", headers=headers, **kwargs)

    def create(self, reference: str = "INV-1", **changes: Any) -> dict[str, Any]:
        answer = self.call("POST", "/invoices", create_body(reference, **changes))
        assert answer.status_code == 201, answer.text
        created: dict[str, Any] = answer.json()
        return created

    def patch(self, invoice_id: str, body: Any, etag: str | None) -> httpx.Response:
        headers = {"Content-Type": "application/merge-patch+json"}
        if etag is not None:
            headers["If-Match"] = etag
        return self.call("PATCH", f"/invoices/{invoice_id}", body, headers=headers)

    def run(self, job: Any) -> Any:
        async def go() -> Any:
            return await job(self.runtime)

        return anyio.run(go)


def onboard(app: Any, name: str) -> Onboarded:
    runtime = app.state.runtime

    async def make() -> Onboarded:
        onboarded: Onboarded = await runtime.merchants.create_merchant(name)
        return onboarded

    return anyio.run(make)


@pytest.fixture
def native_app(settings: Settings) -> Iterator[TestClient]:
    """The app on SQLite and on PostgreSQL (the `settings` fixture runs both)."""
    with TestClient(create_app(settings)) as http:
        yield http


@pytest.fixture
def native(native_app: TestClient) -> NativeClient:
    return NativeClient(native_app, onboard(native_app.app, "Acme"))


@pytest.fixture
def other(native_app: TestClient) -> NativeClient:
    return NativeClient(native_app, onboard(native_app.app, "Other"))
