"""Prices: 260000, 260000.0 and "260000.00" all mean 260000 and are answered as integers.

Anything that is not a whole, non-negative, finite rupiah amount is 4000301 naming the
product's price, and changes nothing.
"""

import json
from typing import Any

import pytest

from tests.dialects.winpay.conftest import (
    WinpayClient,
    create_body,
    expect_invalid,
    seed_body,
)

PRICE = "invoice.products[0].price"
ACCEPTED = [260000, 260000.0, "260000.00", "260000"]
REFUSED = ["260000.5", -1, "abc", True, None, "", "1e400", "NaN", "260_000", "\u0662\u0666\u0660"]
# Written into the JSON text as is: Python's json cannot produce these tokens.
RAW_REFUSED = ["1e400", "-1e400", "NaN", "Infinity", "-Infinity", "260000.5", "-0.5"]


def with_price(body: dict[str, Any], price: Any) -> dict[str, Any]:
    body["invoice"]["products"][0]["price"] = price
    return body


def raw_with_price(body: dict[str, Any], token: str) -> bytes:
    """The body as JSON text whose price is exactly `token`."""
    text = json.dumps(with_price(body, "PRICE"))
    return text.replace('"PRICE"', token).encode()


@pytest.mark.parametrize("price", ACCEPTED, ids=repr)
def test_create_stores_and_answers_whole_rupiah(winpay: WinpayClient, price: Any) -> None:
    answer = winpay.call("POST", "/api/create", with_price(create_body(), price))

    assert answer.status_code == 201, answer.text
    assert b'"price":260000}' in answer.content  # an integer on the wire, not 260000.0
    invoice_id = answer.json()["responseData"]["id"]
    stored = winpay.find(invoice_id)["products"][0]["price"]
    assert stored == 260000 and type(stored) is int


@pytest.mark.parametrize("price", ACCEPTED, ids=repr)
def test_update_stores_and_answers_whole_rupiah(winpay: WinpayClient, price: Any) -> None:
    created = winpay.call("POST", "/api/create", with_price(create_body(), 5))
    invoice_id = created.json()["responseData"]["id"]

    answer = winpay.call("PUT", f"/api/update/{invoice_id}", with_price(seed_body(), price))

    assert answer.status_code == 200, answer.text
    assert b'"price":260000}' in answer.content
    assert winpay.find(invoice_id)["products"][0]["price"] == 260000


def test_raw_json_forms_of_the_same_price_are_accepted(winpay: WinpayClient) -> None:
    for n, token in enumerate(["260000", "260000.0", "260000.00", "2.6e5", '"260000.00"']):
        answer = winpay.call("POST", "/api/create", raw_with_price(create_body(f"r{n}"), token))
        assert answer.status_code == 201, (token, answer.text)
        assert answer.json()["responseData"]["products"][0]["price"] == 260000


@pytest.mark.parametrize("price", REFUSED, ids=repr)
def test_bad_price_is_refused_on_update_and_changes_nothing(
    winpay: WinpayClient, price: Any
) -> None:
    invoice_id = winpay.create()["id"]
    before = winpay.state(invoice_id)

    answer = winpay.call("PUT", f"/api/update/{invoice_id}", with_price(seed_body("new"), price))

    [message] = expect_invalid(answer)
    assert message.startswith(f"{PRICE}: ")
    assert winpay.state(invoice_id) == before


@pytest.mark.parametrize("token", RAW_REFUSED)
def test_bad_price_tokens_are_refused_on_update_and_change_nothing(
    winpay: WinpayClient, token: str
) -> None:
    invoice_id = winpay.create()["id"]
    before = winpay.state(invoice_id)

    answer = winpay.call("PUT", f"/api/update/{invoice_id}", raw_with_price(seed_body(), token))

    [message] = expect_invalid(answer)
    assert message.startswith(f"{PRICE}: ")
    assert winpay.state(invoice_id) == before


@pytest.mark.parametrize("price", [*REFUSED, 2**63], ids=repr)
def test_bad_price_creates_nothing(winpay: WinpayClient, price: Any) -> None:
    answer = winpay.call("POST", "/api/create", with_price(create_body("bad"), price))

    [message] = expect_invalid(answer)
    assert message.startswith(f"{PRICE}: ")
    assert winpay.call("GET", "/api/findByRef/bad").status_code == 404


def test_price_zero_is_fine_beside_a_paid_line_but_not_alone(winpay: WinpayClient) -> None:
    body = create_body("free-gift")
    body["invoice"]["products"] = [
        {"name": "item", "qty": 1, "price": 1000},
        {"name": "gift", "qty": 1, "price": 0},
    ]
    assert winpay.call("POST", "/api/create", body).status_code == 201

    alone = winpay.call("POST", "/api/create", with_price(create_body("nothing"), 0))

    assert expect_invalid(alone) == ["invoice.products: total must be more than zero"]


def test_largest_total_passes_and_one_more_rupiah_does_not(winpay: WinpayClient) -> None:
    top = 2**63 - 1
    created = winpay.call("POST", "/api/create", with_price(create_body("top"), top))
    assert created.status_code == 201
    assert winpay.find(created.json()["responseData"]["id"])["products"][0]["price"] == top
    body = create_body("over")
    body["invoice"]["products"] = [
        {"name": "a", "qty": 1, "price": top},
        {"name": "b", "qty": 1, "price": 1},
    ]
    assert expect_invalid(winpay.call("POST", "/api/create", body)) == [
        "invoice.products: total is too large (beyond 64 bits)"
    ]
