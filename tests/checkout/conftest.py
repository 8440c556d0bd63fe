"""A customer's browser over ASGI (httpx, cookies kept) and a merchant speaking all three
dialects, on a real database (SQLite and PostgreSQL).

Invoices are made through the wire APIs, as merchants make them; the page is read as HTML.
"""

import html
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from invoicegate.app import create_app
from invoicegate.runtime import Runtime
from invoicegate.services.merchants import Onboarded
from invoicegate.settings import Settings
from tests.conftest import winpay_headers
from tests.dialects.paylink.conftest import create_body as paylink_body
from tests.dialects.paylink_v2.conftest import add_body as v2_body
from tests.dialects.winpay.conftest import create_body as winpay_body

PUBLIC_URL = "http://checkout.test"  # tests.conftest.make_settings
_HIDDEN = re.compile(r'<input type="hidden" name="(\w+)" value="([^"]*)">')


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def path_of(url: str) -> str:
    """What a browser asks the server for: the path and query of a full URL."""
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def form_fields(page: str) -> dict[str, str]:
    """The pay form's hidden fields, as a browser would send them back."""
    return {name: html.unescape(value) for name, value in _HIDDEN.findall(page)}


@dataclass
class Shop:
    """One merchant (its Winpay, Paylink and Paylink v2 credentials) and one customer."""

    http: httpx.AsyncClient
    runtime: Runtime
    merchant: Onboarded

    # --- the merchant, through each dialect ------------------------------------------

    async def winpay(self, method: str, path: str, body: Any = None) -> httpx.Response:
        key, secret = self.merchant.winpay.public_id, self.merchant.winpay.secret or ""
        return await self.http.request(method, path, json=body, headers=winpay_headers(key, secret))

    async def winpay_invoice(self, ref: str = "111130", **changes: Any) -> dict[str, Any]:
        answer = await self.winpay("POST", "/api/create", winpay_body(ref, **changes))
        assert answer.status_code == 201, answer.text
        data: dict[str, Any] = answer.json()["responseData"]
        return data

    async def paylink(self, method: str, path: str = "", body: Any = None) -> httpx.Response:
        url = f"/api/merchants/{self.merchant.merchant.id}/invoices{path}"
        headers = {"X-API-KEY": self.merchant.paylink.secret}
        return await self.http.request(method, url, json=body, headers=headers)

    async def paylink_invoice(self, **changes: Any) -> dict[str, Any]:
        answer = await self.paylink("POST", "", paylink_body(**changes))
        assert answer.status_code == 201, answer.text
        data: dict[str, Any] = answer.json()
        return data

    async def v2(self, method: str, path: str, body: Any = None) -> httpx.Response:
        auth = await self.http.post(
            "/api/auth",
            json={
                "apiId": self.merchant.paylink_v2.credential.public_id,
                "secretKey": self.merchant.paylink_v2.secret,
                "persistToken": False,
            },
        )
        headers = {"Authorization": f"Bearer {auth.json()['id_token']}"}
        return await self.http.request(method, path, json=body, headers=headers)

    async def v2_invoice(self, **changes: Any) -> dict[str, Any]:
        answer = await self.v2("POST", "/api/addInvoice", v2_body(**changes))
        assert answer.status_code == 200, answer.text
        data: dict[str, Any] = answer.json()
        return data

    # --- the customer ------------------------------------------------------------------

    async def open(self, url: str, **kwargs: Any) -> httpx.Response:
        return await self.http.get(path_of(url), **kwargs)

    async def submit(self, url: str, form: dict[str, str], **kwargs: Any) -> httpx.Response:
        return await self.http.post(path_of(url), data=form, **kwargs)

    async def pay(self, url: str, channel: str) -> httpx.Response:
        """Open the page, choose a channel, pay; returns the page the redirect leads to."""
        page = await self.open(url)
        assert page.status_code == 200, page.text
        answer = await self.submit(url, {**form_fields(page.text), "channel": channel})
        assert answer.status_code == 303, answer.text
        return await self.http.get(answer.headers["location"])


@pytest.fixture
async def shop(settings: Settings) -> AsyncIterator[Shop]:
    app = create_app(settings)
    runtime: Runtime = app.state.runtime
    # With a callback URL, so a payment queues the Winpay callback (no worker delivers it).
    merchant = await runtime.merchants.create_merchant("Toko Delina", "https://toko.test/callback")
    transport = httpx.ASGITransport(app=app)
    try:
        async with httpx.AsyncClient(transport=transport, base_url=PUBLIC_URL) as http:
            yield Shop(http, runtime, merchant)
    finally:
        await runtime.transactor.aclose()  # type: ignore[attr-defined]
