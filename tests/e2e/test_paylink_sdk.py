"""Paylink's own Python SDK (paylink-package on PyPI) against a real invoicegate server.

The SDK is used unchanged: only its base URL is pointed at us. It has no base-URL option
(it picks restapi/restpilot.paylink.sa from the environment name), but it keeps the URL in
the public attribute `api_base_url` and reads it on every call, so setting that attribute
after construction is the least invasive way in.
"""

import json

import pytest
from paylink import Paylink, PaylinkProduct

from tests.e2e.conftest import Server


def sdk_client(server: Server, credentials: dict[str, str]) -> Paylink:
    client = Paylink.production(credentials["api_id"], credentials["secret_key"])
    client.api_base_url = server.url  # the one change: our base URL instead of Paylink's
    return client


def test_sdk_add_get_cancel_flow(server: Server) -> None:
    merchant = server.create_merchant("SDK shop")
    client = sdk_client(server, merchant["paylink_v2"])

    added = client.add_invoice(
        amount=170.0,
        client_mobile="0512345678",
        client_name="Mohammed Ali",
        order_number="SDK-ORDER-1",
        products=[
            PaylinkProduct(title="Book", price=50.0, qty=2),
            PaylinkProduct(title="Pen", price=70.0, qty=1, description="blue"),
        ],
        callback_url="https://merchant.example/return",
        client_email="client@example.com",
        currency="SAR",
        note="via the SDK",
    )

    assert added.success is True
    assert added.order_status == "Pending"
    assert added.amount == 170
    assert added.url.startswith(server.url + "/")
    assert added.gateway_order_request.order_number == "SDK-ORDER-1"
    assert [p.title for p in added.gateway_order_request.products] == ["Book", "Pen"]
    number = added.transaction_no

    got = client.get_invoice(number)
    assert got.transaction_no == number and got.order_status == "Pending"
    assert client.order_status(number) == "Pending"

    assert client.cancel_invoice(number) is True
    assert client.order_status(number) == "Canceled"

    # The same invoice, in the one core: the CLI shows its history, dialect by dialect.
    shown = json.loads(server.cli("invoice", "show", number).stdout)
    assert [(r["action"], r["dialect"]) for r in shown["revisions"]] == [
        ("created", "paylink_v2"),
        ("cancelled", "paylink_v2"),
    ]
    assert merchant["paylink_v2"]["secret_key"] not in server.log()


def test_sdk_sees_a_payment_made_with_the_cli(server: Server) -> None:
    merchant = server.create_merchant("SDK shop")
    client = sdk_client(server, merchant["paylink_v2"])
    added = client.add_invoice(
        amount=2.125,
        client_mobile="96550000000",
        client_name="Kuwait client",
        order_number="KWD-1",
        products=[PaylinkProduct(title="Tea", price=2.125, qty=1)],
        callback_url="https://merchant.example/return",
        currency="KWD",
    )

    paid = server.cli("invoice", "pay", added.transaction_no)

    assert paid.returncode == 0, paid.stderr
    got = client.get_invoice(added.transaction_no)
    assert got.order_status == "Paid" and got.amount == 2.125
    with pytest.raises(RuntimeError, match="409"):  # a paid invoice cannot be cancelled
        client.cancel_invoice(added.transaction_no)


def test_sdk_with_a_wrong_secret_fails_to_authenticate(server: Server) -> None:
    merchant = server.create_merchant("SDK shop")
    client = sdk_client(server, {**merchant["paylink_v2"], "secret_key": "wrong"})

    with pytest.raises(RuntimeError, match=r"Authentication failed.*401"):
        client.get_invoice("00000000-0000-4000-8000-000000000000")


def test_merchant_create_prints_both_paylink_credentials_once(server: Server) -> None:
    merchant = server.create_merchant("Keys")
    assert set(merchant["paylink"]) == {"merchant_id", "api_key"}
    assert merchant["paylink"]["merchant_id"] == merchant["merchant_id"]
    assert set(merchant["paylink_v2"]) == {"api_id", "secret_key"}
    assert merchant["paylink_v2"]["api_id"].startswith("APP_ID_")
