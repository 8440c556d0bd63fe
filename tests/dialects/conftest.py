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
    _v2_token: str = ""

    def headers(self, dialect: str) -> dict[str, str]:
        if dialect == "winpay":
            return winpay_headers(self.winpay_key, self.winpay_secret)
        if dialect == "paylink":
            return {"X-API-KEY": self.paylink_key, "Content-Type": "application/json"}
        return {"Authorization": f"Bearer {self.v2_token()}", "Content-Type": "application/json"}

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
    )


@pytest.fixture
def app_client(settings: Settings) -> Iterator[TestClient]:
    """The whole app on SQLite, then on PostgreSQL."""
    with TestClient(create_app(settings)) as http:
        yield http


@pytest.fixture
def tenant(app_client: TestClient) -> Tenant:
    return new_tenant(app_client, "Acme")
