"""The API's own description: /openapi.json built from every dialect's declarations, and /docs."""

import importlib.metadata
import importlib.util
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import FileResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from invoicegate.dialects.native.openapi import SURFACE as NATIVE
from invoicegate.dialects.paylink.openapi import SURFACE as PAYLINK
from invoicegate.dialects.paylink_v2.openapi import SURFACE as PAYLINK_V2
from invoicegate.dialects.winpay.openapi import SURFACE as WINPAY
from invoicegate.openapi import Surface, document

HERE = Path(__file__).parent
DESCRIPTION = (
    "invoicegate speaks the Winpay Checkout Page API, Paylink's merchant invoices API and "
    "Paylink's v2 payment API over one invoice core, and its own native API v1. Any invoice "
    "is readable through every API whose currency it is in, and through the native API."
)
# The page's own script and style come from this service: it works with no network at all.
_CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
    "script-src 'self'; connect-src 'self'; frame-ancestors 'none'"
)


def swagger_ui_assets() -> Path:
    """Swagger UI's files, as the swagger-ui-py package ships them (found, not imported)."""
    spec = importlib.util.find_spec("swagger_ui")
    assert spec is not None and spec.submodule_search_locations
    return Path(next(iter(spec.submodule_search_locations))) / "static"


SURFACES: tuple[Surface, ...] = (WINPAY, PAYLINK, PAYLINK_V2, NATIVE)


def spec(surfaces: Sequence[Surface] = SURFACES) -> dict[str, Any]:
    """The OpenAPI document of every API this service speaks."""
    version = importlib.metadata.version("invoicegate")
    return document(surfaces, title="invoicegate", version=version, description=DESCRIPTION)


def routes() -> list[BaseRoute]:
    answer = orjson.dumps(spec())

    async def openapi_json(request: Request) -> Response:
        return Response(answer, media_type="application/json")

    async def docs(request: Request) -> Response:
        return FileResponse(HERE / "docs.html", headers={"Content-Security-Policy": _CSP})

    return [
        Route("/openapi.json", openapi_json, methods=["GET"]),
        Route("/docs", docs, methods=["GET"]),
        Mount("/docs/assets", StaticFiles(directory=swagger_ui_assets()), name="swagger-ui"),
        Mount("/docs/page", StaticFiles(directory=HERE / "page"), name="docs-page"),
    ]
