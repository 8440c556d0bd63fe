"""Winpay request signatures: HMAC-SHA256 over the raw timestamp header, as lowercase hex."""

import hmac
from datetime import datetime


def sign(secret: str, timestamp: str) -> str:
    # hmac.digest: one call into OpenSSL, where hmac.new builds an HMAC object in Python.
    return hmac.digest(secret.encode(), timestamp.encode(), "sha256").hex()


def verify(
    secret: str, timestamp: str, signature: str, *, now: datetime, tolerance_seconds: int
) -> bool:
    """True only for a good signature over a timestamp inside the tolerance window.

    Docs show `+07:00`, but real clients send other offsets (DIALECTS.md §1): any ISO-8601
    offset is accepted. A timestamp without an offset is refused: its instant is unknown.
    """
    expected = sign(secret, timestamp)
    if not hmac.compare_digest(expected.encode(), signature.lower().encode()):
        return False
    try:
        instant = datetime.fromisoformat(timestamp)
    except ValueError:
        return False
    if instant.tzinfo is None:
        return False
    if tolerance_seconds == 0:
        return True
    return abs((now - instant).total_seconds()) <= tolerance_seconds
