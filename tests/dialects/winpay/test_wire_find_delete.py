"""The six endpoints as a client drives them: codes, messages and what each one leaves behind.

Delete is soft: the invoice stops being found or changed, and its ref is free again.
"""

from typing import Any
from urllib.parse import quote

import pytest

from tests.dialects.winpay.conftest import (
    CREATED_AT,
    ENVELOPE_KEYS,
    REDIRECT_URL,
    RESPONSE_DATE,
    WinpayClient,
    create_body,
    expect_error,
    is_uuid4,
    seed_body,
)

INVOICE_KEYS = {"id", "ref", "created_at", "redirect_url", "back_url", "customer", "products"}


def expect_ok(answer: Any, status: int, code: str, message: str) -> Any:
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"] == "application/json"
    body = answer.json()
    assert set(body) == ENVELOPE_KEYS
    assert (body["responseCode"], body["responseMessage"]) == (code, message)
    assert RESPONSE_DATE.match(body["responseDate"])
    return body["responseData"]


def expect_not_found(answer: Any) -> None:
    assert expect_error(answer, 404, "4040300", "Invoice not found") == []


def test_create_answers_201_with_the_invoice_and_no_status(winpay: WinpayClient) -> None:
    data = expect_ok(
        winpay.call("POST", "/api/create", create_body()), 201, "2010300", "Invoice created"
    )

    assert set(data) == INVOICE_KEYS
    assert is_uuid4(data["id"]) and data["ref"] == "111130"
    assert CREATED_AT.match(data["created_at"]) and REDIRECT_URL.match(data["redirect_url"])
    assert data["customer"] == seed_body()["customer"]
    [product] = data["products"]
    assert is_uuid4(product["uuid"]) and product["uuid"] != data["id"]
    assert (product["name"], product["qty"], product["price"]) == ("01002676", 1, 260000)


def test_each_invoice_gets_its_own_id_and_checkout_url(winpay: WinpayClient) -> None:
    made = [winpay.create(ref=f"R{n}") for n in range(5)]
    assert len({d["id"] for d in made}) == len({d["redirect_url"] for d in made}) == 5


def test_find_and_find_by_ref_answer_the_created_invoice_with_status(
    winpay: WinpayClient,
) -> None:
    created = winpay.create(ref="INV-001")

    by_id = expect_ok(
        winpay.call("GET", f"/api/find/{created['id']}"), 200, "2000300", "Invoice Found"
    )
    by_ref = expect_ok(
        winpay.call("GET", "/api/findByRef/INV-001"), 200, "2000300", "Invoice Found"
    )

    assert by_id == by_ref == {**created, "status": "UNPAID"}


def test_update_answers_invoice_updated(winpay: WinpayClient) -> None:
    invoice_id = winpay.create()["id"]

    data = expect_ok(
        winpay.call("PUT", f"/api/update/{invoice_id}", seed_body(ref="R2")),
        200,
        "2000300",
        "Invoice Updated",
    )

    assert data["ref"] == "R2" and data["status"] == "UNPAID"


@pytest.mark.parametrize("how", ["delete", "deleteByRef"])
def test_delete_answers_empty_data_and_the_invoice_is_gone(winpay: WinpayClient, how: str) -> None:
    invoice_id = winpay.create(ref="GONE")["id"]
    path = f"/api/delete/{invoice_id}" if how == "delete" else "/api/deleteByRef/GONE"

    answer = winpay.call("DELETE", path)

    assert expect_ok(answer, 200, "2000300", "Invoice has been deleted") == []
    assert b'"responseData":[]' in answer.content
    expect_not_found(winpay.call("GET", f"/api/find/{invoice_id}"))
    expect_not_found(winpay.call("GET", "/api/findByRef/GONE"))
    expect_not_found(winpay.call("PUT", f"/api/update/{invoice_id}", seed_body(ref="GONE")))
    expect_not_found(winpay.call("DELETE", f"/api/delete/{invoice_id}"))
    expect_not_found(winpay.call("DELETE", "/api/deleteByRef/GONE"))


