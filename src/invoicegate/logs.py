"""Structured logs: one JSON object a line, each with its request id, never carrying data.

Nothing personal and no secret may reach a log. Exception messages are where such data
hides: a database error's text holds the row it refused (PostgreSQL's "Failing row
contains (...)"), a driver's may quote values. So an exception is logged as its classes,
its safe codes (SQLSTATE, SQLite error name, constraint) and where it was raised — never
its message, unless its class says the message is written to be logged (`loggable`).
"""

import asyncio
import atexit
import contextvars
import json
import logging
import sys
import time
import traceback
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, TextIO

import orjson

request_id: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")

# Attributes of drivers' errors that name what failed without quoting any value.
_SAFE_CODES = ("sqlite_errorname", "sqlstate")
_SAFE_DIAGNOSTICS = ("constraint_name", "table_name", "column_name")


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": _message(record),
            "request_id": request_id.get(),
        }
        fields = getattr(record, "fields", None)
        if isinstance(fields, dict):
            entry.update(fields)
        if record.exc_info and record.exc_info[1] is not None:
            entry["exc"] = describe_exception(record.exc_info[1])
        return json.dumps(entry, ensure_ascii=False, default=str)


def _message(record: logging.LogRecord) -> str:
    """Our own messages whole; another library's up to its first line.

    A library's later lines are where it prints reprs of objects, such as asyncio's
    "Task exception was never retrieved" followed by the task and its exception.
    """
    message = record.getMessage()
    if record.name == "invoicegate" or record.name.startswith("invoicegate."):
        return message
    return message.split("\n", 1)[0]


def describe_exception(error: BaseException) -> str:
    """A traceback with every exception of the chain named, and none of their messages."""
    chain: list[BaseException] = []
    current: BaseException | None = error
    while current is not None and current not in chain:
        chain.append(current)
        current = current.__cause__ or (
            None if current.__suppress_context__ else current.__context__
        )
    parts: list[str] = []
    for link in reversed(chain):
        if parts:
            parts.append("which led to:\n")
        parts.append("Traceback (most recent call last):\n")
        parts.extend(traceback.format_list(traceback.extract_tb(link.__traceback__)))
        parts.append(_headline(link) + "\n")
    return "".join(parts).rstrip("\n")


def _headline(error: BaseException) -> str:
    headline = _qualified_name(error)
    if getattr(error, "loggable", False):
        return f"{headline}: {error}"
    orig = getattr(error, "orig", None)  # SQLAlchemy's wrapper around the driver's error
    if isinstance(orig, BaseException):
        headline += f" from {_qualified_name(orig)}"
        error = orig
    codes = [f"{name}={getattr(error, name)}" for name in _SAFE_CODES if getattr(error, name, None)]
    # psycopg keeps them in `.diag`; asyncpg on the driver's own error, which SQLAlchemy's
    # adaptation of it (the `orig` above) holds as `.driver_exception`.
    diagnostics = getattr(error, "diag", None) or getattr(error, "driver_exception", None)
    for name in _SAFE_DIAGNOSTICS:
        value = getattr(diagnostics, name, None)
        if value:
            codes.append(f"{name}={value}")
    return headline + (f" ({', '.join(codes)})" if codes else "") + " [message withheld]"


def _qualified_name(error: BaseException) -> str:
    kind = type(error)
    return (
        kind.__qualname__
        if kind.__module__ == "builtins"
        else f"{kind.__module__}.{kind.__qualname__}"
    )


class AccessLog:
    """The one line per request, written off the hot path, none lost on a clean shutdown.

    Through `logging` each line cost a LogRecord, a formatter and a write of its own: about
    a tenth of the server's CPU under load (docs/decisions/0011-access-log.md). Here a line
    is the same JSON object, encoded once with orjson, and kept until the next write, at
    most FLUSH_SECONDS later (or when MAX_LINES wait): one write for many requests. What
    is kept is written when the app shuts down (its lifespan) and at interpreter exit.
    Until `configure` gives it a stream, each line goes through `logging` as before.
    """

    FLUSH_SECONDS = 0.05
    MAX_LINES = 512

    def __init__(self) -> None:
        self._logger = logging.getLogger("invoicegate.access")
        self._stream: Callable[[], TextIO] | None = None
        # The lines waiting, each ending in "\n", and how many. One growing buffer: keeping
        # each line's own bytes object until the write cost ~5x the encoding itself.
        self._waiting = bytearray()
        self._count = 0
        self._flush_due = False
        self._told = False  # that the stream failed: said once, not once per write
        self._second = -1  # the last second `_now` formatted, and its text
        self._second_text = ""
        atexit.register(self.flush)

    def write_to(self, stream: Callable[[], TextIO] | None) -> None:
        """Where lines go: the stream the function returns when they are written."""
        self.flush()
        self._stream = stream

    def request(self, method: str, path: str, status: int, duration_ms: float) -> None:
        """Log one request with the current request id: the same object JsonFormatter writes."""
        if not self._logger.isEnabledFor(logging.INFO):
            return
        if self._stream is None:
            fields = {"method": method, "path": path, "status": status, "duration_ms": duration_ms}
            self._logger.info("request", extra={"fields": fields})
            return
        self._waiting += orjson.dumps(
            {
                "ts": self._now(),
                "level": "info",
                "logger": "invoicegate.access",
                "msg": "request",
                "request_id": request_id.get(),
                "method": method,
                "path": path,
                "status": status,
                "duration_ms": duration_ms,
            },
            option=orjson.OPT_APPEND_NEWLINE,
        )
        self._count += 1
        if self._count >= self.MAX_LINES:
            self.flush()
        elif not self._flush_due:
            self._flush_due = True
            asyncio.get_running_loop().call_later(self.FLUSH_SECONDS, self.flush)

    def _now(self) -> str:
        """Now as JsonFormatter writes `ts` (2026-11-22T08:30:12.345+00:00), the date and time
        formatted once a second: `datetime.isoformat` per line cost most of a line's CPU."""
        ms = time.time_ns() // 1_000_000
        second, millis = divmod(ms, 1000)
        if second != self._second:
            self._second = second
            self._second_text = datetime.fromtimestamp(second, UTC).isoformat()[:19]
        return self._second_text + _MILLIS[millis]

    def flush(self) -> None:
        self._flush_due = False
        waiting, self._waiting, self._count = self._waiting, bytearray(), 0
        if waiting and self._stream is not None:
            try:
                stream = self._stream()
                stream.write(waiting.decode())
                stream.flush()
            except (OSError, ValueError):  # closed or broken: as logging does, never fail a request
                if logging.raiseExceptions and sys.__stderr__ is not None and not self._told:
                    self._told = True
                    sys.__stderr__.write(
                        "--- access log: its stream is closed; lines dropped ---\n"
                    )


_MILLIS = [f".{millis:03d}+00:00" for millis in range(1000)]  # `ts`'s end, by millisecond
access = AccessLog()


def configure(level: str = "INFO") -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    stream = sys.stderr  # the stream the handler above writes to, as it is now
    access.write_to(lambda: stream)
    # httpx logs every request's URL at INFO; a callback URL may carry a merchant's token.
    for chatty in ("httpx", "httpcore"):
        logging.getLogger(chatty).setLevel(max(logging.WARNING, root.level))
