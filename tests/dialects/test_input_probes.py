"""No input reaches a 5xx, on SQLite and PostgreSQL alike (issue 6, defect 3).

Each probe is what an attacker (or a sloppy client) sends; each answer is a clear 4xx in
the dialect's envelope, or a plain answer, and nothing is stored.
"""

import copy
from typing import Any

import pytest

from tests.dialects.conftest import CREATE_PATHS, Tenant, create_body, created_id

LIST = "/api/merchants/{merchant}/invoices"


@pytest.mark.parametrize(
    "query",
    [
        "endDate=9999-12-31",
        "startDate=9999-12-31&endDate=9999-12-31",
        "startDate=0001-01-01",
        "startDate=0001-01-01&endDate=9999-12-31",
    ],
)
def test_list_dates_at_the_ends_of_the_calendar_are_served(tenant: Tenant, query: str) -> None:
    """endDate=9999-12-31 answered 500: the day after it does not exist (date overflow)."""
    answer = tenant.call("paylink", "GET", f"{LIST}?{query}")

    assert answer.status_code == 200, answer.text
    assert answer.json()["totalCount"] == 0


# --- every URL the service stores: one rule -----------------------------------------------

# Where each dialect takes a URL it stores (JSON path into its create body).
URL_FIELDS = [
    ("winpay", ("back_url",)),
    ("paylink", ("callbackUrl",)),
    ("paylink_v2", ("callBackUrl",)),
    ("paylink_v2", ("cancelUrl",)),
    ("native", ("back_url",)),
]
BAD_URLS = {
    "NUL": "https://shop.example/cb\x00",
    "control": "https://shop.example/\x01cb",
    "CRLF": "https://shop.example/cb\r\nX-Injected: 1",
    "tab": "https://shop.example/\tcb",
    "bidi override": "https://shop.example/\u202egnp.exe",
    "zero-width space": "https://shop\u200b.example/cb",
    "space": "https://shop example/cb",
    "backslash": "https://shop.example\\evil.example/cb",
    "no slashes": "https:shop.example/cb",
    "script": "javascript:alert(1)",
    "ftp": "ftp://shop.example/cb",
    "no host": "https://",
    "bad port": "https://shop.example:99999/cb",
    "too long": "https://shop.example/" + "x" * 2030,
}
GOOD_URLS = [
    "https://shop.example/cb?order=1&x=%00",
    "HTTP://SHOP.EXAMPLE",
    "https://bücher.example/ü",
]


def with_field(body: dict[str, Any], path: tuple[str | int, ...], value: Any) -> dict[str, Any]:
    changed = copy.deepcopy(body)
    here: Any = changed
    for key in path[:-1]:
        here = here[key]
    here[path[-1]] = value
    return changed


def count(tenant: Tenant) -> int:
    """How many invoices the merchant has (Paylink's list shows every dialect's)."""
    answer = tenant.call("paylink", "GET", LIST)
    assert answer.status_code == 200, answer.text
    return int(answer.json()["totalCount"])


def assert_refused(dialect: str, answer: Any) -> None:
    assert answer.status_code == 400, answer.text
    assert answer.headers["content-type"].endswith("json")


@pytest.mark.parametrize(("dialect", "field"), URL_FIELDS, ids=lambda v: str(v))
def test_every_stored_url_goes_through_the_one_rule(
    tenant: Tenant, dialect: str, field: tuple[str, ...]
) -> None:
    """Before: NUL and controls were stored on SQLite and answered 500 on PostgreSQL."""
    for n, bad in enumerate(BAD_URLS.values()):
        body = with_field(create_body(dialect, f"BAD-{n}"), field, bad)
        assert_refused(dialect, tenant.call(dialect, "POST", CREATE_PATHS[dialect], body))
    assert count(tenant) == 0
    for n, good in enumerate(GOOD_URLS):
        body = with_field(create_body(dialect, f"GOOD-{n}"), field, good)
        created_id(dialect, tenant.call(dialect, "POST", CREATE_PATHS[dialect], body))
    assert count(tenant) == len(GOOD_URLS)


def test_a_stored_url_is_kept_exactly_as_written(tenant: Tenant) -> None:
    """Checked, never normalised: the merchant reads back what it wrote."""
    url = "HTTPS://Shop.Example:443/Return?a=1&b=%41#top"
    body = with_field(create_body("paylink", "R-1"), ("callbackUrl",), url)
    invoice_id = created_id(
        "paylink", tenant.call("paylink", "POST", CREATE_PATHS["paylink"], body)
    )

    shown = tenant.call("paylink", "GET", f"{LIST}/{invoice_id}").json()
    assert shown["callbackUrl"] == url


# --- NUL in every text field of every dialect ---------------------------------------------

TEXT_FIELDS: dict[str, list[tuple[str | int, ...]]] = {
    "winpay": [
        ("customer", "name"), ("customer", "email"), ("customer", "phone"),
        ("invoice", "ref"), ("invoice", "products", 0, "name"), ("back_url",),
    ],
    "paylink": [
        ("invoiceNumber",), ("dueDate",), ("currency",), ("callbackUrl",),
        ("customerInfo", "customerName"), ("customerInfo", "customerPhone"),
        ("items", 0, "description"),
    ],
    "paylink_v2": [
        ("orderNumber",), ("clientName",), ("clientMobile",), ("clientEmail",), ("note",),
        ("smsMessage",), ("currency",), ("callBackUrl",), ("cancelUrl",),
        ("supportedCardBrands", 0), ("products", 0, "title"), ("products", 0, "description"),
        ("products", 0, "imageSrc"),
    ],
    "native": [
        ("reference",), ("customer", "name"), ("customer", "email"), ("customer", "phone"),
        ("items", 0, "name"), ("currency",), ("back_url",),
    ],
}  # fmt: skip


