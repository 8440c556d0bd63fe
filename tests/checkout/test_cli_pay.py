"""`invoicegate invoice pay` takes the checkout's code path: a channel of the invoice's currency."""

import asyncio
import json
from pathlib import Path

import pytest

from invoicegate import cli
from invoicegate.composition import build_runtime
from invoicegate.domain.invoice import Customer, Invoice, InvoiceTerms, ItemSpec
from invoicegate.domain.money import Currency
from invoicegate.services.invoices import Actor
from invoicegate.settings import Settings
from invoicegate.store.secrets import SecretBox
from invoicegate.store.transactors import open_transactor


def make_invoice(settings: Settings, currency: str, price: int) -> Invoice:
    async def go() -> Invoice:
        transactor = open_transactor(
            settings.database_url, SecretBox(settings.resolve_secret_key())
        )
        try:
            runtime = build_runtime(settings, transactor)
            onboarded = await runtime.merchants.create_merchant("Acme")
            actor = Actor(onboarded.merchant.id, onboarded.winpay.id, "winpay")
            terms = InvoiceTerms(
                "INV-1",
                Customer("Budi", "0812"),
                [ItemSpec("Tea", 1, price)],
                Currency.of(currency),
            )
            return await runtime.invoices.create_invoice(actor, terms)
        finally:
            await transactor.aclose()

    return asyncio.run(go())


@pytest.fixture
def env(settings: Settings, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Settings:
    monkeypatch.setenv("INVOICEGATE_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("INVOICEGATE_DATA_DIR", str(tmp_path))
    return settings


def test_cli_pays_through_a_channel_with_its_simulated_fee(
    env: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    invoice = make_invoice(env, "IDR", 260_000)

    assert cli.main(["invoice", "pay", invoice.id, "--channel", "alfamart"]) == 0

    shown = json.loads(capsys.readouterr().out)
    assert shown["status"] == "paid"
    payment = shown["payment"]
    assert (payment["channel"], payment["amount"], payment["fee"]) == ("ALFAMART", 260_000, 5_000)
    assert len(payment["code"]) == 12


def test_cli_refuses_a_channel_of_another_currency_and_pays_nothing(
    env: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    invoice = make_invoice(env, "SAR", 30_100)

    assert cli.main(["invoice", "pay", invoice.id, "--channel", "BSI"]) == 1
    assert "not a channel for SAR" in capsys.readouterr().err

    assert cli.main(["invoice", "show", invoice.id]) == 0
    assert json.loads(capsys.readouterr().out)["invoice"]["status"] == "unpaid"
    assert cli.main(["invoice", "pay", invoice.id]) == 0  # the default: mada
    assert json.loads(capsys.readouterr().out)["payment"]["channel"] == "mada"
