"""Bad input: HTTP 400 "4000301", one message per bad field path, and nothing changes.

Each case is sent as an update of an existing invoice (which must stay exactly as it was,
revisions included) and as a create (which must create nothing).
"""

import copy
import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from invoicegate.services.invoices import Actor
from invoicegate.services.ports import InvoiceQuery
from tests.dialects.winpay.conftest import (
    WinpayClient,
    create_body,
    expect_error,
    expect_invalid,
    seed_body,
)

Body = dict[str, Any]
Edit = Callable[[Body], None]
MIB = 1024 * 1024


def put(path: str, value: Any) -> Edit:
    """Set (or, with DROP, delete) the value at a dotted path; digits index lists."""

    def edit(body: Body) -> None:
        *parents, leaf = path.split(".")
        node: Any = body
        for part in parents:
            node = node[int(part)] if part.isdigit() else node[part]
        key: Any = int(leaf) if leaf.isdigit() else leaf
        if value is DROP:
            del node[key]
        else:
            node[key] = value

    return edit


DROP = object()
P0 = "invoice.products.0"
TOO_MANY = [{"name": "x", "qty": 1, "price": 1}] * 1001
Q0, PRICE0, NAME0 = (
    "invoice.products[0].qty",
    "invoice.products[0].price",
    "invoice.products[0].name",
)


def both(*edits: Edit) -> Edit:
    def edit(body: Body) -> None:
        for one in edits:
            one(body)

    return edit


# (case id, edit of a valid body, the field path of each expected message, in order)
CASES: list[tuple[str, Edit, list[str]]] = [
    # wrong types
    ("customer a string", put("customer", "Delina"), ["customer"]),
    ("customer a list", put("customer", []), ["customer"]),
    ("name a number", put("customer.name", 5), ["customer.name"]),
    ("email a number", put("customer.email", 5), ["customer.email"]),
    ("phone a number", put("customer.phone", 82342341), ["customer.phone"]),
    ("invoice a list", put("invoice", []), ["invoice"]),
    ("ref a number", put("invoice.ref", 111130), ["invoice.ref"]),
    ("products an object", put("invoice.products", {}), ["invoice.products"]),
    ("product a string", put(P0, "01002676"), ["invoice.products[0]"]),
    ("product name a number", put(f"{P0}.name", 1002676), [NAME0]),
    ("back_url a number", put("back_url", 1), ["back_url"]),
    ("back_url null", put("back_url", None), ["back_url"]),
    # missing fields
    ("no customer", put("customer", DROP), ["customer"]),
    ("no name", put("customer.name", DROP), ["customer.name"]),
    ("no phone", put("customer.phone", DROP), ["customer.phone"]),
    ("no invoice", put("invoice", DROP), ["invoice"]),
    ("no ref", put("invoice.ref", DROP), ["invoice.ref"]),
    ("no products", put("invoice.products", DROP), ["invoice.products"]),
    ("no product name", put(f"{P0}.name", DROP), [NAME0]),
    ("no qty", put(f"{P0}.qty", DROP), [Q0]),
    ("no price", put(f"{P0}.price", DROP), [PRICE0]),
    ("no back_url", put("back_url", DROP), ["back_url"]),
    # products and quantities
    ("empty products", put("invoice.products", []), ["invoice.products"]),
    ("qty 0", put(f"{P0}.qty", 0), [Q0]),
    ("qty -1", put(f"{P0}.qty", -1), [Q0]),
    ("qty 1.5", put(f"{P0}.qty", 1.5), [Q0]),
    ('qty "2"', put(f"{P0}.qty", "2"), [Q0]),
    ("qty true", put(f"{P0}.qty", True), [Q0]),
    ("qty null", put(f"{P0}.qty", None), [Q0]),
    ("qty over a million", put(f"{P0}.qty", 1_000_001), [Q0]),
    ("negative rupiah", put(f"{P0}.price", -1), [PRICE0]),
    ("fractional rupiah", put(f"{P0}.price", 0.5), [PRICE0]),
    (
        "total beyond 64 bits",
        put(P0, {"name": "x", "qty": 1_000_000, "price": 2**62}),
        ["invoice.products"],
    ),
    ("1001 products", put("invoice.products", TOO_MANY), ["invoice.products"]),
    # text limits
    ("name over 255", put("customer.name", "x" * 256), ["customer.name"]),
    ("empty name", put("customer.name", ""), ["customer.name"]),
    ("phone over 32", put("customer.phone", "0" * 33), ["customer.phone"]),
    ("empty phone", put("customer.phone", ""), ["customer.phone"]),
    ("email over 254", put("customer.email", "e" * 255), ["customer.email"]),
    ("ref over 128", put("invoice.ref", "r" * 129), ["invoice.ref"]),
    ("empty ref", put("invoice.ref", ""), ["invoice.ref"]),
    ("product name over 255", put(f"{P0}.name", "p" * 256), [NAME0]),
    ("back_url over 2048", put("back_url", "https://x.com/" + "a" * 2035), ["back_url"]),
    # NUL characters, in every string
    ("NUL in name", put("customer.name", "Delina\x00"), ["customer.name"]),
    ("NUL in email", put("customer.email", "a\x00@b.c"), ["customer.email"]),
    ("NUL in phone", put("customer.phone", "0823\x00"), ["customer.phone"]),
    ("NUL in ref", put("invoice.ref", "111\x00130"), ["invoice.ref"]),
    ("NUL in product name", put(f"{P0}.name", "0100\x002676"), [NAME0]),
    ("NUL in back_url", put("back_url", "https://x.com/\x00"), ["back_url"]),
    # back_url: only http(s) URLs and the two harmless back commands
    ("back_url javascript:alert(1)", put("back_url", "javascript:alert(1)"), ["back_url"]),
    (
        "back_url back command plus script",
        put("back_url", "javascript:history.back();alert(1)"),
        ["back_url"],
    ),
    ("back_url ftp", put("back_url", "ftp://x"), ["back_url"]),
    ("back_url data", put("back_url", "data:text/html,<script>alert(1)</script>"), ["back_url"]),
    ("back_url vbscript", put("back_url", "vbscript:msgbox(1)"), ["back_url"]),
    ("back_url relative", put("back_url", "/thanks"), ["back_url"]),
    ("back_url protocol-relative", put("back_url", "//evil.example"), ["back_url"]),
    ("back_url with a newline", put("back_url", "https://x.com/\nSet-Cookie:a"), ["back_url"]),
    ("empty back_url", put("back_url", ""), ["back_url"]),
    # interval, when given
    ("interval 0", put("interval", 0), ["interval"]),
    ("interval -1", put("interval", -1), ["interval"]),
    ('interval "60"', put("interval", "60"), ["interval"]),
    ("interval 1.5", put("interval", 1.5), ["interval"]),
    ("interval over a year", put("interval", 366 * 24 * 60 + 1), ["interval"]),
    # several at once: every bad field is named, once each
    (
        "three bad fields",
        both(
            put("customer.name", DROP),
            put(f"{P0}.qty", 0),
            put("back_url", "javascript:alert(1)"),
        ),
        ["customer.name", Q0, "back_url"],
    ),
    (
        "two bad products",
        put("invoice.products", [
            {"name": "ok", "qty": 1, "price": 1},
            {"name": "", "qty": 1, "price": 1},
            {"name": "x", "qty": 1, "price": "abc"},
        ]),
        ["invoice.products[1].name", "invoice.products[2].price"],
    ),
]  # fmt: skip
IDS = [case[0] for case in CASES]