@pytest.mark.parametrize("dialect", TEXT_FIELDS)
def test_every_text_field_refuses_nul(tenant: Tenant, dialect: str) -> None:
    for field in TEXT_FIELDS[dialect]:
        base = create_body(dialect, "NUL-1")
        here: Any = base
        for key in field:
            here = here[key]
        body = with_field(base, field, f"{here[:3]}\x00{here[3:]}")

        answer = tenant.call(dialect, "POST", CREATE_PATHS[dialect], body)

        assert answer.status_code == 400, (field, answer.text)
    assert count(tenant) == 0


def test_an_update_refuses_nul_in_every_text_field(tenant: Tenant) -> None:
    winpay_id = created_id(
        "winpay", tenant.call("winpay", "POST", "/api/create", create_body("winpay", "W-1"))
    )
    paylink_id = created_id(
        "paylink", tenant.call("paylink", "POST", LIST, create_body("paylink", "P-1"))
    )
    before = {
        i: tenant.call("paylink", "GET", f"{LIST}/{i}").json() for i in (winpay_id, paylink_id)
    }
    winpay_update = {k: v for k, v in create_body("winpay", "W-2").items() if k != "interval"}
    for field in TEXT_FIELDS["winpay"]:
        body = with_field(winpay_update, field, "x\x00y")
        assert tenant.call("winpay", "PUT", f"/api/update/{winpay_id}", body).status_code == 400
    paylink_update = {
        "items": [{"description": "Teh", "quantity": 1, "price": 5}],
        "totalAmount": 5, "dueDate": "2030-02-01", "currency": "IDR",
    }  # fmt: skip
    for field in [("items", 0, "description"), ("dueDate",), ("currency",)]:
        body = with_field(paylink_update, field, "x\x00y")
        assert tenant.call("paylink", "PUT", f"{LIST}/{paylink_id}", body).status_code == 400
    after = {
        i: tenant.call("paylink", "GET", f"{LIST}/{i}").json() for i in (winpay_id, paylink_id)
    }
    assert after == before


# --- path and query parameters that reach the database ------------------------------------


@pytest.mark.parametrize(
    ("dialect", "method", "path", "status"),
    [
        ("winpay", "GET", "/api/findByRef/%00", 404),
        ("winpay", "GET", "/api/findByRef/a%00b", 404),
        ("winpay", "DELETE", "/api/deleteByRef/%00", 404),
        ("winpay", "GET", "/api/findByRef/%ED%A0%80", 404),  # a lone surrogate's bytes
        ("winpay", "GET", "/api/findByRef/" + "r" * 129, 404),
        ("winpay", "GET", "/api/find/%00", 404),
        ("winpay", "GET", "/api/find/a%2Fb", 404),  # a decoded "/" still reaches Winpay
        ("winpay", "GET", "/api/find/", 404),
        ("winpay", "GET", "/api/findByRef/a%0Ab", 404),  # and so does a newline
        ("paylink", "GET", f"{LIST}/a%2Fb", 404),
        ("paylink_v2", "GET", "/api/getInvoice/a%2F%0Ab", 404),
        ("winpay", "PUT", "/api/update/%00", 404),
        ("winpay", "DELETE", "/api/delete/%00", 404),
        ("paylink", "GET", f"{LIST}?customerName=%00", 400),
        ("paylink", "GET", f"{LIST}?customerPhone=96%0050", 400),
        ("paylink", "GET", f"{LIST}?status=%00", 400),
        ("paylink", "GET", f"{LIST}?startDate=%00", 400),
        ("paylink", "GET", f"{LIST}/%00", 404),
        ("paylink", "GET", "/api/merchants/%00/invoices", 404),
        ("paylink_v2", "GET", "/api/getInvoice/%00", 404),
        ("native", "GET", "/v1/invoices?reference=%00", 400),
        ("native", "GET", "/v1/invoices?customer=%00", 400),
        ("native", "GET", "/v1/invoices/%00", 404),
    ],
)
def test_nul_in_paths_and_queries_is_a_4xx(
    tenant: Tenant, dialect: str, method: str, path: str, status: int
) -> None:
    """Before: %00 in a Winpay ref or a Paylink filter answered 500 on PostgreSQL."""
    body = {} if method == "PUT" else None
    answer = tenant.call(dialect, method, path, body)

    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"].endswith("json")
    if dialect == "winpay":  # the dialect's own answer, not the app's neutral 404
        assert answer.json()["responseCode"] == "4040300"
    elif dialect == "paylink" and status == 404:
        assert answer.json()["message"] in ("Invoice not found", "Merchant not found")
    elif dialect == "paylink_v2":
        assert answer.json()["title"] == "Not Found"


def test_nul_in_the_cancel_body_and_the_auth_body(tenant: Tenant) -> None:
    answer = tenant.call("paylink_v2", "POST", "/api/cancelInvoice", {"transactionNo": "\x00"})
    assert answer.status_code == 400, answer.text
    auth = {"apiId": "APP_ID_\x00", "secretKey": "x"}
    assert tenant.http.post("/api/auth", json=auth).status_code == 401
