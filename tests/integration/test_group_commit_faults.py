"""The SQLite group-commit writer's failure paths, with the faults injected under it.

A failed COMMIT or BEGIN, a caller that stops waiting, a batch larger than one commit
takes, and a shutdown with work still waiting: every caller is answered (never left
hanging), nothing answered as saved is lost, and the writer goes on working afterwards.
"""

import asyncio
from collections.abc import AsyncIterator, Awaitable
from datetime import UTC, datetime
from typing import Any, TypeVar

import pytest
from starlette.testclient import TestClient

from invoicegate.app import create_app
from invoicegate.domain.merchant import Merchant
from invoicegate.services.ports import InvoiceQuery, StoreUnavailable, UnitOfWork
from invoicegate.settings import Settings
from invoicegate.store.secrets import SecretBox
from invoicegate.store.sqlite_writer import MAX_BATCH, SLICE, GroupCommitTransactor
from tests.conftest import winpay_headers
from tests.dialects.native.conftest import create_body, paylink_body
from tests.dialects.paylink_v2.conftest import add_body
from tests.integration.faults import WriterFaults, faulty_writer

pytestmark = pytest.mark.anyio
T = TypeVar("T")
NOW = datetime(2025, 1, 1, tzinfo=UTC)


@pytest.fixture
async def writer(
    sqlite_settings: Settings,
) -> AsyncIterator[tuple[GroupCommitTransactor, WriterFaults]]:
    box = SecretBox(sqlite_settings.resolve_secret_key())
    transactor, faults = faulty_writer(sqlite_settings.database_url, box)
    try:
        yield transactor, faults
    finally:
        faults.commit_gate.set()
        await transactor.aclose()


def add_merchant(name: str) -> Any:
    return lambda uow: uow.merchants.add_merchant(Merchant(name, name, NOW))


async def stored(transactor: GroupCommitTransactor, *names: str) -> list[str]:
    """Which of these merchants the database holds, as any later reader sees it."""

    def present(uow: UnitOfWork) -> list[str]:
        return [name for name in names if uow.merchants.get_merchant(name) is not None]

    return await transactor.read(present)


async def answered(call: Awaitable[T]) -> T:
    """The answer, which must come: a caller left hanging fails the test instead."""
    return await asyncio.wait_for(call, timeout=20)


async def until(condition: Any) -> None:
    for _ in range(2000):
        if condition():
            return
        await asyncio.sleep(0.005)
    raise AssertionError("condition never held")


async def test_a_failed_commit_fails_its_callers_and_the_writer_recovers(writer: Any) -> None:
    transactor, faults = writer
    await transactor.write(add_merchant("before"))
    faults.fail_commits = True
    outcomes = await answered(
        asyncio.gather(
            *(transactor.write(add_merchant(f"lost-{n}")) for n in range(3)),
            return_exceptions=True,
        )
    )
    assert all(isinstance(outcome, StoreUnavailable) for outcome in outcomes), outcomes
    assert "commit failed" in (transactor.failure or "")
    assert await stored(transactor, "lost-0", "lost-1", "lost-2") == []

    faults.fail_commits = False
    await answered(transactor.write(add_merchant("after")))
    assert transactor.failure is None
    assert await stored(transactor, "before", "after") == ["before", "after"]


async def test_a_failed_begin_fails_its_callers_and_the_writer_recovers(writer: Any) -> None:
    transactor, faults = writer
    await transactor.write(add_merchant("before"))
    faults.fail_begins = True
    with pytest.raises(StoreUnavailable, match="begin failed"):
        await answered(transactor.write(add_merchant("lost")))
    faults.fail_begins = False
    await answered(transactor.write(add_merchant("after")))
    assert await stored(transactor, "before", "lost", "after") == ["before", "after"]


async def test_health_tells_a_failing_writer_until_it_commits_again(writer: Any) -> None:
    transactor, faults = writer
    assert await transactor.health() == {}
    faults.fail_commits = True
    with pytest.raises(StoreUnavailable):
        await answered(transactor.write(add_merchant("lost")))
    problems = await answered(transactor.health())  # tries once more: still failing
    assert problems == {"writer": "commit failed (OperationalError); the next write retries"}
    faults.fail_commits = False
    assert await answered(transactor.health()) == {}  # its probe committed: recovered


