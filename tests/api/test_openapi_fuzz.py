"""schemathesis against /openapi.json: every operation of every dialect, generated inputs.

A real `invoicegate serve` answers. No input may get a 5xx, and every answer must be what
the document says (status, content type, headers, body schema). Requests carry valid
credentials of one merchant, and half of them name that merchant's real invoices, so the
fuzzing reaches past authentication and "not found" into the operations themselves.
"""

import itertools
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis import checks

from invoicegate.apidocs import spec
from tests.e2e.conftest import Server, start_server, stop_server

CHECKS = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_headers_conformance,
    checks.response_schema_conformance,
]
MAX_EXAMPLES = 40  # per operation: enough to find the shallow faults, bounded in time

schema = schemathesis.openapi.from_dict(spec())


class World:
    """One server, one merchant with its credentials, and invoices to aim at."""

    def __init__(self, server: Server) -> None:
        self.server = server
        self.merchant = server.create_merchant("Fuzz")
        self.api_key = self.merchant["native"]["api_key"]
        self.invoice_ids = [self._create(f"FUZZ-{n}") for n in range(2)]
        self.turn = itertools.count()

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
        if next(self.turn) % 2:
            for name in ("invoice_id", "id", "invoiceId", "transactionNo"):
                if name in params:
                    params[name] = self.invoice_ids[0]
        headers: dict[str, str] = {}
        if surface == "native":
            headers["Authorization"] = f"Bearer {self.api_key}"
        return headers


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    data: Path = tmp_path_factory.mktemp("fuzz")
    server = start_server(f"sqlite:///{data / 'invoicegate.db'}", data)
    try:
        yield World(server)
    finally:
        stop_server(server)


@schema.parametrize()
@settings(max_examples=MAX_EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
def test_every_operation_answers_as_documented(case: Any, world: World) -> None:
    headers = world.prepare(case)
    case.call_and_validate(base_url=world.server.url, headers=headers, checks=CHECKS)
