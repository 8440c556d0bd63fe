"""Webhook endpoints of the native API: where a merchant hears of its invoices' events, the
Standard Webhooks way (decision 0019)."""

from dataclasses import dataclass, field
from datetime import datetime

SECRET_PREFIX = "whsec_"  # noqa: S105 (the prefix Standard Webhooks gives secrets, not one)
MAX_ENDPOINTS = 20  # per merchant, as Stripe caps them (16): more is a bug in the caller


@dataclass(frozen=True, slots=True)
class WebhookEndpoint:
    id: str
    merchant_id: str
    url: str
    events: tuple[str, ...]  # the event types it subscribes to (domain/events.py)
    description: str | None
    enabled: bool
    secret: str = field(repr=False)  # `whsec_` + base64 of the key; sealed at rest
    created_at: datetime
    updated_at: datetime
    disabled_reason: str | None = None  # why it was disabled, when the service did it

    def hears(self, event_type: str) -> bool:
        return self.enabled and event_type in self.events
