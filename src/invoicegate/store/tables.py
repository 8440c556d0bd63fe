"""The schema, as SQLAlchemy Core tables kept apart from the domain classes."""

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Dialect

metadata = sa.MetaData()

# SQLite only auto-increments an INTEGER PRIMARY KEY; PostgreSQL gets a 64-bit identity.
BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


# The last datetime bound on SQLite and its text. An update binds the same instant twice (the
# invoice's updated_at, its revision's at), and formatting is most of a bind's cost; a
# datetime is immutable, so the same object always has the same text.
_last_bound: tuple[datetime | None, str] = (None, "")


class UtcDateTime(sa.TypeDecorator[datetime]):
    """Aware UTC datetimes in, aware UTC datetimes out, on every backend (stored naive UTC)."""

    impl = sa.DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC)  # type: ignore[no-any-return]

    # On SQLite each value went through two processors (ours, then SQLAlchemy's DATETIME
    # formatting it with `%` and a dict of seven fields), ~4x the time of one function
    # writing exactly SQLAlchemy's SQLite storage format, "YYYY-MM-DD HH:MM:SS.ffffff".
    # Read back, SQLAlchemy parses that with datetime.fromisoformat and then ours replaces
    # the tzinfo: one parse of the text with its UTC offset does both. `replace()` takes
    # keywords, which costs more than the parse (tests/integration/test_hot_statements.py
    # pins both functions to SQLAlchemy's results).

    def bind_processor(self, dialect: Dialect) -> Any:
        if dialect.name != "sqlite":
            return super().bind_processor(dialect)

        def process(value: datetime | None) -> str | None:
            global _last_bound
            if value is None:
                return None
            last, text = _last_bound
            if value is last:
                return text
            if value.tzinfo is UTC:  # every instant the clock gives: written field by field,
                # ~2 µs less than `isoformat` in the service (decision 0034)
                text = "%04d-%02d-%02d %02d:%02d:%02d.%06d" % (  # noqa: UP031
                    value.year, value.month, value.day,
                    value.hour, value.minute, value.second, value.microsecond,
                )  # fmt: skip
            elif value.tzinfo is None:
                raise ValueError("naive datetime given to a UTC column")
            else:  # a UTC datetime's text ends in "+00:00": cut off, it is the naive UTC text
                text = value.astimezone(UTC).isoformat(" ", "microseconds")[:-6]
            _last_bound = (value, text)  # one tuple: threads see a value with its own text
            return text

        return process

    def result_processor(self, dialect: Dialect, coltype: Any) -> Any:
        if dialect.name != "sqlite":
            return super().result_processor(dialect, coltype)

        def process(value: str | None) -> datetime | None:
            if value is None:
                return None
            return datetime.fromisoformat(value + "+00:00")

        return process


