"""callback jobs and their delivery log replace the bare outbox

The first outbox only ever received `invoice.paid` rows with a payment id and no
destination, and nothing delivered them; they cannot become callbacks (the payload is
formatted by each dialect when the payment commits), so they are dropped with the table.

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.drop_index("ix_outbox_pending", table_name="outbox")
    op.drop_table("outbox")
    op.create_table(
        "callback_jobs",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("topic", sa.String(length=50), nullable=False),
        sa.Column("invoice_id", sa.String(length=36), nullable=False),
        sa.Column("merchant_id", sa.String(length=36), nullable=False),
        sa.Column("dialect", sa.String(length=20), nullable=False),
        sa.Column("destination_id", sa.String(length=36), nullable=True),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(), nullable=False),
        sa.Column("lease_token", sa.String(length=32), nullable=True),
        sa.Column("lease_until", sa.DateTime(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("delivered_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_callback_jobs_due", "callback_jobs", ["state", "next_attempt_at"])
    op.create_index("ix_callback_jobs_invoice", "callback_jobs", ["invoice_id"])
    op.create_table(
        "callback_attempts",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("job_id", BigId, nullable=False),
        sa.Column("lease_token", sa.String(length=32), nullable=False),
        sa.Column("started_at", sa.DateTime(), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("finished_at", sa.DateTime(), nullable=True),
        sa.Column("status", sa.Integer(), nullable=True),
        sa.Column("answer", sa.Text(), nullable=True),
        sa.Column("latency_ms", sa.Float(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["job_id"], ["callback_jobs.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_callback_attempts_job", "callback_attempts", ["job_id", "lease_token"])


def downgrade() -> None:
    op.drop_index("ix_callback_attempts_job", table_name="callback_attempts")
    op.drop_table("callback_attempts")
    op.drop_index("ix_callback_jobs_invoice", table_name="callback_jobs")
    op.drop_index("ix_callback_jobs_due", table_name="callback_jobs")
    op.drop_table("callback_jobs")
    op.create_table(
        "outbox",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("topic", sa.String(length=50), nullable=False),
        sa.Column("invoice_id", sa.String(length=36), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(), nullable=False),
        sa.Column("delivered_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_outbox_pending", "outbox", ["delivered_at", "next_attempt_at"])
