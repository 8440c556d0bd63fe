"""The seed's Update Invoice call, replayed: request sample in, the seed's response shape out.

Golden copies of the seed's samples live in golden/ (shared/seeds/winpay-update-invoice.txt).
"""

import json
import re
from pathlib import Path
from typing import Any

import pytest

from tests.dialects.winpay.conftest import WinpayClient, create_body

GOLDEN = Path(__file__).parent / "golden"
UUID4 = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")
RESPONSE_DATE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+07:00$")
CREATED_AT = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$")
REDIRECT = re.compile(r"^http://checkout\.test/[a-z0-9]{11}$")


def golden(name: str) -> Any:
    return json.loads((GOLDEN / name).read_text())


def shape(value: Any) -> Any:
    """Keys and JSON types, recursively: what a strict client parses."""
    if isinstance(value, dict):
        return {key: shape(item) for key, item in value.items()}
    if isinstance(value, list):
        return [shape(item) for item in value]
    return type(value).__name__


def test_seed_request_gets_the_seed_response_field_for_field(winpay: WinpayClient) -> None:
    request = golden("update-request.json")
    created = winpay.call("POST", "/api/create", create_body(ref="draft"))
    invoice_id = created.json()["responseData"]["id"]

    answer = winpay.call("PUT", f"/api/update/{invoice_id}", request)

    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("application/json")
    body = answer.json()
    expected = golden("update-response.json")
    # Our update also says the status (DIALECTS.md §1); everything else is the seed's shape.
    data = dict(body["responseData"])
    assert data.pop("status") == "UNPAID"
    assert shape({**body, "responseData": data}) == shape(expected)
    assert body["responseCode"] == "2000300"  # a string: clients compare with ===
    assert body["responseMessage"] == "Invoice Updated"
    assert RESPONSE_DATE.match(body["responseDate"])
    assert data["id"] == invoice_id and UUID4.match(data["id"])
    assert CREATED_AT.match(data["created_at"])
    assert REDIRECT.match(data["redirect_url"])
    assert data["ref"] == request["invoice"]["ref"]
    assert data["back_url"] == request["back_url"]
    assert data["customer"] == request["customer"]  # "[email protected]" round-trips
    [product] = data["products"]
    assert UUID4.match(product.pop("uuid"))
    assert product == request["invoice"]["products"][0]


@pytest.mark.parametrize("price", [260000, 260000.0, "260000.00", "260000"])
def test_price_as_integer_float_or_string_is_answered_as_integer(
    winpay: WinpayClient, price: Any
) -> None:
    body = create_body()
    body["invoice"]["products"][0]["price"] = price
    created = winpay.call("POST", "/api/create", body)
    assert created.status_code == 201
    invoice_id = created.json()["responseData"]["id"]
    found = winpay.call("GET", f"/api/find/{invoice_id}").json()["responseData"]
    assert found["products"][0]["price"] == 260000
    assert isinstance(found["products"][0]["price"], int)


def test_create_find_and_delete_answers(winpay: WinpayClient) -> None:
    created = winpay.call("POST", "/api/create", create_body(ref="R-1"))
    assert created.status_code == 201
    assert created.json()["responseCode"] == "2010300"
    assert created.json()["responseMessage"] == "Invoice created"
    assert "status" not in created.json()["responseData"]
    invoice_id = created.json()["responseData"]["id"]

    by_id = winpay.call("GET", f"/api/find/{invoice_id}")
    by_ref = winpay.call("GET", "/api/findByRef/R-1")
    assert by_id.status_code == by_ref.status_code == 200
    assert by_id.json()["responseMessage"] == "Invoice Found"
    assert by_id.json()["responseData"] == by_ref.json()["responseData"]
    assert by_id.json()["responseData"]["status"] == "UNPAID"

    deleted = winpay.call("DELETE", f"/api/delete/{invoice_id}")
    assert deleted.status_code == 200
    assert deleted.json()["responseMessage"] == "Invoice has been deleted"
    assert deleted.json()["responseData"] == []
    for method, path in [
        ("GET", f"/api/find/{invoice_id}"),
        ("GET", "/api/findByRef/R-1"),
        ("PUT", f"/api/update/{invoice_id}"),
        ("DELETE", f"/api/delete/{invoice_id}"),
    ]:
        body = create_body(ref="R-1") if method == "PUT" else None
        gone = winpay.call(method, path, body)
        assert gone.status_code == 404, (method, path)
        assert gone.json()["responseCode"] == "4040300"
        assert gone.json()["responseData"] == []

    # A deleted invoice frees its ref; deleteByRef deletes the new one.
    again = winpay.call("POST", "/api/create", create_body(ref="R-1"))
    assert again.status_code == 201
    assert winpay.call("DELETE", "/api/deleteByRef/R-1").json()["responseCode"] == "2000300"
    assert winpay.call("GET", "/api/findByRef/R-1").status_code == 404


def test_tolerates_what_real_clients_send(winpay: WinpayClient) -> None:
    body = create_body(ref="T-1")
    body["customer"]["email"] = ""
    body["unknown"] = {"extra": True}
    body["invoice"]["products"][0]["note"] = "ignored"
    raw = json.dumps(body).replace("https://", "https:\\/\\/")  # PHP-style escaped slashes
    created = winpay.call(
        "POST", "/api/create", raw, headers=winpay.headers() | {"Content-Type": ""}
    )
    assert created.status_code == 201, created.text
    assert created.json()["responseData"]["back_url"] == "https://your-invoice-url.com"
    invoice_id = created.json()["responseData"]["id"]
    for extra in ({"content": b""}, {"content": b"{}"}):
        found = winpay.http.request(
            "GET", f"/api/find/{invoice_id}", headers=winpay.headers(), **extra
        )
        assert found.status_code == 200
    null_email = create_body(ref="T-2")
    null_email["customer"]["email"] = None
    assert winpay.call("POST", "/api/create", null_email).status_code == 201
    unicode_name = create_body(ref="T-3")
    unicode_name["customer"]["name"] = "محمد 🧾 Ñandú"
    made = winpay.call("POST", "/api/create", unicode_name).json()["responseData"]
    assert made["customer"]["name"] == "محمد 🧾 Ñandú"
