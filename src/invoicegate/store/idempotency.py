"""Idempotency records in SQL: claimed, answered, forgotten, purged (PostgreSQL and SQLite)."""

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from invoicegate.domain.errors import IdempotencyKeyTaken
from invoicegate.services.ports import IdempotencyRecord, StoredAnswer
from invoicegate.store.tables import idempotency_keys as keys

_THIS = (keys.c.scope == sa.bindparam("p_scope"), keys.c.key == sa.bindparam("p_key"))
_GET = sa.select(keys).where(*_THIS)
_GET_LOCKED = _GET.with_for_update()


class SqlIdempotencyRecords:
    def __init__(self, conn: sa.Connection) -> None:
        self._conn = conn

    def get(self, scope: str, key: str, *, for_update: bool = False) -> IdempotencyRecord | None:
        query = _GET_LOCKED if for_update else _GET
        row = self._conn.execute(query, {"p_scope": scope, "p_key": key}).mappings().first()
        if row is None:
            return None
        answer = None
        if row["status"] is not None:
            answer = StoredAnswer(row["status"], dict(row["headers"] or {}), row["body"] or "")
        return IdempotencyRecord(row["fingerprint"], row["locked_until"], row["expires_at"], answer)

    def claim(
        self,
        scope: str,
        key: str,
        fingerprint: str,
        now: datetime,
        locked_until: datetime,
        expires_at: datetime,
    ) -> None:
        values = {
            "scope": scope,
            "key": key,
            "fingerprint": fingerprint,
            "created_at": now,
            "locked_until": locked_until,
            "expires_at": expires_at,
        }
        try:
            # A savepoint, so that losing the race leaves the transaction usable (PostgreSQL
            # aborts the whole transaction on a failed statement otherwise).
            with self._conn.begin_nested():
                self._conn.execute(sa.insert(keys).values(**values))
        except IntegrityError:
            raise IdempotencyKeyTaken from None

    def relock(self, scope: str, key: str, locked_until: datetime) -> None:
        self._update(scope, key, locked_until=locked_until)

    def answer(self, scope: str, key: str, answer: StoredAnswer) -> None:
        self._update(scope, key, status=answer.status, headers=answer.headers, body=answer.body)

    def forget(self, scope: str, key: str) -> None:
        self._conn.execute(sa.delete(keys).where(keys.c.scope == scope, keys.c.key == key))

    def purge(self, now: datetime) -> int:
        return self._conn.execute(sa.delete(keys).where(keys.c.expires_at <= now)).rowcount

    def _update(self, scope: str, key: str, **values: Any) -> None:
        self._conn.execute(
            sa.update(keys).where(keys.c.scope == scope, keys.c.key == key).values(**values)
        )
