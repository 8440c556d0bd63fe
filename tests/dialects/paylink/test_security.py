"""Keys: missing or wrong is 401 without saying why; another merchant's things are 404."""

from typing import Any

import anyio
import pytest

from tests.dialects.paylink.conftest import PaylinkClient, create_body, seed_update_body

UNAUTHORIZED = {"message": "Unauthorized"}


def every_endpoint(merchant_id: str, invoice_id: str) -> list[tuple[str, str, Any]]:
    base = f"/api/merchants/{merchant_id}/invoices"
    return [
        ("POST", base, create_body(number="FOREIGN")),
        ("GET", base, None),
        ("GET", f"{base}/{invoice_id}", None),
        ("PUT", f"{base}/{invoice_id}", seed_update_body()),
        ("DELETE", f"{base}/{invoice_id}", None),
    ]


@pytest.mark.parametrize(
    "headers",
    [{}, {"X-API-KEY": ""}, {"X-API-KEY": "pl_wrong"}, {"X-API-KEY": "x" * 5000}],
    ids=["missing", "empty", "wrong", "huge"],
)
def test_missing_or_wrong_key_is_refused_everywhere(
    paylink: PaylinkClient, headers: dict[str, str]
) -> None:
    invoice_id = paylink.create()["invoiceId"]
    for method, path, body in every_endpoint(paylink.merchant_id, invoice_id):
        answer = paylink.http.request(method, path, json=body, headers=headers)
        assert answer.status_code == 401, (method, path)
        assert answer.json() == UNAUTHORIZED


def test_a_key_hash_is_not_a_key(paylink: PaylinkClient) -> None:
    """The stored hash is the lookup key; presenting the hash itself must not work."""
    from invoicegate.services.merchants import hash_secret

    answer = paylink.call("GET", "", headers={"X-API-KEY": hash_secret(paylink.api_key)})
    assert answer.status_code == 401


def test_foreign_key_can_never_touch_another_merchants_invoices(
    paylink: PaylinkClient, other_paylink: PaylinkClient
) -> None:
    """The other merchant's key, on the victim's URLs and on its own URL with the victim's id."""
    victim = paylink.create()
    invoice_id = victim["invoiceId"]
    unknown = "00000000-0000-4000-8000-000000000000"

    for method, path, body in every_endpoint(paylink.merchant_id, invoice_id):
        answer = other_paylink.http.request(
            method, path, json=body, headers={"X-API-KEY": other_paylink.api_key}
        )
        assert answer.status_code == 404, (method, path, answer.text)
    for method, path, body in every_endpoint(other_paylink.merchant_id, invoice_id)[2:]:
        foreign = other_paylink.http.request(
            method, path, json=body, headers={"X-API-KEY": other_paylink.api_key}
        )
        missing = other_paylink.http.request(
            method,
            path.replace(invoice_id, unknown),
            json=body,
            headers={"X-API-KEY": other_paylink.api_key},
        )
        assert foreign.status_code == missing.status_code == 404
        assert foreign.json() == missing.json() == {"message": "Invoice not found"}
    listed = other_paylink.call("GET", "").json()
    assert listed["totalCount"] == 0
    # Nothing of the victim's changed.
    assert paylink.call("GET", f"/{invoice_id}").json() == victim
    assert paylink.call("GET", "").json()["totalCount"] == 1


def test_foreign_merchant_id_reads_like_an_unknown_one(
    paylink: PaylinkClient, other_paylink: PaylinkClient
) -> None:
    foreign = paylink.http.get(
        f"/api/merchants/{other_paylink.merchant_id}/invoices",
        headers={"X-API-KEY": paylink.api_key},
    )
    nonsense = paylink.http.get(
        "/api/merchants/not-a-merchant/invoices", headers={"X-API-KEY": paylink.api_key}
    )
    assert foreign.status_code == nonsense.status_code == 404
    assert foreign.json() == nonsense.json() == {"message": "Merchant not found"}


def test_api_key_is_stored_only_as_a_hash(paylink: PaylinkClient) -> None:
    runtime = paylink.http.app.state.runtime  # type: ignore[attr-defined]

    async def stored() -> Any:
        return await runtime.transactor.read(
            lambda uow: uow.merchants.credentials_of(paylink.merchant_id)
        )

    credentials = anyio.run(stored)
    paylink_ones = [c for c in credentials if c.dialect in ("paylink", "paylink_v2")]
    assert len(paylink_ones) == 2
    for credential in paylink_ones:
        assert credential.secret is None
        assert credential.secret_hash and len(credential.secret_hash) == 64
        assert paylink.api_key not in (credential.public_id, credential.secret_hash)
