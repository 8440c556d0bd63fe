"""Prepare a native PATCH load (bench/native_patch.lua): a merchant and N invoices via POST.

Writes into --out: ids.txt (one "<invoice id> <ref>" line each) and auth.env
(NATIVE_API_KEY). The merchant comes from `invoicegate merchant create --json`, run in the
same environment as the server.
"""

import argparse
import asyncio
import json
import subprocess
import sys
from pathlib import Path

import httpx

CLI = Path(sys.executable).with_name("invoicegate")


async def create(url: str, api_key: str, count: int) -> list[str]:
    headers = {"Authorization": f"Bearer {api_key}"}
    limit = asyncio.Semaphore(16)

    async def one(client: httpx.AsyncClient, n: int) -> str:
        body = {
            "reference": f"native-{n}",
            "customer": {"name": "Delina Prasetya", "phone": "082342341"},
            "items": [{"name": "01002676", "quantity": 1, "unit_price": 260000}],
            "currency": "IDR",
        }
        async with limit:
            answer = await client.post(f"{url}/v1/invoices", json=body, headers=headers)
        answer.raise_for_status()
        return f"{answer.json()['id']} native-{n}"

    async with httpx.AsyncClient(timeout=30) as client:
        return await asyncio.gather(*(one(client, n) for n in range(1, count + 1)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--url", required=True)
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    made = subprocess.run(
        [str(CLI), "merchant", "create", "--name", "bench-native", "--json"],
        check=True,
        capture_output=True,
        text=True,
    )
    api_key = json.loads(made.stdout)["native"]["api_key"]
    lines = asyncio.run(create(args.url, api_key, args.count))
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "ids.txt").write_text("\n".join(lines) + "\n")
    (args.out / "auth.env").write_text(f"NATIVE_API_KEY={api_key}\n")


if __name__ == "__main__":
    main()
