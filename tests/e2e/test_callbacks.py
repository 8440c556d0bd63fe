"""Merchant callbacks from a real `invoicegate serve` (and `invoicegate worker`) to a real HTTP
listener on 127.0.0.1: payloads, acknowledgement, retries, timeouts, restarts, kill -9,
several workers, and refused destinations. Invoices are paid with `invoicegate invoice pay`.
"""

import asyncio
import json
import signal
import subprocess
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from invoicegate.composition import build_runtime
from invoicegate.dialects.winpay.signature import verify
from invoicegate.settings import Settings
from invoicegate.store.secrets import SecretBox
from invoicegate.store.transactors import open_transactor
from tests.conftest import fresh_pg_database, winpay_headers
from tests.e2e.conftest import BIN, Server, free_port, start_server, stop_server
from tests.e2e.listener import ACCEPTED, Answer, Listener
from tests.e2e.test_winpay_server import seed_body

FAST = {  # short delays, so retries happen within a test
    "INVOICEGATE_CALLBACK_RETRY_DELAYS": "0.3,0.3,0.3,0.3,0.3,0.3,0.3,0.3,0.3,0.3",
    "INVOICEGATE_CALLBACK_POLL_INTERVAL": "0.1",
    "INVOICEGATE_CALLBACK_TIMEOUT": "2",
    "INVOICEGATE_CALLBACK_LEASE": "4",
}


@pytest.fixture
def listener() -> Iterator[Listener]:
    running = Listener(free_port()).start()
    try:
        yield running
    finally:
        running.stop()


def serve(database_url: str, tmp_path: Path, **env: str) -> Server:
    return start_server(database_url, tmp_path / "data", env={**FAST, **env})


def merchant_with_callback(server: Server, url: str) -> dict[str, Any]:
    done = server.cli("merchant", "create", "--name", "Shop", "--callback-url", url, "--json")
    assert done.returncode == 0, done.stderr
    merchant: dict[str, Any] = json.loads(done.stdout)
    return merchant


def winpay_invoice(server: Server, merchant: dict[str, Any], ref: str = "111130") -> str:
    body = {**seed_body(), "interval": 60}
    body["invoice"] = {**body["invoice"], "ref": ref}
    key, secret = merchant["winpay"]["key"], merchant["winpay"]["secret"]
    answer = httpx.post(
        f"{server.url}/api/create", json=body, headers=winpay_headers(key, secret), timeout=30
    )
    assert answer.status_code == 201, answer.text
    invoice_id: str = answer.json()["responseData"]["id"]
    return invoice_id


def pay(server: Server, invoice_id: str, *args: str) -> None:
    done = server.cli("invoice", "pay", invoice_id, *args)
    assert done.returncode == 0, done.stderr


def cli_json(server: Server, *args: str) -> Any:
    done = server.cli(*args)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def wait_for_state(server: Server, invoice_id: str, state: str, timeout: float = 20) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        jobs = cli_json(server, "callbacks", "list", "--invoice", invoice_id, "--json")
        if jobs and jobs[0]["state"] == state:
            return jobs[0]
        time.sleep(0.2)
    raise AssertionError(f"job of {invoice_id} not {state}: {jobs}")


