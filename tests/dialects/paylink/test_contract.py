"""The seed's update call (shared/seeds/paylink-update-invoice.txt) replayed byte for byte."""

import json
from pathlib import Path

from tests.dialects.paylink.conftest import PaylinkClient

GOLDEN = Path(__file__).parent / "golden"


def golden(name: str) -> bytes:
    return (GOLDEN / name).read_bytes()


def test_seed_update_request_gets_exactly_the_seed_response(paylink: PaylinkClient) -> None:
    invoice_id = paylink.create()["invoiceId"]

    answer = paylink.call("PUT", f"/{invoice_id}", golden("update-invoice.request.json"))

    assert answer.status_code == 200
    assert answer.headers["content-type"] == "application/json"
    assert answer.json() == json.loads(golden("update-invoice.response.json"))


def test_seed_update_replaces_the_four_fields(paylink: PaylinkClient) -> None:
    created = paylink.create()
    paylink.call("PUT", f"/{created['invoiceId']}", golden("update-invoice.request.json"))

    found = paylink.call("GET", f"/{created['invoiceId']}").json()

    assert found["items"] == [
        {"description": "Web Development Services", "quantity": 1, "price": 5000},
        {"description": "Hosting Services", "quantity": 1, "price": 200},
    ]
    assert found["totalAmount"] == 5200
    assert found["dueDate"] == "2024-07-31"
    assert found["currency"] == "SAR"
    # What the update does not name stays as it was.
    for kept in ("invoiceId", "invoiceNumber", "customerInfo", "callbackUrl", "date"):
        assert found[kept] == created[kept]
    assert found["invoicePaymentUrl"] == created["invoicePaymentUrl"]
    assert found["status"] == "unpaid"


def test_seed_error_shape_keeps_the_documented_message(paylink: PaylinkClient) -> None:
    invoice_id = paylink.create()["invoiceId"]
    body = json.loads(golden("update-invoice.request.json"))
    body["totalAmount"] = 5300

    answer = paylink.call("PUT", f"/{invoice_id}", body)

    assert answer.status_code == 400
    documented = json.loads(golden("update-invoice.error.json"))
    assert answer.json()["message"] == documented["message"]
    assert answer.json()["errors"] == [
        {"field": "totalAmount", "reason": "must equal the sum of quantity * price (5200.00)"}
    ]


def test_get_answers_every_documented_field(paylink: PaylinkClient) -> None:
    created = paylink.create()

    found = paylink.call("GET", f"/{created['invoiceId']}")

    assert found.status_code == 200
    body = found.json()
    assert set(body) == {
        "invoiceId", "merchantId", "invoiceNumber", "date", "dueDate", "items",
        "totalAmount", "currency", "customerInfo", "invoicePaymentUrl", "callbackUrl",
        "status",
    }  # fmt: skip
    assert body == created
    assert body["merchantId"] == paylink.merchant_id
    assert body["invoiceNumber"] == "INV-1001"
    assert body["items"] == [{"description": "Consulting", "quantity": 2, "price": 150.5}]
    assert body["totalAmount"] == 301
    assert body["customerInfo"] == {
        "customerName": "Sara Al-Qahtani",
        "customerPhone": "966500000001",
    }
    assert body["callbackUrl"] == "https://merchant.example/paylink/callback"
    assert body["status"] == "unpaid"
    slug = body["invoicePaymentUrl"].removeprefix("http://checkout.test/")
    assert len(slug) == 11 and slug.isalnum()


def test_delete_answers_the_documented_message_and_keeps_the_invoice(
    paylink: PaylinkClient,
) -> None:
    invoice_id = paylink.create()["invoiceId"]

    deleted = paylink.call("DELETE", f"/{invoice_id}")

    assert deleted.status_code == 200
    assert deleted.json() == {"message": "Invoice deleted successfully."}
    found = paylink.call("GET", f"/{invoice_id}")
    assert found.status_code == 200 and found.json()["status"] == "cancelled"
