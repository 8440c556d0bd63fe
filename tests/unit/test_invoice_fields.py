"""A field added to the invoice is kept, changed, cleared and recorded, or refused at import.

Each test loads a copy of `domain/invoice.py` with one more field, `note`, written in as
docs/adding-a-field.md says, and uses the copy as the service would.
"""

import sys
import types
from datetime import UTC, datetime
from pathlib import Path

import pytest

from invoicegate.domain import invoice as invoice_module
from invoicegate.domain.money import Currency

T0 = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
SOURCE = Path(invoice_module.__file__).read_text()

# The recipe's domain steps, as edits of the source: (anchor, text put after it).
ON_INVOICE = ("    payment: Payment | None = None\n", "    note: str | None = None\n")
ON_TERMS = ("    callback_url: str | None = None\n", "    note: str | None = None\n")
ON_CHANGES = ("    due_date: date | None = None\n    cleared", "    note: str | None = None\n")
IN_SNAPSHOT = (
    '            "payment_id": payment.id if payment else None,\n',
    '            "note": self.note,\n',
)


def _with(*edits: tuple[str, str], monkeypatch: pytest.MonkeyPatch) -> types.ModuleType:
    source = SOURCE
    for anchor, added in edits:
        at = source.index(anchor)  # the recipe's anchors are still in the code
        if anchor.endswith("cleared"):  # before `cleared`: InvoiceChanges' last field
            at += len(anchor) - len("    cleared")
            source = source[:at] + added + source[at:]
        else:
            source = source[: at + len(anchor)] + added + source[at + len(anchor) :]
    module = types.ModuleType("invoice_with_note")
    monkeypatch.setitem(sys.modules, module.__name__, module)  # for the type hints
    exec(compile(source, module.__name__, "exec"), module.__dict__)
    return module


def test_a_new_field_left_out_of_the_snapshot_fails_at_import(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with pytest.raises(
        AssertionError, match=r"snapshot\(\) must record the editable fields \['note'\]"
    ):
        _with(ON_INVOICE, ON_CHANGES, monkeypatch=monkeypatch)


def test_a_new_changes_field_the_invoice_lacks_fails_at_import(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with pytest.raises(AssertionError, match="an InvoiceChanges field the invoice lacks"):
        _with(ON_CHANGES, monkeypatch=monkeypatch)


def test_a_new_field_is_kept_set_cleared_and_recorded(monkeypatch: pytest.MonkeyPatch) -> None:
    m = _with(ON_INVOICE, ON_TERMS, ON_CHANGES, IN_SNAPSHOT, monkeypatch=monkeypatch)
    assert "note" in m.EDITABLE_FIELDS and "note" in m.CLEARABLE_FIELDS  # `str | None`
    created = m.new_invoice(
        m.InvoiceTerms(
            "ref-1",
            m.Customer("Ann", "0812"),
            [m.ItemSpec("tea", 2, 500)],
            Currency.of("IDR"),
            note="keep me",
        ),
        invoice_id="inv-1",
        merchant_id="m-1",
        credential_id=None,
        checkout_slug="s",
        now=T0,
        new_id=iter(f"li-{n}" for n in range(99)).__next__,
    )
    assert created.note == "keep me"  # create takes it from the terms by name

    kept = created.updated(m.InvoiceChanges(reference="ref-2"), T0, lambda: "x")
    assert (kept.reference, kept.note) == ("ref-2", "keep me")  # not reset by an update

    changed = kept.updated(m.InvoiceChanges(note="new"), T0, lambda: "x")
    revision = m.Revision.of("updated", kept, changed, actor="a", dialect="d", at=T0)
    assert changed.note == "new" and revision.changed == ["note"]
    assert (revision.before["note"], revision.after["note"]) == ("keep me", "new")

    cleared = changed.updated(m.InvoiceChanges(cleared=frozenset({"note"})), T0, lambda: "x")
    assert cleared.note is None

    paid = m.Payment("pay-1", "BSI", "C", "r", 1000, 0, T0)
    with pytest.raises(m.InvoiceAlreadyPaid):
        cleared.paid(paid, T0).updated(m.InvoiceChanges(note="late"), T0, lambda: "x")
