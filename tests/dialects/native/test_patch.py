"""PATCH is a JSON merge patch guarded by If-Match: no lost write, and a 412 says what changed."""

from typing import Any

import pytest

from invoicegate.domain.invoice import EDITABLE_FIELDS
from tests.dialects.native.conftest import NativeClient, create_body

PROBLEM = "tag:invoicegate,2026:problem:"


def test_merge_patch_changes_only_what_it_names(native: NativeClient) -> None:
    created = native.create(due_date="2030-01-31", expires_at="2030-01-01T00:00:00Z")

    answer = native.patch(
        created["id"],
        {"customer": {"email": "new@example.com"}, "due_date": None, "reference": "INV-2"},
        '"v1"',
    )

    assert answer.status_code == 200, answer.text
    assert answer.headers["etag"] == '"v2"'
    updated = answer.json()
    assert updated["version"] == 2 and updated["reference"] == "INV-2"
    assert updated["customer"] == {**created["customer"], "email": "new@example.com"}
    assert updated["due_date"] is None  # null clears
    assert updated["expires_at"] == created["expires_at"]  # absent keeps
    assert updated["items"] == created["items"] and updated["back_url"] == created["back_url"]
    assert native.call("GET", f"/invoices/{created['id']}").json() == updated


def test_items_are_replaced_whole_and_currency_moves_with_them(native: NativeClient) -> None:
    created = native.create()
    items = [{"name": "Hosting", "quantity": 2, "unit_price": 10050}]

    answer = native.patch(created["id"], {"items": items, "currency": "SAR"}, '"v1"')

    assert answer.status_code == 200, answer.text
    updated = answer.json()
    assert updated["currency"] == "SAR" and updated["total"] == 20100
    assert [(i["name"], i["quantity"], i["unit_price"]) for i in updated["items"]] == [
        ("Hosting", 2, 10050)
    ]
    alone = native.patch(created["id"], {"currency": "USD"}, '"v2"')
    assert alone.status_code == 400
    assert alone.json()["errors"] == [
        {"pointer": "/currency", "detail": "a new currency needs the items priced in it"}
    ]


@pytest.mark.parametrize(
    ("patch", "pointer"),
    [
        ({"reference": None}, "/reference"),
        ({"items": None}, "/items"),
        ({"currency": None}, "/currency"),
        ({"customer": None}, "/customer"),
        ({"customer": {"name": None}}, "/customer/name"),
        ({"version": 7}, "/version"),
        ({"checkout_url": "https://evil.example"}, "/checkout_url"),
        ({"items": [{"name": "x", "quantity": 1.5, "unit_price": 1}]}, "/items/0/quantity"),
    ],
)
def test_fields_that_cannot_be_cleared_or_set_are_refused(
    native: NativeClient, patch: dict[str, Any], pointer: str
) -> None:
    created = native.create()
    answer = native.patch(created["id"], patch, '"v1"')
    assert answer.status_code == 400, answer.text
    assert answer.json()["type"] == PROBLEM + "invalid-input"
    assert pointer in [e["pointer"] for e in answer.json()["errors"]]
    assert native.call("GET", f"/invoices/{created['id']}").json() == created


def test_if_match_is_required(native: NativeClient) -> None:
    created = native.create()
    answer = native.patch(created["id"], {"reference": "X"}, None)
    assert answer.status_code == 428
    problem = answer.json()
    assert problem["type"] == PROBLEM + "precondition-required"
    assert problem["errors"] == [{"header": "If-Match", "detail": problem["errors"][0]["detail"]}]
    assert native.call("GET", f"/invoices/{created['id']}").json()["version"] == 1


@pytest.mark.parametrize("value", ["*", "v1", "1", 'W/"v1"', '"v1", "v2"', '"vx"'])
def test_if_match_must_be_one_of_our_etags(native: NativeClient, value: str) -> None:
    created = native.create()
    answer = native.patch(created["id"], {"reference": "X"}, value)
    assert answer.status_code in (400, 428), answer.text
    assert answer.json()["errors"][0]["header"] == "If-Match"
    assert native.call("GET", f"/invoices/{created['id']}").json()["version"] == 1


def test_a_stale_if_match_is_412_with_what_changed_since(native: NativeClient) -> None:
    created = native.create()
    native.patch(created["id"], {"reference": "INV-2"}, '"v1"')
    native.patch(created["id"], {"customer": {"name": "Budi"}, "reference": "INV-3"}, '"v2"')

    answer = native.patch(created["id"], {"back_url": None}, '"v1"')

    assert answer.status_code == 412
    assert answer.headers["etag"] == '"v3"'
    problem = answer.json()
    assert problem["type"] == PROBLEM + "version-mismatch"
    assert problem["current_version"] == 3 and problem["current_etag"] == '"v3"'
    assert problem["changes"] == [
        {"pointer": "/customer/name", "before": "Delina Prasetya", "after": "Budi"},
        {"pointer": "/reference", "before": "INV-1", "after": "INV-3"},
    ]
    current = native.call("GET", f"/invoices/{created['id']}").json()
    assert current["version"] == 3 and current["back_url"] == created["back_url"]


