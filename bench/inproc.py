"""The app's own CPU per request, without a server: ASGI calls made in-process.

`bash bench/run.sh` measures the whole stack (uvicorn, the socket, wrk on the same cores);
this measures only what the app does with a request, with far less noise, so an edge
change can be weighed in seconds. Each call is a real ASGI call on a fresh SQLite file
(WAL, synchronous=FULL, the group commit): the Winpay update (32 in flight, as wrk -c32),
the Winpay find and the Paylink update, with the seeds' bodies and the access log on.
`--database-url postgresql://…/<db>` runs them on that (empty or migrated) PostgreSQL
database instead; PostgreSQL's own CPU is then not counted, only the app's.

    .venv/bin/python bench/inproc.py [--requests 4000] [--rounds 3] [--database-url URL]

Prints process CPU µs per request (every thread: the fsync helper too) per load and round;
on PostgreSQL also the round trips to the database per request (every message exchange
asyncpg waits for: a statement run, a prepare, a simple query; decision 0029).
"""

import argparse
import asyncio
import gc
import io
import json
import logging
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import uvloop

from invoicegate import logs
from invoicegate.app import create_app
from invoicegate.settings import Settings
from invoicegate.store.migrate import upgrade
from setup_invoices import paylink_create_body, seed_body, signed_headers  # bench/, beside

App = Callable[[dict[str, Any], Any, Any], Awaitable[None]]


async def call(
    app: App, method: str, path: str, headers: dict[str, str], body: bytes = b""
) -> tuple[int, bytes]:
    raw = [(k.lower().encode(), v.encode()) for k, v in headers.items()]
    if body:
        raw.append((b"content-length", str(len(body)).encode()))
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": b"",
        "headers": raw,
        "client": ("127.0.0.1", 5000),
        "server": ("127.0.0.1", 8000),
        "state": {},
    }
    sent = False
    status = 0
    chunks: list[bytes] = []

    async def receive() -> dict[str, Any]:
        nonlocal sent
        if sent:
            await asyncio.sleep(3600)
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]
        else:
            chunks.append(message.get("body", b""))

    await app(scope, receive, send)
    return status, b"".join(chunks)


def winpay_headers(key: str, secret: str) -> dict[str, str]:
    headers = {k.lower(): v for k, v in signed_headers(key, secret).items()}
    return {**headers, "content-type": "application/json"}


def winpay_body(ref: str, create: bool = False) -> bytes:
    body = seed_body(ref)
    if create:
        body["interval"] = 7 * 24 * 60
    return json.dumps(body).encode()


# seeds/paylink-update-invoice.txt, as bench/update.lua sends it
PAYLINK_UPDATE = json.dumps(
    {key: paylink_create_body("")[key] for key in ("items", "totalAmount", "currency")}
    | {"dueDate": "2024-07-31"}
).encode()


BEST: dict[str, float] = {}
ROUND_TRIPS = [0]  # asyncpg protocol calls that wait for the server's answer, all connections
_WAITED_FOR = frozenset(
    "bind_execute bind_execute_many bind execute query prepare close_statement".split()
)


class _CountingProtocol:
    """asyncpg's protocol, with every call that waits for PostgreSQL's answer counted."""

    def __init__(self, protocol: Any) -> None:
        self._protocol = protocol

    def __getattr__(self, name: str) -> Any:
        found = getattr(self._protocol, name)
        if name not in _WAITED_FOR:
            return found

        def counted(*args: Any, **kwargs: Any) -> Any:
            ROUND_TRIPS[0] += 1
            return found(*args, **kwargs)

        return counted


def count_round_trips() -> None:
    """Wrap the protocol of every asyncpg connection opened from now on."""
    import asyncpg

    connect = asyncpg.connect

    async def counting_connect(*args: Any, **kwargs: Any) -> Any:
        connection = await connect(*args, **kwargs)
        connection._protocol = _CountingProtocol(connection._protocol)
        return connection

    asyncpg.connect = counting_connect


async def measure(
    name: str, requests: int, in_flight: int, one: Callable[[int], Awaitable[int]]
) -> None:
    gc.collect()
    statuses: dict[int, int] = {}
    started_cpu, started = time.process_time(), time.perf_counter()
    started_trips = ROUND_TRIPS[0]
    next_index = 0

    async def worker() -> None:
        nonlocal next_index
        while next_index < requests:
            index = next_index
            next_index += 1
            status = await one(index)
            statuses[status] = statuses.get(status, 0) + 1

    await asyncio.gather(*(worker() for _ in range(in_flight)))
    cpu = time.process_time() - started_cpu
    wall = time.perf_counter() - started
    BEST[name] = min(BEST.get(name, 1e9), cpu / requests * 1e6)
    trips = (ROUND_TRIPS[0] - started_trips) / requests
    print(
        f"{name:24s} {cpu / requests * 1e6:7.1f} µs CPU/request  "
        f"{requests / wall:8.0f} req/s  statuses {statuses}"
        + (f"  {trips:.2f} round trips/request" if trips else ""),
        flush=True,
    )


