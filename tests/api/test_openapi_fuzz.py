"""schemathesis against /openapi.json: every operation of every dialect, generated inputs.

A real `invoicegate serve` answers. No input may get a 5xx, and every answer must be what
the document says (status, content type, headers, body schema). Requests carry valid
credentials of one merchant, and half of them name that merchant's real invoices, so the
fuzzing reaches past authentication and "not found" into the operations themselves.
"""

import itertools
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis import checks

from invoicegate.apidocs import spec
from tests.conftest import winpay_headers
from tests.e2e.conftest import Server, start_server, stop_server

CHECKS = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_headers_conformance,
    checks.response_schema_conformance,
]
# Per operation: enough to find the shallow faults, bounded in time. The same examples every
# run (a red build is then a real change); INVOICEGATE_FUZZ_RANDOM=1 and a larger
# INVOICEGATE_FUZZ_EXAMPLES explore further by hand.
MAX_EXAMPLES = int(os.environ.get("INVOICEGATE_FUZZ_EXAMPLES", "40"))
DERANDOMIZE = os.environ.get("INVOICEGATE_FUZZ_RANDOM") != "1"

schema = schemathesis.openapi.from_dict(spec())


class World:
    """One server, one merchant with its credentials, and invoices to aim at."""

    def __init__(self, server: Server) -> None:
        self.server = server
        self.merchant = server.create_merchant("Fuzz")
        self.api_key = self.merchant["native"]["api_key"]
        self.invoice_ids = [self._create(f"FUZZ-{n}") for n in range(2)]
        self.turn = itertools.count()
        self._v2_token: str | None = None

    def _create(self, reference: str) -> str:
        answer = httpx.post(
            f"{self.server.url}/v1/invoices",
            headers={"Authorization": f"Bearer {self.api_key}"},
            json={
                "reference": reference,
                "customer": {"name": "Fuzz"},
                "items": [{"name": "x", "quantity": 1, "unit_price": 1000}],
                "currency": "IDR",
            },
        )
        assert answer.status_code == 201, answer.text
        invoice_id: str = answer.json()["id"]
        return invoice_id

    def prepare(self, case: Any) -> dict[str, str]:
        """The credentials this operation needs; every other call names a real invoice."""
        surface = case.operation.definition.raw["operationId"].split(".")[0]
        params = case.path_parameters or {}
        if "merchantId" in params:
            params["merchantId"] = self.merchant["merchant_id"]
        if next(self.turn) % 2:
            for name in ("invoice_id", "id", "invoiceId", "transactionNo"):
                if name in params:
                    params[name] = self.invoice_ids[0]
        if surface == "native":
            return {"Authorization": f"Bearer {self.api_key}"}
        if surface == "winpay":
            winpay = self.merchant["winpay"]
            headers = winpay_headers(winpay["key"], winpay["secret"])
            del headers["Content-Type"]  # the case's own, which may be a generated one
            return headers
        if surface == "paylink":
            return {"X-API-KEY": self.merchant["paylink"]["api_key"]}
        if surface == "paylink_v2" and case.path != "/api/auth":
            return {"Authorization": f"Bearer {self.v2_token()}"}
        return {}

    def v2_token(self) -> str:
        if self._v2_token is None:
            v2 = self.merchant["paylink_v2"]
            answer = httpx.post(
                f"{self.server.url}/api/auth",
                json={"apiId": v2["api_id"], "secretKey": v2["secret_key"], "persistToken": True},
            )
            self._v2_token = answer.json()["id_token"]
        return self._v2_token


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    data: Path = tmp_path_factory.mktemp("fuzz")
    server = start_server(f"sqlite:///{data / 'invoicegate.db'}", data)
    try:
        yield World(server)
    finally:
        stop_server(server)


@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    derandomize=DERANDOMIZE,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)
def test_every_operation_answers_as_documented(case: Any, world: World) -> None:
    headers = world.prepare(case)
    case.call_and_validate(base_url=world.server.url, headers=headers, checks=CHECKS)
