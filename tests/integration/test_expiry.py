"""Expiry announcements on a real database (SQLite and PostgreSQL): once per expiry, even with
two nodes sweeping the same database at the same moment; a later expiry is a new one."""

import asyncio
from dataclasses import replace
from datetime import timedelta

import pytest

from invoicegate.composition import build_runtime
from invoicegate.domain.invoice import InvoiceChanges
from invoicegate.services.invoices import Actor, utc_now
from invoicegate.settings import Settings
from invoicegate.store.secrets import SecretBox
from invoicegate.store.transactors import open_transactor
from tests.integration.conftest import terms

pytestmark = pytest.mark.anyio


async def test_two_nodes_sweeping_together_announce_each_expiry_once(settings: Settings) -> None:
    box = SecretBox(settings.resolve_secret_key())
    nodes = [build_runtime(settings, open_transactor(settings.database_url, box)) for _ in "ab"]
    try:
        first = nodes[0]
        onboarded = await first.merchants.create_merchant("Acme")
        actor = Actor(onboarded.merchant.id, onboarded.native.credential.id, "native")
        past = utc_now() - timedelta(minutes=1)
        created = [
            await first.invoices.create_invoice(actor, replace(terms(f"r{n}"), expires_at=past))
            for n in range(25)
        ]
        # One more, paid before it expired: never announced.
        paid = await first.invoices.create_invoice(
            actor, replace(terms("paid"), expires_at=utc_now() + timedelta(seconds=30))
        )
        await first.payments.pay_invoice(paid.id)
        counts = await asyncio.gather(
            *(node.expiries.announce_expiries(limit=7) for node in nodes for _ in range(5))
        )
        assert sum(counts) == len(created)
        assert await first.expiries.announce_expiries() == 0

        # A later expiry is a new one: announced when it passes, not before.
        moved = created[0]
        later = utc_now() + timedelta(seconds=1)
        await first.invoices.update_invoice(actor, moved.id, InvoiceChanges(expires_at=later))
        assert await nodes[1].expiries.announce_expiries() == 0
        await asyncio.sleep(1.1)
        assert await nodes[1].expiries.announce_expiries() == 1
        assert await first.expiries.announce_expiries() == 0
    finally:
        for node in nodes:
            await node.transactor.aclose()