def switch(mode: str) -> None:
    """A/B within one process: "starlette" sends every request through Starlette's stack
    (code of 4412ae8 and before, which had a second pipeline; one pipeline has no switch)."""
    try:
        from invoicegate import front  # type: ignore[attr-defined]
    except ImportError:  # one pipeline, or code from before the front: nothing to switch
        return
    front_match = getattr(front, "_original_match", None) or getattr(front, "_match", None)
    if front_match is None:
        return
    front._original_match = front_match  # type: ignore[attr-defined]
    front._match = front_match if mode == "front" else (lambda *args: None)


async def main(
    requests: int,
    rounds: int,
    invoices: int,
    modes: list[str],
    loads: list[str],
    database_url: str | None = None,
) -> None:
    folder = Path(tempfile.mkdtemp(prefix="inproc-"))
    if database_url:
        count_round_trips()
    url = database_url or f"sqlite:///{folder / 'bench.db'}"
    upgrade(url)
    settings = Settings(
        database_url=url, public_url="http://checkout.test", data_dir=folder, secret_key=None
    )
    logs.configure("INFO")
    sink = io.StringIO()
    logs.access.write_to(lambda: sink)
    logging.getLogger().handlers[:] = [logging.StreamHandler(sink)]
    app: Any = create_app(settings)

    lifespan_messages: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    started = asyncio.Event()

    async def lifespan_send(message: dict[str, Any]) -> None:
        if message["type"] == "lifespan.startup.complete":
            started.set()

    await lifespan_messages.put({"type": "lifespan.startup"})
    running = asyncio.create_task(
        app(
            {"type": "lifespan", "asgi": {"version": "3.0"}, "state": {}},
            lifespan_messages.get,
            lifespan_send,
        )
    )
    await started.wait()
    onboarded = await app.state.runtime.merchants.create_merchant("bench")
    key, secret = onboarded.winpay.public_id, onboarded.winpay.secret
    paylink_key, merchant_id = onboarded.paylink.secret, onboarded.merchant.id
    headers = winpay_headers(key, secret)
    ids: list[str] = []
    paylink_ids: list[str] = []
    for n in range(invoices):
        status, answer = await call(
            app, "POST", "/api/create", headers, winpay_body(f"b-{n}", create=True)
        )
        assert status == 201, answer
        ids.append(json.loads(answer)["responseData"]["id"])
        status, answer = await call(
            app,
            "POST",
            f"/api/merchants/{merchant_id}/invoices",
            {"x-api-key": paylink_key, "content-type": "application/json"},
            json.dumps(paylink_create_body(f"p-{n}")).encode(),
        )
        assert status == 201, answer
        paylink_ids.append(json.loads(answer)["invoiceId"])
    paylink_headers = {"x-api-key": paylink_key, "content-type": "application/json"}

    bodies = [winpay_body(f"b-{n}") for n in range(invoices)]

    async def update(i: int) -> int:
        n = i % invoices
        return (await call(app, "PUT", f"/api/update/{ids[n]}", headers, bodies[n]))[0]

    async def find(i: int) -> int:
        return (await call(app, "GET", f"/api/find/{ids[i % invoices]}", headers))[0]

    async def paylink_update(i: int) -> int:
        path = f"/api/merchants/{merchant_id}/invoices/{paylink_ids[i % invoices]}"
        return (await call(app, "PUT", path, paylink_headers, PAYLINK_UPDATE))[0]

    gc.collect()
    gc.freeze()
    gc.set_threshold(50_000, 50, 100)  # as `invoicegate serve` (cli._tune_garbage_collector)
    for _ in range(rounds):
        for mode in modes:
            switch(mode)
            for load, one in (
                ("winpay update", update),
                ("paylink update", paylink_update),
                ("winpay find", find),
            ):
                if load.split()[-1] in loads or load in loads:
                    await measure(f"{mode} {load}", requests, 32, one)
    print("best of each:")
    for name, best in sorted(BEST.items()):
        print(f"  {name:24s} {best:7.1f} µs CPU/request")
    await lifespan_messages.put({"type": "lifespan.shutdown"})
    await running


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=4000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--invoices", type=int, default=200)
    parser.add_argument("--modes", default="front", help="comma-separated: front,starlette")
    parser.add_argument("--loads", default="update,find", help="update, find, winpay update, ...")
    parser.add_argument("--database-url", help="a PostgreSQL database instead of a SQLite file")
    args = parser.parse_args()
    uvloop.run(
        main(
            args.requests,
            args.rounds,
            args.invoices,
            args.modes.split(","),
            args.loads.split(","),
            args.database_url,
        )
    )