def test_a_version_that_never_was_is_412_too(native: NativeClient) -> None:
    created = native.create()
    answer = native.patch(created["id"], {"reference": "X"}, '"v9"')
    assert answer.status_code == 412
    assert answer.json()["current_version"] == 1 and "changes" not in answer.json()


def test_an_empty_patch_changes_nothing_but_still_checks_the_version(
    native: NativeClient,
) -> None:
    created = native.create()
    same = native.patch(created["id"], {}, '"v1"')
    assert same.status_code == 200 and same.json() == created
    assert native.patch(created["id"], {}, '"v2"').status_code == 412
    revisions = native.call("GET", f"/invoices/{created['id']}/revisions").json()["data"]
    assert len(revisions) == 1


@pytest.mark.parametrize("field", EDITABLE_FIELDS)
@pytest.mark.parametrize("end", ["paid", "cancelled"])
def test_paid_and_cancelled_invoices_refuse_every_field(
    native: NativeClient, field: str, end: str
) -> None:
    created = native.create()
    if end == "paid":
        ended = native.call(
            "POST",
            f"/invoices/{created['id']}/payments",
            {"amount": created["total"], "channel": "cash", "reference": "till-1"},
        )
    else:
        ended = native.call("POST", f"/invoices/{created['id']}/cancel")
    assert ended.status_code in (200, 201), ended.text
    value: Any = {
        "reference": "X",
        "customer": {"name": "X"},
        "items": [{"name": "X", "quantity": 1, "unit_price": 1}],
        "currency": "IDR",
        "back_url": "https://x.example",
        "expires_at": "2031-01-01T00:00:00Z",
        "due_date": "2031-01-01",
    }[field]

    answer = native.patch(created["id"], {field: value}, ended.headers["etag"])

    assert answer.status_code == 409
    assert answer.json()["type"] == PROBLEM + (
        "invoice-paid" if end == "paid" else "invoice-cancelled"
    )
    assert native.call("GET", f"/invoices/{created['id']}").json() == ended.json()


def test_cancel_keeps_the_invoice_readable_and_honours_if_match(native: NativeClient) -> None:
    created = native.create()
    native.patch(created["id"], {"reference": "INV-2"}, '"v1"')

    stale = native.call("POST", f"/invoices/{created['id']}/cancel", headers={"If-Match": '"v1"'})
    assert stale.status_code == 412
    cancelled = native.call(
        "POST", f"/invoices/{created['id']}/cancel", headers={"If-Match": '"v2"'}
    )

    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    assert cancelled.headers["etag"] == '"v3"'
    again = native.call("POST", f"/invoices/{created['id']}/cancel")
    assert again.status_code == 409 and again.json()["type"] == PROBLEM + "invoice-cancelled"
    # The reference is free again for a new live invoice.
    assert native.call("POST", "/invoices", create_body("INV-2")).status_code == 201


def test_a_payment_received_outside_marks_it_paid(native: NativeClient) -> None:
    created = native.create()
    wrong = native.call(
        "POST",
        f"/invoices/{created['id']}/payments",
        {"amount": created["total"] - 1, "channel": "bank_transfer", "reference": "TRX-9"},
    )
    assert wrong.status_code == 422
    assert wrong.json()["type"] == PROBLEM + "amount-mismatch"
    assert wrong.json()["errors"] == [
        {"pointer": "/amount", "detail": f"must be {created['total']}"}
    ]

    answer = native.call(
        "POST",
        f"/invoices/{created['id']}/payments",
        {"amount": created["total"], "channel": "bank_transfer", "reference": "TRX-9"},
    )

    assert answer.status_code == 201, answer.text
    paid = answer.json()
    assert paid["status"] == "paid" and paid["version"] == 2
    payment = paid["payment"]
    assert (payment["channel"], payment["reference"], payment["amount"]) == (
        "bank_transfer",
        "TRX-9",
        created["total"],
    )
    assert payment["fee"] == 0 and payment["net"] == created["total"]
    twice = native.call(
        "POST",
        f"/invoices/{created['id']}/payments",
        {"amount": created["total"], "channel": "cash", "reference": "TRX-10"},
    )
    assert twice.status_code == 409 and twice.json()["type"] == PROBLEM + "invoice-paid"


def test_an_expired_invoice_refuses_payment_until_its_expiry_moves(native: NativeClient) -> None:
    created = native.create(expires_at="2020-01-01T00:00:00Z")
    body = {"amount": created["total"], "channel": "cash", "reference": "late"}
    refused = native.call("POST", f"/invoices/{created['id']}/payments", body)
    assert refused.status_code == 409
    assert refused.json()["type"] == PROBLEM + "invoice-expired"

    moved = native.patch(created["id"], {"expires_at": None}, '"v1"')
    assert moved.status_code == 200 and moved.json()["expired"] is False
    assert native.call("POST", f"/invoices/{created['id']}/payments", body).status_code == 201
