"""Every query on the outbox: adding callback jobs, leasing them to workers, the delivery log.

Claims pick the due rows, then lease them. On PostgreSQL the pick is `FOR UPDATE SKIP
LOCKED`, so workers never wait on each other's rows nor take the same one; on SQLite the
write lock serialises claims. Either way the lease (token + expiry) is what keeps two
workers from delivering one job: a job comes due again only when its lease runs out.
"""

from dataclasses import fields
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from invoicegate.domain.callbacks import (
    AttemptResult,
    CallbackJob,
    CallbackState,
    DeliveryAttempt,
    NewCallbackJob,
)
from invoicegate.services.ports import JobQuery
from invoicegate.store.tables import callback_attempts, callback_jobs

_jobs = callback_jobs.c
_log = callback_attempts.c
_PENDING = CallbackState.PENDING.value


def _due(now: datetime) -> sa.ColumnElement[bool]:
    return sa.and_(
        _jobs.state == _PENDING,
        _jobs.next_attempt_at <= now,
        sa.or_(_jobs.lease_until.is_(None), _jobs.lease_until <= now),
    )


def _text(value: str | None) -> str | None:
    """PostgreSQL text refuses NUL; a merchant's answer or an error may carry one."""
    return value.replace("\x00", "\ufffd") if value is not None else None


