"""Every error has an answer in every dialect: no domain error reaches a 5xx, and unknown
routes and wrong methods answer JSON (issue 6, defect 5)."""

from typing import Any

import pytest

from invoicegate.dialects.native import problems as native
from invoicegate.dialects.paylink import errors as paylink
from invoicegate.dialects.paylink_v2 import errors as paylink_v2
from invoicegate.dialects.winpay import errors as winpay
from invoicegate.domain.errors import AmountMismatch, DomainError, InvalidInput, StaleVersion
from invoicegate.edge.dispatch import ErrorTable
from invoicegate.edge.errors import EdgeError
from tests.dialects.conftest import Tenant

TABLES = {"winpay": winpay.TABLE, "paylink": paylink.TABLE, "paylink_v2": paylink_v2.TABLE}
# One read per dialect that goes through InvoiceService.find_invoice.
UNKNOWN = "00000000-0000-4000-8000-000000000000"
FIND = {
    "winpay": ("GET", f"/api/find/{UNKNOWN}"),
    "paylink": ("GET", f"/api/merchants/{{merchant}}/invoices/{UNKNOWN}"),
    "paylink_v2": ("GET", f"/api/getInvoice/{UNKNOWN}"),
}


def subclasses(cls: type[Exception]) -> list[type[Exception]]:
    found: list[type[Exception]] = []
    for sub in cls.__subclasses__():
        found += [sub, *subclasses(sub)]
    return found


DOMAIN_ERRORS = subclasses(DomainError)
EDGE_ERRORS = subclasses(EdgeError)


def fresh(cls: type[Exception]) -> Exception:
    """An instance of any domain error, built the way the core builds it."""
    if cls is InvalidInput:
        return InvalidInput([("items[0].unit_price", "must not be negative")])
    if cls is StaleVersion:
        return StaleVersion(3)
    if cls is AmountMismatch:
        return AmountMismatch(260000)
    return cls()


def test_the_domain_has_the_errors_this_suite_expects() -> None:
    """A guard for the tests below: they must see every DomainError subclass."""
    names = {cls.__name__ for cls in DOMAIN_ERRORS}
    assert {"InvoiceExpired", "MerchantNotFound", "StaleVersion", "CredentialNotFound"} <= names


@pytest.mark.parametrize("dialect", TABLES)
@pytest.mark.parametrize("error", DOMAIN_ERRORS + EDGE_ERRORS, ids=lambda cls: cls.__name__)
def test_every_error_has_its_own_answer_below_500(dialect: str, error: type[Exception]) -> None:
    table: ErrorTable = TABLES[dialect]
    answer = table.lookup(error)
    assert answer is not None
    assert 400 <= answer.status < 500
    # Named in the table itself, not only caught by the DomainError catch-all.
    assert answer is not table.lookup(DomainError) or error is DomainError


