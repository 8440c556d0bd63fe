"""No lost update: concurrent updates and payments serialise into whole revisions.

Each update body is internally consistent (reference, customer name and quantity all carry
the same number), so a mix of two bodies would show as a mismatch.
"""

import asyncio
import itertools
from typing import Any

import pytest

from invoicegate.dialects.winpay.schemas import RUPIAH
from invoicegate.domain.errors import InvoiceAlreadyPaid
from invoicegate.domain.invoice import Customer, Invoice, InvoiceChanges, ItemSpec
from tests.integration.conftest import World

pytestmark = pytest.mark.anyio
WRITERS = 40


def body(n: int) -> InvoiceChanges:
    return InvoiceChanges(
        reference=f"ref-{n}",
        customer=Customer(f"customer-{n}", f"08{n:08d}", ""),
        items=[ItemSpec(f"item-{n}", n, 1000), ItemSpec(f"extra-{n}", 1, n)],
        currency=RUPIAH,
    )


def number_of(snapshot: dict[str, Any]) -> int:
    """The one number a whole body carries; fails if the snapshot mixes two bodies."""
    n = int(snapshot["reference"].removeprefix("ref-"))
    assert snapshot["customer"]["name"] == f"customer-{n}"
    assert snapshot["customer"]["phone"] == f"08{n:08d}"
    assert [i["name"] for i in snapshot["items"]] == [f"item-{n}", f"extra-{n}"]
    assert [i["quantity"] for i in snapshot["items"]] == [n, 1]
    assert snapshot["total"] == n * 1000 + n
    return n


async def test_concurrent_updates_each_land_as_one_whole_revision(world: World) -> None:
    service = world.runtime.invoices
    results = await asyncio.gather(
        *(service.update_invoice(world.actor, world.invoice.id, body(n)) for n in range(1, 41))
    )

    answered = [number_of(answer.snapshot()) for answer in results]
    assert sorted(answered) == list(range(1, WRITERS + 1))
    revisions = await service.revisions(world.actor.merchant_id, world.invoice.id)
    assert [r.version for r in revisions] == list(range(1, WRITERS + 2))
    # Each success is exactly one revision, and each revision's "before" is its predecessor.
    by_version = {r.version: number_of(r.after) for r in revisions[1:]}
    assert {a.version: number_of(a.snapshot()) for a in results} == by_version
    for previous, current in itertools.pairwise(revisions):
        assert current.before == previous.after
    final = await service.find_invoice(world.actor, world.invoice.id)
    assert final.snapshot() == revisions[-1].after
    assert final.version == WRITERS + 1


async def test_update_racing_a_payment_lands_before_it_or_is_refused(world: World) -> None:
    service = world.runtime.invoices

    async def update(n: int) -> Invoice | InvoiceAlreadyPaid:
        try:
            return await service.update_invoice(world.actor, world.invoice.id, body(n))
        except InvoiceAlreadyPaid as refused:
            return refused

    tasks = [update(n) for n in range(1, 21)]
    tasks.insert(10, world.runtime.payments.pay_invoice(world.invoice.id))
    outcomes = await asyncio.gather(*tasks)
    paid = outcomes.pop(10)
    assert isinstance(paid, Invoice)

    landed = [o for o in outcomes if isinstance(o, Invoice)]
    assert all(o.version < paid.version for o in landed)
    refused = [o for o in outcomes if isinstance(o, InvoiceAlreadyPaid)]
    assert len(landed) + len(refused) == 20
    final = await service.find_invoice(world.actor, world.invoice.id)
    assert final.version == paid.version and final.status.value == "paid"
    # The invoice was paid for exactly what it held when paid.
    assert paid.payment is not None and paid.payment.amount == final.total
    revisions = await service.revisions(world.actor.merchant_id, world.invoice.id)
    assert revisions[-1].action == "paid" and revisions[-1].after == final.snapshot()