def test_winpay_callback_is_acknowledged_at_once(
    database_url: str, tmp_path: Path, listener: Listener
) -> None:
    server = serve(database_url, tmp_path)
    try:
        merchant = merchant_with_callback(server, f"{listener.url}/winpay")
        invoice_id = winpay_invoice(server, merchant)
        pay(server, invoice_id, "--channel", "BRI", "--fee", "2500")
        paid_at = time.monotonic()  # the payment committed before the command returned

        [request] = listener.wait_for(1)
        assert request.at - paid_at < 1  # the next poll (0.1 s here) picks it up
        assert request.path == "/winpay"
        assert request.headers["content-type"] == "application/json"
        stamp = request.headers["x-winpay-timestamp"]
        assert verify(
            merchant["winpay"]["secret"],
            stamp,
            request.headers["x-winpay-signature"],
            now=datetime.now(UTC),
            tolerance_seconds=60,
        )
        body = request.json()
        found = httpx.get(
            f"{server.url}/api/find/{invoice_id}",
            headers=winpay_headers(merchant["winpay"]["key"], merchant["winpay"]["secret"]),
        ).json()["responseData"]
        payment = found["payment"]
        assert set(body) == {"uuid", "created_at", "ref", "channel", "amount", "fee",
                             "nett_amount", "products", "invoice"}  # fmt: skip
        assert body["uuid"] == payment["uuid"]
        assert body["ref"] == payment["payment_ref"]
        assert (body["channel"], body["amount"], body["fee"], body["nett_amount"]) == (
            "BRI",
            260000,
            2500,
            257500,
        )
        assert body["products"] == [{"name": "01002676", "qty": 1, "price": 260000}]
        assert body["invoice"] == {
            "uuid": invoice_id,
            "ref": "111130",
            "url": found["redirect_url"],
            "customer": found["customer"],
        }

        job = wait_for_state(server, invoice_id, "delivered")
        shown = cli_json(server, "callbacks", "show", str(job["id"]))
        assert shown["body"] == body
        [attempt] = shown["attempts"]
        assert (attempt["status"], attempt["answer"], attempt["error"]) == (200, "ACCEPTED", None)
        assert attempt["url"] == f"{listener.url}/winpay"
        time.sleep(0.5)
        assert len(listener.requests()) == 1  # acknowledged: never sent again

        again = cli_json(server, "callbacks", "redeliver", str(job["id"]))
        assert (again["state"], again["attempts"]) == ("pending", 0)
        first, second = listener.wait_for(2)
        assert second.body == first.body
        wait_for_state(server, invoice_id, "delivered")
        assert len(cli_json(server, "callbacks", "show", str(job["id"]))["attempts"]) == 2
    finally:
        stop_server(server)


def test_refused_then_accepted_is_retried_then_stops(
    database_url: str, tmp_path: Path, listener: Listener
) -> None:
    answers = iter([Answer(200, "NOT YET"), Answer(503, "busy")])
    listener.respond = lambda request: next(answers, ACCEPTED)
    server = serve(database_url, tmp_path)
    try:
        merchant = merchant_with_callback(server, f"{listener.url}/cb")
        invoice_id = winpay_invoice(server, merchant)
        pay(server, invoice_id)

        first, second, third = listener.wait_for(3)
        assert first.body == second.body == third.body
        assert second.at - first.at >= 0.25  # the configured back-off
        job = wait_for_state(server, invoice_id, "delivered")
        assert job["attempts"] == 3
        time.sleep(1.0)  # three more back-offs' worth
        assert len(listener.requests()) == 3
        log = cli_json(server, "callbacks", "show", str(job["id"]))["attempts"]
        assert [(a["status"], a["answer"]) for a in log] == [
            (200, "NOT YET"), (503, "busy"), (200, "ACCEPTED")
        ]  # fmt: skip
    finally:
        stop_server(server)


def test_a_slow_merchant_times_out_without_delaying_another(
    sqlite_url: str, tmp_path: Path, listener: Listener
) -> None:
    slow_once = iter([Answer(delay=6)])
    listener.respond = lambda r: next(slow_once, ACCEPTED) if r.path == "/slow" else ACCEPTED
    server = serve(
        sqlite_url, tmp_path, INVOICEGATE_CALLBACK_TIMEOUT="4", INVOICEGATE_CALLBACK_LEASE="6"
    )
    try:
        slow = merchant_with_callback(server, f"{listener.url}/slow")
        fast = merchant_with_callback(server, f"{listener.url}/fast")
        slow_invoice = winpay_invoice(server, slow)
        fast_invoice = winpay_invoice(server, fast)
        pay(server, slow_invoice)
        listener.wait_for(1, "/slow")  # the slow delivery is under way
        pay(server, fast_invoice)
        [fast_request] = listener.wait_for(1, "/fast")
        slow_request = listener.requests("/slow")[0]
        assert fast_request.at - slow_request.at < 4  # it did not wait for the slow one

        job = wait_for_state(server, slow_invoice, "delivered")
        log = cli_json(server, "callbacks", "show", str(job["id"]))["attempts"]
        timed_out, accepted = log[0], log[-1]
        assert timed_out["error"] == "timed out after 4 s", log
        assert timed_out["status"] is None
        assert 3900 <= timed_out["latency_ms"] < 5500
        assert accepted["status"] == 200
    finally:
        stop_server(server)