async def test_a_caller_that_leaves_before_its_batch_starts_changes_nothing(writer: Any) -> None:
    transactor, faults = writer
    faults.commit_gate.clear()
    first = asyncio.ensure_future(transactor.write(add_merchant("first")))
    await until(faults.committing.is_set)  # the first batch is committing; the rest wait
    waiting = {
        name: asyncio.ensure_future(transactor.write(add_merchant(name)))
        for name in ("stays-1", "leaves", "stays-2")
    }
    await asyncio.sleep(0.01)
    waiting["leaves"].cancel()
    faults.commit_gate.set()

    await answered(first)
    await answered(asyncio.gather(waiting["stays-1"], waiting["stays-2"]))
    assert waiting["leaves"].cancelled()
    names = ("first", "stays-1", "leaves", "stays-2")
    assert await stored(transactor, *names) == ["first", "stays-1", "stays-2"]
    await answered(transactor.write(add_merchant("later")))  # nothing wedged


async def test_a_caller_that_leaves_during_its_commit_is_neither_lost_nor_wedging(
    writer: Any,
) -> None:
    """Its unit of work was already run: the commit goes through for the whole batch."""
    transactor, faults = writer
    faults.commit_gate.clear()
    leaves = asyncio.ensure_future(transactor.write(add_merchant("leaves")))
    stays = asyncio.ensure_future(transactor.write(add_merchant("stays")))
    await until(faults.committing.is_set)
    leaves.cancel()
    faults.commit_gate.set()
    await answered(stays)
    assert leaves.cancelled()
    assert await stored(transactor, "leaves", "stays") == ["leaves", "stays"]
    await answered(transactor.write(add_merchant("later")))


async def test_a_full_batch_commits_in_parts_and_lets_the_loop_run_between_slices(
    writer: Any,
) -> None:
    transactor, faults = writer
    turns = 0

    async def ticker() -> None:
        nonlocal turns
        while True:
            turns += 1
            await asyncio.sleep(0)

    ran_at_turn: list[int] = []

    def unit(name: str) -> Any:
        def work(uow: UnitOfWork) -> None:
            ran_at_turn.append(turns)
            uow.merchants.add_merchant(Merchant(name, name, NOW))

        return work

    count = 2 * MAX_BATCH + 100
    ticking = asyncio.ensure_future(ticker())
    try:
        await answered(asyncio.gather(*(transactor.write(unit(f"m-{n}")) for n in range(count))))
    finally:
        ticking.cancel()
    assert faults.commits == 3  # 512 + 512 + 100
    names = [f"m-{n}" for n in range(count)]
    assert len(await stored(transactor, *names)) == count
    longest_stretch = max(ran_at_turn.count(turn) for turn in set(ran_at_turn))
    assert longest_stretch <= SLICE


async def test_shutdown_commits_what_waits(writer: Any) -> None:
    transactor, _ = writer
    waiting = [asyncio.ensure_future(transactor.write(add_merchant(f"w-{n}"))) for n in range(5)]
    await asyncio.sleep(0)
    await answered(transactor.aclose())
    await answered(asyncio.gather(*waiting))
    with pytest.raises(StoreUnavailable, match="shut down"):
        await transactor.write(add_merchant("too-late"))


async def test_shutdown_that_cannot_wait_answers_every_caller(
    sqlite_settings: Settings,
) -> None:
    """The writer is stuck in a COMMIT past the drain time: that batch still gets its answer
    when the COMMIT ends; the callers still waiting behind it are refused, not run."""
    box = SecretBox(sqlite_settings.resolve_secret_key())
    transactor, faults = faulty_writer(sqlite_settings.database_url, box)
    faults.commit_gate.clear()
    in_commit = asyncio.ensure_future(transactor.write(add_merchant("in-commit")))
    await until(faults.committing.is_set)
    behind = [asyncio.ensure_future(transactor.write(add_merchant(f"b-{n}"))) for n in range(5)]
    await asyncio.sleep(0)

    closing = asyncio.ensure_future(transactor.aclose(drain_seconds=0.05))
    await asyncio.sleep(0.2)
    assert not closing.done()  # it waits for the COMMIT in hand, whatever the drain time
    faults.commit_gate.set()
    await answered(closing)

    await answered(in_commit)
    refused = await answered(asyncio.gather(*behind, return_exceptions=True))
    assert all(isinstance(outcome, StoreUnavailable) for outcome in refused), refused

    reopened, _ = faulty_writer(sqlite_settings.database_url, box)
    try:
        names = ["in-commit", *(f"b-{n}" for n in range(5))]
        assert await stored(reopened, *names) == ["in-commit"]
    finally:
        await reopened.aclose()


