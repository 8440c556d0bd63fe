"""create_app(settings): the HTTP service, with every dialect mounted and one runtime shared."""

import asyncio
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager, suppress
from http import HTTPStatus

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from invoicegate import apidocs, logs
from invoicegate.callbacks.worker import worker_for
from invoicegate.checkout import routes as checkout
from invoicegate.composition import build_runtime
from invoicegate.dialects.native import routes as native
from invoicegate.dialects.paylink import routes as paylink
from invoicegate.dialects.paylink_v2 import routes as paylink_v2
from invoicegate.dialects.winpay import routes as winpay
from invoicegate.edge.drain import DrainUnreadBody
from invoicegate.edge.pipeline import RequestContext, Service
from invoicegate.edge.requests import json_answer
from invoicegate.services.idempotency import purge_forever
from invoicegate.settings import Settings
from invoicegate.store.secrets import SecretBox
from invoicegate.store.transactors import StoreTransactor, open_transactor


def create_app(
    settings: Settings, transactor: StoreTransactor | None = None, *, run_worker: bool = False
) -> Starlette:
    """The app; the database opens when it starts (lifespan), not when it is built.

    `transactor` replaces the one the settings would open (tests inject faults with it).
    With `run_worker`, the callback worker runs in the same process while the app does.
    """
    box = SecretBox(settings.resolve_secret_key())
    store = transactor or open_transactor(
        settings.database_url,
        box,
        pool_size=settings.db_pool_size,
        pool_timeout=settings.db_pool_timeout_seconds,
    )
    runtime = build_runtime(settings, store)

    async def healthz(request: Request) -> JSONResponse:
        """200 when the database answers and the writer commits; else 503 saying what fails."""
        problems = await store.health()
        if problems:
            return JSONResponse({"status": "degraded", **problems}, status_code=503)
        return JSONResponse({"status": "ok"})

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        purging = asyncio.create_task(purge_forever(runtime.idempotency))
        worker = worker_for(runtime) if run_worker else None
        running = asyncio.create_task(worker.run()) if worker else None
        try:
            yield
        finally:
            if worker is not None and running is not None:
                await worker.stop()
                await running
            purging.cancel()
            with suppress(asyncio.CancelledError):
                await purging
            await store.aclose()  # commits what is waiting, answers every caller
            logs.access.flush()  # the last requests' lines, before the process ends

    app = Service(
        routes=[
            Route("/healthz", healthz, methods=["GET"]),
            *winpay.routes(runtime),
            *paylink.routes(runtime),
            *paylink_v2.routes(runtime),
            *native.routes(runtime),
            *apidocs.routes(),
            *checkout.routes(runtime),  # last: its /{slug} pattern must not shadow an API path
        ],
        middleware=[Middleware(RequestContext), Middleware(DrainUnreadBody)],
        exception_handlers={HTTPException: _no_such_route, Exception: _unexpected},
        lifespan=lifespan,
        unexpected=lambda: _problem(500, "Unexpected error."),
    )
    app.state.runtime = runtime
    return app


# Outside every dialect's routes no dialect is known, so these answers use the neutral
# RFC 9457 problem shape, plus `message` (what Paylink's merchant clients read).


def _problem(status: int, detail: str, headers: Mapping[str, str] | None = None) -> Response:
    title = HTTPStatus(status).phrase
    body = {"type": "about:blank", "title": title, "status": status, "detail": detail}
    body["message"] = title
    response = json_answer(status, body)
    response.headers.update(headers or {})
    return response


async def _no_such_route(request: Request, error: Exception) -> Response:
    """Unknown paths (404) and wrong methods on /healthz (405); dialect routes answer their
    own wrong methods in their envelope."""
    assert isinstance(error, HTTPException)
    if error.status_code == 405:
        return _problem(405, "This path does not serve this method.", error.headers)
    return _problem(error.status_code, "No endpoint at this path.", error.headers)


async def _unexpected(request: Request, error: Exception) -> Response:
    """A bug outside any dialect's dispatcher: still a JSON answer (the error is logged)."""
    return _problem(500, "Unexpected error.")
