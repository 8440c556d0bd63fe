"""/openapi.json and /docs on a real server; the docs page renders in a real browser offline."""

import json
import os
from pathlib import Path
from typing import Any

import httpx
import pytest
from openapi_spec_validator import validate

from invoicegate.apidocs import spec
from tests.e2e.conftest import Server

CHROMIUM = "/usr/bin/chromium"


def test_the_server_serves_the_document(server: Server) -> None:
    answer = httpx.get(f"{server.url}/openapi.json")
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "application/json"
    doc: dict[str, Any] = answer.json()
    assert doc == json.loads(json.dumps(spec()))
    validate(doc)
    assert {tag["name"] for tag in doc["tags"]} == {"winpay", "paylink", "paylink_v2", "native"}


def test_the_docs_page_renders_offline_in_a_browser(server: Server, tmp_path: Path) -> None:
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI=true requires {CHROMIUM}")
        pytest.skip(f"{CHROMIUM} is not installed")
    from playwright.sync_api import sync_playwright

    outside: list[str] = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM)
        page = browser.new_page()

        def only_ours(route: Any) -> None:
            if route.request.url.startswith(server.url):
                route.continue_()
            else:  # no network: anything from elsewhere would fail for a user offline
                outside.append(route.request.url)
                route.abort()

        page.route("**/*", only_ours)
        errors: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.goto(f"{server.url}/docs")
        page.wait_for_selector(".opblock", timeout=20_000)
        summaries = page.locator(".opblock-summary-path").all_inner_texts()
        page.screenshot(path=str(tmp_path / "docs.png"), full_page=False)
        browser.close()

    assert outside == [] and errors == []
    assert any("/v1/invoices" in s for s in summaries)
