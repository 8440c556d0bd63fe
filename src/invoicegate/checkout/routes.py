"""The checkout page's HTTP side: `/{slug}` shows an invoice; a POST to the same URL pays it
and redirects back (post/redirect/get), where the page now shows the payment.

Only 11-character [a-z0-9] paths match, so every other unknown path stays the API's 404.
"""

import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import jinja2
from starlette.convertors import Convertor, register_url_convertor
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from invoicegate.checkout.csrf import COOKIE, FIELD, CsrfTokens
from invoicegate.checkout.locale import NAMES, Formats, choose_language
from invoicegate.checkout.service import Checkout, CheckoutService, way_back
from invoicegate.checkout.texts import LANGUAGES, text
from invoicegate.domain.channels import Channel, ChannelGroup, channel_name, channels_for
from invoicegate.domain.errors import (
    InvalidInput,
    InvoiceAlreadyPaid,
    InvoiceCancelled,
    InvoiceExpired,
    InvoiceNotFound,
    StaleVersion,
)
from invoicegate.domain.invoice import InvoiceStatus
from invoicegate.domain.money import Currency
from invoicegate.edge.errors import BodyTooLarge
from invoicegate.edge.requests import read_body
from invoicegate.runtime import Runtime
from invoicegate.services.ids import SLUG_LENGTH
from invoicegate.services.ports import StoreUnavailable

log = logging.getLogger("invoicegate.checkout")

ASSETS = "/checkout/assets"
_VERSION = re.compile(r"[0-9]{1,9}")  # str.isdigit() would pass "²", which int() refuses
MAX_FORM_BYTES = 4096
_HERE = Path(__file__).parent

# The slug is a bearer link: never sent on as a referrer, never cached, never framed.
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
        "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    ),
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Cache-Control": "no-store",
}


class SlugConvertor(Convertor[str]):
    regex = f"[a-z0-9]{{{SLUG_LENGTH}}}"

    def convert(self, value: str) -> str:
        return value

    def to_string(self, value: str) -> str:
        return value


def routes(runtime: Runtime) -> list[BaseRoute]:
    """Mount these after every API route: the slug pattern is the most general path."""
    register_url_convertor("checkout_slug", SlugConvertor())
    page = CheckoutPage(runtime)
    return [
        Mount(ASSETS, app=_Nosniff(StaticFiles(directory=_HERE / "static"))),
        Route("/{slug:checkout_slug}", page.serve, methods=["GET", "POST"]),
    ]


@dataclass(frozen=True, slots=True)
class _Group:
    name: str
    channels: list[Channel]


