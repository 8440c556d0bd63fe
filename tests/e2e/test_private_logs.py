"""A database error on a real request leaves no customer data and no secret in the log.

Neither do ordinary requests: the access log names the route ("/{slug}"), not the path
that carries a payment link's slug or a merchant's reference.

The fault is real: after an invoice exists, the database itself is made to refuse every
new revision row (a trigger on SQLite; on PostgreSQL a CHECK constraint, whose error text
would quote the whole refused row). Then each dialect makes a change carrying customer
data, and the server log is searched for it.
"""

import json
import sqlite3
from typing import Any

import httpx
import psycopg

from tests.conftest import winpay_headers
from tests.e2e.conftest import Server

CUSTOMER = {"name": "Rahasia Pelanggan", "phone": "0899555123", "email": "rahasia@example.com"}


def refuse_new_revisions(database_url: str) -> None:
    if database_url.startswith("sqlite:///"):
        with sqlite3.connect(database_url.removeprefix("sqlite:///")) as db:
            db.execute(
                "CREATE TRIGGER injected_fault BEFORE INSERT ON invoice_revisions"
                " BEGIN SELECT RAISE(ABORT, 'injected fault'); END"
            )
        return
    with psycopg.connect(database_url, autocommit=True) as db:
        db.execute(
            "ALTER TABLE invoice_revisions ADD CONSTRAINT injected_fault CHECK (false) NOT VALID"
        )


def winpay_body(ref: str) -> dict[str, Any]:
    return {
        "customer": CUSTOMER,
        "invoice": {"ref": ref, "products": [{"name": "Kopi", "qty": 1, "price": 260000}]},
        "back_url": "https://merchant.example/back",
    }


def test_a_database_error_logs_neither_customer_data_nor_secrets(server: Server) -> None:
    merchant = server.create_merchant("Private shop")
    winpay = winpay_headers(merchant["winpay"]["key"], merchant["winpay"]["secret"])
    created = httpx.post(
        f"{server.url}/api/create",
        json={**winpay_body("PRIV-1"), "interval": 60, "customer": {"name": "x", "phone": "1"}},
        headers=winpay,
    )
    assert created.status_code == 201, created.text
    invoice_id = created.json()["responseData"]["id"]
    payment_link = created.json()["responseData"]["redirect_url"]  # a bearer link
    assert httpx.get(payment_link).status_code == 200
    assert httpx.get(f"{server.url}/api/findByRef/PRIV-1", headers=winpay).status_code == 200
    refuse_new_revisions(server.env["INVOICEGATE_DATABASE_URL"])

    v2_token = httpx.post(
        f"{server.url}/api/auth",
        json={
            "apiId": merchant["paylink_v2"]["api_id"],
            "secretKey": merchant["paylink_v2"]["secret_key"],
            "persistToken": False,
        },
    ).json()["id_token"]
    attempts = [
        httpx.put(
            f"{server.url}/api/update/{invoice_id}",
            json=winpay_body("PRIV-1"),
            headers={**winpay, "X-Request-Id": "fault-winpay"},
        ),
        httpx.post(
            f"{server.url}/api/merchants/{merchant['merchant_id']}/invoices",
            json={
                "invoiceNumber": "PRIV-2",
                "dueDate": "2030-07-15",
                "items": [{"description": "Kopi", "quantity": 1, "price": 10}],
                "totalAmount": 10,
                "currency": "SAR",
                "customerInfo": {
                    "customerName": CUSTOMER["name"],
                    "customerPhone": CUSTOMER["phone"],
                    "customerEmail": CUSTOMER["email"],
                },
            },
            headers={"X-API-KEY": merchant["paylink"]["api_key"], "X-Request-Id": "fault-paylink"},
        ),
        httpx.post(
            f"{server.url}/api/addInvoice",
            json={
                "orderNumber": "PRIV-3",
                "amount": 10,
                "clientName": CUSTOMER["name"],
                "clientMobile": CUSTOMER["phone"],
                "clientEmail": CUSTOMER["email"],
                "products": [{"title": "Kopi", "price": 10, "qty": 1}],
                "callBackUrl": "https://merchant.example/return",
                "currency": "SAR",
            },
            headers={"Authorization": f"Bearer {v2_token}", "X-Request-Id": "fault-v2"},
        ),
    ]
    assert [answer.status_code // 100 for answer in attempts] == [5, 5, 5], [
        answer.text for answer in attempts
    ]

    log = server.log()
    # Nothing of the customer's, nor any credential's secret...
    secrets = [
        merchant["winpay"]["secret"],
        merchant["paylink"]["api_key"],
        merchant["paylink_v2"]["secret_key"],
        v2_token,
    ]
    slug = payment_link.rsplit("/", 1)[-1]
    for private in [*CUSTOMER.values(), *secrets, slug, "PRIV-1", "PRIV-2", "PRIV-3"]:
        assert private not in log, f"{private!r} is in the server log"
    # ...though the failures were logged, with what failed and where.
    errors = [json.loads(line) for line in log.splitlines() if line.startswith("{")]
    logged = {entry["request_id"]: entry for entry in errors if "exc" in entry}
    assert {"fault-winpay", "fault-paylink", "fault-v2"} <= set(logged)
    for entry in logged.values():
        assert "sqlalchemy.exc.IntegrityError" in entry["exc"], entry["exc"]
        assert "[message withheld]" in entry["exc"]
        if server.env["INVOICEGATE_DATABASE_URL"].startswith("postgresql"):  # safe codes
            assert "sqlstate=23514" in entry["exc"], entry["exc"]
            assert "constraint_name=injected_fault" in entry["exc"], entry["exc"]
