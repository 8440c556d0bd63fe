"""The service's URL rule: pydantic-core's URL check, equal to pydantic's AnyHttpUrl."""

import pytest
from pydantic import AnyHttpUrl, TypeAdapter, ValidationError

from invoicegate.edge.urls import BIDI_CONTROLS, UrlRefused, checked_url

CASES = [
    "https://your-invoice-url.com",
    "http://a.b/c?d=e#f",
    "https://user:pw@shop.example:8443/back?x=1",
    "https://xn--bcher-kva.example/",
    "https://bücher.example/",
    "http://127.0.0.1:8080/",
    "http://[::1]/",
    "https://",
    "http://",
    "https://a:99999/",
    "https://a:b/",
    "https:/missing-slash.example",
    "https:shop.example",
    "http://exa mple.com",
    "http://%zz/",
    "https://a..b/",
    "ftp://files.example/",
    "javascript:alert(1)",
    "HTTPS://SHOP.EXAMPLE/",
    "https://shop.example/%00",
    "https://[1.2.3.4]/",
    "https://1.2.3.256/",
]


@pytest.mark.parametrize("url", CASES)
def test_the_rule_refuses_what_anyhttpurl_refuses(url: str) -> None:
    """checked_url's parse is AnyHttpUrl's, without its Python wrapper: same verdicts."""
    try:
        TypeAdapter(AnyHttpUrl).validate_python(url)
        pydantic_accepts = True
    except ValidationError:
        pydantic_accepts = False
    try:
        assert checked_url(url) == url  # never rewritten
        accepted = True
    except UrlRefused:
        accepted = False
    textual = url.isprintable() and " " not in url and "\\" not in url
    if textual and url.lower().startswith(("http://", "https://")):
        assert accepted == pydantic_accepts
    else:  # refused by the textual checks before any parse
        assert not accepted


@pytest.mark.parametrize("control", sorted(BIDI_CONTROLS))
def test_bidi_controls_are_refused(control: str) -> None:
    with pytest.raises(UrlRefused, match="invisible formatting"):
        checked_url(f"https://shop.example/{control}back")
