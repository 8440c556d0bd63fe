"""Merchant use cases: onboarding a merchant with a credential for each dialect we speak."""

import asyncio
import hashlib
import hmac
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime

from cachetools import TTLCache

from invoicegate.domain.errors import CredentialNotFound, InvalidInput, MerchantNotFound
from invoicegate.domain.merchant import Credential, Merchant
from invoicegate.services import ids
from invoicegate.services.invoices import utc_now
from invoicegate.services.ports import Clock, Transactor, UnitOfWork

WINPAY = "winpay"
PAYLINK = "paylink"
PAYLINK_V2 = "paylink_v2"
NATIVE = "native"
API_KEY_PREFIX = "igk_live_"  # recognisable when leaked (secret scanners, logs, reviews)

# Dialects whose callbacks go to a URL kept on the credential (the merchant invoices API
# takes its callbackUrl with each invoice instead).
CALLBACK_DIALECTS = (WINPAY, PAYLINK_V2)


def hash_secret(secret: str) -> str:
    """SHA-256 of a presented key: our keys are 32 random bytes, so no slow hash is needed.

    docs/decisions/0006-paylink-credentials.md says why; the hash is also the lookup key
    of a Paylink API key, which is never stored in clear.
    """
    return hashlib.sha256(secret.encode()).hexdigest()


def secret_matches(secret: str, stored_hash: str | None) -> bool:
    """Constant-time check of a presented secret against a stored hash (None never matches)."""
    return digest_matches(hash_secret(secret), stored_hash)


def digest_matches(digest: str, stored_hash: str | None) -> bool:
    """`secret_matches` for a secret already hashed with `hash_secret`: a key looked up by
    its hash is not hashed a second time (~2 µs in the service: decision 0034)."""
    expected = (stored_hash or "-" * 64).encode()  # same work when nothing is stored
    matched = hmac.compare_digest(digest.encode(), expected)
    return matched and stored_hash is not None


@dataclass(frozen=True, slots=True)
class IssuedKey:
    """A credential kept only as a hash, with its plain secret for the one time it is shown."""

    credential: Credential
    secret: str


@dataclass(frozen=True, slots=True)
class Onboarded:
    """A new merchant and its plain secrets: the only time they are shown."""

    merchant: Merchant
    winpay: Credential
    paylink: IssuedKey  # public_id is the hash of the X-API-KEY; URLs carry merchant.id
    paylink_v2: IssuedKey  # public_id is the apiId; the secretKey is kept as a hash
    native: IssuedKey  # an API key of the native API, kept as a hash like Paylink's


class MerchantService:
    def __init__(self, transactor: Transactor, clock: Clock = utc_now) -> None:
        self._tx = transactor
        self._clock = clock

    async def create_merchant(self, name: str, callback_url: str | None = None) -> Onboarded:
        def work(uow: UnitOfWork) -> Onboarded:
            now = self._clock()
            merchant = Merchant(id=ids.new_id(), name=name, created_at=now)
            uow.merchants.add_merchant(merchant)
            winpay = _winpay_credential(merchant.id, name, callback_url, now)
            uow.merchants.add_credential(winpay)
            paylink = _paylink_credential(merchant.id, name, callback_url, now)
            uow.merchants.add_credential(paylink.credential)
            paylink_v2 = _paylink_v2_credential(merchant.id, name, callback_url, now)
            uow.merchants.add_credential(paylink_v2.credential)
            native = _api_key(merchant.id, "first key", now)
            uow.merchants.add_credential(native.credential)
            return Onboarded(merchant, winpay, paylink, paylink_v2, native)

        return await self._tx.write(work)

    async def add_winpay_credential(
        self, merchant_id: str, display_name: str, callback_url: str | None = None
    ) -> Credential:
        """Another Winpay key + secret for the merchant, with its own name and callback URL."""

        def work(uow: UnitOfWork) -> Credential:
            if uow.merchants.get_merchant(merchant_id) is None:
                raise MerchantNotFound
            credential = _winpay_credential(merchant_id, display_name, callback_url, self._clock())
            uow.merchants.add_credential(credential)
            return credential

        return await self._tx.write(work)

    async def issue_api_key(self, merchant_id: str, name: str) -> IssuedKey:
        """Another native API key for the merchant; a merchant may hold any number."""

        def work(uow: UnitOfWork) -> IssuedKey:
            if uow.merchants.get_merchant(merchant_id) is None:
                raise MerchantNotFound
            issued = _api_key(merchant_id, name, self._clock())
            uow.merchants.add_credential(issued.credential)
            return issued

        return await self._tx.write(work)

    async def api_keys(self, merchant_id: str) -> list[Credential]:
        def work(uow: UnitOfWork) -> list[Credential]:
            if uow.merchants.get_merchant(merchant_id) is None:
                raise MerchantNotFound
            return [c for c in uow.merchants.credentials_of(merchant_id) if c.dialect == NATIVE]

        return await self._tx.read(work)

    async def revoke_api_key(self, key_id: str) -> Credential:
        """The key stops authenticating (within the credential cache's life on other nodes)."""

        def work(uow: UnitOfWork) -> Credential:
            key = uow.merchants.get_credential(key_id)
            if key is None or key.dialect != NATIVE:
                raise CredentialNotFound
            if key.revoked_at is None:
                uow.merchants.revoke_credential(key.id, self._clock())
            revoked = uow.merchants.get_credential(key.id)
            assert revoked is not None
            return revoked

        return await self._tx.write(work)

    async def set_callback_url(
        self, merchant_id: str, dialect: str, url: str, credential_key: str | None = None
    ) -> Credential:
        """Point one credential's callbacks at `url`: the Winpay credential with this key
        (default: the merchant's first), or the merchant's Paylink v2 webhook. The caller
        checks the URL (the edge's one URL rule)."""
        if dialect not in CALLBACK_DIALECTS:
            raise InvalidInput([("dialect", f"must be one of {', '.join(CALLBACK_DIALECTS)}")])

        def work(uow: UnitOfWork) -> Credential:
            if uow.merchants.get_merchant(merchant_id) is None:
                raise MerchantNotFound
            owned = [c for c in uow.merchants.credentials_of(merchant_id) if c.dialect == dialect]
            if credential_key is not None:
                owned = [c for c in owned if c.public_id == credential_key]
            if not owned:
                raise InvalidInput([("credential", f"the merchant has no such {dialect} key")])
            uow.merchants.set_callback_url(owned[0].id, url)
            return replace(owned[0], callback_url=url)

        return await self._tx.write(work)

    async def credential(self, dialect: str, public_id: str) -> Credential | None:
        return await self._tx.lookup(lambda uow: uow.merchants.credential(dialect, public_id))


