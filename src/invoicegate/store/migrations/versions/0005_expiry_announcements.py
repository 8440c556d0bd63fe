"""invoices remember which expiry was announced (invoice.expired, decision 0019)

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("invoices") as batch:
        batch.add_column(sa.Column("expiry_announced_for", sa.DateTime(), nullable=True))
    op.create_index("ix_invoices_status_expiry", "invoices", ["status", "expires_at"])


def downgrade() -> None:
    op.drop_index("ix_invoices_status_expiry", table_name="invoices")
    with op.batch_alter_table("invoices") as batch:
        batch.drop_column("expiry_announced_for")
