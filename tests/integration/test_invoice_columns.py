"""The invoice's columns and fields are mapped from the table and the dataclass, or refused."""

import pytest
import sqlalchemy as sa

from invoicegate.store import repository
from invoicegate.store.tables import invoices


def _table_with(column: sa.Column[str]) -> sa.Table:
    return sa.Table(
        "invoices", sa.MetaData(), *(sa.Column(c.name, c.type) for c in invoices.c), column
    )


def test_a_column_no_field_maps_to_fails_the_import(monkeypatch: pytest.MonkeyPatch) -> None:
    table = _table_with(sa.Column("note", sa.Text()))
    monkeypatch.setattr(repository, "invoices", table)
    monkeypatch.setattr(repository, "_SAVED_COLUMNS", [*repository._SAVED_COLUMNS, "note"])
    with pytest.raises(AssertionError, match=r"columns no invoice field maps to: \['note'\]"):
        repository._mappers()


def test_the_mappers_are_written_from_the_table_and_the_fields() -> None:
    source = repository._mappers()
    # Every column is unpacked from the row in the table's order; every saved one written.
    assert f"({', '.join(c.name for c in invoices.c)},) = row" in source
    assert "invoice.back_url" in source and "invoice.due_date" in source
    assert [
        c.name for c in invoices.c if c.name not in repository._FIXED_COLUMNS
    ] == repository._SAVED_COLUMNS
