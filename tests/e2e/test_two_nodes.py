"""Two app nodes on one PostgreSQL database: updates through both still never mix or get lost."""

import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import fresh_pg_database
from tests.e2e.conftest import Server, start_server, stop_server
from tests.e2e.test_winpay_server import Client, seed_body

pytestmark = pytest.mark.postgres


@pytest.fixture
def pg_url(pg_admin_url: str) -> Iterator[str]:
    yield from fresh_pg_database(pg_admin_url)


def test_updates_through_two_nodes_serialise_on_the_database(pg_url: str, tmp_path: Path) -> None:
    # Both nodes share the data folder, hence the secret key that opens stored secrets.
    first = start_server(pg_url, tmp_path / "data")
    second = start_server(pg_url, tmp_path / "data")
    try:
        merchant = first.create_merchant()
        nodes = [Client(first, merchant), Client(second, merchant)]
        created = nodes[0].call("POST", "/api/create", {**seed_body(), "interval": 60})
        invoice_id = created.json()["responseData"]["id"]
        answers: dict[int, dict[str, Any]] = {}

        def update(n: int) -> None:
            answer = nodes[n % 2].call("PUT", f"/api/update/{invoice_id}", seed_body(n))
            if answer.status_code == 200:
                answers[n] = answer.json()["responseData"]

        threads = [threading.Thread(target=update, args=(n,)) for n in range(1, 41)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

        assert sorted(answers) == list(range(1, 41))
        for n, data in answers.items():
            assert (data["ref"], data["products"][0]["qty"]) == (f"111130-{n}", n)
        shown = json.loads(second.cli("invoice", "show", invoice_id).stdout)
        assert [r["version"] for r in shown["revisions"]] == list(range(1, 42))
        assert shown["invoice"] == shown["revisions"][-1]["after"]
        final = nodes[1].call("GET", f"/api/find/{invoice_id}").json()["responseData"]
        assert final["ref"] == shown["invoice"]["reference"]
    finally:
        _stop(first, second)


def _stop(*servers: Server) -> None:
    for server in servers:
        stop_server(server)
