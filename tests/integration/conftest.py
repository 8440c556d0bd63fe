"""A runtime on a real database (SQLite and PostgreSQL), with a merchant and an invoice."""

from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest

from invoicegate.composition import build_runtime
from invoicegate.dialects.winpay.schemas import RUPIAH
from invoicegate.domain.invoice import Customer, Invoice, InvoiceTerms, ItemSpec
from invoicegate.runtime import Runtime
from invoicegate.services.invoices import Actor
from invoicegate.settings import Settings
from invoicegate.store.secrets import SecretBox
from invoicegate.store.transactors import open_transactor

CALLBACK_URL = "https://merchant.test/callback"


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@dataclass
class World:
    runtime: Runtime
    actor: Actor
    invoice: Invoice


def terms(reference: str = "ref-1", name: str = "Delina", qty: int = 1) -> InvoiceTerms:
    return InvoiceTerms(
        reference=reference,
        customer=Customer(name, "082342341", "d@example.com"),
        items=[ItemSpec("01002676", qty, 260000)],
        currency=RUPIAH,
        back_url="https://example.com/back",
    )


@pytest.fixture
async def world(settings: Settings) -> AsyncIterator[World]:
    transactor = open_transactor(settings.database_url, SecretBox(settings.resolve_secret_key()))
    runtime = build_runtime(settings, transactor)
    onboarded = await runtime.merchants.create_merchant("Acme", CALLBACK_URL)
    actor = Actor(onboarded.merchant.id, onboarded.winpay.id, "winpay")
    invoice = await runtime.invoices.create_invoice(actor, terms())
    try:
        yield World(runtime, actor, invoice)
    finally:
        await transactor.aclose()
