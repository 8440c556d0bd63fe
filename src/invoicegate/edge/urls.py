"""The one rule for every URL the service stores: http(s), printable, no bidi controls, capped.

These URLs are later shown to customers (back links) and called by the service (callbacks),
so each must be exactly what it looks like. A URL is checked, never rewritten: it is kept
as the merchant wrote it (normalising would change what the merchant reads back). Parsing
is pydantic's URL type (the WHATWG-conformant `url` crate), not a regular expression.
"""

from pydantic_core import SchemaValidator, ValidationError, core_schema

MAX_URL_LENGTH = 2048
# pydantic's AnyHttpUrl without its Python wrapper (which only turns the result into an
# AnyHttpUrl object we never use): the same URL check in pydantic-core, a third of the cost
# (docs/decisions/0025-edge-per-request.md; tests/unit/test_urls.py compares the two).
_HTTP_URL = SchemaValidator(core_schema.url_schema(allowed_schemes=["http", "https"]))
# Cf characters that reorder text on screen: a URL holding one can read as another host.
# str.isprintable refuses every Cf character, so checking it refuses these; they are named
# here because they are the reason the rule exists (tests/unit/test_urls.py holds them to it).
BIDI_CONTROLS = frozenset(
    "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
)


class UrlRefused(ValueError):
    """A URL the service will not store; the message says why, for a human."""


def checked_url(value: str) -> str:
    """`value` unchanged if it is an absolute http(s) URL the service may store.

    Refuses: over MAX_URL_LENGTH characters; NUL and every other control character,
    bidirectional controls and other invisible formatting characters, unpaired surrogates,
    any whitespace, backslashes; schemes other than http and https; anything the URL
    parser refuses (no host, a bad port, ...).
    """
    if len(value) > MAX_URL_LENGTH:
        raise UrlRefused(f"must be at most {MAX_URL_LENGTH} characters")
    if not value.isprintable() or " " in value:  # isprintable() refuses BIDI_CONTROLS
        raise UrlRefused("must not contain spaces, control or invisible formatting characters")
    if "\\" in value:  # parsers disagree on it: a browser reads https://a.b\\c.d as host a.b
        raise UrlRefused("must not contain a backslash")
    if not value[:8].lower().startswith(("http://", "https://")):
        raise UrlRefused("must be an http(s) URL")
    try:
        _HTTP_URL.validate_python(value)
    except ValidationError:
        raise UrlRefused("must be an http(s) URL") from None
    return value
