"""Identifiers the service hands out: UUIDv4 ids, request ids and short checkout slugs."""

import os
import secrets
from collections import deque
from collections.abc import Callable

_SLUG_ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789"
SLUG_LENGTH = 11  # Winpay's redirect_url ends in 11 chars of [a-z0-9] (DIALECTS.md §1)

# Ids are made 64 at a time from one read of the OS's random source. One `os.urandom(16)`
# per id was a system call per line item and per request id: ~4.5 µs a new id and ~3 µs
# a request id inside the service under load, where a call on a warm path costs ~1
# (docs/decisions/0034-cpu-edge.md). The made ones wait in a deque, whose `pop` and
# `extend` are atomic: two threads never take the same id, at worst both refill. Ids are
# not secrets (checkout slugs, the bearer links, still take `secrets` per slug); a forked
# child drops its parent's, so no two processes hand out the same.
_BATCH = 64
_ids: deque[str] = deque()
_request_ids: deque[str] = deque()


def new_id() -> str:
    """A random UUID (version 4), as `str(uuid.uuid4())` writes it."""
    return _next(_ids, _uuid4_texts)


def new_request_id() -> str:
    """128 random bits as 32 lowercase hex digits (what `uuid4().hex` looked like)."""
    return _next(_request_ids, _hex_texts)


def _next(made: deque[str], make: Callable[[int], list[str]]) -> str:
    """The next of the ids made ahead; a new batch of them first when none is left."""
    while True:
        try:
            return made.pop()
        except IndexError:
            made.extend(make(_BATCH))


def _hex_texts(count: int) -> list[str]:
    text = os.urandom(16 * count).hex()
    return [text[start : start + 32] for start in range(0, len(text), 32)]


def _uuid4_texts(count: int) -> list[str]:
    """`count` version-4 UUIDs' texts from 16 random bytes each, without `uuid.UUID`'s
    checks and conversions in Python (~5x the time)."""
    raw = bytearray(os.urandom(16 * count))
    for start in range(0, len(raw), 16):
        raw[start + 6] = raw[start + 6] & 0x0F | 0x40  # version 4
        raw[start + 8] = raw[start + 8] & 0x3F | 0x80  # the RFC 4122 variant
    text = raw.hex()
    return [
        f"{text[s : s + 8]}-{text[s + 8 : s + 12]}-{text[s + 12 : s + 16]}-"
        f"{text[s + 16 : s + 20]}-{text[s + 20 : s + 32]}"
        for s in range(0, len(text), 32)
    ]


def _forget_made() -> None:
    _ids.clear()
    _request_ids.clear()


os.register_at_fork(after_in_child=_forget_made)


def new_checkout_slug() -> str:
    return "".join(secrets.choice(_SLUG_ALPHABET) for _ in range(SLUG_LENGTH))


def new_secret(nbytes: int = 32) -> str:
    return secrets.token_urlsafe(nbytes)