# Whole bodies that are no invoice at all.
RAW: list[tuple[str, bytes]] = [
    ("invalid JSON", b'{"customer": {"name": '),
    ("non-JSON text", b"customer=Delina&ref=111130"),
    ("JSON array", b"[]"),
    ("array of the seed", json.dumps([seed_body()]).encode()),
    ("JSON string", b'"update"'),
    ("JSON number", b"260000"),
    ("JSON null", b"null"),
    ("not UTF-8", b'{"customer": {"name": "\xff\xfe"}}'),
    ("nested too deep", b"[" * 100_000),
]
RAW_IDS = [case[0] for case in RAW]


def field_paths(messages: list[str]) -> list[str]:
    paths = []
    for message in messages:
        path, sep, reason = message.partition(": ")
        assert sep and reason, message  # "field.path: what is wrong"
        paths.append(path)
    return paths


def invoice_count(client: WinpayClient) -> int:
    async def count() -> int:
        _, total = await client.runtime.invoices.list_invoices(
            Actor(client.merchant_id, None, "test"), InvoiceQuery()
        )
        return int(total)

    return int(client.run(count))


@pytest.mark.parametrize(("case", "edit", "paths"), CASES, ids=IDS)
def test_bad_update_is_refused_and_changes_nothing(
    winpay: WinpayClient, case: str, edit: Edit, paths: list[str]
) -> None:
    invoice_id = winpay.create()["id"]
    before = winpay.state(invoice_id)
    body = {**copy.deepcopy(seed_body(ref="changed")), "interval": 30}
    edit(body)

    answer = winpay.call("PUT", f"/api/update/{invoice_id}", body)

    assert field_paths(expect_invalid(answer)) == paths
    assert winpay.state(invoice_id) == before
    assert winpay.call("GET", "/api/findByRef/changed").status_code == 404


@pytest.mark.parametrize(("case", "edit", "paths"), CASES, ids=IDS)
def test_bad_create_is_refused_and_creates_nothing(
    winpay: WinpayClient, case: str, edit: Edit, paths: list[str]
) -> None:
    body = copy.deepcopy(create_body(ref="new"))
    edit(body)

    answer = winpay.call("POST", "/api/create", body)

    assert field_paths(expect_invalid(answer)) == paths
    assert invoice_count(winpay) == 0