CredentialKey = tuple[str, str]  # (dialect, public id)


class CredentialCache:
    """Credentials by (dialect, public id), kept briefly: every signed request needs one.

    A short time-to-live bounds how long a revoked or changed credential keeps working on
    a node, while sparing the database (and the decryption) on the hot path. Keys nobody
    holds are remembered as unknown for as long, apart from the known ones: a flood of
    made-up keys costs one read each at most, and can push out only other made-up keys.
    Both are bounded (least recently used go first). Concurrent misses for one key share
    one read, so a burst of requests with a new key does not become a burst of reads.
    """

    def __init__(
        self,
        transactor: Transactor,
        ttl_seconds: float = 30.0,
        max_entries: int = 10_000,
        timer: Callable[[], float] = time.monotonic,
    ) -> None:
        self._tx = transactor
        self._known: TTLCache[CredentialKey, Credential] = TTLCache(max_entries, ttl_seconds, timer)
        self._unknown: TTLCache[CredentialKey, bool] = TTLCache(max_entries, ttl_seconds, timer)
        self._reading: dict[CredentialKey, asyncio.Task[Credential | None]] = {}

    async def get(self, dialect: str, public_id: str) -> Credential | None:
        key = (dialect, public_id)
        try:  # TTLCache.get costs three times this: it looks the key up twice
            return self._known[key]
        except KeyError:
            pass
        if key in self._unknown:
            return None
        reading = self._reading.get(key)
        if reading is None:
            reading = asyncio.ensure_future(self._read(key))
            reading.add_done_callback(_retrieve_outcome)
            self._reading[key] = reading
        # Shielded: a caller that gives up must not cancel the read the others wait for.
        return await asyncio.shield(reading)

    async def _read(self, key: CredentialKey) -> Credential | None:
        try:
            found = await self._tx.read(lambda uow: uow.merchants.credential(*key))
        finally:
            del self._reading[key]
        if found is None:
            self._unknown[key] = True
        else:
            self._known[key] = found
        return found


def _retrieve_outcome(read: asyncio.Task[Credential | None]) -> None:
    """Mark a failed read's error as seen: its callers may all have given up waiting."""
    if not read.cancelled():
        read.exception()


def _winpay_credential(
    merchant_id: str, display_name: str, callback_url: str | None, now: datetime
) -> Credential:
    return Credential(
        id=ids.new_id(),
        merchant_id=merchant_id,
        dialect=WINPAY,
        public_id="wp_" + ids.new_secret(12),
        secret=ids.new_secret(32),
        secret_hash=None,
        display_name=display_name,
        callback_url=callback_url,
        created_at=now,
    )


def _paylink_credential(
    merchant_id: str, display_name: str, callback_url: str | None, now: datetime
) -> IssuedKey:
    return _presented_key(PAYLINK, "pl_", merchant_id, display_name, callback_url, now)


def _paylink_v2_credential(
    merchant_id: str, display_name: str, callback_url: str | None, now: datetime
) -> IssuedKey:
    secret_key = ids.new_secret(32)
    credential = Credential(
        id=ids.new_id(),
        merchant_id=merchant_id,
        dialect=PAYLINK_V2,
        public_id="APP_ID_" + ids.new_secret(12),
        secret=None,
        secret_hash=hash_secret(secret_key),
        display_name=display_name,
        callback_url=callback_url,
        created_at=now,
    )
    return IssuedKey(credential, secret_key)


def _api_key(merchant_id: str, name: str, now: datetime) -> IssuedKey:
    return _presented_key(NATIVE, API_KEY_PREFIX, merchant_id, name, None, now)


def _presented_key(
    dialect: str,
    prefix: str,
    merchant_id: str,
    display_name: str,
    callback_url: str | None,
    now: datetime,
) -> IssuedKey:
    """A key the client presents whole: kept only as its hash, which is also its lookup id."""
    key = prefix + ids.new_secret(32)
    digest = hash_secret(key)
    credential = Credential(
        id=ids.new_id(),
        merchant_id=merchant_id,
        dialect=dialect,
        public_id=digest,
        secret=None,
        secret_hash=digest,
        display_name=display_name,
        callback_url=callback_url,
        created_at=now,
    )
    return IssuedKey(credential, key)
