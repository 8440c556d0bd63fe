"""The native API on a real server: the If-Match race, and API keys from the command line."""

import json
import threading
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import fresh_pg_database
from tests.e2e.conftest import Server, start_server, stop_server

ROUNDS = 10


def create(server: Server, api_key: str, reference: str) -> dict[str, Any]:
    answer = httpx.post(
        f"{server.url}/v1/invoices",
        headers={"Authorization": f"Bearer {api_key}"},
        json={
            "reference": reference,
            "customer": {"name": "Delina"},
            "items": [{"name": "Kopi", "quantity": 1, "unit_price": 15000}],
            "currency": "IDR",
        },
    )
    assert answer.status_code == 201, answer.text
    created: dict[str, Any] = answer.json()
    return created


def race(clients: list[httpx.Client], url: str, etag: str, bodies: list[Any]) -> list[int]:
    """Each client PATCHes with the same If-Match at the same moment; their statuses."""
    start = threading.Barrier(len(clients))
    statuses = [0] * len(clients)

    def patch(n: int) -> None:
        start.wait()
        answer = clients[n].patch(url, headers={"If-Match": etag}, json=bodies[n])
        statuses[n] = answer.status_code

    threads = [threading.Thread(target=patch, args=(n,)) for n in range(len(clients))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return statuses


def test_two_clients_patching_with_one_etag_give_one_200_and_one_412(server: Server) -> None:
    api_key = server.create_merchant()["native"]["api_key"]
    invoice = create(server, api_key, "RACE-1")
    url = f"{server.url}/v1/invoices/{invoice['id']}"
    clients = [
        httpx.Client(headers={"Authorization": f"Bearer {api_key}"}, timeout=30) for _ in range(2)
    ]
    try:
        for round_ in range(ROUNDS):
            etag = clients[0].get(url).headers["etag"]
            statuses = race(clients, url, etag, [{"reference": f"R{round_}-c{n}"} for n in (0, 1)])
            assert sorted(statuses) == [200, 412], (round_, statuses)

        history = clients[0].get(f"{url}/revisions").json()["data"]
    finally:
        for client in clients:
            client.close()

    # One change per round: the loser changed nothing, and no round lost its winner.
    assert [r["version"] for r in history] == list(range(1, ROUNDS + 2))
    for round_, revision in enumerate(history[1:]):
        [change] = revision["changes"]
        assert change["pointer"] == "/reference"
        assert change["after"].startswith(f"R{round_}-c")


def test_api_keys_from_the_command_line(server: Server) -> None:
    merchant = server.create_merchant()
    first = merchant["native"]["api_key"]
    assert first.startswith("igk_live_")

    made = server.cli("apikey", "create", merchant["merchant_id"], "--name", "ci runner")
    assert made.returncode == 0, made.stderr
    second = json.loads(made.stdout)
    assert second["api_key"].startswith("igk_live_") and second["name"] == "ci runner"

    listed = server.cli("apikey", "list", merchant["merchant_id"])
    keys = json.loads(listed.stdout)
    assert {k["key_id"] for k in keys} == {merchant["native"]["key_id"], second["key_id"]}
    assert first not in listed.stdout and second["api_key"] not in listed.stdout

    create(server, second["api_key"], "BY-SECOND")
    revoked = server.cli("apikey", "revoke", second["key_id"])
    assert revoked.returncode == 0 and json.loads(revoked.stdout)["revoked_at"]
    unknown = server.cli("apikey", "revoke", "00000000-0000-0000-0000-000000000000")
    assert unknown.returncode == 1 and "CredentialNotFound" in unknown.stderr

    listed_after = json.loads(server.cli("apikey", "list", merchant["merchant_id"]).stdout)
    assert {k["key_id"]: k["revoked_at"] is not None for k in listed_after} == {
        merchant["native"]["key_id"]: False,
        second["key_id"]: True,
    }


@pytest.mark.postgres
def test_idempotency_keys_hold_across_two_nodes(pg_admin_url: str, tmp_path: Path) -> None:
    """One key, sent to two app nodes on one PostgreSQL at once: one invoice, one answer."""
    database = fresh_pg_database(pg_admin_url)
    url = next(database)
    nodes = [start_server(url, tmp_path / "data"), start_server(url, tmp_path / "data")]
    try:
        api_key = nodes[0].create_merchant()["native"]["api_key"]
        body = {
            "reference": "TWO-NODES",
            "customer": {"name": "Delina"},
            "items": [{"name": "Kopi", "quantity": 1, "unit_price": 15000}],
            "currency": "IDR",
        }
        answers: list[httpx.Response] = [None] * 12  # type: ignore[list-item]
        start = threading.Barrier(len(answers))

        def send(n: int) -> None:
            headers = {"Authorization": f"Bearer {api_key}", "Idempotency-Key": '"k-1"'}
            start.wait()
            answers[n] = httpx.post(
                f"{nodes[n % 2].url}/v1/invoices", json=body, headers=headers, timeout=30
            )

        threads = [threading.Thread(target=send, args=(n,)) for n in range(len(answers))]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

        fresh = [
            a for a in answers if a.status_code == 201 and "idempotent-replayed" not in a.headers
        ]
        replayed = [a for a in answers if a.headers.get("idempotent-replayed") == "true"]
        busy = [a for a in answers if a.status_code == 409]
        assert len(fresh) == 1, [a.status_code for a in answers]
        assert len(fresh) + len(replayed) + len(busy) == len(answers)
        assert all(a.content == fresh[0].content for a in replayed)
        late = httpx.post(
            f"{nodes[1].url}/v1/invoices",
            json=body,
            headers={"Authorization": f"Bearer {api_key}", "Idempotency-Key": '"k-1"'},
        )
        assert late.content == fresh[0].content
        listed = httpx.get(
            f"{nodes[0].url}/v1/invoices", headers={"Authorization": f"Bearer {api_key}"}
        ).json()
        assert len(listed["data"]) == 1
    finally:
        for node in nodes:
            stop_server(node)
        next(database, None)
