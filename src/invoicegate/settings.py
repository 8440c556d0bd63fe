"""Settings from environment variables, read once by whoever builds the app or runs a command."""

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from cryptography.fernet import Fernet

N = TypeVar("N", int, float)


@dataclass(frozen=True, slots=True)
class Settings:
    database_url: str
    public_url: str
    data_dir: Path
    secret_key: str | None = None  # Fernet key sealing stored secrets; else data_dir/secret.key
    timestamp_tolerance_seconds: int = 300  # Winpay signature timestamps; 0 disables the check
    max_body_bytes: int = 1024 * 1024
    log_level: str = "INFO"
    # Connections each process keeps to the database (PostgreSQL; SQLite's readers), and as
    # many worker threads: README "Sizing the PostgreSQL pool" says how to choose it.
    db_pool_size: int = 10
    db_pool_timeout_seconds: float = 10.0  # how long a unit of work waits for a connection
    idempotency_ttl_seconds: int = 24 * 3600  # how long a native Idempotency-Key is kept

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ) -> "Settings":
        data_dir = Path(env.get("INVOICEGATE_DATA_DIR", "data"))
        default_db = f"sqlite:///{data_dir / 'invoicegate.db'}"
        return cls(
            database_url=env.get("INVOICEGATE_DATABASE_URL", default_db),
            public_url=env.get("INVOICEGATE_PUBLIC_URL", "http://127.0.0.1:8000").rstrip("/"),
            data_dir=data_dir,
            secret_key=env.get("INVOICEGATE_SECRET_KEY") or None,
            timestamp_tolerance_seconds=int(env.get("INVOICEGATE_TIMESTAMP_TOLERANCE", "300")),
            max_body_bytes=int(env.get("INVOICEGATE_MAX_BODY_BYTES", str(1024 * 1024))),
            log_level=env.get("INVOICEGATE_LOG_LEVEL", "INFO").upper(),
            db_pool_size=_positive(env, "INVOICEGATE_DB_POOL_SIZE", "10", int),
            db_pool_timeout_seconds=_positive(env, "INVOICEGATE_DB_POOL_TIMEOUT", "10", float),
            idempotency_ttl_seconds=_positive(env, "INVOICEGATE_IDEMPOTENCY_TTL", "86400", int),
        )

    def resolve_secret_key(self) -> str:
        """The configured key, or one generated once into the data folder for local use."""
        if self.secret_key:
            return self.secret_key
        path = self.data_dir / "secret.key"
        if not path.exists():
            self.data_dir.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as handle:
                handle.write(Fernet.generate_key().decode())
        return path.read_text().strip()

    def ensure_data_dir(self) -> None:
        if self.database_url.startswith("sqlite:///"):
            Path(self.database_url.removeprefix("sqlite:///")).parent.mkdir(
                parents=True, exist_ok=True
            )


def _positive(env: Mapping[str, str], name: str, default: str, kind: type[N]) -> N:
    """A number setting that must be above zero, refused at start with its name if not."""
    raw = env.get(name, default)
    try:
        value = kind(raw)
    except ValueError:
        value = kind(0)
    if not value > 0:
        raise ValueError(f"{name} must be a number above 0, not {raw!r}")
    return value