@pytest.mark.parametrize("dialect", TABLES)
def test_every_domain_error_raised_behind_a_route_answers_its_table_entry(
    tenant: Tenant, dialect: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    method, path = FIND[dialect]
    for cls in [DomainError, *DOMAIN_ERRORS]:

        async def failing(*args: Any, cls: type[Exception] = cls, **kwargs: Any) -> Any:
            raise fresh(cls)

        monkeypatch.setattr(tenant.runtime.invoices, "find_invoice", failing)
        answer = tenant.call(dialect, method, path)

        expected = TABLES[dialect].lookup(cls)
        assert expected is not None
        assert answer.status_code == expected.status < 500, (cls, answer.text)
        assert answer.headers["content-type"] == "application/json"
        assert_envelope(dialect, answer.json(), expected.code, expected.message)


def assert_envelope(dialect: str, body: dict[str, Any], code: str, message: str) -> None:
    if dialect == "winpay":
        assert body["responseCode"] == code
        assert body["responseMessage"] == message.format(operation="change")
        assert isinstance(body["responseData"], list)
    elif dialect == "paylink":
        assert body["message"] == message
    else:
        assert body["title"] == code
        assert body["detail"]


def test_winpay_answers_a_stale_version_with_409_not_500(
    tenant: Tenant, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Winpay answered 500 "General Error" here before."""
    made = tenant.call("winpay", "POST", "/api/create", winpay_body())
    invoice_id = made.json()["responseData"]["id"]

    async def raced(*args: Any, **kwargs: Any) -> Any:
        raise StaleVersion(2)

    monkeypatch.setattr(tenant.runtime.invoices, "update_invoice", raced)
    answer = tenant.call("winpay", "PUT", f"/api/update/{invoice_id}", winpay_body())

    assert answer.status_code == 409
    body = answer.json()
    assert (body["responseCode"], body["responseData"]) == ("4090300", [])


def test_an_unexpected_error_is_the_only_way_to_a_500(
    tenant: Tenant, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    async def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("a bug")

    monkeypatch.setattr(tenant.runtime.invoices, "find_invoice", broken)
    for dialect, (method, path) in FIND.items():
        answer = tenant.call(dialect, method, path)
        assert answer.status_code == 500
        assert answer.headers["content-type"] == "application/json"
        assert "a bug" not in answer.text
    assert caplog.text.count("RuntimeError: a bug") == 3  # each one logged, once


# --- routes that do not exist, methods a route does not serve ------------------------------

WRONG_METHODS = [
    ("winpay", "GET", "/api/create", "POST"),
    ("winpay", "POST", f"/api/find/{UNKNOWN}", "GET, HEAD"),
    ("winpay", "DELETE", f"/api/update/{UNKNOWN}", "PUT"),
    ("winpay", "PATCH", "/api/deleteByRef/r", "DELETE"),
    ("paylink", "PATCH", "/api/merchants/{merchant}/invoices", "GET, HEAD, POST"),
    (
        "paylink",
        "POST",
        f"/api/merchants/{{merchant}}/invoices/{UNKNOWN}",
        "DELETE, GET, HEAD, PUT",
    ),
    ("paylink_v2", "GET", "/api/addInvoice", "POST"),
    ("paylink_v2", "DELETE", f"/api/getInvoice/{UNKNOWN}", "GET, HEAD"),
]


@pytest.mark.parametrize(("dialect", "method", "path", "allowed"), WRONG_METHODS)
def test_a_wrong_method_answers_405_in_the_routes_dialect(
    tenant: Tenant, dialect: str, method: str, path: str, allowed: str
) -> None:
    answer = tenant.call(dialect, method, path, None)

    assert answer.status_code == 405
    assert answer.headers["content-type"] == "application/json"
    assert answer.headers["allow"] == allowed
    body = answer.json()
    if dialect == "winpay":
        assert (body["responseCode"], body["responseMessage"]) == ("4050300", "Method Not Allowed")
    elif dialect == "paylink":
        assert body == {"message": "Method not allowed"}
    else:
        assert (body["status"], body["title"]) == (405, "Method Not Allowed")


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", "/", 404),
        ("GET", "/api/nope", 404),
        ("POST", "/api/merchants/x", 404),
        ("GET", "/%00", 404),
        ("POST", "/healthz", 405),
    ],
)
def test_unknown_routes_and_methods_answer_json(
    tenant: Tenant, method: str, path: str, status: int
) -> None:
    answer = tenant.http.request(method, path)

    assert answer.status_code == status
    assert answer.headers["content-type"] == "application/json"
    body = answer.json()
    assert body["status"] == status and body["title"] and body["detail"] and body["message"]


def winpay_body() -> dict[str, Any]:
    return {
        "customer": {"name": "Delina", "email": "", "phone": "082342341"},
        "invoice": {"ref": "R-1", "products": [{"name": "Kopi", "qty": 1, "price": 260000}]},
        "back_url": "https://shop.example/back",
        "interval": 60,
    }


# --- the native API: every error is a problem type below 500 ------------------------------


@pytest.mark.parametrize("error", [DomainError, *DOMAIN_ERRORS], ids=lambda cls: cls.__name__)
def test_every_domain_error_is_a_native_problem_below_500(error: type[Exception]) -> None:
    kind = next((native.PROBLEM_TYPES[c] for c in error.__mro__ if c in native.PROBLEM_TYPES), None)
    assert kind is not None
    assert 400 <= kind.status < 500


def test_every_domain_error_raised_behind_a_native_route_is_its_problem(
    tenant: Tenant, monkeypatch: pytest.MonkeyPatch
) -> None:
    for cls in [DomainError, *DOMAIN_ERRORS]:

        async def failing(*args: Any, cls: type[Exception] = cls, **kwargs: Any) -> Any:
            raise fresh(cls)

        monkeypatch.setattr(tenant.runtime.invoices, "find_invoice", failing)
        answer = tenant.call("native", "GET", f"/v1/invoices/{UNKNOWN}")

        assert 400 <= answer.status_code < 500, (cls, answer.text)
        assert answer.headers["content-type"] == native.PROBLEM_JSON
        body = answer.json()
        assert body["status"] == answer.status_code
        assert body["type"].startswith(native.TYPE_PREFIX)
        assert body["type"] != native.INTERNAL.uri
