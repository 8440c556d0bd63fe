"""The seed's Update Invoice sample replayed: its response, field for field and type for type.

golden/update-request.json and golden/update-response.json are the seed's request and
response samples verbatim (shared/seeds/winpay-update-invoice.txt). Ids and dates vary per
call, so the answer is compared with the golden response by keys and JSON types, and the
values a client reads back are checked one by one.
"""

import json
from pathlib import Path
from typing import Any

from tests.dialects.winpay.conftest import (
    CREATED_AT,
    ENVELOPE_KEYS,
    PUBLIC_URL,
    REDIRECT_URL,
    RESPONSE_DATE,
    WinpayClient,
    create_body,
    is_uuid4,
)

GOLDEN = Path(__file__).parent / "golden"
SEED_REQUEST = (GOLDEN / "update-request.json").read_bytes()
SEED_RESPONSE: dict[str, Any] = json.loads((GOLDEN / "update-response.json").read_bytes())


def shape(value: Any) -> Any:
    """Keys and JSON types, recursively: what a strictly typed client decodes."""
    if isinstance(value, dict):
        return {key: shape(item) for key, item in value.items()}
    if isinstance(value, list):
        return [shape(item) for item in value]
    return type(value).__name__


def without_status(data: dict[str, Any]) -> dict[str, Any]:
    """responseData minus the `status` our update adds to the seed's keys (DIALECTS.md §1)."""
    return {key: value for key, value in data.items() if key != "status"}


def replay_seed(winpay: WinpayClient) -> tuple[str, Any]:
    invoice_id = winpay.create(ref="before-the-seed")["id"]
    return invoice_id, winpay.call("PUT", f"/api/update/{invoice_id}", SEED_REQUEST)


def test_seed_request_gets_http_200_and_the_seed_envelope(winpay: WinpayClient) -> None:
    _, answer = replay_seed(winpay)

    assert answer.status_code == 200
    assert answer.headers["content-type"] == "application/json"
    body = answer.json()
    assert set(body) == ENVELOPE_KEYS == set(SEED_RESPONSE)
    assert body["responseCode"] == SEED_RESPONSE["responseCode"] == "2000300"
    assert b'"responseCode":"2000300"' in answer.content  # a JSON string, not a number
    assert body["responseMessage"] == SEED_RESPONSE["responseMessage"] == "Invoice Updated"
    assert RESPONSE_DATE.match(body["responseDate"])
    assert RESPONSE_DATE.match(SEED_RESPONSE["responseDate"])  # the regex fits the seed too


def test_seed_response_has_the_golden_shape_plus_status(winpay: WinpayClient) -> None:
    _, answer = replay_seed(winpay)
    body = answer.json()
    data = body["responseData"]

    assert set(data) == set(SEED_RESPONSE["responseData"]) | {"status"}
    assert data["status"] == "UNPAID"
    assert shape({**body, "responseData": without_status(data)}) == shape(SEED_RESPONSE)


def test_seed_response_values_echo_the_seed_request(winpay: WinpayClient) -> None:
    request = json.loads(SEED_REQUEST)
    invoice_id, answer = replay_seed(winpay)
    data = answer.json()["responseData"]

    assert data["id"] == invoice_id and is_uuid4(data["id"])
    assert data["ref"] == "111130"
    assert CREATED_AT.match(data["created_at"])
    assert REDIRECT_URL.match(data["redirect_url"])
    assert data["redirect_url"].startswith(f"{PUBLIC_URL}/")
    assert data["back_url"] == "https://your-invoice-url.com"
    assert data["customer"] == request["customer"] == SEED_RESPONSE["responseData"]["customer"]
    assert data["customer"]["email"] == "[email protected]"
    [product] = data["products"]
    assert is_uuid4(product["uuid"])
    assert {key: product[key] for key in ("name", "qty", "price")} == {
        "name": "01002676",
        "qty": 1,
        "price": 260000,
    }
    assert type(product["qty"]) is int and type(product["price"]) is int


def test_seed_update_keeps_the_invoice_identity(winpay: WinpayClient) -> None:
    created = winpay.create(ref="before-the-seed")

    updated = winpay.call("PUT", f"/api/update/{created['id']}", SEED_REQUEST).json()

    data = updated["responseData"]
    for kept in ("id", "created_at", "redirect_url"):
        assert data[kept] == created[kept]
    assert winpay.find(created["id"]) == data


def test_seed_update_is_repeatable(winpay: WinpayClient) -> None:
    """A client retrying the same update gets the same answer (only product uuids renew)."""
    invoice_id, first = replay_seed(winpay)

    second = winpay.call("PUT", f"/api/update/{invoice_id}", SEED_REQUEST)

    assert second.status_code == 200
    one, two = first.json()["responseData"], second.json()["responseData"]
    for data in (one, two):
        for product in data["products"]:
            product.pop("uuid")
    assert one == two


def test_create_and_find_answer_the_same_invoice_shape(winpay: WinpayClient) -> None:
    """Clients parse every invoice answer with the seed's model: create and find fit it too."""
    golden = shape(SEED_RESPONSE["responseData"])
    created = winpay.call("POST", "/api/create", create_body(ref="111130"))
    invoice_id = created.json()["responseData"]["id"]
    found = winpay.call("GET", f"/api/find/{invoice_id}")
    by_ref = winpay.call("GET", "/api/findByRef/111130")

    assert shape(created.json()["responseData"]) == golden  # no status on create
    for answer in (found, by_ref):
        data = answer.json()["responseData"]
        assert data["status"] == "UNPAID"
        assert shape(without_status(data)) == golden
