"""Hot statements compiled once per database dialect and run straight on the driver's cursor.

SQLAlchemy's `Connection.execute` spends more Python per call (cache lookup, execution
context, parameter processing, result wrapping) than SQLite spends running the statement:
a py-spy profile of the update path put it at ~20 % of the server's CPU
(docs/decisions/0010-hot-statements.md). The few statements every update or find runs are
therefore compiled once, by SQLAlchemy, for the engine's dialect, and executed with the
driver's own `execute`, inside the same transaction of the same connection. The values still
pass through SQLAlchemy's own bind and result processors for each column type, so the rows
are exactly those the rest of the store reads and writes.

On asyncpg the statements are not run through SQLAlchemy's cursor adapter either: each is
prepared once per connection and run with asyncpg's own call, awaited from the unit of work's
greenlet (decision 0027).
"""

from collections import deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Dialect
from sqlalchemy.pool import PoolProxiedConnection
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.util import await_only

Processor = Callable[[Any], Any] | None


class HotStatement:
    """One statement for one dialect: its SQL, and how to turn named values into parameters."""

    def __init__(
        self, statement: sa.ClauseElement, dialect: Dialect, keys: Iterable[str] | None = None
    ) -> None:
        compiled = statement.compile(dialect=dialect, column_keys=list(keys) if keys else None)
        assert isinstance(compiled, SQLCompiler)
        self.sql = compiled.string
        self._dialect = dialect
        self._driver_error: type[Exception] = dialect.loaded_dbapi.Error
        processors = {
            name: bind.type.dialect_impl(dialect).bind_processor(dialect)
            for name, bind in compiled.binds.items()
        }
        # qmark/format styles take a sequence in the order the SQL names them; named take a dict.
        self._order: Sequence[str] | None = compiled.positiontup
        self._names: list[str] = list(self._order if self._order is not None else compiled.binds)
        self.names = tuple(self._names)  # the order `run_ordered` takes the values in
        # Only the values whose type has a processor are converted (on SQLite: datetimes, dates
        # and JSON); the others pass as they are. Built once: per call, looking up and testing
        # a processor for every value cost more than the conversions themselves.
        self._binding = [
            (index, proc)
            for index, name in enumerate(self._names)
            if (proc := processors.get(name))
        ]
        self.columns = [c.key for c in getattr(statement, "selected_columns", ())]
        self._converting = [
            (index, proc)
            for index, c in enumerate(getattr(statement, "selected_columns", ()))
            if (proc := c.type.dialect_impl(dialect).result_processor(dialect, None))
        ]
        self._on_asyncpg = dialect.driver == "asyncpg"

    def parameters(self, values: Mapping[str, Any]) -> Sequence[Any] | dict[str, Any]:
        parameters = [values[name] for name in self._names]
        for index, proc in self._binding:  # every value, None too: JSON binds None as 'null'
            parameters[index] = proc(parameters[index])
        if self._order is not None:
            return parameters
        return dict(zip(self._names, parameters, strict=True))

    def run(self, conn: sa.Connection, values: Mapping[str, Any]) -> Any:
        """Execute on the connection's driver, in its current transaction; the driver's cursor.

        A driver error is raised as SQLAlchemy would raise it (sqlalchemy.exc.IntegrityError
        and so on, the driver's error as `.orig`), so callers see one kind of error.
        """
        return self._execute(conn, self.parameters(values))

    def run_ordered(self, conn: sa.Connection, parameters: list[Any]) -> Any:
        """`run` for values given already in the statement's order (`names`), as a list this
        converts in place: no dict of them is built, nor read back (a revision's INSERT)."""
        for index, proc in self._binding:
            parameters[index] = proc(parameters[index])
        if self._order is None:
            return self._execute(conn, dict(zip(self._names, parameters, strict=True)))
        return self._execute(conn, parameters)

    def _execute(self, conn: sa.Connection, parameters: Sequence[Any] | dict[str, Any]) -> Any:
        connection = conn.connection
        try:
            if self._on_asyncpg:
                return self._run_on_asyncpg(connection, parameters)
            cursor = connection.dbapi_connection.cursor()  # type: ignore[union-attr]
            cursor.execute(self.sql, parameters)
            return cursor
        except self._driver_error as error:
            raise sa.exc.DBAPIError.instance(
                self.sql,
                parameters,
                error,
                self._driver_error,
                hide_parameters=True,
                dialect=self._dialect,
            ) from error

    def _run_on_asyncpg(self, connection: PoolProxiedConnection, parameters: Any) -> "Fetched":
        """Prepared on first use on this connection, then one asyncpg call per run, awaited
        from the unit of work's greenlet, without SQLAlchemy's cursor adapter around it (a
        lock, a statement cache, a description and a regex over the status, per call:
        decision 0027). asyncpg's errors are translated as that adapter translates them, so
        `run` raises what it raised before."""
        # The prepared statements live as long as their connection: the pool's record of it,
        # emptied when the connection is closed or invalidated.
        prepared: Any = connection.info.get(self)
        try:
            if prepared is None:
                driver: Any = connection.driver_connection
                prepared = connection.info[self] = await_only(driver.prepare(self.sql))
            rows = await_only(prepared.fetch(*parameters))
        except Exception as error:
            connection.info.pop(self, None)  # prepared again next time (the schema may have moved)
            connection.dbapi_connection._handle_exception(error)  # type: ignore[union-attr]
        return Fetched(rows, prepared.get_statusmsg())

    def values(self, raw: Sequence[Any]) -> Sequence[Any]:
        """A fetched row's values, in the order of `columns`, converted as SQLAlchemy would."""
        if not self._converting:
            return raw
        converted = list(raw)
        for index, proc in self._converting:
            value = converted[index]
            if value is not None:
                converted[index] = proc(value)
        return converted

    def row(self, raw: Sequence[Any] | None) -> dict[str, Any] | None:
        """A fetched row as {column key: value}, converted as SQLAlchemy would."""
        if raw is None:
            return None
        return dict(zip(self.columns, self.values(raw), strict=True))


class Fetched:
    """A hot statement's outcome on asyncpg, read as a DBAPI cursor is: rows, rowcount, status."""

    __slots__ = ("_rows", "status")

    def __init__(self, rows: list[Any], status: str) -> None:
        self._rows = deque(rows)
        self.status = status  # the command tag: "UPDATE 1", "INSERT 0 1", "COMMIT"

    @property
    def rowcount(self) -> int:
        count = self.status.rpartition(" ")[2]
        return int(count) if count.isdigit() else -1

    def fetchone(self) -> Any:
        return self._rows.popleft() if self._rows else None

    def fetchall(self) -> list[Any]:
        rows = list(self._rows)
        self._rows.clear()
        return rows


class HotStatements:
    """Statements compiled per dialect on first use, shared by every connection of a process."""

    def __init__(self, build: Callable[[Dialect], dict[str, HotStatement]]) -> None:
        self._build = build
        self._by_dialect: dict[str, dict[str, HotStatement]] = {}

    def of(self, dialect: Dialect) -> dict[str, HotStatement]:
        found = self._by_dialect.get(dialect.name)
        if found is None:
            found = self._by_dialect[dialect.name] = self._build(dialect)
        return found