merchants = sa.Table(
    "merchants",
    metadata,
    sa.Column("id", sa.String(36), primary_key=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("created_at", UtcDateTime(), nullable=False),
)

credentials = sa.Table(
    "credentials",
    metadata,
    sa.Column("id", sa.String(36), primary_key=True),
    sa.Column("merchant_id", sa.String(36), sa.ForeignKey("merchants.id"), nullable=False),
    sa.Column("dialect", sa.String(20), nullable=False),
    sa.Column("public_id", sa.String(100), nullable=False),
    sa.Column("secret_encrypted", sa.Text()),  # for dialects that sign with the secret
    sa.Column("secret_hash", sa.String(128)),  # for dialects that only present a key
    sa.Column("display_name", sa.String(200), nullable=False),
    sa.Column("callback_url", sa.Text()),
    sa.Column("created_at", UtcDateTime(), nullable=False),
    sa.Column("revoked_at", UtcDateTime()),  # a revoked credential authenticates nothing
    sa.UniqueConstraint("dialect", "public_id", name="uq_credentials_dialect_public_id"),
    sa.Index("ix_credentials_merchant", "merchant_id"),
)

invoices = sa.Table(
    "invoices",
    metadata,
    sa.Column("id", sa.String(36), primary_key=True),
    sa.Column("merchant_id", sa.String(36), sa.ForeignKey("merchants.id"), nullable=False),
    sa.Column("credential_id", sa.String(36)),
    sa.Column("checkout_slug", sa.String(32), nullable=False, unique=True),
    sa.Column("reference", sa.String(128), nullable=False),
    sa.Column("customer_name", sa.String(255), nullable=False),
    sa.Column("customer_email", sa.String(255), nullable=False),
    sa.Column("customer_phone", sa.String(32), nullable=False),
    sa.Column("items", sa.JSON(), nullable=False),
    sa.Column("currency", sa.String(3), nullable=False),
    sa.Column("total", sa.BigInteger(), nullable=False),  # minor units, kept for listing/filters
    sa.Column("back_url", sa.Text()),
    sa.Column("expires_at", UtcDateTime()),
    sa.Column("due_date", sa.Date()),
    sa.Column("callback_url", sa.Text()),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("version", sa.Integer(), nullable=False),
    sa.Column("payment", sa.JSON()),
    sa.Column("created_at", UtcDateTime(), nullable=False),
    sa.Column("updated_at", UtcDateTime(), nullable=False),
    # The expires_at whose passing was announced (invoice.expired): an expiry moved later
    # is a new one, announced again when it passes (decision 0019).
    sa.Column("expiry_announced_for", UtcDateTime()),
    # A reference is unique among a merchant's live invoices; cancelled ones free it again.
    sa.Index(
        "uq_invoices_live_reference",
        "merchant_id",
        "reference",
        unique=True,
        sqlite_where=sa.text("status != 'cancelled'"),
        postgresql_where=sa.text("status != 'cancelled'"),
    ),
    sa.Index("ix_invoices_merchant_created", "merchant_id", "created_at"),
    # PostgreSQL: room on each heap page for an update's new row version, so an update that
    # changes no indexed column stays on its page (HOT: no index entry; decision 0030).
    postgresql_with={"fillfactor": 90},
)

# Unpaid invoices whose current expiry was not announced yet: what the expiry sweep reads
# every second (decision 0019). Partial, so the invoices that expired and were announced
# long ago — most, in time — are not in it; the status is a literal, not a parameter, so
# SQLite's planner can match a query's WHERE to it.
EXPIRY_UNANNOUNCED = sa.and_(
    invoices.c.status == sa.literal_column("'unpaid'"),
    invoices.c.expires_at.is_not(None),
    sa.or_(
        invoices.c.expiry_announced_for.is_(None),
        invoices.c.expiry_announced_for != invoices.c.expires_at,
    ),
)
sa.Index(
    "ix_invoices_unannounced_expiry",
    invoices.c.expires_at,
    sqlite_where=EXPIRY_UNANNOUNCED,
    postgresql_where=EXPIRY_UNANNOUNCED,
)

invoice_revisions = sa.Table(
    "invoice_revisions",
    metadata,
    sa.Column("id", BigId, primary_key=True, autoincrement=True),
    sa.Column("invoice_id", sa.String(36), sa.ForeignKey("invoices.id"), nullable=False),
    sa.Column("version", sa.Integer(), nullable=False),
    sa.Column("action", sa.String(20), nullable=False),
    sa.Column("actor", sa.String(100), nullable=False),
    sa.Column("dialect", sa.String(20), nullable=False),
    sa.Column("at", UtcDateTime(), nullable=False),
    # Only the state after the change is stored: the state before is the previous
    # revision's, so the repository derives it when reading.
    sa.Column("after", sa.JSON(), nullable=False),
    sa.Column("changed", sa.JSON(), nullable=False),
    sa.UniqueConstraint("invoice_id", "version", name="uq_revisions_invoice_version"),
)

# The outbox: one row per message to one destination, written in the transaction of the
# change it reports, then leased by a worker while it delivers (services/events.py).
callback_jobs = sa.Table(
    "callback_jobs",
    metadata,
    sa.Column("id", BigId, primary_key=True, autoincrement=True),
    sa.Column("topic", sa.String(50), nullable=False),
    sa.Column("invoice_id", sa.String(36), nullable=False),
    sa.Column("merchant_id", sa.String(36), nullable=False),
    sa.Column("dialect", sa.String(20), nullable=False),
    sa.Column("destination_id", sa.String(36)),
    sa.Column("url", sa.Text(), nullable=False),
    sa.Column("body", sa.Text(), nullable=False),
    sa.Column("state", sa.String(16), nullable=False),
    sa.Column("attempts", sa.Integer(), nullable=False),
    sa.Column("next_attempt_at", UtcDateTime(), nullable=False),
    sa.Column("lease_token", sa.String(32)),
    sa.Column("lease_until", UtcDateTime()),
    sa.Column("created_at", UtcDateTime(), nullable=False),
    sa.Column("delivered_at", UtcDateTime()),
    sa.Index("ix_callback_jobs_due", "state", "next_attempt_at"),
    sa.Index("ix_callback_jobs_invoice", "invoice_id"),
    sa.Index("ix_callback_jobs_destination", "destination_id", "id"),
)

# The delivery log: every attempt, written when it starts (so one cut off by a dying
# worker still shows) and completed with its result.
callback_attempts = sa.Table(
    "callback_attempts",
    metadata,
    sa.Column("id", BigId, primary_key=True, autoincrement=True),
    sa.Column("job_id", BigId, sa.ForeignKey("callback_jobs.id"), nullable=False),
    sa.Column("lease_token", sa.String(32), nullable=False),
    sa.Column("started_at", UtcDateTime(), nullable=False),
    sa.Column("url", sa.Text(), nullable=False),
    sa.Column("finished_at", UtcDateTime()),
    sa.Column("status", sa.Integer()),
    sa.Column("answer", sa.Text()),
    sa.Column("latency_ms", sa.Float()),
    sa.Column("error", sa.Text()),
    sa.Index("ix_callback_attempts_job", "job_id", "lease_token"),
)

# Idempotency keys of the native API: the first answer per (credential, key), kept a day.
idempotency_keys = sa.Table(
    "idempotency_keys",
    metadata,
    sa.Column("scope", sa.String(36), primary_key=True),  # the credential that sent the key
    sa.Column("key", sa.String(255), primary_key=True),
    sa.Column("fingerprint", sa.String(64), nullable=False),
    sa.Column("created_at", UtcDateTime(), nullable=False),
    sa.Column("locked_until", UtcDateTime(), nullable=False),
    sa.Column("expires_at", UtcDateTime(), nullable=False),
    sa.Column("status", sa.Integer()),  # the answer; NULL while the first request runs
    sa.Column("headers", sa.JSON()),
    sa.Column("body", sa.Text()),
    sa.Index("ix_idempotency_keys_expires", "expires_at"),
)

# Webhook endpoints of the native API (decision 0019); the secret is sealed (decision 0004).
webhook_endpoints = sa.Table(
    "webhook_endpoints",
    metadata,
    sa.Column("id", sa.String(36), primary_key=True),
    sa.Column("merchant_id", sa.String(36), sa.ForeignKey("merchants.id"), nullable=False),
    sa.Column("url", sa.Text(), nullable=False),
    sa.Column("events", sa.JSON(), nullable=False),
    sa.Column("description", sa.Text()),
    sa.Column("enabled", sa.Boolean(), nullable=False),
    sa.Column("disabled_reason", sa.Text()),
    sa.Column("secret_encrypted", sa.Text(), nullable=False),
    sa.Column("created_at", UtcDateTime(), nullable=False),
    sa.Column("updated_at", UtcDateTime(), nullable=False),
    sa.Index("ix_webhook_endpoints_merchant", "merchant_id", "created_at"),
)
