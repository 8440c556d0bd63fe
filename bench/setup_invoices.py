"""Prepare a load run: a merchant, N invoices made through POST /api/create, and signed headers.

Writes into --out:
  ids.txt   one "<invoice id> <ref>" line per invoice (refs are bench-1 … bench-N)
  auth.env  WINPAY_KEY, WINPAY_TIMESTAMP, WINPAY_SIGNATURE for bench/update.lua; the signature
            covers only the timestamp, which the service accepts for 300 s from now

The merchant comes from `invoicegate merchant create --json` (same environment as the server)
unless --key and --secret are given. --fake writes random ids and a made-up key instead, for
the bare app, which checks nothing.
"""

import argparse
import asyncio
import hashlib
import hmac
import json
import subprocess
import sys
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

import httpx

JAKARTA = timezone(timedelta(hours=7))
CLI = Path(sys.executable).with_name("invoicegate")


def seed_body(ref: str) -> dict[str, object]:
    """The seed's request sample (seeds/winpay-update-invoice.txt) with its own ref."""
    return {
        "customer": {"name": "Delina Prasetya", "email": "[email protected]", "phone": "082342341"},
        "invoice": {"ref": ref, "products": [{"name": "01002676", "qty": 1, "price": 260000}]},
        "back_url": "https://your-invoice-url.com",
    }


def signed_headers(key: str, secret: str) -> dict[str, str]:
    timestamp = datetime.now(JAKARTA).isoformat(timespec="seconds")
    signature = hmac.new(secret.encode(), timestamp.encode(), hashlib.sha256).hexdigest()
    return {
        "X-Winpay-Key": key,
        "X-Winpay-Timestamp": timestamp,
        "X-Winpay-Signature": signature,
    }


def create_merchant() -> tuple[str, str]:
    made = subprocess.run(
        [str(CLI), "merchant", "create", "--name", "bench", "--json"],
        check=True,
        capture_output=True,
        text=True,
    )
    winpay = json.loads(made.stdout)["winpay"]
    return winpay["key"], winpay["secret"]


async def create_invoices(
    url: str, key: str, secret: str, count: int, concurrency: int
) -> list[tuple[str, str]]:
    gate = asyncio.Semaphore(concurrency)

    async def create(client: httpx.AsyncClient, ref: str) -> tuple[str, str]:
        async with gate:
            body = {**seed_body(ref), "interval": 7 * 24 * 60}
            answer = await client.post(
                "/api/create", json=body, headers=signed_headers(key, secret)
            )
        if answer.status_code != 201:
            raise SystemExit(f"create {ref}: HTTP {answer.status_code} {answer.text[:500]}")
        return answer.json()["responseData"]["id"], ref

    async with httpx.AsyncClient(base_url=url, timeout=30) as client:
        jobs = [create(client, f"bench-{n}") for n in range(1, count + 1)]
        return list(await asyncio.gather(*jobs))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", help="service base URL, e.g. http://127.0.0.1:8000")
    parser.add_argument("--out", type=Path, required=True, help="folder for ids.txt and auth.env")
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--key")
    parser.add_argument("--secret")
    parser.add_argument("--fake", action="store_true", help="random ids, no server (bare app)")
    args = parser.parse_args()

    if args.fake:
        key, secret = "bench-key", "bench-secret"
        invoices = [(str(uuid.uuid4()), f"bench-{n}") for n in range(1, args.count + 1)]
    else:
        if not args.url:
            parser.error("--url is required unless --fake")
        key, secret = (args.key, args.secret) if args.key and args.secret else create_merchant()
        invoices = asyncio.run(create_invoices(args.url, key, secret, args.count, args.concurrency))

    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "ids.txt").write_text("".join(f"{i} {ref}\n" for i, ref in invoices))
    headers = signed_headers(key, secret)
    (args.out / "auth.env").write_text(
        f"WINPAY_KEY={headers['X-Winpay-Key']}\n"
        f"WINPAY_TIMESTAMP={headers['X-Winpay-Timestamp']}\n"
        f"WINPAY_SIGNATURE={headers['X-Winpay-Signature']}\n"
    )
    print(f"{len(invoices)} invoices ready in {args.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
