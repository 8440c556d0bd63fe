"""The hot statements write and read exactly what SQLAlchemy Core does with the same statements.

The update and find paths convert values with processors picked once per statement, and map
rows by position (store/statements.py, decision 0024); Core is the reference they must match,
value for value, on both backends.
"""

import re
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.dialects import sqlite

from invoicegate.domain.errors import StaleVersion
from invoicegate.domain.invoice import Invoice, InvoiceStatus, LineItem, Payment, Revision
from invoicegate.services.ports import UnitOfWork
from invoicegate.store.repository import (
    _BY_ID,
    _INDEXED_COLUMNS,
    _INSERT_REVISION,
    _UNINDEXED_COLUMNS,
    _UPDATE_INVOICE,
    SqlInvoiceRepository,
    _invoice_from_row,
    _invoice_to_row,
    _revision_to_row,
)
from invoicegate.store.tables import UtcDateTime, invoice_revisions, invoices
from invoicegate.store.unit_of_work import SqlUnitOfWork
from tests.integration.conftest import World, terms

pytestmark = pytest.mark.anyio

JAKARTA = timezone(timedelta(hours=7))
INSTANTS = [
    datetime(2026, 11, 22, 8, 29, 5, 123456, tzinfo=UTC),
    datetime(2026, 11, 22, 15, 0, tzinfo=JAKARTA),  # another offset, zero microseconds
    datetime(999, 1, 2, 3, 4, 5, 6, tzinfo=UTC),  # a year of three digits
]


def test_utc_datetimes_convert_on_sqlite_as_sqlalchemys_own_processors_do() -> None:
    dialect = sqlite.dialect()
    column = UtcDateTime().dialect_impl(dialect)  # as statements are compiled with it
    bind, read = column.bind_processor(dialect), column.result_processor(dialect, None)
    # SQLAlchemy's composition: our process_bind_param / process_result_value around the
    # SQLite DATETIME type's own processors.
    core_bind = sa.TypeDecorator.bind_processor(column, dialect)
    core_read = sa.TypeDecorator.result_processor(column, dialect, None)
    assert bind is not None and read is not None
    assert core_bind is not None and core_read is not None
    for instant in [*INSTANTS, None]:
        stored = bind(instant)
        assert stored == core_bind(instant)
        assert read(stored) == core_read(stored)
        if instant is not None:
            assert read(stored).tzinfo is UTC and read(stored) == instant
    with pytest.raises(ValueError, match="naive"):
        bind(datetime(2026, 1, 1))


async def _in_unit(world: World, work: Any) -> Any:
    def unit(uow: UnitOfWork) -> Any:
        assert isinstance(uow, SqlUnitOfWork)
        return work(uow.connection)

    return await world.runtime.transactor.write(unit)


def _raw(conn: sa.Connection, table: sa.Table, columns: list[str], where: str, key: Any) -> Any:
    """The stored values as the driver returns them, with no type processing."""
    names = ", ".join(f'"{name}"' for name in columns)
    query = sa.text(f"SELECT {names} FROM {table.name} WHERE {where} = :key")
    return tuple(conn.execute(query, {"key": key}).one())


async def test_an_invoice_is_saved_and_read_exactly_as_core_does(world: World) -> None:
    invoices_service = world.runtime.invoices
    twin = await invoices_service.create_invoice(world.actor, terms("ref-twin"))
    payment = Payment("pay-1", "qris", "QRIS", "ref-9", 260000, 1500, INSTANTS[1])
    variants: list[dict[str, Any]] = [
        {"expires_at": INSTANTS[0], "due_date": date(2026, 12, 1), "payment": payment},
        {"expires_at": INSTANTS[1], "due_date": None, "payment": None, "back_url": None},
        {"expires_at": None, "due_date": date(999, 1, 1), "updated_at": INSTANTS[2]},
    ]
    items = (LineItem("item-1", "01002676", 2, 130000), LineItem("item-2", "Ongkir", 1, 0))
    saved = sorted(set(_invoice_to_row(world.invoice)) - {"reference"})  # unique per merchant

    def check(conn: sa.Connection, version: int, changes: dict[str, Any]) -> None:
        repository = SqlInvoiceRepository(conn)
        for invoice_id in (world.invoice.id, twin.id):
            current = repository.get(invoice_id, for_update=True)
            assert current is not None
            # The hot read maps a row exactly as one read through Core.
            assert current == _invoice_from_row(conn.execute(_BY_ID, {"p_id": invoice_id}).one())
        hot = _next(repository.get(world.invoice.id), version, changes | {"items": items})
        core = _next(repository.get(twin.id), version, changes | {"items": items})
        at, revision_columns = changes.get("updated_at", INSTANTS[0]), ["at", "after", "changed"]
        revision = Revision.of("updated", None, hot, actor="a", dialect="d", at=at)
        # The hot statement(s): on PostgreSQL the update and its revision in one.
        repository.save(hot, revision)
        values = _invoice_to_row(core) | {"p_id": core.id, "p_prior": core.version - 1}
        assert conn.execute(_UPDATE_INVOICE, values).rowcount == 1  # Core, same statement
        assert _raw(conn, invoices, saved, "id", hot.id) == _raw(
            conn, invoices, saved, "id", twin.id
        )
        assert repository.get(hot.id) == hot
        assert repository.get(twin.id) == core

        conn.execute(_INSERT_REVISION, _revision_to_row(replace(revision, invoice_id=twin.id)))
        where = f"version = {version} AND invoice_id"
        hot_revision = _raw(conn, invoice_revisions, revision_columns, where, hot.id)
        assert hot_revision == _raw(conn, invoice_revisions, revision_columns, where, twin.id)

    for version, changes in enumerate(variants, start=2):
        await _in_unit(world, lambda conn, v=version, c=changes: check(conn, v, c))


