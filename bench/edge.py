"""The HTTP edge's own CPU per request: bench/inproc.py's calls with the use cases stubbed.

`bench/inproc.py` measures the whole app, whose unit of work (SQLite, fsync) varies far more
than the edge's few tens of µs on a shared machine. Here every call still goes through the
front, the dispatcher, authentication, the body's validation, the wire translation, the
answer and the access line, but the invoice service answers at once with an invoice read
beforehand. Each load runs in batches; the cheapest batch is what the edge costs when the
machine lets it run (contention only ever adds).

    .venv/bin/python bench/edge.py [--batches 40] [--batch 250]

Prints the best batch's process CPU µs per request for each load.
"""

import argparse
import asyncio
import json
import tempfile
import time
from pathlib import Path
from typing import Any

import uvloop

from inproc import PAYLINK_UPDATE, call, winpay_body, winpay_headers  # bench/, beside
from invoicegate import logs
from invoicegate.app import create_app
from invoicegate.settings import Settings
from invoicegate.store.migrate import upgrade
from setup_invoices import paylink_create_body  # bench/, beside


async def main(batches: int, batch: int) -> None:
    folder = Path(tempfile.mkdtemp(prefix="edge-"))
    url = f"sqlite:///{folder / 'bench.db'}"
    upgrade(url)
    settings = Settings(
        database_url=url, public_url="http://checkout.test", data_dir=folder, secret_key=None
    )
    logs.configure("INFO")
    sink = open("/dev/null", "w")  # noqa: SIM115 - the access lines are written, then dropped
    logs.access.write_to(lambda: sink)
    app: Any = create_app(settings)
    started = asyncio.Event()
    lifespan: asyncio.Queue[dict[str, Any]] = asyncio.Queue()

    async def lifespan_send(message: dict[str, Any]) -> None:
        if message["type"] == "lifespan.startup.complete":
            started.set()

    await lifespan.put({"type": "lifespan.startup"})
    running = asyncio.create_task(
        app({"type": "lifespan", "state": {}}, lifespan.get, lifespan_send)
    )
    await started.wait()
    runtime = app.state.runtime
    onboarded = await runtime.merchants.create_merchant("edge")
    headers = winpay_headers(onboarded.winpay.public_id, onboarded.winpay.secret)
    merchant_id, paylink_key = onboarded.merchant.id, onboarded.paylink.secret
    paylink_headers = {"x-api-key": paylink_key, "content-type": "application/json"}
    status, answer = await call(app, "POST", "/api/create", headers, winpay_body("e", True))
    assert status == 201, answer
    winpay_id = json.loads(answer)["responseData"]["id"]
    status, answer = await call(
        app,
        "POST",
        f"/api/merchants/{merchant_id}/invoices",
        paylink_headers,
        json.dumps(paylink_create_body("p")).encode(),
    )
    assert status == 201, answer
    paylink_id = json.loads(answer)["invoiceId"]
    invoices = runtime.invoices
    stored = {
        winpay_id: await invoices.find_invoice(_actor(runtime, onboarded, "winpay"), winpay_id),
        paylink_id: await invoices.find_invoice(_actor(runtime, onboarded, "paylink"), paylink_id),
    }

    async def answered(actor: Any, invoice_id: str, *args: Any, **kwargs: Any) -> Any:
        return stored[invoice_id]

    invoices.update_invoice = answered  # the use cases answer at once: only the edge is left
    invoices.find_invoice = answered
    body = winpay_body("e")
    loads = {
        "winpay update": ("PUT", f"/api/update/{winpay_id}", headers, body),
        "paylink update": (
            "PUT",
            f"/api/merchants/{merchant_id}/invoices/{paylink_id}",
            paylink_headers,
            PAYLINK_UPDATE,
        ),
        "winpay find": ("GET", f"/api/find/{winpay_id}", headers, b""),
    }
    best = dict.fromkeys(loads, float("inf"))
    for _ in range(batches):
        for name, (method, path, hdrs, raw) in loads.items():
            cpu = time.process_time()
            for _ in range(batch):
                status, _answer = await call(app, method, path, hdrs, raw)
            cpu = time.process_time() - cpu
            assert status == 200, _answer
            best[name] = min(best[name], cpu / batch * 1e6)
    for name, micros in best.items():
        print(f"  {name:16s} {micros:6.1f} µs CPU/request (best batch)")
    await lifespan.put({"type": "lifespan.shutdown"})
    await running


def _actor(runtime: Any, onboarded: Any, dialect: str) -> Any:
    from invoicegate.services.invoices import Actor  # noqa: PLC0415

    credential = onboarded.winpay if dialect == "winpay" else onboarded.paylink.credential
    return Actor(onboarded.merchant.id, credential.id, dialect)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batches", type=int, default=40)
    parser.add_argument("--batch", type=int, default=250)
    args = parser.parse_args()
    uvloop.run(main(args.batches, args.batch))