def test_a_deleted_ref_can_be_used_again(winpay: WinpayClient) -> None:
    old_id = winpay.create(ref="REUSED")["id"]
    winpay.call("DELETE", f"/api/delete/{old_id}")

    new = expect_ok(
        winpay.call("POST", "/api/create", create_body(ref="REUSED")),
        201,
        "2010300",
        "Invoice created",
    )

    assert new["id"] != old_id
    found = winpay.call("GET", "/api/findByRef/REUSED").json()["responseData"]
    assert found["id"] == new["id"]
    expect_not_found(winpay.call("GET", f"/api/find/{old_id}"))
    # deleteByRef now takes the new one; the old one stays deleted.
    winpay.call("DELETE", "/api/deleteByRef/REUSED")
    expect_not_found(winpay.call("GET", f"/api/find/{new['id']}"))
    third = winpay.create(ref="REUSED")
    assert winpay.call("GET", "/api/findByRef/REUSED").json()["responseData"]["id"] == third["id"]


def test_an_update_may_take_a_deleted_invoices_ref(winpay: WinpayClient) -> None:
    old_id = winpay.create(ref="FREED")["id"]
    other_id = winpay.create(ref="OTHER")["id"]
    winpay.call("DELETE", f"/api/delete/{old_id}")

    answer = winpay.call("PUT", f"/api/update/{other_id}", seed_body(ref="FREED"))

    assert answer.status_code == 200
    assert winpay.call("GET", "/api/findByRef/FREED").json()["responseData"]["id"] == other_id


def test_an_id_in_another_spelling_of_its_uuid_finds_the_invoice(winpay: WinpayClient) -> None:
    """Ids are read as UUIDs: upper case or without hyphens name the same invoice."""
    invoice_id = winpay.create()["id"]
    for spelling in (invoice_id.upper(), invoice_id.replace("-", ""), f"{{{invoice_id}}}"):
        answer = winpay.call("GET", f"/api/find/{spelling}")
        assert answer.status_code == 200, spelling
        assert answer.json()["responseData"]["id"] == invoice_id
    expect_not_found(winpay.call("GET", f"/api/find/{invoice_id}0"))
    expect_not_found(winpay.call("GET", f"/api/find/{invoice_id[:-1]}g"))


def test_unknown_ids_and_refs_are_not_found(winpay: WinpayClient) -> None:
    unknown = "00000000-0000-4000-8000-000000000000"
    expect_not_found(winpay.call("GET", f"/api/find/{unknown}"))
    expect_not_found(winpay.call("PUT", f"/api/update/{unknown}", seed_body()))
    expect_not_found(winpay.call("DELETE", f"/api/delete/{unknown}"))
    expect_not_found(winpay.call("GET", "/api/findByRef/nope"))
    expect_not_found(winpay.call("DELETE", "/api/deleteByRef/nope"))


@pytest.mark.parametrize(
    "ref", ["INV/2023/10/001", "a b", "50%", "x?y#z", "ref+1", "é", "line\nbreak", "tab\t", "/"]
)
def test_refs_with_url_special_characters_are_reachable(winpay: WinpayClient, ref: str) -> None:
    """Any ref create accepts can be found and deleted by ref, percent-encoded in the path."""
    invoice_id = winpay.create(ref=ref)["id"]
    path = quote(ref, safe="")

    found = winpay.call("GET", f"/api/findByRef/{path}")

    assert expect_ok(found, 200, "2000300", "Invoice Found")["id"] == invoice_id
    deleted = winpay.call("DELETE", f"/api/deleteByRef/{path}")
    assert expect_ok(deleted, 200, "2000300", "Invoice has been deleted") == []
    expect_not_found(winpay.call("GET", f"/api/find/{invoice_id}"))


def test_an_unexpected_failure_answers_the_general_error_envelope(
    winpay: WinpayClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    invoice_id = winpay.create()["id"]

    async def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("database on fire: secret detail")

    monkeypatch.setattr(winpay.runtime.invoices, "find_invoice", broken)
    answer = winpay.call("GET", f"/api/find/{invoice_id}")

    assert expect_error(answer, 500, "5000300", "General Error") == []
    assert b"secret detail" not in answer.content


@pytest.mark.parametrize("method", ["GET", "DELETE"])
@pytest.mark.parametrize("ref", ["line%0Abreak", "%0A", "tab%09and%0D%0Areturn"])
def test_a_ref_with_line_breaks_is_not_found_in_winpays_envelope(
    winpay: WinpayClient, method: str, ref: str
) -> None:
    path = "/api/findByRef/" if method == "GET" else "/api/deleteByRef/"
    expect_not_found(winpay.call(method, path + ref))