class CheckoutPage:
    def __init__(self, runtime: Runtime) -> None:
        self.rt = runtime
        self.service = CheckoutService(runtime)
        self.csrf = CsrfTokens(runtime.settings.resolve_secret_key())
        self.secure_cookie = runtime.settings.public_url.startswith("https://")
        self.templates = jinja2.Environment(
            loader=jinja2.FileSystemLoader(_HERE / "templates"),
            autoescape=True,  # every merchant's and customer's text is escaped, always
            undefined=jinja2.StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
        )

    async def serve(self, request: Request) -> Response:
        try:
            if request.method == "POST":
                return await self.pay(request)
            return await self.show(request)
        except StoreUnavailable as error:  # nothing was saved; a reload will do
            log.warning("checkout page: %s", error)
            page = '<!doctype html><html lang="en"><title>Busy</title><h1>Please try again</h1>'
            return _secured(HTMLResponse(page, 503, headers={"Retry-After": "1"}))
        except Exception:
            log.exception("checkout page failed")
            page = "<!doctype html><title>Error</title><h1>Something went wrong</h1>"
            return _secured(HTMLResponse(page, 500))

    async def show(self, request: Request) -> Response:
        checkout = await self.service.find(request.path_params["slug"])
        if checkout is None:
            return self._not_found(request)
        return self._state_page(request, checkout)

    async def pay(self, request: Request) -> Response:
        slug = request.path_params["slug"]
        try:
            form = _form(await read_body(request, MAX_FORM_BYTES))
        except BodyTooLarge:
            form = {}
        checkout = await self.service.find(slug)
        if checkout is None:
            return self._not_found(request)
        if not self.csrf.valid(slug, request.cookies.get(COOKIE), form.get(FIELD)):
            return self._refused(request, checkout)
        channel, seen = form.get("channel"), form.get("version", "")
        if not channel or not _VERSION.fullmatch(seen):
            return self._state_page(request, checkout, error="choose_error", status=400)
        try:
            await self.service.pay(checkout, channel, int(seen))
        except InvalidInput:
            return self._state_page(request, checkout, error="choose_error", status=400)
        except StaleVersion:
            changed = await self.service.find(slug)
            assert changed is not None  # invoices are never deleted, only cancelled
            return self._state_page(request, changed, error="changed_error", status=409)
        except (InvoiceAlreadyPaid, InvoiceCancelled, InvoiceExpired, InvoiceNotFound):
            pass  # someone was first, or it closed meanwhile: the page below says which
        # Post/redirect/get to the same URL: a reload never posts again.
        return _secured(RedirectResponse(_same_url(request), status_code=303))

    # --- pages ------------------------------------------------------------------------

    def _state_page(
        self, request: Request, checkout: Checkout, *, error: str | None = None, status: int = 200
    ) -> Response:
        invoice = checkout.invoice
        lang = self._language(request, checkout)
        context: dict[str, Any] = {"invoice": invoice}
        now = self.rt.now()
        if invoice.status is InvoiceStatus.PAID and invoice.payment is not None:
            payment = invoice.payment
            name = channel_name(invoice.currency, payment.channel)
            context |= {"payment": payment, "channel_name": name, "back": way_back(checkout)}
            return self._render("paid.html", request, lang, checkout.display_name, context)
        if invoice.status is InvoiceStatus.CANCELLED or invoice.is_expired(now):
            reason = "cancelled" if invoice.status is InvoiceStatus.CANCELLED else "expired"
            context["reason"] = reason
            return self._render("closed.html", request, lang, checkout.display_name, context, 410)
        nonce, fresh = self.csrf.nonce(request.cookies.get(COOKIE))
        context |= {
            "csrf_token": self.csrf.token(invoice.checkout_slug, nonce),
            "channel_groups": _groups(invoice.currency),
            "time_left": invoice.expires_at - now if invoice.expires_at else None,
            "error": text(lang, error) if error else None,
        }
        response = self._render(
            "invoice.html", request, lang, checkout.display_name, context, status
        )
        if fresh:
            response.set_cookie(
                COOKIE,
                nonce,
                path=f"/{invoice.checkout_slug}",
                httponly=True,
                samesite="lax",
                secure=self.secure_cookie,
            )
        return response

    def _not_found(self, request: Request) -> Response:
        lang = self._language(request, None)
        context = {
            "heading": text(lang, "not_found_title"),
            "lead": text(lang, "not_found_lead"),
            "link": None,
        }
        return self._render("message.html", request, lang, "", context, 404)

    def _refused(self, request: Request, checkout: Checkout) -> Response:
        lang = self._language(request, checkout)
        context = {
            "heading": text(lang, "refused_heading"),
            "lead": text(lang, "refused_lead"),
            "link": _same_url(request),
        }
        return self._render("message.html", request, lang, checkout.display_name, context, 403)

    def _render(
        self,
        template: str,
        request: Request,
        lang: str,
        merchant: str,
        context: Mapping[str, Any],
        status: int = 200,
    ) -> Response:
        def t(key: str, **values: object) -> str:
            return text(lang, key, **values)

        html = self.templates.get_template(template).render(
            lang=lang,
            fmt=Formats(lang),
            t=t,
            merchant=merchant,
            assets=ASSETS,
            other_languages=[
                {"code": code, "name": NAMES[code]} for code in LANGUAGES if code != lang
            ],
            **context,
        )
        response = HTMLResponse(html, status)
        response.headers["Vary"] = "Accept-Language"
        return _secured(response)

    @staticmethod
    def _language(request: Request, checkout: Checkout | None) -> str:
        currency = checkout.invoice.currency if checkout else None
        return choose_language(
            request.query_params.get("lang"), request.headers.get("accept-language"), currency
        )


def _groups(currency: Currency) -> list[_Group]:
    groups: dict[ChannelGroup, list[Channel]] = {}
    for channel in channels_for(currency):
        groups.setdefault(channel.group, []).append(channel)
    return [_Group(group.value, channels) for group, channels in groups.items()]


def _form(body: bytes) -> dict[str, str]:
    """An urlencoded form's fields, first value each; anything undecodable is replaced."""
    try:
        fields = parse_qs(body.decode("utf-8", "replace"), max_num_fields=20)
    except ValueError:  # more fields than any form of ours has
        return {}
    return {name: values[0] for name, values in fields.items()}


def _same_url(request: Request) -> str:
    query = request.url.query
    return request.url.path + (f"?{query}" if query else "")


def _secured(response: Response) -> Response:
    response.headers.update(SECURITY_HEADERS)
    return response


class _Nosniff:
    """Static assets get nosniff too, and may be cached: they hold nothing secret."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [
                    *message.get("headers", []),
                    (b"x-content-type-options", b"nosniff"),
                    (b"cache-control", b"public, max-age=3600"),
                ]
            await send(message)

        await self.app(scope, receive, send_with_headers)
