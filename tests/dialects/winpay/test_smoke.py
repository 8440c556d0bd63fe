"""The seed's update call answers with the seed's response shape."""

from tests.dialects.winpay.conftest import WinpayClient, create_body, seed_body


def test_seed_update_answers_invoice_updated(winpay: WinpayClient) -> None:
    created = winpay.call("POST", "/api/create", create_body())
    assert created.status_code == 201
    invoice_id = created.json()["responseData"]["id"]

    answer = winpay.call("PUT", f"/api/update/{invoice_id}", seed_body())

    assert answer.status_code == 200
    body = answer.json()
    assert body["responseCode"] == "2000300"
    assert body["responseMessage"] == "Invoice Updated"
    assert body["responseData"]["products"][0]["price"] == 260000
