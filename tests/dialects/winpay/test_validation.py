"""Bad input gets 4000301 with one readable message per bad field path, and changes nothing."""

import copy
import json
from collections.abc import Callable
from typing import Any

import pytest

from tests.dialects.winpay.conftest import WinpayClient, create_body, seed_body

Edit = Callable[[dict[str, Any]], Any]


def _set(path: str, value: Any) -> Edit:
    def edit(body: dict[str, Any]) -> None:
        *parents, leaf = path.split(".")
        node: Any = body
        for part in parents:
            node = node[int(part)] if part.isdigit() else node[part]
        key: Any = int(leaf) if leaf.isdigit() else leaf
        if value is _DELETE:
            del node[key]
        else:
            node[key] = value

    return edit


_DELETE = object()
P0 = "invoice.products.0"
P0N = "invoice.products[0]"
TOO_MANY = [{"name": "x", "qty": 1, "price": 1}] * 1001
OVERFLOW = {"name": "x", "qty": 1_000_000, "price": 2**62}

# (description, edit, the field path the first message must name)
BAD_UPDATES: list[tuple[str, Edit, str]] = [
    ("missing customer", _set("customer", _DELETE), "customer"),
    ("customer not an object", _set("customer", "Delina"), "customer"),
    ("missing name", _set("customer.name", _DELETE), "customer.name"),
    ("empty name", _set("customer.name", ""), "customer.name"),
    ("name too long", _set("customer.name", "x" * 256), "customer.name"),
    ("name with NUL", _set("customer.name", "a\x00b"), "customer.name"),
    ("phone a number", _set("customer.phone", 82342341), "customer.phone"),
    ("missing ref", _set("invoice.ref", _DELETE), "invoice.ref"),
    ("empty products", _set("invoice.products", []), "invoice.products"),
    ("too many products", _set("invoice.products", TOO_MANY), "invoice.products"),
    ("qty zero", _set(f"{P0}.qty", 0), "invoice.products[0].qty"),
    ("qty negative", _set(f"{P0}.qty", -1), "invoice.products[0].qty"),
    ("qty fractional", _set(f"{P0}.qty", 1.5), "invoice.products[0].qty"),
    ("qty a string", _set(f"{P0}.qty", "2"), "invoice.products[0].qty"),
    ("price negative", _set(f"{P0}.price", -1), "invoice.products[0].price"),
    ("price fractional", _set(f"{P0}.price", "260000.5"), "invoice.products[0].price"),
    ("price garbage", _set(f"{P0}.price", "abc"), "invoice.products[0].price"),
    ("price with underscores", _set(f"{P0}.price", "260_000"), "invoice.products[0].price"),
    ("price in Arabic digits", _set(f"{P0}.price", "\u0662\u0666\u0660"), f"{P0N}.price"),
    ("price NaN", _set(f"{P0}.price", "NaN"), "invoice.products[0].price"),
    ("price boolean", _set(f"{P0}.price", True), "invoice.products[0].price"),
    ("price null", _set(f"{P0}.price", None), "invoice.products[0].price"),
    ("price huge", _set(f"{P0}.price", 10**30), "invoice.products[0].price"),
    ("total beyond 64 bits", _set(P0, OVERFLOW), "invoice.products"),
    ("back_url script", _set("back_url", "javascript:alert(1)"), "back_url"),
    ("back_url ftp", _set("back_url", "ftp://example.com"), "back_url"),
    ("back_url data", _set("back_url", "data:text/html,<script>x</script>"), "back_url"),
    ("interval zero", _set("interval", 0), "interval"),
]  # fmt: skip


@pytest.fixture
def invoice(winpay: WinpayClient) -> tuple[str, dict[str, Any]]:
    created = winpay.call("POST", "/api/create", create_body())
    invoice_id = created.json()["responseData"]["id"]
    return invoice_id, winpay.call("GET", f"/api/find/{invoice_id}").json()["responseData"]


@pytest.mark.parametrize(("case", "edit", "path"), BAD_UPDATES, ids=[c[0] for c in BAD_UPDATES])
def test_bad_update_is_refused_and_changes_nothing(
    winpay: WinpayClient, invoice: tuple[str, dict[str, Any]], case: str, edit: Edit, path: str
) -> None:
    invoice_id, before = invoice
    body = copy.deepcopy(seed_body(ref="changed"))
    edit(body)

    answer = winpay.call("PUT", f"/api/update/{invoice_id}", body)

    assert answer.status_code == 400, case
    reply = answer.json()
    assert reply["responseCode"] == "4000301"
    assert reply["responseMessage"] == "Invalid Parameters"
    messages = reply["responseData"]
    assert isinstance(messages, list) and messages
    assert messages[0].startswith(f"{path}:"), messages
    assert winpay.call("GET", f"/api/find/{invoice_id}").json()["responseData"] == before


def test_every_bad_field_is_named_once(winpay: WinpayClient) -> None:
    body = create_body()
    del body["customer"]["name"]
    body["invoice"]["products"][0]["qty"] = 0
    body["back_url"] = "javascript:alert(1)"
    del body["interval"]
    messages = winpay.call("POST", "/api/create", body).json()["responseData"]
    fields = [message.split(":")[0] for message in messages]
    assert fields == ["customer.name", "invoice.products[0].qty", "back_url", "interval"]


@pytest.mark.parametrize(
    "raw",
    [b"{not json", b"plain text", b"[]", b'"a string"', b"", b"x" * (1024 * 1024 + 1)],
    ids=["invalid", "text", "array", "string", "empty", "over 1 MiB"],
)
def test_unparseable_bodies_are_refused_and_change_nothing(
    winpay: WinpayClient, invoice: tuple[str, dict[str, Any]], raw: bytes
) -> None:
    invoice_id, before = invoice
    answer = winpay.call("PUT", f"/api/update/{invoice_id}", raw)
    assert answer.status_code == 400
    assert answer.json()["responseCode"] == "4000301"
    assert answer.json()["responseData"]
    assert winpay.call("GET", f"/api/find/{invoice_id}").json()["responseData"] == before


def test_javascript_back_commands_are_accepted(winpay: WinpayClient) -> None:
    for n, command in enumerate(["javascript:history.back()", "javascript:history.go(-1)"]):
        body = create_body(ref=f"js-{n}")
        body["back_url"] = command
        created = winpay.call("POST", "/api/create", body)
        assert created.status_code == 201
        assert created.json()["responseData"]["back_url"] == command


def test_interval_is_required_on_create_and_optional_on_update(winpay: WinpayClient) -> None:
    body = create_body()
    del body["interval"]
    refused = winpay.call("POST", "/api/create", body)
    assert refused.json()["responseData"] == ["interval: Field required"]
    created = winpay.call("POST", "/api/create", create_body())
    invoice_id = created.json()["responseData"]["id"]
    assert winpay.call("PUT", f"/api/update/{invoice_id}", seed_body()).status_code == 200
    assert json.dumps(seed_body())  # the seed's own update body has no interval
