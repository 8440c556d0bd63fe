"""A real `invoicegate serve` process on a free port, driven as a user would: CLI and HTTP."""

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Server:
    url: str
    env: dict[str, str]
    process: subprocess.Popen[str]
    log_path: Path
    merchants: list[dict[str, Any]] = field(default_factory=list)

    def cli(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(BIN / "invoicegate"), *args],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )

    def create_merchant(self, name: str = "Acme") -> dict[str, Any]:
        done = self.cli("merchant", "create", "--name", name, "--json")
        assert done.returncode == 0, done.stderr
        merchant: dict[str, Any] = json.loads(done.stdout)
        return merchant

    def log(self) -> str:
        return self.log_path.read_text()


def start_server(
    database_url: str,
    data_dir: Path,
    *extra: str,
    env: dict[str, str] | None = None,
    port: int | None = None,
) -> Server:
    """`invoicegate serve` on `port` (a free one by default), with `env` added to ours."""
    port = port or free_port()
    url = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "INVOICEGATE_DATABASE_URL": database_url,
        "INVOICEGATE_DATA_DIR": str(data_dir),
        "INVOICEGATE_PUBLIC_URL": url,
        **(env or {}),
    }
    log_path = data_dir / "server.log"
    data_dir.mkdir(parents=True, exist_ok=True)
    with log_path.open("w") as log:
        process = subprocess.Popen(
            [str(BIN / "invoicegate"), "serve", "--port", str(port), *extra],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            text=True,
        )
    server = Server(url, env, process, log_path)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited early:\n{server.log()}")
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                return server
        except httpx.HTTPError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError(f"server did not become healthy:\n{server.log()}")


def stop_server(server: Server) -> None:
    server.process.terminate()
    try:
        server.process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        server.process.kill()


@pytest.fixture
def server(database_url: str, tmp_path: Path) -> Iterator[Server]:
    """A server on SQLite, then on PostgreSQL (serve migrates the empty database itself)."""
    running = start_server(database_url, tmp_path / "data")
    try:
        yield running
    finally:
        stop_server(running)
