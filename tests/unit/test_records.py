"""Records built the quick way are the same objects the classes' own constructors make."""

import dataclasses
from datetime import UTC, datetime

import pytest

from invoicegate.domain.invoice import Customer, Invoice, InvoiceStatus, LineItem, Revision
from invoicegate.domain.money import Currency
from invoicegate.domain.records import Quick

NOW = datetime(2026, 11, 22, 8, 0, tzinfo=UTC)
FIELDS = {
    "id": "inv-1",
    "merchant_id": "m-1",
    "credential_id": None,
    "checkout_slug": "abcdefghijk",
    "reference": "ref-1",
    "customer": Customer("Delina", "0823", "d@example.com"),
    "items": (LineItem("item-1", "01002676", 1, 260000),),
    "currency": Currency.of("IDR"),
    "back_url": None,
    "expires_at": NOW,
    "due_date": None,
    "callback_url": None,
    "status": InvoiceStatus.UNPAID,
    "version": 1,
    "created_at": NOW,
    "updated_at": NOW,
}


def test_a_quick_record_is_equal_to_one_made_by_its_class_and_as_immutable() -> None:
    quick = Quick(Invoice)
    made, usual = quick.new(**FIELDS), Invoice(**FIELDS)  # type: ignore[arg-type]
    assert type(made) is Invoice
    assert made == usual and hash(made) == hash(usual) and repr(made) == repr(usual)
    assert made.events == () and made.payment is None  # the class's defaults
    with pytest.raises(dataclasses.FrozenInstanceError):
        made.version = 2  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        del made.reference  # type: ignore[misc]
    assert dataclasses.replace(made, version=2) == dataclasses.replace(usual, version=2)


def test_evolved_is_replace() -> None:
    quick = Quick(Invoice)
    usual = Invoice(**FIELDS)  # type: ignore[arg-type]
    evolved = quick.evolved(usual, version=2, back_url="https://x.test", events=())
    assert type(evolved) is Invoice
    assert evolved == dataclasses.replace(usual, version=2, back_url="https://x.test")
    assert usual.version == 1  # the original is untouched
    with pytest.raises(dataclasses.FrozenInstanceError):
        evolved.version = 3  # type: ignore[misc]


def test_default_factories_make_a_new_value_each_time() -> None:
    quick = Quick(Revision)
    first = quick.new("inv-1", 1, "created", "a", "winpay", NOW, None, {})
    second = quick.new("inv-1", 1, "created", "a", "winpay", NOW, None, {})
    assert first.changed == [] and first.changed is not second.changed


def test_only_frozen_dataclasses_are_made_quick() -> None:
    @dataclasses.dataclass(slots=True)
    class Plain:
        value: int

    with pytest.raises(AssertionError):
        Quick(Plain)
