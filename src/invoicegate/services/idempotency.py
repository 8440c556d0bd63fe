"""Idempotency keys (IETF Idempotency-Key draft): a retried request gets the first answer.

A key is scoped to the credential that sent it. The first request with a key claims it
(a row marked running); its answer is stored in the same transaction as the change it made,
so a crash can never leave a change without its answer, or an answer without its change.
A retry with the same request replays that answer; with another request it is refused
(`IdempotencyKeyReused`); while the first still runs, `IdempotencyRequestInProgress`.
"""

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, TypeVar

from invoicegate.domain.errors import (
    IdempotencyKeyReused,
    IdempotencyKeyTaken,
    IdempotencyRequestInProgress,
)
from invoicegate.services.ports import Clock, StoredAnswer, Transactor, UnitOfWork

T = TypeVar("T")
log = logging.getLogger("invoicegate.idempotency")

# A claim older than this is taken to be abandoned (its node died mid-request), and the next
# retry runs the request afresh. Far longer than any request may take: database waits are
# bounded by 30 s timeouts.
LEASE = timedelta(seconds=120)
DEFAULT_TTL = timedelta(hours=24)


@dataclass(frozen=True, slots=True)
class Claim:
    scope: str  # the credential the key belongs to
    key: str
    fingerprint: str  # of method, path, preconditions and body


class IdempotencyService:
    def __init__(self, transactor: Transactor, clock: Clock, ttl: timedelta = DEFAULT_TTL):
        self._tx = transactor
        self._clock = clock
        self.ttl = ttl

    async def claim(self, claim: Claim) -> StoredAnswer | None:
        """None: the caller runs the request. An answer: the caller replays it."""

        def work(uow: UnitOfWork) -> StoredAnswer | None:
            now = self._clock()
            found = uow.idempotency.get(claim.scope, claim.key, for_update=True)
            if found is None or found.expires_at <= now:
                if found is not None:
                    uow.idempotency.forget(claim.scope, claim.key)
                uow.idempotency.claim(
                    claim.scope, claim.key, claim.fingerprint, now, now + LEASE, now + self.ttl
                )
                return None
            if found.fingerprint != claim.fingerprint:
                raise IdempotencyKeyReused
            if found.answer is not None:
                return found.answer
            if found.locked_until > now:
                raise IdempotencyRequestInProgress
            uow.idempotency.relock(claim.scope, claim.key, now + LEASE)  # abandoned: take over
            return None

        try:
            return await self._tx.write(work)
        except IdempotencyKeyTaken:  # claimed by a concurrent request a moment ago
            return await self._tx.write(work)

    async def answer(self, claim: Claim, answer: StoredAnswer) -> None:
        """Store the answer of a request that changed nothing (an error, or an empty patch)."""
        await self._tx.write(lambda uow: uow.idempotency.answer(claim.scope, claim.key, answer))

    async def release(self, claim: Claim) -> None:
        """Forget a claim whose request failed unexpectedly, so that a retry runs it again."""
        await self._tx.write(lambda uow: uow.idempotency.forget(claim.scope, claim.key))

    async def purge(self) -> int:
        """Forget keys past their time; returns how many."""
        now = self._clock()
        return await self._tx.write(lambda uow: uow.idempotency.purge(now))


class AnsweringTransactor:
    """Runs each write, then records its answer in the same unit of work.

    `answer` turns the write's result into what the client will be sent; it runs inside the
    transaction, so the change and its stored answer commit (or vanish) together.
    """

    def __init__(self, inner: Transactor, record: Callable[[UnitOfWork, Any], None]) -> None:
        self._inner = inner
        self._record = record

    async def write(self, work: Callable[[UnitOfWork], T], *, optimistic: bool = False) -> T:
        # Never optimistic: the stored answer is a second write in the same transaction.
        def with_answer(uow: UnitOfWork) -> T:
            result = work(uow)
            self._record(uow, result)
            return result

        return await self._inner.write(with_answer)

    async def read(self, work: Callable[[UnitOfWork], T]) -> T:
        return await self._inner.read(work)

    async def lookup(self, work: Callable[[UnitOfWork], T], *, one_statement: bool = False) -> T:
        return await self._inner.lookup(work, one_statement=one_statement)


async def purge_forever(service: IdempotencyService, every_seconds: float = 600) -> None:
    """Forget expired keys now and then, for as long as the service runs."""
    while True:
        await asyncio.sleep(every_seconds)
        try:
            purged = await service.purge()
            if purged:
                log.info("purged expired idempotency keys", extra={"fields": {"count": purged}})
        except Exception:
            log.exception("purging idempotency keys failed; trying again later")
