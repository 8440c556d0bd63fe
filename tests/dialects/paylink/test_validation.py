"""Bad update and create bodies: 400 "Invalid request data", the bad field named, no change."""

from typing import Any

import pytest

from tests.dialects.paylink.conftest import PaylinkClient, create_body, seed_update_body


def with_item(**item: Any) -> dict[str, Any]:
    body = seed_update_body()
    body["items"] = [{"description": "Hourly support", **item}]
    return body


def without(field: str) -> dict[str, Any]:
    body = seed_update_body()
    del body[field]
    return body


BAD_UPDATES: list[tuple[str, Any, str, str]] = [
    ("missing items", without("items"), "items", "is required"),
    ("missing totalAmount", without("totalAmount"), "totalAmount", "is required"),
    ("missing dueDate", without("dueDate"), "dueDate", "is required"),
    ("missing currency", without("currency"), "currency", "is required"),
    ("empty items", {**seed_update_body(), "items": []}, "items", "at least 1"),
    (
        "total is not the sum",
        {**seed_update_body(), "totalAmount": 5199.99},
        "totalAmount",
        "must equal the sum",
    ),
    (
        "three decimals in SAR",
        {**with_item(quantity=1, price=10.005), "totalAmount": 10.005},
        "items[0].price",
        "more than 2 decimals",
    ),
    (
        "decimals in JPY",
        {**with_item(quantity=1, price=10.5), "totalAmount": 10.5, "currency": "JPY"},
        "items[0].price",
        "whole amount of JPY",
    ),
    (
        "four decimals in KWD",
        {**with_item(quantity=1, price=1.0005), "totalAmount": 1.0005, "currency": "KWD"},
        "items[0].price",
        "more than 3 decimals",
    ),
    (
        "negative price",
        {**with_item(quantity=1, price=-5), "totalAmount": -5},
        "items[0].price",
        "must not be negative",
    ),
    (
        "zero quantity",
        {**with_item(quantity=0, price=5), "totalAmount": 0},
        "items[0].quantity",
        "must be 1 to",
    ),
    (
        "negative quantity",
        {**with_item(quantity=-1, price=5), "totalAmount": -5},
        "items[0].quantity",
        "must be 1 to",
    ),
    (
        "fractional quantity",
        {**with_item(quantity=1.5, price=100), "totalAmount": 150},
        "items[0].quantity",
        "whole number",
    ),
    (
        "price as a string",
        {**with_item(quantity=1, price="5000"), "totalAmount": 5000},
        "items[0].price",
        "must be a number",
    ),
    (
        "price true",
        {**with_item(quantity=1, price=True), "totalAmount": 1},
        "items[0].price",
        "must be a number",
    ),
    ("unknown currency", {**seed_update_body(), "currency": "XYZ"}, "currency", "unknown"),
    ("lower-case currency", {**seed_update_body(), "currency": "sar"}, "currency", "unknown"),
    ("impossible date", {**seed_update_body(), "dueDate": "2024-02-30"}, "dueDate", "real"),
    ("malformed date", {**seed_update_body(), "dueDate": "31/07/2024"}, "dueDate", "YYYY"),
    ("compact date", {**seed_update_body(), "dueDate": "20240731"}, "dueDate", "YYYY"),
    ("date with time", {**seed_update_body(), "dueDate": "2024-07-31T00:00"}, "dueDate", "YYYY"),
    ("date as number", {**seed_update_body(), "dueDate": 20240731}, "dueDate", "YYYY"),
    (
        "empty description",
        {**with_item(quantity=1, price=5, description=""), "totalAmount": 5},
        "items[0].description",
        "at least 1",
    ),
    (
        "all free",
        {**with_item(quantity=1, price=0), "totalAmount": 0},
        "items",
        "more than zero",
    ),
    ("body is a list", [seed_update_body()], "body", "JSON object"),
    ("body is not JSON", b"{not json", "body", "valid JSON"),
    ("NaN total", b'{"totalAmount": NaN}', "body", "valid JSON"),
]


