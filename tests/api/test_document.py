"""The OpenAPI document: valid 3.1, every served operation in it and nothing more, seed examples."""

import json
import re
from pathlib import Path
from typing import Any

import pytest
from openapi_spec_validator import validate
from starlette.routing import Route
from starlette.testclient import TestClient

from invoicegate.apidocs import spec
from invoicegate.app import create_app
from invoicegate.dialects.paylink import openapi as paylink
from invoicegate.dialects.winpay import openapi as winpay
from invoicegate.settings import Settings

GOLDEN = Path(__file__).parents[1] / "dialects"
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
DIALECT_PREFIXES = ("/api/", "/v1/")


def test_the_document_is_valid_openapi_3_1() -> None:
    validate(spec())


def served(http: TestClient) -> set[tuple[str, str]]:
    """(method, path template) of every dialect operation the app answers, found by asking.

    A path is called with each method and no credentials: a method it does not serve
    answers 405; any other answer (401, 404, ...) means the operation exists.
    """
    found = set()
    for route in http.app.routes:  # type: ignore[attr-defined]
        if not isinstance(route, Route) or not route.path.startswith(DIALECT_PREFIXES):
            continue
        template = re.sub(r"\{(\w+)(:\w+)?\}", r"{\1}", route.path)
        if template == "/v1/{rest}":
            continue  # the native API's answer for paths it does not have
        url = re.sub(r"\{\w+\}", "00000000-0000-4000-8000-000000000000", template)
        for method in METHODS:
            if http.request(method, url).status_code != 405:
                found.add((method, template))
    return found


def test_every_operation_served_is_documented_and_no_other(sqlite_settings: Settings) -> None:
    documented = {
        (method.upper(), path)
        for path, operations in spec()["paths"].items()
        for method in operations
    }
    with TestClient(create_app(sqlite_settings)) as http:
        assert served(http) == documented


def test_every_operation_documents_its_errors_and_security() -> None:
    doc = spec()
    for path, operations in doc["paths"].items():
        for method, operation in operations.items():
            statuses = set(operation["responses"])
            assert any(s.startswith("2") for s in statuses), (method, path)
            # Reads and deletes take no body: nothing of theirs can be invalid input.
            assert {"400", "405"} & statuses or method in ("get", "delete"), (method, path)
            if (method, path) != ("post", "/api/auth"):
                assert operation["security"] and "401" in statuses, (method, path)


def golden(path: str) -> Any:
    return json.loads((GOLDEN / path).read_text())


@pytest.mark.parametrize(
    ("declared", "file"),
    [
        (winpay.SEED_UPDATE_REQUEST, "winpay/golden/update-request.json"),
        (winpay.SEED_UPDATE_RESPONSE, "winpay/golden/update-response.json"),
        (paylink.SEED_UPDATE_REQUEST, "paylink/golden/update-invoice.request.json"),
        (paylink.SEED_UPDATE_RESPONSE, "paylink/golden/update-invoice.response.json"),
        (paylink.SEED_ERROR, "paylink/golden/update-invoice.error.json"),
    ],
)
def test_the_examples_are_the_seeds_samples(declared: Any, file: str) -> None:
    assert declared == golden(file)


def test_the_seed_examples_are_in_the_document() -> None:
    paths = spec()["paths"]
    update = paths["/api/update/{id}"]["put"]
    body = update["requestBody"]["content"]["application/json"]["examples"]["seed"]["value"]
    assert body == winpay.SEED_UPDATE_REQUEST
    put = paths["/api/merchants/{merchantId}/invoices/{invoiceId}"]["put"]
    assert put["requestBody"]["content"]["application/json"]["examples"]["seed"]["value"] == (
        paylink.SEED_UPDATE_REQUEST
    )
    errors = put["responses"]["400"]["content"]["application/json"]["examples"]
    assert any(e["value"]["message"] == paylink.SEED_ERROR["message"] for e in errors.values())
