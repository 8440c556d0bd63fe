"""Prepare a load run: a merchant, N invoices made through the dialect's create, and its auth.

Writes into --out:
  ids.txt   one "<update path> <ref>" line per invoice (refs are bench-1 … bench-N)
  auth.env  BENCH_DIALECT and the dialect's auth for bench/update.lua: WINPAY_KEY,
            WINPAY_TIMESTAMP, WINPAY_SIGNATURE (the signature covers only the timestamp,
            which the service accepts for 300 s from now) and WINPAY_SECRET (for --resign), or
            PAYLINK_API_KEY

--resign --out DIR signs a fresh timestamp into DIR/auth.env (the scale targets' bulk load
takes minutes between the setup and the load).

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
from typing import Any

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


def create_merchant() -> dict[str, Any]:
    made = subprocess.run(
        [str(CLI), "merchant", "create", "--name", "bench", "--json"],
        check=True,
        capture_output=True,
        text=True,
    )
    merchant: dict[str, Any] = json.loads(made.stdout)
    return merchant


def paylink_create_body(ref: str) -> dict[str, object]:
    """The seed's update body (seeds/paylink-update-invoice.txt) plus what create needs."""
    return {
        "invoiceNumber": ref,
        "items": [
            {"description": "Web Development Services", "quantity": 1, "price": 5000},
            {"description": "Hosting Services", "quantity": 1, "price": 200},
        ],
        "totalAmount": 5200,
        "dueDate": "2099-07-31",
        "currency": "SAR",
        "customerInfo": {"customerName": "Bench Customer", "customerPhone": "966500000000"},
    }


async def create_paylink_invoices(
    url: str, merchant_id: str, api_key: str, count: int, concurrency: int
) -> list[tuple[str, str]]:
    gate = asyncio.Semaphore(concurrency)
    collection = f"/api/merchants/{merchant_id}/invoices"

    async def create(client: httpx.AsyncClient, ref: str) -> tuple[str, str]:
        async with gate:
            answer = await client.post(
                collection, json=paylink_create_body(ref), headers={"X-API-KEY": api_key}
            )
        if answer.status_code != 201:
            raise SystemExit(f"create {ref}: HTTP {answer.status_code} {answer.text[:500]}")
        return f"{collection}/{answer.json()['invoiceId']}", ref

    async with httpx.AsyncClient(base_url=url, timeout=30) as client:
        jobs = [create(client, f"bench-{n}") for n in range(1, count + 1)]
        return list(await asyncio.gather(*jobs))


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
        return "/api/update/" + answer.json()["responseData"]["id"], ref

    async with httpx.AsyncClient(base_url=url, timeout=30) as client:
        jobs = [create(client, f"bench-{n}") for n in range(1, count + 1)]
        return list(await asyncio.gather(*jobs))


def winpay_auth(key: str, secret: str) -> str:
    headers = signed_headers(key, secret)
    return (
        f"WINPAY_KEY={headers['X-Winpay-Key']}\n"
        f"WINPAY_TIMESTAMP={headers['X-Winpay-Timestamp']}\n"
        f"WINPAY_SIGNATURE={headers['X-Winpay-Signature']}\n"
        f"WINPAY_SECRET={secret}\n"
    )


def resign(out: Path) -> None:
    auth = dict(line.split("=", 1) for line in (out / "auth.env").read_text().splitlines())
    if auth["BENCH_DIALECT"] != "winpay":
        return  # Paylink's key does not expire
    fresh = winpay_auth(auth["WINPAY_KEY"], auth["WINPAY_SECRET"])
    (out / "auth.env").write_text(f"BENCH_DIALECT=winpay\n{fresh}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", help="service base URL, e.g. http://127.0.0.1:8000")
    parser.add_argument("--out", type=Path, required=True, help="folder for ids.txt and auth.env")
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--key")
    parser.add_argument("--secret")
    parser.add_argument("--fake", action="store_true", help="random ids, no server (bare app)")
    parser.add_argument("--dialect", choices=["winpay", "paylink"], default="winpay")
    parser.add_argument("--resign", action="store_true", help="only sign a fresh timestamp")
    args = parser.parse_args()

    if args.resign:
        resign(args.out)
        return

    if args.fake:
        key, secret = "bench-key", "bench-secret"
        invoices = [(f"/api/update/{uuid.uuid4()}", f"bench-{n}") for n in range(1, args.count + 1)]
        auth = winpay_auth(key, secret)
    elif not args.url:
        parser.error("--url is required unless --fake")
    elif args.dialect == "paylink":
        paylink = create_merchant()["paylink"]
        invoices = asyncio.run(
            create_paylink_invoices(
                args.url, paylink["merchant_id"], paylink["api_key"], args.count, args.concurrency
            )
        )
        auth = f"PAYLINK_API_KEY={paylink['api_key']}\n"
    else:
        if args.key and args.secret:
            key, secret = args.key, args.secret
        else:
            winpay = create_merchant()["winpay"]
            key, secret = winpay["key"], winpay["secret"]
        invoices = asyncio.run(create_invoices(args.url, key, secret, args.count, args.concurrency))
        auth = winpay_auth(key, secret)

    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "ids.txt").write_text("".join(f"{path} {ref}\n" for path, ref in invoices))
    (args.out / "auth.env").write_text(f"BENCH_DIALECT={args.dialect}\n{auth}")
    print(f"{len(invoices)} invoices ready in {args.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
