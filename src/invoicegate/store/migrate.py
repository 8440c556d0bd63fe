"""Bring a database to the latest schema with Alembic, on SQLite and PostgreSQL alike."""

from pathlib import Path

from alembic import command
from alembic.config import Config

from invoicegate.store.database import normalise_url

MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config(database_url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    url = normalise_url(database_url).render_as_string(hide_password=False)
    # Alembic's options go through ConfigParser's interpolation: a URL's %-escapes (a
    # password's special characters, a Unix socket's host=%2Fvar%2Frun%2Fpostgresql) are
    # written doubled, or they are refused as "invalid interpolation syntax".
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(database_url: str) -> None:
    command.upgrade(alembic_config(database_url), "head")
