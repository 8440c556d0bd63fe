"""webhook endpoints of the native API, and callback jobs found by destination

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "webhook_endpoints",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("merchant_id", sa.String(length=36), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("events", sa.JSON(), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("disabled_reason", sa.Text(), nullable=True),
        sa.Column("secret_encrypted", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["merchant_id"], ["merchants.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ix_webhook_endpoints_merchant", "webhook_endpoints", ["merchant_id", "created_at"]
    )
    op.create_index("ix_callback_jobs_destination", "callback_jobs", ["destination_id", "id"])


def downgrade() -> None:
    op.drop_index("ix_callback_jobs_destination", table_name="callback_jobs")
    op.drop_index("ix_webhook_endpoints_merchant", table_name="webhook_endpoints")
    op.drop_table("webhook_endpoints")