@pytest.mark.parametrize(
    ("body", "field", "reason"),
    [case[1:] for case in BAD_UPDATES],
    ids=[case[0] for case in BAD_UPDATES],
)
def test_bad_update_is_refused_and_changes_nothing(
    paylink: PaylinkClient, body: Any, field: str, reason: str
) -> None:
    created = paylink.create()
    invoice_id = created["invoiceId"]

    answer = paylink.call("PUT", f"/{invoice_id}", body)

    assert answer.status_code == 400, answer.text
    assert answer.json()["message"] == "Invalid request data"
    errors = answer.json()["errors"]
    assert any(e["field"] == field and reason in e["reason"] for e in errors), errors
    assert paylink.call("GET", f"/{invoice_id}").json() == created


def test_every_bad_field_is_listed_at_once(paylink: PaylinkClient) -> None:
    invoice_id = paylink.create()["invoiceId"]
    body = {
        "items": [{"description": "x", "quantity": 1.5, "price": 1}],
        "totalAmount": "1",
        "dueDate": "2024-02-30",
        "currency": "XYZ",
    }

    answer = paylink.call("PUT", f"/{invoice_id}", body)

    fields = [e["field"] for e in answer.json()["errors"]]
    assert fields == ["items[0].quantity", "totalAmount", "dueDate", "currency"]


def test_whole_quantity_written_with_a_decimal_point_is_accepted(paylink: PaylinkClient) -> None:
    invoice_id = paylink.create()["invoiceId"]
    body = {**with_item(quantity=3.0, price=12.5), "totalAmount": 37.5}

    assert paylink.call("PUT", f"/{invoice_id}", body).status_code == 200
    found = paylink.call("GET", f"/{invoice_id}").json()
    assert found["items"][0]["quantity"] == 3 and found["totalAmount"] == 37.5


def test_leap_day_is_a_real_date(paylink: PaylinkClient) -> None:
    invoice_id = paylink.create()["invoiceId"]
    answer = paylink.call("PUT", f"/{invoice_id}", {**seed_update_body(), "dueDate": "2024-02-29"})
    assert answer.status_code == 200


def test_amount_sent_as_a_long_decimal_is_exact(paylink: PaylinkClient) -> None:
    """0.1 + 0.2 is 0.3 here: wire numbers are read as decimals, never floats."""
    invoice_id = paylink.create()["invoiceId"]
    body = {
        **seed_update_body(),
        "items": [
            {"description": "a", "quantity": 1, "price": 0.1},
            {"description": "b", "quantity": 1, "price": 0.2},
        ],
        "totalAmount": 0.3,
    }
    assert paylink.call("PUT", f"/{invoice_id}", body).status_code == 200


BAD_CREATES: list[tuple[str, dict[str, Any], str]] = [
    ("missing invoiceNumber", {"invoiceNumber": None}, "invoiceNumber"),
    ("missing customerInfo", {"customerInfo": None}, "customerInfo"),
    (
        "phone with letters",
        {"customerInfo": {"customerName": "A", "customerPhone": "96650abc"}},
        "customerInfo.customerPhone",
    ),
    ("callback not a URL", {"callbackUrl": "javascript:alert(1)"}, "callbackUrl"),
    ("impossible due date", {"dueDate": "2023-02-29"}, "dueDate"),
]


@pytest.mark.parametrize(
    ("changes", "field"), [c[1:] for c in BAD_CREATES], ids=[c[0] for c in BAD_CREATES]
)
def test_bad_create_is_refused_and_creates_nothing(
    paylink: PaylinkClient, changes: dict[str, Any], field: str
) -> None:
    body = create_body()
    for key, value in changes.items():
        if value is None:
            del body[key]
        else:
            body[key] = value

    answer = paylink.call("POST", "", body)

    assert answer.status_code == 400
    assert answer.json()["message"] == "Invalid request data"
    assert field in [e["field"] for e in answer.json()["errors"]]
    assert paylink.call("GET", "").json()["totalCount"] == 0


def test_duplicate_invoice_number_is_a_conflict(paylink: PaylinkClient) -> None:
    paylink.create()
    again = paylink.call("POST", "", create_body())
    assert again.status_code == 409
    assert again.json() == {"message": "Invoice number already exists."}
