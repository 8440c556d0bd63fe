"""Merchant use cases: onboarding a merchant with a credential for each dialect we speak."""

import time
from dataclasses import dataclass
from datetime import datetime

from invoicegate.domain.errors import MerchantNotFound
from invoicegate.domain.merchant import Credential, Merchant
from invoicegate.services import ids
from invoicegate.services.invoices import utc_now
from invoicegate.services.ports import Clock, Transactor, UnitOfWork

WINPAY = "winpay"


@dataclass(frozen=True, slots=True)
class Onboarded:
    """A new merchant and its plain secrets: the only time they are shown."""

    merchant: Merchant
    winpay: Credential


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
            return Onboarded(merchant, winpay)

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

    async def credential(self, dialect: str, public_id: str) -> Credential | None:
        return await self._tx.read(lambda uow: uow.merchants.credential(dialect, public_id))


class CredentialCache:
    """Credentials by (dialect, public id), kept briefly: every signed request needs one.

    A short time-to-live bounds how long a revoked or changed credential keeps working on
    a node, while sparing the database (and the decryption) on the hot path.
    """

    def __init__(self, transactor: Transactor, ttl_seconds: float = 30.0) -> None:
        self._tx = transactor
        self._ttl = ttl_seconds
        self._entries: dict[tuple[str, str], tuple[float, Credential | None]] = {}

    async def get(self, dialect: str, public_id: str) -> Credential | None:
        key = (dialect, public_id)
        now = time.monotonic()
        hit = self._entries.get(key)
        if hit is not None and now - hit[0] < self._ttl:
            return hit[1]
        credential = await self._tx.read(lambda uow: uow.merchants.credential(dialect, public_id))
        if len(self._entries) > 10_000:  # unknown keys must not grow this without bound
            self._entries.clear()
        self._entries[key] = (now, credential)
        return credential


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
