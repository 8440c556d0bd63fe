"""PostgreSQL: invoices' heap pages keep room for HOT updates (fillfactor 90, decision 0030)

An update that changes no indexed column can stay on its page (a HOT update: no new index
entry in any of the table's five indexes) only when the page has room for the new row
version. Pages filled to 100 % by inserts have none, so the first update of each invoice on
them went to another page and wrote into every index. SQLite has no such setting.

The setting applies to pages written from now on: an existing database's full pages get room
as rows move off them, or at once with `VACUUM FULL invoices` (README, PostgreSQL).

Revision ID: 0008
Revises: 0007
"""

from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE invoices SET (fillfactor = 90)")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE invoices RESET (fillfactor)")
