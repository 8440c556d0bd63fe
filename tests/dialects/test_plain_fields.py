"""A plain path's fields are checked against its model when the module loads.

Issue 21 found a field added to a model admitted by the plain path unvalidated (its keys
came from the model, its rules did not). Here copies of `dialects/paylink/schemas.py` gain
a field as a contributor would add it, and are loaded as the service would load them.
"""

import json
import sys
import types
from pathlib import Path

import pytest

from invoicegate.dialects.paylink import schemas
from tests.dialects.paylink.conftest import seed_update_body

SOURCE = Path(schemas.__file__).read_text()
ANCHOR = "    currency: CurrencyCode\n"  # UpdateInvoiceBody's last field
ITEM_ANCHOR = "    price: Amount\n"  # ItemIn's last field


def _load(source: str, monkeypatch: pytest.MonkeyPatch) -> types.ModuleType:
    module = types.ModuleType("paylink_schemas_copy")
    monkeypatch.setitem(sys.modules, module.__name__, module)  # for the models' type hints
    exec(compile(source, module.__name__, "exec"), module.__dict__)
    return module


def _with(anchor: str, added: str, monkeypatch: pytest.MonkeyPatch) -> types.ModuleType:
    at = SOURCE.index(anchor) + len(anchor)  # the anchor is still in the code
    return _load(SOURCE[:at] + added + SOURCE[at:], monkeypatch)


def test_a_new_optional_field_sends_every_body_carrying_it_to_the_models(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    m = _with(ANCHOR, "    note: text(64) | None = None  # type: ignore[valid-type]\n", monkeypatch)
    seed = seed_update_body()
    assert m.plain_update(json.dumps(seed).encode()) is not None  # the plain path still runs
    for note in (12345, "x" * 10_000, "a\x00b", {"a": 1}, "fine"):
        raw = json.dumps(seed | {"note": note}).encode()
        assert m.plain_update(raw) is None, note  # never taken without the model's rules


@pytest.mark.parametrize(
    ("anchor", "added"),
    [
        (ANCHOR, "    note: text(64)  # type: ignore[valid-type]\n"),  # required
        (ANCHOR, '    note: text(64) = "none"  # type: ignore[valid-type]\n'),  # a default
        (ITEM_ANCHOR, "    sku: text(32)  # type: ignore[valid-type]\n"),  # on the items
    ],
)
def test_a_new_field_whose_absence_the_plain_path_cannot_mean_fails_the_import(
    anchor: str, added: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    with pytest.raises(AssertionError, match=r"has no plain rule and is not optional"):
        _with(anchor, added, monkeypatch)


def test_a_rule_the_model_no_longer_backs_fails_the_import(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    retyped = SOURCE.replace("    price: Amount\n", "    price: int\n", 1)
    with pytest.raises(AssertionError, match=r"checks ItemIn.price as number; the model no"):
        _load(retyped, monkeypatch)
    renamed = SOURCE.replace("    totalAmount: Amount\n", "    total: Amount\n", 1)
    with pytest.raises(AssertionError, match=r"checks 'totalAmount', not a field of"):
        _load(renamed, monkeypatch)
