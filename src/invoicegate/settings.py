"""Settings from environment variables, read once by whoever builds the app or runs a command."""

import os
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TypeVar

from cryptography.fernet import Fernet

N = TypeVar("N", int, float)

# Seconds before each retry: 10 s, 1 min, 5 min, 30 min, 2 h, 5 h, 10 h, 14 h, 20 h, 24 h
# (close to Standard Webhooks' schedule). Each dialect uses as many as it retries.
DEFAULT_RETRY_DELAYS: tuple[float, ...] = (
    10, 60, 300, 1800, 7200, 18000, 36000, 50400, 72000, 86400,
)  # fmt: skip


class SettingsError(ValueError):
    """A setting that cannot be used; the message names the variable."""


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
    callback_retry_delays: tuple[float, ...] = DEFAULT_RETRY_DELAYS
    callback_timeout_seconds: float = 10.0
    callback_public_only: bool = False  # refuse loopback and private callback destinations
    callback_lease_seconds: float = 60.0  # a job a dead worker held is due again after this
    callback_concurrency: int = 16  # deliveries in flight per worker
    callback_poll_seconds: float = 1.0  # how often an idle worker looks for due jobs

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
        ).with_callback_settings(env)

    def with_callback_settings(self, env: Mapping[str, str]) -> "Settings":
        timeout = _seconds(env, "INVOICEGATE_CALLBACK_TIMEOUT", 10.0, minimum=0.1)
        lease = _seconds(env, "INVOICEGATE_CALLBACK_LEASE", 60.0, minimum=1.0)
        if lease < timeout + 1:
            raise SettingsError(
                f"INVOICEGATE_CALLBACK_LEASE ({lease:g}) must be at least "
                f"INVOICEGATE_CALLBACK_TIMEOUT + 1 ({timeout + 1:g}): a lease that runs out "
                "mid-delivery lets a second worker send the same callback"
            )
        delays = env.get("INVOICEGATE_CALLBACK_RETRY_DELAYS")
        return replace(
            self,
            callback_retry_delays=DEFAULT_RETRY_DELAYS if delays is None else _delays(delays),
            callback_timeout_seconds=timeout,
            callback_public_only=_flag(env, "INVOICEGATE_CALLBACK_PUBLIC_ONLY"),
            callback_lease_seconds=lease,
            callback_concurrency=_positive(env, "INVOICEGATE_CALLBACK_CONCURRENCY", "16", int),
            callback_poll_seconds=_seconds(env, "INVOICEGATE_CALLBACK_POLL_INTERVAL", 1.0, 0.01),
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
        raise SettingsError(f"{name} must be a number above 0, not {raw!r}")
    return value


def _seconds(env: Mapping[str, str], name: str, default: float, minimum: float) -> float:
    raw = env.get(name)
    if raw is None:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise SettingsError(f"{name} must be a number, got {raw!r}") from None
    if not minimum <= value < float("inf"):
        raise SettingsError(f"{name} must be at least {minimum:g}, got {raw!r}")
    return value


def _delays(raw: str) -> tuple[float, ...]:
    """`10,60,300`: seconds before each retry; an empty value means no retries."""
    delays: list[float] = []
    for part in raw.split(","):
        if not part.strip():
            continue
        try:
            delay = float(part)
        except ValueError:
            delay = -1.0
        if not 0 <= delay < float("inf"):
            raise SettingsError(
                f"INVOICEGATE_CALLBACK_RETRY_DELAYS must be comma-separated seconds, got {raw!r}"
            )
        delays.append(delay)
    return tuple(delays)


def _flag(env: Mapping[str, str], name: str) -> bool:
    raw = env.get(name, "false").strip().lower()
    if raw in ("1", "true", "yes", "on"):
        return True
    if raw in ("0", "false", "no", "off", ""):
        return False
    raise SettingsError(f"{name} must be true or false, got {raw!r}")
