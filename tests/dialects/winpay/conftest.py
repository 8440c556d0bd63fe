"""A Winpay client against the real app (ASGI, real SQLite file) with a fresh merchant."""

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import anyio
import pytest
from starlette.testclient import TestClient

from invoicegate.app import create_app
from invoicegate.settings import Settings
from tests.conftest import winpay_headers


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
