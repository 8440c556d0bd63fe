"""Create, read and list invoices: minor units, ETags, checkout links, filters and cursors."""

import re
import threading
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.conftest import winpay_headers
from tests.dialects.native.conftest import NativeClient, create_body, paylink_body

CHECKOUT_URL = re.compile(r"^http://checkout\.test/[a-z0-9]{11}$")


def test_create_answers_the_invoice_with_location_and_etag(native: NativeClient) -> None:
    body = create_body(
        "INV-7",
        currency="KWD",
        items=[
            {"name": "Tea", "quantity": 3, "unit_price": 1250},  # KWD 1.250
            {"name": "Cup", "quantity": 1, "unit_price": 5},
        ],
        expires_at="2999-01-01T10:00:00+03:00",
        due_date="2999-01-31",
    )
    answer = native.call("POST", "/invoices", body)

    assert answer.status_code == 201, answer.text
    created = answer.json()
    assert answer.headers["location"] == f"/v1/invoices/{created['id']}"
    assert answer.headers["etag"] == '"v1"' and created["version"] == 1
    assert created["status"] == "unpaid" and created["expired"] is False
    assert created["currency"] == "KWD" and created["total"] == 3755
    assert [(i["name"], i["quantity"], i["unit_price"], i["total"]) for i in created["items"]] == [
        ("Tea", 3, 1250, 3750),
        ("Cup", 1, 5, 5),
    ]
    assert created["expires_at"] == "2999-01-01T07:00:00Z"  # kept as the instant, in UTC
    assert created["due_date"] == "2999-01-31"
    assert CHECKOUT_URL.match(created["checkout_url"])
    assert created["payment"] is None
    found = native.call("GET", f"/invoices/{created['id']}")
    assert found.json() == created and found.headers["etag"] == '"v1"'


def test_optional_fields_may_be_left_out(native: NativeClient) -> None:
    created = native.create(
        "minimal",
        customer={"name": "Walk-in"},
        items=[{"name": "x", "quantity": 1, "unit_price": 1}],
    )
    assert created["customer"] == {"name": "Walk-in", "email": "", "phone": ""}
    assert created["expires_at"] is None and created["due_date"] is None


@pytest.mark.parametrize(
    ("change", "pointer"),
    [
        ({"currency": "XXX"}, "/currency"),
        ({"items": []}, "/items"),
        ({"items": [{"name": "a", "quantity": 1, "unit_price": 1.5}]}, "/items/0/unit_price"),
        ({"items": [{"name": "a", "quantity": 1, "unit_price": "100"}]}, "/items/0/unit_price"),
        ({"items": [{"name": "a", "quantity": 1, "unit_price": -1}]}, "/items/0/unit_price"),
        ({"items": [{"name": "a", "quantity": 1, "unit_price": 2**63}]}, "/items/0/unit_price"),
        ({"items": [{"name": "a", "quantity": 0, "unit_price": 1}]}, "/items/0/quantity"),
        ({"items": [{"name": "a", "quantity": 1, "unit_price": 0}]}, "/items"),  # total 0
        ({"reference": ""}, "/reference"),
        ({"reference": "a\x00b"}, "/reference"),
        ({"customer": {"name": "x", "email": "not-an-email"}}, "/customer/email"),
        ({"customer": {"email": "a@b.c"}}, "/customer/name"),
        ({"back_url": "javascript:alert(1)"}, "/back_url"),
        ({"expires_at": "2030-01-01T00:00:00"}, "/expires_at"),  # no offset: which instant?
        ({"expires_at": "9999-12-31T23:00:00-05:00"}, "/expires_at"),  # past year 9999 in UTC
        ({"total": 100}, "/total"),  # read-only
        ({"status": "paid"}, "/status"),
    ],
)
def test_bad_input_names_each_bad_field_and_creates_nothing(
    native: NativeClient, change: dict[str, Any], pointer: str
) -> None:
    answer = native.call("POST", "/invoices", create_body(**change))

    assert answer.status_code == 400, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    problem = answer.json()
    assert problem["type"] == "tag:invoicegate,2026:problem:invalid-input"
    assert problem["title"] and problem["status"] == 400 and problem["detail"]
    assert pointer in [e["pointer"] for e in problem["errors"]]
    assert native.call("GET", "/invoices").json()["data"] == []


@pytest.mark.parametrize("raw", [b"", b"{", b"[]", b"null", b'"x"', b"\xff"])
def test_a_body_that_is_not_a_json_object_is_a_400(native: NativeClient, raw: bytes) -> None:
    answer = native.call("POST", "/invoices", raw, headers={"Content-Type": "application/json"})
    assert answer.status_code == 400
    assert answer.json()["errors"][0]["pointer"] == ""


def test_a_duplicate_live_reference_is_a_409(native: NativeClient) -> None:
    native.create("R-1")
    answer = native.call("POST", "/invoices", create_body("R-1"))
    assert answer.status_code == 409
    assert answer.json()["type"] == "tag:invoicegate,2026:problem:duplicate-reference"


