"""A Winpay merchant's integration against the real server: HTTP, CLI payment, concurrency."""

import json
import subprocess
import threading
import time
from pathlib import Path
from typing import Any

import httpx

from tests.conftest import winpay_headers
from tests.e2e.conftest import Server, start_server, stop_server


def seed_body(n: int | None = None) -> dict[str, Any]:
    suffix = "" if n is None else f"-{n}"
    return {
        "customer": {
            "name": f"Delina Prasetya{suffix}",
            "email": "[email protected]",
            "phone": "082342341",
        },
        "invoice": {
            "ref": f"111130{suffix}",
            "products": [{"name": f"01002676{suffix}", "qty": n or 1, "price": 260000}],
        },
        "back_url": "https://your-invoice-url.com",
    }


class Client:
    def __init__(self, server: Server, merchant: dict[str, Any]) -> None:
        self.url = server.url
        self.key = merchant["winpay"]["key"]
        self.secret = merchant["winpay"]["secret"]

    def call(self, method: str, path: str, body: Any = None) -> httpx.Response:
        return httpx.request(
            method,
            self.url + path,
            json=body,
            headers=winpay_headers(self.key, self.secret),
            timeout=30,
        )


def test_seed_update_and_cli_payment(server: Server) -> None:
    client = Client(server, server.create_merchant())
    created = client.call("POST", "/api/create", {**seed_body(), "interval": 60})
    assert created.status_code == 201, created.text
    invoice_id = created.json()["responseData"]["id"]
    assert created.json()["responseData"]["redirect_url"].startswith(server.url + "/")

    updated = client.call("PUT", f"/api/update/{invoice_id}", seed_body(7))
    assert updated.status_code == 200
    assert updated.json()["responseData"]["products"][0]["qty"] == 7
    assert updated.headers["x-request-id"]

    paid = server.cli("invoice", "pay", invoice_id)
    assert paid.returncode == 0, paid.stderr
    assert json.loads(paid.stdout)["status"] == "paid"

    refused = client.call("PUT", f"/api/update/{invoice_id}", seed_body(8))
    assert refused.status_code == 400
    assert refused.json()["responseCode"] == "4000302"
    found = client.call("GET", f"/api/find/{invoice_id}").json()["responseData"]
    assert found["status"] == "PAID" and found["products"][0]["qty"] == 7
    assert found["payment"]["paid_amount"] == str(7 * 260000)

    shown = json.loads(server.cli("invoice", "show", invoice_id).stdout)
    assert [r["action"] for r in shown["revisions"]] == ["created", "updated", "paid"]
    assert client.secret not in server.log()  # nothing secret is logged
    assert [r["dialect"] for r in shown["revisions"]] == ["winpay", "winpay", "cli"]


def test_concurrent_http_updates_never_mix_two_bodies(server: Server) -> None:
    client = Client(server, server.create_merchant())
    created = client.call("POST", "/api/create", {**seed_body(), "interval": 60})
    invoice_id = created.json()["responseData"]["id"]
    answers: dict[int, dict[str, Any]] = {}

    def update(n: int) -> None:
        answer = client.call("PUT", f"/api/update/{invoice_id}", seed_body(n))
        assert answer.status_code == 200, answer.text
        answers[n] = answer.json()["responseData"]

    threads = [threading.Thread(target=update, args=(n,)) for n in range(1, 33)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(answers) == 32
    for n, data in answers.items():  # every success answer is exactly its own body
        assert data["ref"] == f"111130-{n}"
        assert data["customer"]["name"] == f"Delina Prasetya-{n}"
        assert data["products"][0]["name"] == f"01002676-{n}"
        assert data["products"][0]["qty"] == n
    shown = json.loads(server.cli("invoice", "show", invoice_id).stdout)
    revisions = shown["revisions"]
    assert [r["version"] for r in revisions] == list(range(1, 34))
    assert shown["invoice"] == revisions[-1]["after"]
    last_ref = revisions[-1]["after"]["reference"]
    final = client.call("GET", f"/api/find/{invoice_id}").json()["responseData"]
    assert final["ref"] == last_ref


def test_health_and_structured_logs_with_request_id(server: Server) -> None:
    answer = httpx.get(f"{server.url}/healthz", headers={"X-Request-Id": "trace-123"})
    assert answer.status_code == 200 and answer.json() == {"status": "ok"}
    assert answer.headers["x-request-id"] == "trace-123"
    deadline = time.monotonic() + 5  # access lines are written together, a moment later
    access: list[dict[str, Any]] = []
    while not access and time.monotonic() < deadline:
        lines = [json.loads(line) for line in server.log().splitlines() if line.startswith("{")]
        access = [line for line in lines if line.get("request_id") == "trace-123"]
        time.sleep(0.05)
    assert access and access[-1]["path"] == "/healthz" and access[-1]["status"] == 200


def test_demo_prints_a_curl_that_works(sqlite_url: str, tmp_path: Path) -> None:
    """What `make run` shows a newcomer: credentials and a ready-to-paste seed update."""
    server = start_server(sqlite_url, tmp_path / "data", "--demo")
    try:
        log = server.log()
        script = log[log.index("ts=$(date") :].split("\n\n")[0]
        done = subprocess.run(
            ["bash", "-c", script], capture_output=True, text=True, timeout=30, check=False
        )
        answer = json.loads(done.stdout)
        assert answer["responseCode"] == "2000300", done.stdout + done.stderr
        assert answer["responseData"]["products"][0]["qty"] == 2  # the demo invoice changed
    finally:
        stop_server(server)


def test_a_merchant_may_hold_several_winpay_credentials(server: Server) -> None:
    merchant = server.create_merchant()
    added = server.cli(
        "merchant", "add-credential", merchant["merchant_id"], "--display-name", "Shop two"
    )
    assert added.returncode == 0, added.stderr
    second = json.loads(added.stdout)
    assert second["winpay"]["key"] != merchant["winpay"]["key"]

    first_client = Client(server, merchant)
    second_client = Client(server, second)
    created = second_client.call("POST", "/api/create", {**seed_body(), "interval": 60})
    assert created.status_code == 201
    invoice_id = created.json()["responseData"]["id"]
    # Same merchant: either credential sees the invoice; each revision names the one used.
    assert first_client.call("GET", f"/api/find/{invoice_id}").status_code == 200
    assert first_client.call("PUT", f"/api/update/{invoice_id}", seed_body(3)).status_code == 200
    shown = json.loads(server.cli("invoice", "show", invoice_id).stdout)
    created_by, updated_by = (r["actor"] for r in shown["revisions"])
    assert created_by != updated_by

    unknown = server.cli("merchant", "add-credential", "no-such-merchant", "--display-name", "x")
    assert unknown.returncode == 1 and "MerchantNotFound" in unknown.stderr
