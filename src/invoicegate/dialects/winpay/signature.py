"""Winpay request signatures: HMAC-SHA256 over the raw timestamp header, as lowercase hex."""

import hmac
from _hashlib import HMAC, hmac_new  # OpenSSL's own HMAC object, what hmac.new wraps
from datetime import datetime

# HMAC state after the key, per secret: a signature then costs one copy and the message.
# `hmac.digest(key, msg, "sha256")` looked the digest up by name in OpenSSL and hashed the
# padded key again on every call: ~15 µs against ~8 in the service under load
# (docs/decisions/0028-sqlite-find-and-update-cpu.md). Only merchants' secrets and the
# decoy of unknown keys are kept, a few per merchant; bounded all the same.
_KEYED: dict[str, HMAC] = {}
MAX_KEYED = 4096


def sign(secret: str, timestamp: str) -> str:
    keyed = _KEYED.get(secret)
    if keyed is None:
        keyed = hmac_new(secret.encode(), digestmod="sha256")
        if len(_KEYED) >= MAX_KEYED:
            _KEYED.clear()  # simply begun again: safe while the callback worker signs too
        _KEYED[secret] = keyed
    mac = keyed.copy()
    mac.update(timestamp.encode())
    return mac.hexdigest()


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
