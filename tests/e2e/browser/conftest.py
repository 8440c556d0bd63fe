"""A real headless Chromium (Debian's) driven by Playwright against a real `invoicegate serve`,
a merchant's shop page to come from and return to, and axe-core loaded from npm.

Without Chromium or axe-core these tests skip and say why, unless CI=true: there they fail.
"""

import json
import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from html import escape
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from itertools import pairwise
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from tests.conftest import winpay_headers
from tests.e2e.conftest import Server, start_server, stop_server

CHROMIUM = Path(os.environ.get("INVOICEGATE_TEST_CHROMIUM", "/usr/bin/chromium"))  # Debian's
HERE = Path(__file__).parent
AXE = HERE / "node_modules" / "axe-core" / "axe.min.js"
REPO = HERE.parents[2]
ARTIFACTS = Path(os.environ.get("INVOICEGATE_TEST_ARTIFACTS", REPO / "test-artifacts")) / "browser"
PHONE = {"width": 360, "height": 740}


def _missing() -> str | None:
    if not CHROMIUM.exists():
        return f"no Chromium at {CHROMIUM}: apt-get install -y chromium (.ci/run does)"
    if not AXE.exists():
        return f"no axe-core at {AXE}: `make test` installs it (npm ci in tests/e2e/browser)"
    return None


# Module scope, not session: Playwright's sync API runs its own event loop while it is open,
# and the async tests collected after this folder need the thread's loop back.
@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    missing = _missing()
    if missing:
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI=true requires the browser tests: {missing}")
        pytest.skip(missing)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        # Playwright's own browser download cannot work here: Debian's Chromium instead.
        # --no-sandbox: the tests may run as root, where Chromium's sandbox refuses to start.
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, browser: Browser) -> Iterator[Server]:
    folder = tmp_path_factory.mktemp("browser")
    running = start_server(f"sqlite:///{folder / 'invoicegate.db'}", folder / "data")
    try:
        yield running
    finally:
        stop_server(running)


@pytest.fixture(scope="module")
def merchant(server: Server) -> "Merchant":
    return Merchant(server, server.create_merchant("Toko Delina"))


class _ShopPages(BaseHTTPRequestHandler):
    """`/shop?to=URL`: a page linking to a payment link; `/return?...`: where customers land;
    any POST: a merchant callback, acknowledged. Every address the tests give is this one."""

    def do_GET(self) -> None:
        parts = urlsplit(self.path)
        query = {name: values[0] for name, values in parse_qs(parts.query).items()}
        if parts.path == "/shop":
            body = f'<h1>Shop</h1><a id="pay" href="{escape(query.get("to", ""))}">Pay</a>'
        else:
            shown = "".join(f"<li>{escape(k)}={escape(v)}</li>" for k, v in query.items())
            body = f"<h1>Back at the shop</h1><ul>{shown}</ul>"
        page = f"<!doctype html><html lang='en'><title>Shop</title>{body}</html>".encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(page)))
        self.end_headers()
        self.wfile.write(page)

    def do_POST(self) -> None:
        """A merchant callback (the server's worker may deliver one): acknowledged."""
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.send_response(200)
        self.send_header("Content-Length", "8")
        self.end_headers()
        self.wfile.write(b"ACCEPTED")

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def shop() -> Iterator[str]:
    """The merchant's own web shop, on a free local port: its base URL."""
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _ShopPages)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()


