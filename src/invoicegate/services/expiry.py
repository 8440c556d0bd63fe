"""Announcing expiries: nothing writes when an invoice's expiry passes, so a sweep notices.

Each worker sweeps now and then (callbacks/worker.py). An unpaid invoice past its
`expires_at` whose expiry was not yet announced records `invoice.expired`, and the
expiry is marked announced in the same transaction as the jobs that report it: at most
once per expiry across any number of workers and nodes (decision 0019).
"""

from invoicegate.services.invoices import utc_now
from invoicegate.services.ports import Clock, Transactor, UnitOfWork

SWEEP_BATCH = 100  # invoices announced per transaction; the next sweep takes the rest


class ExpiryService:
    def __init__(self, transactor: Transactor, clock: Clock = utc_now) -> None:
        self._tx = transactor
        self._clock = clock

    async def announce_expiries(self, limit: int = SWEEP_BATCH) -> int:
        """Announce up to `limit` expiries that have passed; how many were announced."""
        now = self._clock()
        # A read first: most sweeps find nothing, and then take no write lock at all.
        if not await self._tx.read(lambda uow: uow.invoices.has_unannounced_expiry(now)):
            return 0

        def work(uow: UnitOfWork) -> int:
            announced = 0
            for invoice in uow.invoices.unannounced_expiries(now, limit):
                if uow.invoices.announce_expiry(invoice.expiry_noticed(now)):
                    announced += 1
            return announced

        return await self._tx.write(work)
