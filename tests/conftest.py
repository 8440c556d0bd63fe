"""Shared fixtures: databases (SQLite always, PostgreSQL when reachable), settings, merchants.

PostgreSQL tests run whenever a server answers, and must run when CI=true: there a missing
server fails the run instead of skipping it.
"""

import logging
import os
import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path

import psycopg
import pytest

from invoicegate.settings import Settings
from invoicegate.store.migrate import upgrade


@pytest.fixture(autouse=True)
def _logging_restored() -> Iterator[None]:
    """A test that runs `cli.main` in-process configures logging onto the stderr pytest
    captured for that test; left in place, every later log line fails to write and prints
    a traceback instead, which later tests (the memory one) see as growth."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


PG_ADMIN_URL = os.environ.get("INVOICEGATE_TEST_PG_URL", "postgresql://127.0.0.1:5432/test")


def _pg_reachable() -> str | None:
    try:
        with psycopg.connect(PG_ADMIN_URL, connect_timeout=3):
            return None
    except psycopg.Error as error:
        return f"PostgreSQL not reachable at {PG_ADMIN_URL}: {error}".splitlines()[0]


@pytest.fixture(scope="session")
def pg_admin_url() -> str:
    problem = _pg_reachable()
    if problem:
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI=true requires PostgreSQL: {problem}")
        pytest.skip(problem)
    return PG_ADMIN_URL


def fresh_pg_database(admin_url: str) -> Iterator[str]:
    """A new, empty PostgreSQL database for one test, dropped afterwards."""
    name = f"invoicegate_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    base, _, _ = admin_url.rpartition("/")
    try:
        yield f"{base}/{name}"
    finally:
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """Each test using this runs once on SQLite and once on PostgreSQL."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'invoicegate.db'}"
    else:
        yield from fresh_pg_database(request.getfixturevalue("pg_admin_url"))


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'invoicegate.db'}"


def make_settings(database_url: str, data_dir: Path, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "database_url": database_url,
        "public_url": "http://checkout.test",
        "data_dir": data_dir,
        "secret_key": None,
    }
    values.update(overrides)
    return Settings(**values)  # type: ignore[arg-type]


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    upgrade(database_url)
    return make_settings(database_url, tmp_path)


@pytest.fixture
def sqlite_settings(sqlite_url: str, tmp_path: Path) -> Settings:
    upgrade(sqlite_url)
    return make_settings(sqlite_url, tmp_path)


def winpay_headers(key: str, secret: str, when: datetime | None = None) -> dict[str, str]:
    """The three auth headers a Winpay client sends, signed now (or at `when`)."""
    from invoicegate.dialects.winpay.signature import sign

    # Jakarta time by default, as the docs show; an aware `when` keeps its own offset.
    moment = when or datetime.now(timezone(timedelta(hours=7)))
    timestamp = moment.isoformat(timespec="seconds")
    return {
        "X-Winpay-Key": key,
        "X-Winpay-Timestamp": timestamp,
        "X-Winpay-Signature": sign(secret, timestamp),
        "Content-Type": "application/json",
    }