def test_merchant_down_during_payment_gets_it_after_a_restart(
    database_url: str, tmp_path: Path
) -> None:
    port = free_port()
    down = Listener(port)
    server = serve(database_url, tmp_path, INVOICEGATE_CALLBACK_RETRY_DELAYS="2,2,2")
    try:
        merchant = merchant_with_callback(server, f"{down.url}/cb")
        invoice_id = winpay_invoice(server, merchant)
        pay(server, invoice_id)
        job = wait_for_state(server, invoice_id, "pending")
        deadline = time.monotonic() + 10
        while not cli_json(server, "callbacks", "show", str(job["id"]))["attempts"]:
            assert time.monotonic() < deadline
            time.sleep(0.1)
    finally:
        stop_server(server)

    up = Listener(port).start()
    server = serve(database_url, tmp_path, INVOICEGATE_CALLBACK_RETRY_DELAYS="2,2,2")
    try:
        [request] = up.wait_for(1)
        assert request.json()["invoice"]["uuid"] == invoice_id
        wait_for_state(server, invoice_id, "delivered")
        log = cli_json(server, "callbacks", "show", str(job["id"]))["attempts"]
        assert log[0]["error"].startswith("ConnectError")
        assert log[-1]["status"] == 200
    finally:
        stop_server(server)
        up.stop()


def test_kill_9_mid_delivery_is_delivered_again_after_the_lease(
    database_url: str, tmp_path: Path, listener: Listener
) -> None:
    hold_first = iter([Answer(delay=6)])
    listener.respond = lambda request: next(hold_first, ACCEPTED)
    env = {"INVOICEGATE_CALLBACK_TIMEOUT": "5", "INVOICEGATE_CALLBACK_LEASE": "6"}
    server = serve(database_url, tmp_path, **env)
    merchant = merchant_with_callback(server, f"{listener.url}/cb")
    invoice_id = winpay_invoice(server, merchant)
    pay(server, invoice_id)
    [held] = listener.wait_for(1)
    server.process.send_signal(signal.SIGKILL)  # mid-delivery: no answer was read
    server.process.wait()

    server = serve(database_url, tmp_path, **env)
    try:
        first, second = listener.wait_for(2, timeout=20)
        assert second.at - held.at >= 5  # not before the dead worker's lease ran out
        assert first.body == second.body
        job = wait_for_state(server, invoice_id, "delivered")
        cut, delivered = cli_json(server, "callbacks", "show", str(job["id"]))["attempts"]
        assert cut["finished_at"] is None
        assert cut["error"].startswith("interrupted")
        assert delivered["status"] == 200
        time.sleep(1)
        assert len(listener.requests()) == 2
    finally:
        stop_server(server)


@pytest.mark.postgres
def test_two_workers_on_one_postgresql_deliver_20_jobs_each_once(
    pg_admin_url: str, tmp_path: Path, listener: Listener
) -> None:
    listener.respond = lambda request: Answer(delay=0.1)
    env = {**FAST, "INVOICEGATE_CALLBACK_CONCURRENCY": "4"}
    for database_url in fresh_pg_database(pg_admin_url):
        server = start_server(database_url, tmp_path / "data", "--no-worker", env=env)
        workers = [start_worker(server, tmp_path / f"worker-{n}.log") for n in (1, 2)]
        try:
            merchant = merchant_with_callback(server, f"{listener.url}/cb")
            invoices = [winpay_invoice(server, merchant, f"ref-{n}") for n in range(20)]
            asyncio.run(pay_all(server, invoices))  # PaymentService: 20 CLI runs take long
            listener.wait_for(20, timeout=30)
            time.sleep(1)
            delivered = [r.json()["invoice"]["uuid"] for r in listener.requests()]
            assert sorted(delivered) == sorted(invoices)  # each once, none twice
            jobs = cli_json(server, "callbacks", "list", "--state", "delivered", "--json")
            assert len(jobs) == 20 and all(job["attempts"] == 1 for job in jobs)
        finally:
            for worker in workers:
                worker.send_signal(signal.SIGTERM)
            logs = [
                _finish(worker, tmp_path / f"worker-{n}.log") for n, worker in enumerate(workers, 1)
            ]
            stop_server(server)
        per_worker = [log.count('"msg": "callback delivered"') for log in logs]
        assert sum(per_worker) == 20
        assert all(count > 0 for count in per_worker), per_worker  # both took part