def test_healthz_and_requests_over_http_while_commits_fail(sqlite_settings: Settings) -> None:
    """The service says it is degraded while its writer cannot commit, and ok once it can."""
    box = SecretBox(sqlite_settings.resolve_secret_key())
    transactor, faults = faulty_writer(sqlite_settings.database_url, box)
    app = create_app(sqlite_settings, transactor)
    with TestClient(app) as http:
        runtime = app.state.runtime
        onboarded = http.portal.call(runtime.merchants.create_merchant, "Acme")  # type: ignore[union-attr]
        headers = winpay_headers(onboarded.winpay.public_id, onboarded.winpay.secret)
        body = {
            "customer": {"name": "Delina", "phone": "082342341"},
            "invoice": {"ref": "r-1", "products": [{"name": "Kopi", "qty": 1, "price": 1000}]},
            "back_url": "https://merchant.example/back",
            "interval": 60,
        }
        assert http.get("/healthz").json() == {"status": "ok"}

        faults.fail_commits = True
        refused = http.post("/api/create", json=body, headers=headers)
        assert refused.status_code // 100 == 5
        assert set(refused.json()) >= {"responseCode", "responseMessage"}  # Winpay's envelope
        health = http.get("/healthz")
        assert health.status_code == 503
        assert health.json() == {
            "status": "degraded",
            "writer": "commit failed (OperationalError); the next write retries",
        }

        faults.fail_commits = False
        assert http.get("/healthz").status_code == 200
        assert http.post("/api/create", json=body, headers=headers).status_code == 201


def test_every_surface_answers_503_in_its_envelope_while_commits_fail(
    sqlite_settings: Settings,
) -> None:
    """A database that cannot commit is the service's trouble, not the client's and not a
    bug: each API says 503 in its own envelope with Retry-After, and nothing is stored."""
    box = SecretBox(sqlite_settings.resolve_secret_key())
    transactor, faults = faulty_writer(sqlite_settings.database_url, box)
    app = create_app(sqlite_settings, transactor)
    with TestClient(app) as http:
        runtime = app.state.runtime
        onboarded = http.portal.call(runtime.merchants.create_merchant, "Acme")  # type: ignore[union-attr]
        token = http.post(
            "/api/auth",
            json={
                "apiId": onboarded.paylink_v2.credential.public_id,
                "secretKey": onboarded.paylink_v2.secret,
            },
        ).json()["id_token"]
        winpay_body = {
            "customer": {"name": "Delina", "phone": "082342341"},
            "invoice": {"ref": "r-1", "products": [{"name": "Kopi", "qty": 1, "price": 1000}]},
            "back_url": "https://merchant.example/back",
            "interval": 60,
        }
        calls = {
            "winpay": (
                "/api/create",
                winpay_body,
                winpay_headers(onboarded.winpay.public_id, onboarded.winpay.secret),
            ),
            "paylink": (
                f"/api/merchants/{onboarded.merchant.id}/invoices",
                paylink_body("P-1"),
                {"X-API-KEY": onboarded.paylink.secret},
            ),
            "paylink_v2": ("/api/addInvoice", add_body(), {"Authorization": f"Bearer {token}"}),
            "native": (
                "/v1/invoices",
                create_body("N-1"),
                {"Authorization": f"Bearer {onboarded.native.secret}"},
            ),
        }

        faults.fail_commits = True
        answers = {
            name: http.post(path, json=body, headers=headers)
            for name, (path, body, headers) in calls.items()
        }
        faults.fail_commits = False

        for name, answer in answers.items():
            assert answer.status_code == 503, (name, answer.text)
            assert answer.headers["retry-after"] == "1", name
        assert answers["winpay"].json()["responseCode"] == "5030300"
        assert "nothing was saved" in answers["paylink"].json()["message"]
        assert answers["paylink_v2"].json()["title"] == "Service Unavailable"
        assert answers["native"].headers["content-type"] == "application/problem+json"
        assert answers["native"].json()["status"] == 503

        def invoices(uow: UnitOfWork) -> int:
            return len(uow.invoices.list_for_merchant(onboarded.merchant.id, InvoiceQuery())[0])

        assert http.portal.call(transactor.read, invoices) == 0  # type: ignore[union-attr]
