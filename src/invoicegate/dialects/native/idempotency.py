"""Idempotency-Key on the native API's POSTs and PATCHes: claim, answer with the change, replay.

Policy (README, "Idempotency"): the key is an opaque string of up to 255 printable
characters (a Structured Fields string, quoted, as the IETF draft has it; a bare token is
taken too), scoped to the API key that sends it and kept for INVOICEGATE_IDEMPOTENCY_TTL
seconds (24 h). The same key with the same request (method, path, If-Match and body) replays
the first answer, errors included, marked `Idempotent-Replayed: true`; with another request
it is a 422; while the first still runs, a 409. A request that failed with a 5xx is
forgotten, so its retry runs afresh.
"""

import hashlib
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from starlette.requests import Request
from starlette.responses import Response

from invoicegate.dialects.native.problems import bad_header
from invoicegate.runtime import Runtime
from invoicegate.services.idempotency import AnsweringTransactor, Claim
from invoicegate.services.invoices import InvoiceService
from invoicegate.services.payments import PaymentService
from invoicegate.services.ports import StoredAnswer, UnitOfWork
from invoicegate.services.webhooks import WebhookService

HEADER = "Idempotency-Key"
_QUOTED = re.compile(r'"((?:[\x20\x21\x23-\x5b\x5d-\x7e]|\\[\\"]){1,255})"')
_BARE = re.compile(r"[A-Za-z0-9._~:/+=-]{1,255}")
_KEPT_HEADERS = ("content-type", "etag", "location")


@dataclass(frozen=True, slots=True)
class Services:
    """What a handler changes things through."""

    invoices: InvoiceService
    payments: PaymentService
    webhooks: WebhookService


T = TypeVar("T")
Change = Callable[[Services], Awaitable[T]]
Render = Callable[[T], Response]


class Runner:
    """Runs a handler's change and renders its answer: plainly, without a key."""

    def __init__(self, runtime: Runtime) -> None:
        self.rt = runtime

    async def run(
        self, change: Change[T], render: Render[T], kept: Render[T] | None = None
    ) -> Response:
        """`kept` renders the answer a replay gets, when it must differ (a secret shown once)."""
        return render(await change(Services(self.rt.invoices, self.rt.payments, self.rt.webhooks)))


class AnsweringRunner(Runner):
    """With a key: the answer is stored in the same transaction as the change it reports."""

    def __init__(self, runtime: Runtime, claim: Claim) -> None:
        super().__init__(runtime)
        self.claim = claim

    async def run(
        self, change: Change[T], render: Render[T], kept: Render[T] | None = None
    ) -> Response:
        sent: list[Response] = []

        def record(uow: UnitOfWork, result: Any) -> None:
            response = render(result)
            replay = kept(result) if kept is not None else response
            uow.idempotency.answer(self.claim.scope, self.claim.key, stored(replay))
            sent[:] = [response]

        # Built from the runtime's transactor at each request (tests put a gate there).
        transactor = AnsweringTransactor(self.rt.transactor, record)
        services = Services(
            InvoiceService(transactor, self.rt.clock),
            PaymentService(transactor, self.rt.clock),
            WebhookService(transactor, self.rt.clock),
        )
        result = await change(services)
        if sent:
            return sent[0]
        response = render(result)  # nothing was written (an empty patch): answer apart
        replay = kept(result) if kept is not None else response
        await self.rt.idempotency.answer(self.claim, stored(replay))
        return response


def key_of(request: Request) -> str | None:
    """The request's Idempotency-Key, unquoted; None when it has none."""
    value = request.headers.get(HEADER)
    if value is None:
        return None
    value = value.strip()
    quoted = _QUOTED.fullmatch(value)
    if quoted:
        return re.sub(r"\\(.)", r"\1", quoted.group(1))
    if _BARE.fullmatch(value):
        return value
    raise bad_header(
        HEADER, 'must be a quoted string of 1 to 255 printable characters, like "a1b2"'
    )


def fingerprint(request: Request, body: bytes) -> str:
    """What makes two requests the same one: method, target, precondition and body."""
    digest = hashlib.sha256()
    for part in (
        request.method,
        request.url.path,
        request.url.query,
        request.headers.get("if-match", ""),
    ):
        digest.update(part.encode() + b"\n")
    digest.update(body)
    return digest.hexdigest()


def stored(response: Response) -> StoredAnswer:
    headers = {name: response.headers[name] for name in _KEPT_HEADERS if name in response.headers}
    return StoredAnswer(response.status_code, headers, bytes(response.body).decode())


def replayed(answer: StoredAnswer) -> Response:
    headers = {**answer.headers, "Idempotent-Replayed": "true"}
    media_type = headers.pop("content-type", None)
    return Response(answer.body, answer.status, headers=headers, media_type=media_type)
