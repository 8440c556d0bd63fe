"""Faults injected beneath the SQLite writer, inside its driver connection: a COMMIT or a
BEGIN that fails as a disk or lock error would, or a COMMIT held until a test lets it go."""

import sqlite3
import threading
from typing import Any

import sqlalchemy as sa

from invoicegate.store.database import create_engine
from invoicegate.store.secrets import SecretBox
from invoicegate.store.sqlite_writer import GroupCommitTransactor


class WriterFaults:
    def __init__(self, engine: sa.Engine) -> None:
        self.fail_commits = False
        self.fail_begins = False
        self.commit_gate = threading.Event()  # cleared: every COMMIT waits for it
        self.commit_gate.set()
        self.committing = threading.Event()  # set once a COMMIT has started
        self.commits = 0
        sa.event.listen(engine, "do_connect", self._faulty_driver_connection)

    def _faulty_driver_connection(
        self, dialect: Any, record: Any, cargs: Any, cparams: dict[str, Any]
    ) -> None:
        faults = self

        class FaultyCursor(sqlite3.Cursor):
            def execute(self, sql: str, *args: Any) -> "FaultyCursor":
                if faults.fail_begins and sql.startswith("BEGIN"):
                    raise sqlite3.OperationalError("database is locked")
                super().execute(sql, *args)
                return self

        class FaultyConnection(sqlite3.Connection):
            def cursor(self, *args: Any, **kwargs: Any) -> FaultyCursor:
                return super().cursor(FaultyCursor)

            def commit(self) -> None:
                faults.committing.set()
                assert faults.commit_gate.wait(30), "a test left a COMMIT held"
                if faults.fail_commits:
                    raise sqlite3.OperationalError("disk I/O error")
                super().commit()
                faults.commits += 1

        cparams["factory"] = FaultyConnection


def faulty_writer(database_url: str, box: SecretBox) -> tuple[GroupCommitTransactor, WriterFaults]:
    """The service's SQLite transactor, with faults that can be switched on under its writer."""
    writer = create_engine(database_url, writer=True)
    faults = WriterFaults(writer)
    return GroupCommitTransactor(writer, create_engine(database_url), box), faults
