"""Native webhooks, the Standard Webhooks way: the event envelope, its signature, 2xx and 410.

Every event of an invoice goes to each of its merchant's enabled endpoints subscribed to
that type, as `{"type", "timestamp", "data": <the invoice as GET /v1/invoices/{id} shows
it>}`. Each attempt is signed when sent: `webhook-id` (the same on every retry of one
message), `webhook-timestamp` (unix seconds) and `webhook-signature` = `v1,` + base64 of
HMAC-SHA256 over `{id}.{timestamp}.{body}`, keyed with the base64-decoded part of the
endpoint's `whsec_` secret (https://www.standardwebhooks.com/, decision 0019). Any 2xx
acknowledges; 410 Gone disables the endpoint; anything else is retried with the back-off.
"""

import base64
import hashlib
import hmac
from datetime import UTC, datetime

import orjson

from invoicegate.dialects.native.translate import invoice_out
from invoicegate.domain.callbacks import CallbackJob, NewCallbackJob
from invoicegate.domain.events import EVENT_TYPES, InvoiceEvent
from invoicegate.domain.merchant import Credential
from invoicegate.domain.webhooks import SECRET_PREFIX
from invoicegate.services.merchants import NATIVE
from invoicegate.services.ports import UnitOfWork
from invoicegate.services.webhooks import disable

GONE = 410
GONE_REASON = "the endpoint answered 410 Gone"


def message_id(job: CallbackJob) -> str:
    """Stable across retries and redeliveries of one message, unique across databases."""
    return f"msg_{int(job.created_at.timestamp())}_{job.id}"


def sign(secret: str, message_id: str, timestamp: str, body: str) -> str:
    """The `webhook-signature` header's value for one attempt."""
    key = base64.b64decode(secret.removeprefix(SECRET_PREFIX))
    signed = f"{message_id}.{timestamp}.{body}".encode()
    digest = hmac.new(key, signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def envelope(event: InvoiceEvent, public_url: str) -> str:
    data = invoice_out(event.invoice, public_url, event.at).model_dump(mode="json")
    # UTC with `Z`, as the invoice's own instants are written by the API.
    timestamp = event.at.astimezone(UTC).isoformat().replace("+00:00", "Z")
    body = {"type": event.name, "timestamp": timestamp, "data": data}
    return orjson.dumps(body).decode()


class NativeWebhooks:
    dialect = NATIVE
    topics = frozenset(EVENT_TYPES)
    needs_origin = False  # it goes to the merchant's endpoints, whoever made the change
    max_retries = 10  # as many as the default schedule has (decision 0016)
    requires_key = True  # an unsigned webhook would be refused: deleted means not sent

    def __init__(self, public_url: str) -> None:
        self._public_url = public_url

    def jobs_for(
        self, event: InvoiceEvent, origin: Credential | None, uow: UnitOfWork
    ) -> list[NewCallbackJob]:
        endpoints = uow.webhooks.subscribed(event.invoice.merchant_id, event.name)
        if not endpoints:
            return []
        body = envelope(event, self._public_url)  # one text for every endpoint
        return [NewCallbackJob.reporting(event, NATIVE, e.id, e.url, body) for e in endpoints]

    def signing_key(self, job: CallbackJob, uow: UnitOfWork) -> str | None:
        """The endpoint's secret, unless it was deleted or disabled since the job was made."""
        endpoint = uow.webhooks.get(job.destination_id) if job.destination_id else None
        return endpoint.secret if endpoint is not None and endpoint.enabled else None

    def headers(self, job: CallbackJob, key: str | None, now: datetime) -> dict[str, str]:
        if key is None:  # never sent so (requires_key); nothing to sign with
            return {}
        msg_id, timestamp = message_id(job), str(int(now.timestamp()))
        return {
            "webhook-id": msg_id,
            "webhook-timestamp": timestamp,
            "webhook-signature": sign(key, msg_id, timestamp, job.body),
        }

    def acknowledged(self, status: int, answer: bytes) -> bool:
        return 200 <= status < 300

    def gone(self, status: int | None) -> bool:
        return status == GONE

    def destination_gone(self, job: CallbackJob, uow: UnitOfWork, at: datetime) -> None:
        """410: the endpoint is disabled; its later events make no jobs, queued ones fail."""
        endpoint = uow.webhooks.get(job.destination_id) if job.destination_id else None
        if endpoint is not None and endpoint.enabled:
            uow.webhooks.save(disable(endpoint, GONE_REASON, at))
