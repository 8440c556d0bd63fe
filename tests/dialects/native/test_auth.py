"""API keys: Bearer `igk_live_…` keys, several per merchant, revocable, one merchant's view."""

import pytest
from starlette.testclient import TestClient

from invoicegate.app import create_app
from invoicegate.services.merchants import hash_secret
from tests.dialects.native.conftest import NativeClient, create_body

UNAUTHORIZED = "tag:invoicegate,2026:problem:unauthorized"


@pytest.mark.parametrize(
    "authorization",
    [
        None,
        "",
        "Bearer",
        "Basic dXNlcjpwYXNz",
        "Bearer igk_live_" + "x" * 43,  # well-formed, but no such key
        "Bearer pl_abcdef",  # another dialect's kind of key
        "Bearer igk_live_" + "x" * 500,
    ],
)
def test_calls_without_a_valid_key_are_refused(
    native: NativeClient, authorization: str | None
) -> None:
    headers = {} if authorization is None else {"Authorization": authorization}
    answer = native.http.post("/v1/invoices", json=create_body(), headers=headers)

    assert answer.status_code == 401
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.headers["www-authenticate"].startswith('Bearer realm="invoicegate"')
    problem = answer.json()
    assert problem["type"] == UNAUTHORIZED and problem["status"] == 401
    listed = native.call("GET", "/invoices").json()
    assert listed["data"] == []  # nothing was created


def test_the_stored_hash_is_not_a_key(native: NativeClient) -> None:
    stored = hash_secret(native.api_key)
    answer = native.http.get("/v1/invoices", headers={"Authorization": f"Bearer {stored}"})
    assert answer.status_code == 401


def test_a_merchant_holds_several_keys_and_a_revoked_one_stops_working(
    native: NativeClient,
) -> None:
    second = native.run(lambda rt: rt.merchants.issue_api_key(native.merchant_id, "ci"))
    assert second.secret.startswith("igk_live_") and second.secret != native.api_key
    as_second = {"Authorization": f"Bearer {second.secret}"}
    created = native.create()

    # Either key sees the same merchant's invoices.
    seen = native.http.get(f"/v1/invoices/{created['id']}", headers=as_second)
    assert seen.status_code == 200 and seen.json()["id"] == created["id"]

    keys = native.run(lambda rt: rt.merchants.api_keys(native.merchant_id))
    assert {k.id for k in keys} == {native.onboarded.native.credential.id, second.credential.id}
    native.run(lambda rt: rt.merchants.revoke_api_key(second.credential.id))

    # Another node (no credential cached yet, as any node once its cache entry expired).
    with TestClient(create_app(native.runtime.settings)) as node:
        refused = node.get(f"/v1/invoices/{created['id']}", headers=as_second)
        assert refused.status_code == 401 and refused.json()["type"] == UNAUTHORIZED
        first = {"Authorization": f"Bearer {native.api_key}"}
        assert node.get(f"/v1/invoices/{created['id']}", headers=first).status_code == 200


def test_another_merchants_invoice_is_not_found_and_unchanged(
    native: NativeClient, other: NativeClient
) -> None:
    theirs = other.create()
    path = f"/invoices/{theirs['id']}"

    answers = [
        native.call("GET", path),
        native.patch(theirs["id"], {"reference": "mine"}, '"v1"'),
        native.call("POST", path + "/cancel"),
        native.call(
            "POST", path + "/payments", {"amount": 260000, "channel": "cash", "reference": "r"}
        ),
        native.call("GET", path + "/revisions"),
    ]

    for answer in answers:
        assert answer.status_code == 404, answer.text
        assert answer.json()["type"] == "tag:invoicegate,2026:problem:not-found"
    assert native.call("GET", "/invoices").json()["data"] == []
    after = other.call("GET", path).json()
    assert after["version"] == 1 and after["reference"] == theirs["reference"]