def _next(current: Invoice | None, version: int, changes: dict[str, Any]) -> Invoice:
    assert current is not None and current.version == version - 1
    return replace(current, **({"version": version, "updated_at": INSTANTS[0]} | changes))


async def test_a_save_at_a_stale_version_stores_neither_the_invoice_nor_its_revision(
    world: World,
) -> None:
    # On PostgreSQL the update and its revision are one statement (decision 0029): the
    # revision must be inserted only when the versioned update found its row.
    current = world.invoice
    ahead = replace(current, version=current.version + 2, reference="skipped")
    revision = Revision.of("updated", current, ahead, actor="a", dialect="d", at=INSTANTS[0])

    def stale(conn: sa.Connection) -> None:
        with pytest.raises(StaleVersion) as error:
            SqlInvoiceRepository(conn).save(ahead, revision)
        assert error.value.current_version == current.version

    await _in_unit(world, stale)
    history = await world.runtime.invoices.revisions(world.actor.merchant_id, current.id)
    assert [r.version for r in history] == [current.version]
    found = await world.runtime.invoices.find_invoice(world.actor, current.id)
    assert found == current


class _Counting:
    """A hot statement that counts its runs."""

    def __init__(self, statement: Any) -> None:
        self.statement, self.runs = statement, 0

    def run(self, conn: sa.Connection, values: Any) -> Any:
        self.runs += 1
        return self.statement.run(conn, values)

    def run_ordered(self, conn: sa.Connection, values: Any) -> Any:
        self.runs += 1
        return self.statement.run_ordered(conn, values)


def _index_definitions(conn: sa.Connection) -> list[str]:
    if conn.dialect.name == "sqlite":
        query = "SELECT sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'invoices'"
        return [sql for (sql,) in conn.exec_driver_sql(query) if sql]  # autoindexes: None
    query = "SELECT indexdef FROM pg_indexes WHERE tablename = 'invoices'"
    return [sql for (sql,) in conn.exec_driver_sql(query)]


async def test_an_update_leaves_the_indexed_columns_alone_only_when_it_changes_none(
    world: World,
) -> None:
    """Decision 0030: SQLite rewrites an index entry whenever an UPDATE sets one of its
    columns, so there an update that changes none of them does not set them; one that does
    sets them all, and so does a save of an invoice this unit did not read. (PostgreSQL saves
    through its one statement with the revision, whatever changed.)"""

    def save(repository: SqlInvoiceRepository, invoice: Invoice) -> None:
        revision = Revision.of("updated", None, invoice, actor="a", dialect="d", at=INSTANTS[0])
        repository.save(invoice, revision)

    def check(conn: sa.Connection) -> None:
        indexes = _index_definitions(conn)
        assert len(indexes) >= 3  # the live reference, merchant/created, unannounced expiry
        for column in _UNINDEXED_COLUMNS:  # no index names a column the short UPDATE sets
            assert not any(re.search(rf"\b{column}\b", sql) for sql in indexes), column
        for column in _INDEXED_COLUMNS:  # and each of the others is named by one
            assert any(re.search(rf"\b{column}\b", sql) for sql in indexes), column

        on_sqlite = conn.dialect.name == "sqlite"
        repository = SqlInvoiceRepository(conn)
        short, full = (_Counting(repository._hot[k]) for k in ("update_unindexed", "update"))
        repository._hot = {**repository._hot, "update_unindexed": short, "update": full}
        expiry = INSTANTS[0] + timedelta(days=3)
        steps: list[tuple[dict[str, Any], str]] = [
            ({"customer": replace(world.invoice.customer, name="Renamed")}, "short"),
            ({"reference": "ref-renamed"}, "full"),
            ({"expires_at": expiry}, "full"),
            ({"back_url": "https://example.com/other"}, "short"),
            ({"status": InvoiceStatus.CANCELLED}, "full"),
        ]
        # Two saves on one read: the second compares with what the first stored, not read.
        current = repository.get(world.invoice.id, for_update=True)
        assert current is not None
        renamed = _next(current, 2, {"reference": "ref-elsewhere"})
        save(repository, renamed)
        save(repository, _next(renamed, 3, {"reference": current.reference}))
        stored = repository.get(world.invoice.id)
        assert stored is not None and stored.reference == current.reference
        for version, (changes, expected) in enumerate(steps, start=4):
            current = repository.get(world.invoice.id, for_update=True)
            before = (short.runs, full.runs)
            save(repository, _next(current, version, changes))
            ran = {(1, 0): "short", (0, 1): "full", (0, 0): "together"}[
                (short.runs - before[0], full.runs - before[1])
            ]
            assert ran == (expected if on_sqlite else "together"), changes
            stored = repository.get(world.invoice.id)
            assert stored is not None and stored.version == version
            for name, value in changes.items():
                assert getattr(stored, name) == value

        # Saved by a repository that did not read it: the full UPDATE, whatever changed.
        fresh = SqlInvoiceRepository(conn)
        current = repository.get(world.invoice.id)
        fresh._hot = {**fresh._hot, "update_unindexed": short, "update": full}
        before_full = full.runs
        save(fresh, _next(current, len(steps) + 4, {"back_url": None}))
        assert full.runs == before_full + on_sqlite

    await _in_unit(world, check)