@dataclass
class Merchant:
    """The merchant's integrations: Winpay, the Paylink merchant API and Paylink v2."""

    server: Server
    keys: dict[str, Any]

    def winpay(self, method: str, path: str, body: Any = None) -> dict[str, Any]:
        key, secret = self.keys["winpay"]["key"], self.keys["winpay"]["secret"]
        answer = httpx.request(
            method, self.server.url + path, json=body, headers=winpay_headers(key, secret)
        )
        assert answer.status_code in (200, 201), answer.text
        data: dict[str, Any] = answer.json()["responseData"]
        return data

    def paylink(self, method: str, path: str = "", body: Any = None) -> dict[str, Any]:
        url = f"{self.server.url}/api/merchants/{self.keys['merchant_id']}/invoices{path}"
        headers = {"X-API-KEY": self.keys["paylink"]["api_key"]}
        answer = httpx.request(method, url, json=body, headers=headers)
        assert answer.status_code in (200, 201), answer.text
        data: dict[str, Any] = answer.json()
        return data

    def v2(self, method: str, path: str, body: Any = None) -> dict[str, Any]:
        auth = httpx.post(
            f"{self.server.url}/api/auth",
            json={
                "apiId": self.keys["paylink_v2"]["api_id"],
                "secretKey": self.keys["paylink_v2"]["secret_key"],
                "persistToken": False,
            },
        )
        headers = {"Authorization": f"Bearer {auth.json()['id_token']}"}
        answer = httpx.request(method, self.server.url + path, json=body, headers=headers)
        assert answer.status_code == 200, answer.text
        data: dict[str, Any] = answer.json()
        return data


@pytest.fixture
def phone(browser: Browser, request: pytest.FixtureRequest) -> Iterator["Phone"]:
    """A 360 px wide phone; its language comes from the test's `locale` marker (else id)."""
    marker = request.node.get_closest_marker("locale")
    locale = marker.args[0] if marker else "id-ID"
    javascript = not request.node.get_closest_marker("no_javascript")
    context = browser.new_context(viewport=PHONE, locale=locale, java_script_enabled=javascript)
    page = context.new_page()
    phone = Phone(page, request.node.name)
    page.on("console", phone.on_console)
    try:
        yield phone
    finally:
        context.close()


@dataclass
class Phone:
    page: Page
    test_name: str

    def __post_init__(self) -> None:
        self.console_errors: list[str] = []

    def on_console(self, message: Any) -> None:
        """Errors (a CSP refusal shows as "Refused to ..."), less the page's own status:
        a 404 or 410 page is logged as a failed load of itself."""
        if message.type == "error" and message.location.get("url") != self.page.url:
            self.console_errors.append(message.text)

    def screenshot(self, name: str) -> Path:
        path = ARTIFACTS / f"{self.test_name}-{name}.png"
        self.page.screenshot(path=path, full_page=True)
        return path

    def check_page(self, name: str) -> None:
        """What every checkout page must be: screenshot kept, fits 360 px, headings in order,
        every control labelled, nothing refused by the CSP, no serious axe-core violation."""
        page = self.page
        self.screenshot(name)
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        levels = page.eval_on_selector_all(
            "h1, h2, h3, h4, h5, h6", "all => all.map(h => Number(h.tagName[1]))"
        )
        assert levels[0] == 1 and all(b - a <= 1 for a, b in pairwise(levels)), levels
        unlabelled = page.eval_on_selector_all(
            "input:not([type=hidden]), select, textarea, button",
            "all => all.filter(c => !(c.labels && c.labels.length) && !c.textContent.trim()"
            " && !c.getAttribute('aria-label')).map(c => c.outerHTML)",
        )
        assert unlabelled == []
        assert self.console_errors == []
        violations = self.axe()
        (ARTIFACTS / f"{self.test_name}-{name}.axe.json").write_text(
            json.dumps(violations, indent=2)
        )
        serious = [
            (v["id"], v["impact"], [node["target"] for node in v["nodes"]])
            for v in violations
            if v["impact"] in ("serious", "critical")
        ]
        assert serious == [], serious

    def axe(self) -> list[dict[str, Any]]:
        """axe-core's violations on the page as it is. Evaluated through the DevTools
        protocol, so the page's CSP stays as strict as a customer's browser sees it."""
        if not self.page.evaluate("() => typeof window.axe !== 'undefined'"):
            self.page.evaluate(f"() => {{ {AXE.read_text()}\n }}")
        violations: list[dict[str, Any]] = self.page.evaluate(
            "() => axe.run(document, {resultTypes: ['violations']}).then(r => r.violations)"
        )
        return violations
