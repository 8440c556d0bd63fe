"""Paylink v2 bearer tokens: stateless HS256 JWTs, so every app node accepts them (§3).

The signing key is derived from the service's secret key (never the key itself), so
tokens need no table and survive restarts; they live 30 minutes, or 30 hours when the
client asked for `persistToken`.
"""

import base64
import binascii
import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import datetime, timedelta

TTL = timedelta(minutes=30)
PERSISTENT_TTL = timedelta(hours=30)
MAX_TOKEN_LENGTH = 2048
_HEADER = {"alg": "HS256", "typ": "JWT"}


@dataclass(frozen=True, slots=True)
class TokenClaims:
    merchant_id: str
    credential_id: str
    api_id: str
    expires_at: int  # epoch seconds


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


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
        signing_input = _b64(json.dumps(_HEADER).encode()) + "." + _b64(json.dumps(claims).encode())
        return signing_input + "." + self._sign(signing_input)

    def verify(self, token: str, *, now: datetime) -> TokenClaims | None:
        """The claims of a well-signed, unexpired token; None for anything else."""
        if len(token) > MAX_TOKEN_LENGTH or token.count(".") != 2:
            return None
        signing_input, _, signature = token.rpartition(".")
        if not hmac.compare_digest(self._sign(signing_input).encode(), signature.encode()):
            return None
        try:
            claims = json.loads(_unb64(signing_input.partition(".")[2]))
        except (ValueError, binascii.Error):
            return None
        if not isinstance(claims, dict):
            return None
        merchant_id, credential_id = claims.get("mid"), claims.get("sub")
        api_id, expires_at = claims.get("aid"), claims.get("exp")
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

    def _sign(self, signing_input: str) -> str:
        return _b64(hmac.new(self._key, signing_input.encode(), hashlib.sha256).digest())
