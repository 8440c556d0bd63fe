"""Paylink v2 bearer tokens: stateless HS256 JWTs, so every app node accepts them (§3).

The signing key is derived from the service's secret key (never the key itself), so
tokens need no table and survive restarts; they live 30 minutes, or 30 hours when the
client asked for `persistToken`. PyJWT does the encoding, signature and expiry checks.
"""

import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime, timedelta

import jwt

TTL = timedelta(minutes=30)
PERSISTENT_TTL = timedelta(hours=30)
MAX_TOKEN_LENGTH = 2048
_CLAIMS = ("sub", "mid", "aid", "exp")


@dataclass(frozen=True, slots=True)
class TokenClaims:
    merchant_id: str
    credential_id: str
    api_id: str
    expires_at: int  # epoch seconds


class TokenSigner:
    def __init__(self, service_secret: str) -> None:
        self._key = hmac.new(
            service_secret.encode(), b"invoicegate paylink_v2 id_token v1", hashlib.sha256
        ).digest()

    def issue(
        self, merchant_id: str, credential_id: str, api_id: str, *, now: datetime, persist: bool
    ) -> str:
        expires = now + (PERSISTENT_TTL if persist else TTL)
        claims = {
            "sub": credential_id,
            "mid": merchant_id,
            "aid": api_id,
            "iat": int(now.timestamp()),
            "exp": int(expires.timestamp()),
        }
        return jwt.encode(claims, self._key, algorithm="HS256")

    def verify(self, token: str, *, now: datetime) -> TokenClaims | None:
        """The claims of a well-signed, unexpired token; None for anything else."""
        if len(token) > MAX_TOKEN_LENGTH:
            return None
        try:
            # Expiry is checked against our clock (tests move it), not PyJWT's.
            claims = jwt.decode(
                token,
                self._key,
                algorithms=["HS256"],
                options={"verify_exp": False, "verify_iat": False, "require": list(_CLAIMS)},
            )
        except jwt.InvalidTokenError:
            return None
        merchant_id, credential_id = claims["mid"], claims["sub"]
        api_id, expires_at = claims["aid"], claims["exp"]
        if not (
            isinstance(merchant_id, str)
            and isinstance(credential_id, str)
            and isinstance(api_id, str)
            and type(expires_at) is int
        ):
            return None
        if now.timestamp() >= expires_at:
            return None
        return TokenClaims(merchant_id, credential_id, api_id, expires_at)