@pytest.mark.parametrize(("case", "raw"), RAW, ids=RAW_IDS)
def test_unusable_body_is_refused_and_changes_nothing(
    winpay: WinpayClient, case: str, raw: bytes
) -> None:
    invoice_id = winpay.create()["id"]
    before = winpay.state(invoice_id)

    updated = winpay.call("PUT", f"/api/update/{invoice_id}", raw)
    created = winpay.call("POST", "/api/create", raw)

    for answer in (updated, created):
        assert field_paths(expect_invalid(answer)) == ["body"]
    assert winpay.state(invoice_id) == before
    assert invoice_count(winpay) == 1


def test_body_messages_say_what_is_wrong(winpay: WinpayClient) -> None:
    def messages(raw: bytes) -> list[str]:
        return expect_invalid(winpay.call("POST", "/api/create", raw))

    assert messages(b"nope") == ["body: must be valid JSON"]
    assert messages(b"[]") == ["body: must be a JSON object"]


def test_a_body_over_the_limit_is_413_and_changes_nothing(winpay: WinpayClient) -> None:
    """Declared or chunked, a body past 1 MiB is refused as too large, not as invalid."""
    invoice_id = winpay.create()["id"]
    before = winpay.state(invoice_id)
    raw = json.dumps({**create_body(), "pad": "x" * MIB}).encode()

    def chunks() -> Iterator[bytes]:  # no Content-Length: Transfer-Encoding chunked
        yield from (raw[i : i + 65536] for i in range(0, len(raw), 65536))

    for answer in (
        winpay.call("PUT", f"/api/update/{invoice_id}", raw),
        winpay.call("POST", "/api/create", raw),
        winpay.http.post("/api/create", content=chunks(), headers=winpay.headers()),
    ):
        data = expect_error(answer, 413, "4130300", "Payload Too Large")
        assert data == [f"body: must be at most {MIB} bytes"]
    assert winpay.state(invoice_id) == before
    assert invoice_count(winpay) == 1


def test_empty_body_names_every_required_field(winpay: WinpayClient) -> None:
    invoice_id = winpay.create()["id"]

    for method, path in [("PUT", f"/api/update/{invoice_id}"), ("POST", "/api/create")]:
        answer = winpay.call(method, path, b"")
        expected = ["customer", "invoice", "back_url"] + (["interval"] if method == "POST" else [])
        assert field_paths(expect_invalid(answer)) == expected


def test_interval_is_required_on_create(winpay: WinpayClient) -> None:
    body = create_body()
    del body["interval"]

    answer = winpay.call("POST", "/api/create", body)

    assert expect_invalid(answer) == ["interval: Field required"]
    assert invoice_count(winpay) == 0


def test_interval_may_be_left_out_or_null_on_update(winpay: WinpayClient) -> None:
    invoice_id = winpay.create()["id"]

    assert winpay.call("PUT", f"/api/update/{invoice_id}", seed_body()).status_code == 200
    nulled = {**seed_body(), "interval": None}
    assert winpay.call("PUT", f"/api/update/{invoice_id}", nulled).status_code == 200


@pytest.mark.parametrize("command", ["javascript:history.back()", "javascript:history.go(-1)"])
def test_the_two_back_commands_are_accepted(winpay: WinpayClient, command: str) -> None:
    created = winpay.call("POST", "/api/create", create_body(back_url=command))
    assert created.status_code == 201
    invoice_id = created.json()["responseData"]["id"]
    updated = winpay.call("PUT", f"/api/update/{invoice_id}", seed_body(back_url=command))
    assert updated.json()["responseData"]["back_url"] == command
    assert winpay.find(invoice_id)["back_url"] == command


def test_values_at_the_limits_are_accepted(winpay: WinpayClient) -> None:
    body = create_body(ref="r" * 128, back_url="https://x.com/" + "a" * 2034)
    body["customer"] = {"name": "n" * 255, "email": "e" * 254, "phone": "0" * 32}
    body["invoice"]["products"] = [{"name": "p" * 255, "qty": 1_000_000, "price": 1}] + [
        {"name": "x", "qty": 1, "price": 1}
    ] * 999

    answer = winpay.call("POST", "/api/create", body)

    assert answer.status_code == 201, answer.text[:500]
    data = winpay.find(answer.json()["responseData"]["id"])
    assert len(data["products"]) == 1000
    assert data["customer"] == body["customer"]
    assert (data["ref"], data["back_url"]) == (body["invoice"]["ref"], body["back_url"])


def test_a_body_just_under_1_mib_is_read(winpay: WinpayClient) -> None:
    body = create_body()
    body["pad"] = ""
    size = len(json.dumps(body).encode())
    body["pad"] = "x" * (MIB - size)
    raw = json.dumps(body).encode()
    assert len(raw) == MIB

    assert winpay.call("POST", "/api/create", raw).status_code == 201
