"""CSRF tokens for the pay form: a signed double-submit cookie, bound to one invoice's slug.

The browser keeps a random nonce in a cookie that another site can neither read nor send
with its own POST (SameSite=Lax); the form carries an HMAC of the slug and that nonce. A
POST is honoured only if both are there and agree. No server-side session is kept.
"""

import hashlib
import hmac
import re
import secrets

COOKIE = "invoicegate_csrf"
FIELD = "csrf_token"
_NONCE = re.compile(r"^[A-Za-z0-9_-]{32,64}$")


class CsrfTokens:
    def __init__(self, secret_key: str) -> None:
        # A key of its own, derived from the service's secret: the same on every node.
        self._key = hashlib.sha256(b"invoicegate checkout csrf\0" + secret_key.encode()).digest()

    @staticmethod
    def nonce(cookie: str | None) -> tuple[str, bool]:
        """The browser's nonce if it has a sane one (so two tabs share it), else a new one;
        and whether it is new, i.e. must be set as a cookie."""
        if cookie is not None and _NONCE.match(cookie):
            return cookie, False
        return secrets.token_urlsafe(32), True

    def token(self, slug: str, nonce: str) -> str:
        return hmac.new(self._key, f"{slug}\0{nonce}".encode(), hashlib.sha256).hexdigest()

    def valid(self, slug: str, cookie: str | None, token: str | None) -> bool:
        if cookie is None or token is None or not _NONCE.match(cookie):
            return False
        # Bytes: compare_digest refuses str with non-ASCII characters, which a form may hold.
        return hmac.compare_digest(self.token(slug, cookie).encode(), token.encode())
