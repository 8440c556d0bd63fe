"""What real Winpay clients send and must keep working: extra keys, empty emails, escaped
slashes, bodies and content types on GET/DELETE, no content type at all, any Unicode."""

import json
from typing import Any

import pytest

from tests.dialects.winpay.conftest import WinpayClient, create_body, seed_body, signed, timestamp

ARABIC = "محمد عبد الله"
EMOJI = "Delina 🧾💸 Prasetya"


def bare_headers(client: WinpayClient, **extra: str) -> dict[str, str]:
    """The three auth headers only: no Content-Type unless given."""
    return signed(client.key, client.secret, timestamp(), **extra)


def test_unknown_keys_at_every_level_are_ignored(winpay: WinpayClient) -> None:
    body: dict[str, Any] = create_body()
    body["merchant_note"] = {"nested": [1, 2, 3]}
    body["callback_url"] = "https://attacker.example/hook"  # never taken from a request
    body["customer"]["address"] = "Jl. Sudirman 1"
    body["invoice"]["currency"] = "USD"
    body["invoice"]["products"][0]["sku"] = "SKU-1"

    created = winpay.call("POST", "/api/create", body)

    assert created.status_code == 201, created.text
    data = created.json()["responseData"]
    assert set(data["customer"]) == {"name", "email", "phone"}
    assert set(data["products"][0]) == {"uuid", "name", "qty", "price"}
    assert "merchant_note" not in created.text and "attacker" not in created.text
    updated = winpay.call("PUT", f"/api/update/{data['id']}", {**seed_body(), "extra": True})
    assert updated.status_code == 200


@pytest.mark.parametrize("email", ["", None, "DROP"], ids=["empty", "null", "absent"])
def test_no_email_is_accepted_and_answered_as_empty(winpay: WinpayClient, email: Any) -> None:
    body = create_body()
    if email == "DROP":
        del body["customer"]["email"]
    else:
        body["customer"]["email"] = email

    created = winpay.call("POST", "/api/create", body)

    assert created.status_code == 201, created.text
    assert created.json()["responseData"]["customer"]["email"] == ""
    invoice_id = created.json()["responseData"]["id"]
    update = seed_body()
    update["customer"]["email"] = email if email != "DROP" else ""
    assert winpay.call("PUT", f"/api/update/{invoice_id}", update).status_code == 200
    assert winpay.find(invoice_id)["customer"]["email"] == ""


def test_escaped_slashes_are_plain_json(winpay: WinpayClient) -> None:
    """PHP's json_encode writes https:\\/\\/x.com; it is the same string."""
    raw = json.dumps(create_body(back_url="https://x.com/back?a=1")).replace("/", "\\/")
    assert "https:\\/\\/x.com\\/back" in raw

    created = winpay.call("POST", "/api/create", raw)

    assert created.status_code == 201, created.text
    data = created.json()["responseData"]
    assert data["back_url"] == "https://x.com/back?a=1"
    update = json.dumps(seed_body(back_url="https://y.com/")).replace("/", "\\/")
    updated = winpay.call("PUT", f"/api/update/{data['id']}", update)
    assert updated.json()["responseData"]["back_url"] == "https://y.com/"


@pytest.mark.parametrize("body", [b"", b"{}", b"null"], ids=["empty", "{}", "null"])
@pytest.mark.parametrize("content_type", ["application/json", None], ids=["json", "none"])
def test_get_and_delete_ignore_a_json_content_type_and_body(
    winpay: WinpayClient, body: bytes, content_type: str | None
) -> None:
    invoice_id = winpay.create(ref="A")["id"]
    winpay.create(ref="B")
    extra = {"Content-Type": content_type} if content_type else {}

    def call(method: str, path: str) -> Any:
        return winpay.http.request(
            method, path, headers=bare_headers(winpay, **extra), content=body
        )

    assert call("GET", f"/api/find/{invoice_id}").json()["responseMessage"] == "Invoice Found"
    assert call("GET", "/api/findByRef/A").json()["responseData"]["id"] == invoice_id
    deleted = call("DELETE", f"/api/delete/{invoice_id}")
    assert (deleted.status_code, deleted.json()["responseData"]) == (200, [])
    assert call("DELETE", "/api/deleteByRef/B").json()["responseCode"] == "2000300"
    assert winpay.call("GET", "/api/findByRef/B").status_code == 404


@pytest.mark.parametrize(
    "content_type",
    [None, "text/plain", "application/x-www-form-urlencoded", "application/json; charset=utf-8"],
    ids=["none", "text", "form", "json-utf8"],
)
def test_create_and_update_read_json_whatever_the_content_type(
    winpay: WinpayClient, content_type: str | None
) -> None:
    extra = {"Content-Type": content_type} if content_type else {}
    raw = json.dumps(create_body()).encode()

    created = winpay.http.post("/api/create", headers=bare_headers(winpay, **extra), content=raw)

    assert created.status_code == 201, created.text
    invoice_id = created.json()["responseData"]["id"]
    update = json.dumps(seed_body(ref="changed")).encode()
    updated = winpay.http.put(
        f"/api/update/{invoice_id}", headers=bare_headers(winpay, **extra), content=update
    )
    assert updated.json()["responseData"]["ref"] == "changed"


@pytest.mark.parametrize("name", [ARABIC, EMOJI, "Ñandú Çelik ß", "李小龙", "a\u0301"])
def test_unicode_text_round_trips(winpay: WinpayClient, name: str) -> None:
    body = create_body(ref=f"ref-{name}")
    body["customer"]["name"] = name
    body["invoice"]["products"][0]["name"] = f"{name} 📦"

    created = winpay.call("POST", "/api/create", body)

    assert created.status_code == 201, created.text
    data = winpay.find(created.json()["responseData"]["id"])
    assert data["customer"]["name"] == name
    assert data["products"][0]["name"] == f"{name} 📦"
    assert data["ref"] == f"ref-{name}"
    by_ref = winpay.call("GET", f"/api/findByRef/ref-{name}")
    assert by_ref.json()["responseData"]["id"] == data["id"]


def test_unicode_escapes_in_the_json_text_are_decoded(winpay: WinpayClient) -> None:
    """json_encode without JSON_UNESCAPED_UNICODE sends \\u escapes (and surrogate pairs)."""
    body = create_body()
    body["customer"]["name"] = EMOJI
    raw = json.dumps(body, ensure_ascii=True)
    assert "\\ud83e" in raw

    created = winpay.call("POST", "/api/create", raw)

    assert created.json()["responseData"]["customer"]["name"] == EMOJI
    assert EMOJI.encode() in created.content  # answered as UTF-8


def test_whitespace_around_the_body_is_fine(winpay: WinpayClient) -> None:
    raw = b"\n  " + json.dumps(create_body()).encode() + b"\r\n"

    assert winpay.call("POST", "/api/create", raw).status_code == 201
