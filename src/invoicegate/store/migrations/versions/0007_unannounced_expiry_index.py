"""the expiry sweep reads a partial index of unannounced expiries only (decision 0019)

The index of 0005 held every unpaid invoice with an expiry, so each sweep (every second)
walked all those that expired and were announced long ago.

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

UNANNOUNCED = sa.text(
    "status = 'unpaid' AND expires_at IS NOT NULL AND "
    "(expiry_announced_for IS NULL OR expiry_announced_for != expires_at)"
)


def upgrade() -> None:
    op.drop_index("ix_invoices_status_expiry", table_name="invoices")
    op.create_index(
        "ix_invoices_unannounced_expiry",
        "invoices",
        ["expires_at"],
        sqlite_where=UNANNOUNCED,
        postgresql_where=UNANNOUNCED,
    )


def downgrade() -> None:
    op.drop_index("ix_invoices_unannounced_expiry", table_name="invoices")
    op.create_index("ix_invoices_status_expiry", "invoices", ["status", "expires_at"])