def test_refused_destinations_are_failed_attempts_with_the_reason(
    sqlite_url: str, tmp_path: Path, listener: Listener
) -> None:
    server = serve(sqlite_url, tmp_path, INVOICEGATE_CALLBACK_RETRY_DELAYS="")
    try:
        merchant = merchant_with_callback(server, "http://169.254.169.254/latest/meta-data")
        invoice_id = winpay_invoice(server, merchant)
        pay(server, invoice_id)
        job = wait_for_state(server, invoice_id, "failed")
        [attempt] = cli_json(server, "callbacks", "show", str(job["id"]))["attempts"]
        assert attempt["error"] == (
            "refused: 169.254.169.254 resolves to 169.254.169.254: "
            "link-local address (cloud metadata lives there)"
        )
        assert attempt["status"] is None
    finally:
        stop_server(server)

    server = serve(sqlite_url, tmp_path, INVOICEGATE_CALLBACK_RETRY_DELAYS="",
                   INVOICEGATE_CALLBACK_PUBLIC_ONLY="true")  # fmt: skip
    try:
        changed = cli_json(server, "merchant", "set-callback", merchant["merchant_id"],
                           "--dialect", "winpay", f"{listener.url}/cb")  # fmt: skip
        assert changed["callback_url"] == f"{listener.url}/cb"
        second = winpay_invoice(server, merchant, "second")
        pay(server, second)
        job = wait_for_state(server, second, "failed")
        [attempt] = cli_json(server, "callbacks", "show", str(job["id"]))["attempts"]
        assert attempt["error"] == (
            "refused: 127.0.0.1 resolves to 127.0.0.1: "
            "not a public address (INVOICEGATE_CALLBACK_PUBLIC_ONLY is on)"
        )
        assert listener.requests() == []
    finally:
        stop_server(server)


def test_paylink_and_paylink_v2_callbacks_key_for_key(
    sqlite_url: str, tmp_path: Path, listener: Listener
) -> None:
    listener.respond = lambda request: Answer(200, "ok")
    server = serve(sqlite_url, tmp_path)
    try:
        merchant = merchant_with_callback(server, f"{listener.url}/unused")
        cli_json(server, "merchant", "set-callback", merchant["merchant_id"],
                 "--dialect", "paylink_v2", f"{listener.url}/v2")  # fmt: skip
        paylink = _paylink_invoice(server, merchant, f"{listener.url}/paylink?order=7")
        v2 = _v2_invoice(server, merchant)
        pay(server, paylink["invoiceId"])
        pay(server, v2["transactionNo"])

        [merchant_api] = listener.wait_for(1, "/paylink?order=7")
        [webhook] = listener.wait_for(1, "/v2")
        shown = httpx.get(
            f"{server.url}/api/merchants/{merchant['merchant_id']}/invoices/{paylink['invoiceId']}",
            headers={"X-API-KEY": merchant["paylink"]["api_key"]},
        ).json()
        assert shown["status"] == "paid"
        assert merchant_api.json() == shown  # the invoice exactly as GET shows it
        assert webhook.json() == {
            "amount": 170.0,
            "merchantEmail": None,
            "transactionNo": v2["transactionNo"],
            "merchantOrderNumber": "ORDER-7",
            "orderStatus": "Paid",
        }
        assert b'"amount":170.0' in webhook.body
        assert listener.requests("/unused") == []  # the Winpay URL hears only Winpay's
        for invoice_id in (paylink["invoiceId"], v2["transactionNo"]):
            wait_for_state(server, invoice_id, "delivered")
    finally:
        stop_server(server)