class SqlOutbox:
    def __init__(self, conn: sa.Connection) -> None:
        self._conn = conn

    def add(self, job: NewCallbackJob, at: datetime) -> None:
        self._conn.execute(
            sa.insert(callback_jobs).values(
                topic=job.topic,
                invoice_id=job.invoice_id,
                merchant_id=job.merchant_id,
                dialect=job.dialect,
                destination_id=job.destination_id,
                url=job.url,
                body=job.body,
                state=_PENDING,
                attempts=0,
                next_attempt_at=at,
                created_at=at,
            )
        )

    def has_due(self, now: datetime) -> bool:
        query = sa.select(_jobs.id).where(_due(now)).limit(1)
        return self._conn.execute(query).first() is not None

    def claim(
        self, now: datetime, lease_until: datetime, token: str, limit: int
    ) -> list[CallbackJob]:
        # The rows first, then the update: PostgreSQL may run an `IN (SELECT … LIMIT n)`
        # subquery more than once in an UPDATE and so lease more than n (seen in tests).
        chosen = self._conn.execute(
            sa.select(_jobs.id)
            .where(_due(now))
            .order_by(_jobs.next_attempt_at, _jobs.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        ).scalars()
        ids = list(chosen)
        if not ids:
            return []
        claimed = self._conn.execute(
            sa.update(callback_jobs)
            .where(_jobs.id.in_(ids))
            .values(lease_token=token, lease_until=lease_until, attempts=_jobs.attempts + 1)
            .returning(*callback_jobs.c)
        ).mappings()
        jobs = sorted((_job(row) for row in claimed), key=lambda j: (j.next_attempt_at, j.id))
        if jobs:
            self._conn.execute(
                sa.insert(callback_attempts),
                [
                    {"job_id": j.id, "lease_token": token, "started_at": now, "url": j.url}
                    for j in jobs
                ],
            )
        return jobs

    def finish(
        self,
        job: CallbackJob,
        result: AttemptResult,
        at: datetime,
        retry_at: datetime | None,
    ) -> bool:
        self._conn.execute(
            sa.update(callback_attempts)
            .where(_log.job_id == job.id, _log.lease_token == job.lease_token)
            .values(
                finished_at=at,
                status=result.status,
                answer=_text(result.answer),
                latency_ms=result.latency_ms,
                error=_text(result.error),
            )
        )
        values: dict[str, Any] = {"lease_token": None, "lease_until": None}
        if result.acknowledged:
            values.update(state=CallbackState.DELIVERED.value, delivered_at=at)
        elif retry_at is None:
            values.update(state=CallbackState.FAILED.value)
        else:
            values.update(next_attempt_at=retry_at)
        settled = self._conn.execute(
            sa.update(callback_jobs)
            .where(_jobs.id == job.id, _jobs.lease_token == job.lease_token)
            .values(**values)
        )
        return settled.rowcount == 1

    def release(self, job: CallbackJob, at: datetime) -> None:
        self._conn.execute(
            sa.update(callback_attempts)
            .where(_log.job_id == job.id, _log.lease_token == job.lease_token)
            .values(finished_at=at, error="interrupted: the worker stopped")
        )
        self._conn.execute(
            sa.update(callback_jobs)
            .where(_jobs.id == job.id, _jobs.lease_token == job.lease_token)
            .values(lease_token=None, lease_until=None, next_attempt_at=at)
        )

    def get(self, job_id: int) -> CallbackJob | None:
        row = self._conn.execute(sa.select(callback_jobs).where(_jobs.id == job_id))
        found = row.mappings().first()
        return _job(found) if found else None

    def jobs(self, query: JobQuery) -> list[CallbackJob]:
        select = sa.select(callback_jobs).order_by(_jobs.id.desc()).limit(query.limit)
        if query.invoice_id is not None:
            select = select.where(_jobs.invoice_id == query.invoice_id)
        if query.state is not None:
            select = select.where(_jobs.state == query.state.value)
        return [_job(row) for row in self._conn.execute(select).mappings()]

    def attempts(self, job_id: int) -> list[DeliveryAttempt]:
        rows = self._conn.execute(
            sa.select(callback_attempts)
            .where(_log.job_id == job_id)
            .order_by(_log.started_at, _log.id)
        ).mappings()
        return [_attempt(row) for row in rows]

    def redeliver(self, job_id: int, at: datetime) -> None:
        self._conn.execute(
            sa.update(callback_jobs)
            .where(_jobs.id == job_id, _jobs.state != _PENDING)
            .values(
                state=_PENDING,
                attempts=0,
                next_attempt_at=at,
                delivered_at=None,
                lease_token=None,
                lease_until=None,
            )
        )

    def redirect(self, dialect: str, destination_id: str, url: str) -> None:
        self._conn.execute(
            sa.update(callback_jobs)
            .where(
                _jobs.dialect == dialect,
                _jobs.destination_id == destination_id,
                _jobs.state == _PENDING,
            )
            .values(url=url)
        )

    def destination_jobs(
        self, dialect: str, destination_id: str, before_id: int | None, limit: int
    ) -> list[CallbackJob]:
        select = (
            sa.select(callback_jobs)
            .where(_jobs.destination_id == destination_id, _jobs.dialect == dialect)
            .order_by(_jobs.id.desc())
            .limit(limit)
        )
        if before_id is not None:  # keyset: new jobs get higher ids, so pages never shift
            select = select.where(_jobs.id < before_id)
        return [_job(row) for row in self._conn.execute(select).mappings()]

    def attempts_of(self, job_ids: list[int]) -> dict[int, list[DeliveryAttempt]]:
        if not job_ids:
            return {}
        rows = self._conn.execute(
            sa.select(callback_attempts)
            .where(_log.job_id.in_(job_ids))
            .order_by(_log.started_at, _log.id)
        ).mappings()
        found: dict[int, list[DeliveryAttempt]] = {}
        for row in rows:
            found.setdefault(row["job_id"], []).append(_attempt(row))
        return found


def _attempt(row: sa.RowMapping) -> DeliveryAttempt:
    return DeliveryAttempt(**{f.name: row[f.name] for f in fields(DeliveryAttempt)})


def _job(row: sa.RowMapping) -> CallbackJob:
    # The columns carry the dataclass's names; only the state needs its enum back.
    values = {f.name: row[f.name] for f in fields(CallbackJob)}
    return CallbackJob(**{**values, "state": CallbackState(row["state"])})