def test_invoices_from_every_dialect_are_readable_here(native: NativeClient) -> None:
    onboarded = native.onboarded
    winpay = native.http.post(
        "/api/create",
        headers=winpay_headers(onboarded.winpay.public_id, onboarded.winpay.secret or ""),
        json={
            "customer": {"name": "Delina", "email": "d@example.com", "phone": "082342341"},
            "invoice": {"ref": "WP-1", "products": [{"name": "Kopi", "qty": 2, "price": 15000}]},
            "back_url": "https://shop.example/back",
            "interval": 60,
        },
    )
    assert winpay.status_code == 201, winpay.text
    paylink = native.http.post(
        f"/api/merchants/{native.merchant_id}/invoices",
        headers={"X-API-KEY": onboarded.paylink.secret},
        json=paylink_body("PL-1"),
    )
    assert paylink.status_code == 201, paylink.text

    wp = native.call("GET", f"/invoices/{winpay.json()['responseData']['id']}").json()
    pl = native.call("GET", f"/invoices/{paylink.json()['invoiceId']}").json()

    assert (wp["reference"], wp["currency"], wp["total"]) == ("WP-1", "IDR", 30000)
    assert wp["checkout_url"] == winpay.json()["responseData"]["redirect_url"]
    assert (pl["reference"], pl["currency"], pl["total"]) == ("PL-1", "SAR", 30100)
    assert pl["checkout_url"] == paylink.json()["invoicePaymentUrl"]
    assert pl["due_date"] == "2030-07-15"


def make(native: NativeClient, n: int, **changes: Any) -> list[dict[str, Any]]:
    return [native.create(f"L-{i}", **changes) for i in range(n)]


def walk(native: NativeClient, query: str) -> list[list[str]]:
    pages: list[list[str]] = []
    url = f"/invoices?{query}"
    while True:
        answer = native.call("GET", url)
        assert answer.status_code == 200, answer.text
        page = answer.json()
        pages.append([i["reference"] for i in page["data"]])
        if not page["has_more"]:
            assert page["next_cursor"] is None
            return pages
        url = f"/invoices?{query}&cursor={page['next_cursor']}"


def test_pages_run_newest_first_by_cursor(native: NativeClient) -> None:
    make(native, 7)
    pages = walk(native, "limit=3")
    assert pages == [["L-6", "L-5", "L-4"], ["L-3", "L-2", "L-1"], ["L-0"]]


def test_a_walk_neither_repeats_nor_skips_while_invoices_are_added(
    native: NativeClient,
) -> None:
    before = {i["id"] for i in make(native, 12)}
    seen: list[str] = []
    url = "/invoices?limit=4"
    added = 0
    while True:
        page = native.call("GET", url).json()
        seen += [i["id"] for i in page["data"]]
        native.create(f"NEW-{added}")  # lands between two page reads
        added += 1
        if not page["has_more"]:
            break
        url = f"/invoices?limit=4&cursor={page['next_cursor']}"
    assert len(seen) == len(set(seen))
    assert before <= set(seen)
    assert not any(i.startswith("NEW") for i in seen[4:])  # newer ones sort before the walk


def test_filters(native: NativeClient) -> None:
    first = native.create("A-1", customer={"name": "Siti Aminah", "email": "siti@example.com"})
    native.create("A-2", customer={"name": "Budi", "phone": "0812999"})
    paid = native.create("A-3")
    native.call(
        "POST",
        f"/invoices/{paid['id']}/payments",
        {"amount": paid["total"], "channel": "bank_transfer", "reference": "TRX-1"},
    )

    def refs(query: str) -> list[str]:
        answer = native.call("GET", f"/invoices?{query}")
        assert answer.status_code == 200, answer.text
        return sorted(i["reference"] for i in answer.json()["data"])

    assert refs("status=paid") == ["A-3"]
    assert refs("status=unpaid") == ["A-1", "A-2"]
    assert refs("reference=A-2") == ["A-2"]
    assert refs("customer=aminah") == ["A-1"]
    assert refs("customer=SITI%40EXAMPLE") == ["A-1"]
    assert refs("customer=2999") == ["A-2"]
    created = datetime.fromisoformat(first["created_at"])
    later = (created + timedelta(microseconds=1)).isoformat()
    assert refs(f"created_lt={later.replace('+', '%2B')}") == ["A-1"]
    assert refs(f"created_gte={later.replace('+', '%2B')}") == ["A-2", "A-3"]
    assert refs("customer=%25") == []  # a wildcard character is matched literally


@pytest.mark.parametrize(
    ("query", "parameter"),
    [
        ("status=open", "status"),
        ("limit=0", "limit"),
        ("limit=ten", "limit"),
        ("cursor=bm90LWEtY3Vyc29y", "cursor"),
        ("cursor=%%%", "cursor"),
        ("created_gte=yesterday", "created_gte"),
        ("created_lt=2030-01-01T00:00:00", "created_lt"),
        ("customer=%00", "customer"),
        ("colour=red", "colour"),
    ],
)
def test_bad_list_parameters_are_named(native: NativeClient, query: str, parameter: str) -> None:
    answer = native.call("GET", f"/invoices?{query}")
    assert answer.status_code == 400, answer.text
    assert parameter in [e["parameter"] for e in answer.json()["errors"]]


def test_limit_is_capped(native: NativeClient) -> None:
    make(native, 3)
    answer = native.call("GET", "/invoices?limit=1000000")
    assert answer.status_code == 200 and len(answer.json()["data"]) == 3


def test_expired_is_shown_for_an_unpaid_invoice_past_its_expiry(native: NativeClient) -> None:
    past = (datetime.now(UTC) - timedelta(minutes=1)).isoformat()
    created = native.create("old", expires_at=past)
    assert created["expired"] is True and created["status"] == "unpaid"


def test_concurrent_creates_each_land_once(native: NativeClient) -> None:
    answers: list[int] = []

    def create(n: int) -> None:
        answers.append(native.call("POST", "/invoices", create_body(f"C-{n}")).status_code)

    threads = [threading.Thread(target=create, args=(n,)) for n in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert answers == [201] * 10
    [page] = walk(native, "limit=100")
    assert sorted(page) == sorted(f"C-{n}" for n in range(10))