def test_callback_urls_are_checked_when_set(sqlite_url: str, tmp_path: Path) -> None:
    server = serve(sqlite_url, tmp_path)
    try:
        for bad in ("ftp://shop.test/cb", "javascript:alert(1)", "not a url"):
            done = server.cli("merchant", "create", "--name", "X", "--callback-url", bad)
            assert done.returncode == 2 and "callback-url" in done.stderr
        merchant = server.create_merchant()
        done = server.cli("merchant", "set-callback", merchant["merchant_id"],
                          "--dialect", "winpay", "file:///etc/passwd")  # fmt: skip
        assert done.returncode == 2 and "url" in done.stderr
        done = server.cli(
            "merchant", "set-callback", merchant["merchant_id"],
            "--dialect", "winpay", "--credential", "wp_nope", "http://x.test/",
        )  # fmt: skip
        assert done.returncode == 1 and "no such winpay key" in done.stderr
    finally:
        stop_server(server)


# --- helpers --------------------------------------------------------------------------------


async def pay_all(server: Server, invoice_ids: list[str]) -> None:
    """Pay through the service layer, on the server's database, concurrently."""
    settings = Settings.from_env(server.env)
    transactor = open_transactor(settings.database_url, SecretBox(settings.resolve_secret_key()))
    try:
        payments = build_runtime(settings, transactor).payments
        await asyncio.gather(*(payments.pay_invoice(invoice_id) for invoice_id in invoice_ids))
    finally:
        await transactor.aclose()


def start_worker(server: Server, log_path: Path) -> subprocess.Popen[str]:
    with log_path.open("w") as log:
        worker = subprocess.Popen(
            [str(BIN / "invoicegate"), "worker"],
            env=server.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            text=True,
        )
    deadline = time.monotonic() + 30
    while "callback worker running" not in log_path.read_text():
        assert worker.poll() is None, log_path.read_text()
        assert time.monotonic() < deadline
        time.sleep(0.1)
    return worker


def _finish(worker: subprocess.Popen[str], log_path: Path) -> str:
    try:
        worker.wait(timeout=15)
    except subprocess.TimeoutExpired:
        worker.kill()
    return log_path.read_text()


def _paylink_invoice(server: Server, merchant: dict[str, Any], callback_url: str) -> Any:
    answer = httpx.post(
        f"{server.url}/api/merchants/{merchant['merchant_id']}/invoices",
        headers={"X-API-KEY": merchant["paylink"]["api_key"]},
        json={
            "invoiceNumber": "INV-7",
            "dueDate": "2099-12-31",
            "items": [{"description": "Hosting", "quantity": 2, "price": 100.25}],
            "totalAmount": 200.5,
            "currency": "SAR",
            "customerInfo": {"customerName": "Sara", "customerPhone": "966500000000"},
            "callbackUrl": callback_url,
        },
    )
    assert answer.status_code == 201, answer.text
    return answer.json()


def _v2_invoice(server: Server, merchant: dict[str, Any]) -> Any:
    credentials = merchant["paylink_v2"]
    token = httpx.post(
        f"{server.url}/api/auth",
        json={"apiId": credentials["api_id"], "secretKey": credentials["secret_key"],
              "persistToken": False},
    ).json()["id_token"]  # fmt: skip
    answer = httpx.post(
        f"{server.url}/api/addInvoice",
        headers={"Authorization": f"Bearer {token}"},
        json={
            "orderNumber": "ORDER-7",
            "amount": 170,
            "callBackUrl": "https://shop.test/return",
            "clientName": "Mohammed",
            "clientMobile": "0500000000",
            "products": [{"title": "Book", "price": 85, "qty": 2}],
        },
    )
    assert answer.status_code == 200, answer.text
    return answer.json()
