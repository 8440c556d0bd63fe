"""Every query on webhook endpoints; their secrets are sealed with the service's key."""

from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa

from invoicegate.domain.webhooks import WebhookEndpoint
from invoicegate.store.secrets import SecretBox
from invoicegate.store.statements import HotStatement, HotStatements
from invoicegate.store.tables import webhook_endpoints

_c = webhook_endpoints.c
# Run by every change's events (dialects/native/webhooks.py), so a hot statement (decision
# 0010): built per call, it was ~5 % of a PostgreSQL update's samples (decision 0022).
_SUBSCRIBED = (
    sa.select(webhook_endpoints)
    .where(_c.merchant_id == sa.bindparam("p_merchant"), _c.enabled.is_(True))
    .order_by(_c.created_at, _c.id)
)
_HOT = HotStatements(lambda dialect: {"subscribed": HotStatement(_SUBSCRIBED, dialect)})


class SqlWebhookEndpoints:
    def __init__(
        self, conn: sa.Connection, box: SecretBox, without_endpoints: set[str] | None = None
    ) -> None:
        self._conn = conn
        self._box = box
        # Merchants this unit of work has already seen to have no enabled endpoint, read with
        # the invoice it locked (repository.SqlInvoiceRepository.get): their events need no
        # lookup, one round trip fewer per change on PostgreSQL (decision 0029). Forgotten
        # when this unit of work changes an endpoint itself.
        self._without_endpoints = without_endpoints if without_endpoints is not None else set()

    def add(self, endpoint: WebhookEndpoint) -> None:
        values = _changeable(endpoint)
        values.update(
            id=endpoint.id,
            merchant_id=endpoint.merchant_id,
            secret_encrypted=self._box.seal(endpoint.secret),
            created_at=endpoint.created_at,
        )
        self._without_endpoints.clear()
        self._conn.execute(sa.insert(webhook_endpoints).values(**values))

    def get(self, endpoint_id: str) -> WebhookEndpoint | None:
        row = self._conn.execute(sa.select(webhook_endpoints).where(_c.id == endpoint_id))
        found = row.mappings().first()
        return self._endpoint(found) if found else None

    def of_merchant(self, merchant_id: str) -> list[WebhookEndpoint]:
        rows = self._conn.execute(
            sa.select(webhook_endpoints)
            .where(_c.merchant_id == merchant_id)
            .order_by(_c.created_at, _c.id)
        ).mappings()
        return [self._endpoint(row) for row in rows]

    def subscribed(self, merchant_id: str, event_type: str) -> list[WebhookEndpoint]:
        # Few endpoints per merchant (MAX_ENDPOINTS): the event filter runs here, not in SQL,
        # where JSON membership is spelt differently by SQLite and PostgreSQL.
        if merchant_id in self._without_endpoints:
            return []
        hot = _HOT.of(self._conn.dialect)["subscribed"]
        rows = hot.run(self._conn, {"p_merchant": merchant_id}).fetchall()
        endpoints = (self._endpoint(hot.row(row) or {}) for row in rows)
        return [e for e in endpoints if e.hears(event_type)]

    def save(self, endpoint: WebhookEndpoint) -> None:
        self._without_endpoints.clear()
        self._conn.execute(
            sa.update(webhook_endpoints).where(_c.id == endpoint.id).values(**_changeable(endpoint))
        )

    def delete(self, endpoint_id: str) -> None:
        self._without_endpoints.clear()
        self._conn.execute(sa.delete(webhook_endpoints).where(_c.id == endpoint_id))

    def _endpoint(self, row: Mapping[Any, Any]) -> WebhookEndpoint:
        return WebhookEndpoint(
            id=row["id"],
            merchant_id=row["merchant_id"],
            url=row["url"],
            events=tuple(row["events"]),
            description=row["description"],
            enabled=bool(row["enabled"]),
            secret=self._box.open(row["secret_encrypted"]),
            created_at=row["created_at"],
            updated_at=row["updated_at"],
            disabled_reason=row["disabled_reason"],
        )


def _changeable(endpoint: WebhookEndpoint) -> dict[str, Any]:
    return {
        "url": endpoint.url,
        "events": list(endpoint.events),
        "description": endpoint.description,
        "enabled": endpoint.enabled,
        "disabled_reason": endpoint.disabled_reason,
        "updated_at": endpoint.updated_at,
    }
