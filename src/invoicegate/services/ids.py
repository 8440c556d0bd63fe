"""Identifiers the service hands out: UUIDv4 ids and short checkout slugs."""

import os
import secrets

_SLUG_ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789"
SLUG_LENGTH = 11  # Winpay's redirect_url ends in 11 chars of [a-z0-9] (DIALECTS.md §1)


def new_id() -> str:
    """A random UUID (version 4), as `str(uuid.uuid4())` writes it.

    Built from the 16 random bytes directly: `uuid.UUID`'s constructor checks and converts
    in Python, ~5x the time, and every update makes one per line item.
    """
    raw = bytearray(os.urandom(16))
    raw[6] = raw[6] & 0x0F | 0x40  # version 4
    raw[8] = raw[8] & 0x3F | 0x80  # the RFC 4122 variant
    text = raw.hex()
    return f"{text[:8]}-{text[8:12]}-{text[12:16]}-{text[16:20]}-{text[20:]}"


def new_checkout_slug() -> str:
    return "".join(secrets.choice(_SLUG_ALPHABET) for _ in range(SLUG_LENGTH))


def new_secret(nbytes: int = 32) -> str:
    return secrets.token_urlsafe(nbytes)
