"""Errors mapped once: each HTTP surface's table from error class to answer, one dispatcher.

Errors are classes raised fresh. An exception *instance* kept at module level and raised
again grows its traceback on every raise, and that traceback keeps every request's frames
alive: a few failing requests per second exhaust the server's memory.

Each surface (a dialect, the checkout page, ...) declares one `ErrorTable` from error class
to its answer (HTTP status, wire code, message) and one function that renders an answer in
its envelope. The `Dispatcher` runs every operation of that surface, looks an error up
along its class's MRO (a subclass answers as its parent unless the table says otherwise),
and renders it. An error the table does not know is a bug: it is logged and answered with
the table's fallback, the only way to a 5xx.
"""

import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from invoicegate.domain.errors import InvalidInput
from invoicegate.edge.errors import BodyTooLarge, EdgeError, MethodNotAllowed, Problem
from invoicegate.edge.requests import header
from invoicegate.services.ports import StoreUnavailable

Handler = Callable[[Request], Awaitable[Response]]

log = logging.getLogger("invoicegate.dispatch")
# A failed commit or a full pool passes in seconds; nothing of the request was saved.
RETRY_AFTER_SECONDS = "1"


# Every method a route accepts from Starlette, so that a wrong one is answered here, in the
# surface's envelope (any other, non-standard method gets the app's neutral 405).
HTTP_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE")


class DispatchedRoute(Route):
    """A route whose endpoint is a dispatcher's: it answers every error itself, so the
    service's front may call it without Starlette's router and middleware (pipeline.py)."""


@dataclass(frozen=True, slots=True)
class ErrorAnswer:
    """How a surface answers one error class: HTTP status, its wire code, its message.

    The message may name `{operation}`, filled with the operation that failed.
    """

    status: int
    code: str
    message: str


class ErrorTable:
    def __init__(
        self, answers: Mapping[type[Exception], ErrorAnswer], fallback: ErrorAnswer
    ) -> None:
        self._answers: dict[type, ErrorAnswer] = dict(answers)
        self.fallback = fallback

    def answers(self) -> list[ErrorAnswer]:
        """Every distinct answer in the table, in its order (the API's documentation lists them)."""
        return list(dict.fromkeys(self._answers.values()))

    def lookup(self, error: type[BaseException]) -> ErrorAnswer | None:
        """The answer for this error class or its nearest ancestor in the table."""
        for cls in error.__mro__:
            answer = self._answers.get(cls)
            if answer is not None:
                return answer
        return None


# (answer, problems in wire field paths, the operation's name) -> the surface's envelope
Render = Callable[[ErrorAnswer, Sequence[Problem], str], Response]


@dataclass(frozen=True, slots=True)
class Operation:
    """One operation a route serves: its handler and its name (for messages and logs)."""

    handler: Handler
    name: str


class Dispatcher:
    """Runs a surface's operations and answers every error through its table."""

    def __init__(
        self,
        surface: str,
        table: ErrorTable,
        render: Render,
        *,
        max_body_bytes: int,
        wire_path: Callable[[str], str] = lambda path: path,
    ) -> None:
        self.surface = surface
        self.table = table
        self._render = render
        self._max_body_bytes = max_body_bytes
        self._wire_path = wire_path  # the core's field names in this surface's words

    def route(self, path: str, operations: Mapping[str, Operation]) -> Route:
        """One path, its operations by HTTP method; any other method answers 405 here."""
        by_method = dict(operations)
        if "GET" in by_method:
            by_method.setdefault("HEAD", by_method["GET"])
        allowed = sorted(by_method)

        async def serve(request: Request) -> Response:
            operation = by_method.get(request.method)
            if operation is None:
                return self.answer(MethodNotAllowed(allowed), "route")
            return await self.run(operation, request)

        serve.__name__ = "_".join(op.name for op in operations.values())
        return DispatchedRoute(path, serve, methods=HTTP_METHODS, name=f"{self.surface}:{path}")

    async def run(self, operation: Operation, request: Request) -> Response:
        try:
            # Decided from the declared size, before reading a byte or checking credentials.
            declared = header(request.scope, b"content-length") or ""
            if declared.isdigit() and int(declared) > self._max_body_bytes:
                raise BodyTooLarge(self._max_body_bytes)
            return await operation.handler(request)
        except Exception as error:
            return self.answer(error, operation.name)

    def answer(self, error: Exception, operation: str) -> Response:
        """The surface's answer to `error`; an unknown error is logged and answers 5xx."""
        found = self.table.lookup(type(error))
        if found is None:
            log.exception("%s %s failed", self.surface, operation, exc_info=error)
            found = self.table.fallback
        elif isinstance(error, StoreUnavailable):  # the operator must hear of it; not a bug
            log.warning("%s %s: %s", self.surface, operation, error)
        response = self._render(found, self._problems(error), operation)
        if isinstance(error, EdgeError):
            response.headers.update(error.headers)
        elif isinstance(error, StoreUnavailable):
            response.headers["Retry-After"] = RETRY_AFTER_SECONDS
        return response

    def _problems(self, error: Exception) -> list[Problem]:
        if isinstance(error, InvalidInput):  # the core's field names, in the wire's words
            return [(self._wire_path(path), reason) for path, reason in error.problems]
        if isinstance(error, EdgeError):
            return list(error.problems)
        return []
