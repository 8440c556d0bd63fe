"""Identifiers the service hands out: UUIDv4 ids and short checkout slugs."""

import secrets
import uuid

_SLUG_ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789"
SLUG_LENGTH = 11  # Winpay's redirect_url ends in 11 chars of [a-z0-9] (DIALECTS.md §1)


def new_id() -> str:
    return str(uuid.uuid4())


def new_checkout_slug() -> str:
    return "".join(secrets.choice(_SLUG_ALPHABET) for _ in range(SLUG_LENGTH))


def new_secret(nbytes: int = 32) -> str:
    return secrets.token_urlsafe(nbytes)
