"""The CLI's `--callback-url` goes through the service's one URL rule (issue 6, defect 3)."""

from pathlib import Path

import pytest
import sqlalchemy as sa

from invoicegate import cli
from invoicegate.settings import Settings
from invoicegate.store.database import create_engine
from invoicegate.store.tables import credentials


@pytest.fixture
def env(settings: Settings, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Settings:
    monkeypatch.setenv("INVOICEGATE_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("INVOICEGATE_DATA_DIR", str(tmp_path))
    return settings


def stored_callback_urls(settings: Settings) -> list[str | None]:
    engine = create_engine(settings.database_url)
    try:
        with engine.connect() as conn:
            return list(conn.execute(sa.select(credentials.c.callback_url)).scalars())
    finally:
        engine.dispose()


@pytest.mark.parametrize(
    "url",
    [
        "https://shop.example/cb\x01",
        "https://shop.example/\u202egnp.exe",
        "https://shop example/cb",
        "javascript:alert(1)",
        "https://shop.example/" + "x" * 2048,
    ],
    ids=["control", "bidi", "space", "script", "too long"],
)
def test_a_bad_callback_url_is_refused_and_nothing_is_made(
    env: Settings, url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """Before: stored as given (a control character answered 500 later, on PostgreSQL)."""
    with pytest.raises(SystemExit) as exited:
        cli.main(["merchant", "create", "--name", "Acme", "--callback-url", url])

    assert exited.value.code == 2
    assert "--callback-url" in capsys.readouterr().err
    assert stored_callback_urls(env) == []


def test_a_good_callback_url_is_stored_as_written(
    env: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    url = "https://Shop.Example/callback?merchant=1"
    assert cli.main(["merchant", "create", "--name", "Acme", "--callback-url", url]) == 0
    assert set(stored_callback_urls(env)) - {None} == {url}  # native API keys have none

    with pytest.raises(SystemExit):
        cli.main(
            ["merchant", "add-credential", "x", "--display-name", "B", "--callback-url", "ftp://x"]
        )
