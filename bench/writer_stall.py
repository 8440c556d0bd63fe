"""How long the SQLite group-commit writer holds the event loop while a big batch runs.

N updates (default 600: more than one batch of 512) are queued at once on a fresh SQLite
file; a ticker task measures the longest time between two of its turns on the loop — the
stall every other request (health checks, parsing, answering) sees meanwhile.

    .venv/bin/python bench/writer_stall.py [--updates 600] [--runs 3]
"""

import argparse
import asyncio
import tempfile
import time
from pathlib import Path

from invoicegate.domain.invoice import Customer, InvoiceChanges, InvoiceTerms, ItemSpec
from invoicegate.domain.money import Currency
from invoicegate.runtime import Runtime
from invoicegate.services.invoices import Actor
from invoicegate.settings import Settings
from invoicegate.store.migrate import upgrade
from invoicegate.store.secrets import SecretBox
from invoicegate.store.transactors import open_transactor

RUPIAH = Currency.of("IDR")


def seed_update(reference: str) -> InvoiceChanges:
    """The seed's update body: customer, ref and products, every field given."""
    customer = Customer("Delina Prasetya", "082342341", "delina@example.com")
    return InvoiceChanges(reference, customer, [ItemSpec("01002676", 2, 260000)])


async def one_run(updates: int, folder: Path) -> tuple[float, float]:
    url = f"sqlite:///{folder / 'stall.db'}"
    upgrade(url)
    settings = Settings(database_url=url, public_url="http://bench", data_dir=folder)
    transactor = open_transactor(url, SecretBox(SecretBox.generate_key()))
    runtime = Runtime.build(settings, transactor)
    onboarded = await runtime.merchants.create_merchant("Bench")
    actor = Actor(onboarded.merchant.id, onboarded.winpay.id, "winpay")
    customer = Customer("Delina Prasetya", "082342341", "delina@example.com")
    invoices = await asyncio.gather(
        *(
            runtime.invoices.create_invoice(
                actor,
                InvoiceTerms(
                    f"ref-{n}", customer, [ItemSpec("01002676", 1, 260000)], RUPIAH, "https://b"
                ),
            )
            for n in range(updates)
        )
    )
    longest = 0.0
    running = True

    async def ticker() -> None:
        nonlocal longest
        last = time.perf_counter()
        while running:
            await asyncio.sleep(0)
            now = time.perf_counter()
            longest, last = max(longest, now - last), now

    started = time.perf_counter()
    queued = [
        asyncio.ensure_future(
            runtime.invoices.update_invoice(actor, invoice.id, seed_update(invoice.reference))
        )
        for invoice in invoices
    ]
    await asyncio.sleep(0)  # all queued on the writer before the ticker starts
    ticking = asyncio.ensure_future(ticker())
    await asyncio.gather(*queued)
    took = time.perf_counter() - started
    running = False
    await ticking
    await transactor.aclose()
    return took, longest


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--updates", type=int, default=600)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    for _ in range(args.runs):
        with tempfile.TemporaryDirectory() as folder:
            took, longest = asyncio.run(one_run(args.updates, Path(folder)))
        print(
            f"{args.updates} updates in {took * 1000:.0f} ms "
            f"({took / args.updates * 1e6:.0f} µs each); longest loop stall {longest * 1000:.1f} ms"
        )


if __name__ == "__main__":
    main()
