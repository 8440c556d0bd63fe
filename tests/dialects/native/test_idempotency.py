"""Idempotency-Key on every POST and PATCH: replay, 422 for another body, 409 while running."""

import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from typing import Any, TypeVar

import anyio
import anyio.to_thread
import pytest
from starlette.testclient import TestClient

from invoicegate.app import create_app
from invoicegate.services.ports import Transactor, UnitOfWork
from tests.dialects.native.conftest import NativeClient, create_body

T = TypeVar("T")
PROBLEM = "tag:invoicegate,2026:problem:"


def keyed(key: str, **headers: str) -> dict[str, str]:
    return {"Idempotency-Key": f'"{key}"', **headers}


def count(native: NativeClient) -> int:
    return len(native.call("GET", "/invoices?limit=100").json()["data"])


def test_a_retried_create_replays_the_first_answer(native: NativeClient) -> None:
    first = native.call("POST", "/invoices", create_body(), headers=keyed("order-1"))
    again = native.call("POST", "/invoices", create_body(), headers=keyed("order-1"))

    assert first.status_code == again.status_code == 201
    assert again.content == first.content
    assert again.headers["etag"] == first.headers["etag"]
    assert again.headers["location"] == first.headers["location"]
    assert again.headers["idempotent-replayed"] == "true"
    assert "idempotent-replayed" not in first.headers
    assert count(native) == 1


def test_an_error_is_replayed_too(native: NativeClient) -> None:
    native.create("DUP")
    first = native.call("POST", "/invoices", create_body("DUP"), headers=keyed("k"))
    native.call(
        "POST", f"/invoices/{native.call('GET', '/invoices').json()['data'][0]['id']}/cancel"
    )
    again = native.call("POST", "/invoices", create_body("DUP"), headers=keyed("k"))

    assert first.status_code == again.status_code == 409
    assert again.content == first.content  # although the reference is free by now
    assert count(native) == 1


def test_the_same_key_with_another_body_is_a_422(native: NativeClient) -> None:
    native.call("POST", "/invoices", create_body("A"), headers=keyed("k"))
    other = native.call("POST", "/invoices", create_body("B"), headers=keyed("k"))
    assert other.status_code == 422
    assert other.json()["type"] == PROBLEM + "idempotency-key-reused"
    elsewhere = native.call("POST", "/invoices/x/cancel", headers=keyed("k"))
    assert elsewhere.status_code == 422
    assert count(native) == 1


def test_a_replayed_patch_does_not_apply_twice(native: NativeClient) -> None:
    created = native.create()
    headers = keyed("patch-1", **{"If-Match": '"v1"'})
    body = {"reference": "INV-2"}
    first = native.call("PATCH", f"/invoices/{created['id']}", body, headers=headers)
    again = native.call("PATCH", f"/invoices/{created['id']}", body, headers=headers)

    assert first.status_code == again.status_code == 200  # not a 412 the second time
    assert again.content == first.content
    history = native.call("GET", f"/invoices/{created['id']}/revisions").json()["data"]
    assert len(history) == 2


def test_keys_are_scoped_to_the_api_key(native: NativeClient, other: NativeClient) -> None:
    mine = native.call("POST", "/invoices", create_body("A"), headers=keyed("k"))
    theirs = other.call("POST", "/invoices", create_body("B"), headers=keyed("k"))
    assert mine.status_code == theirs.status_code == 201
    assert mine.json()["id"] != theirs.json()["id"]


@pytest.mark.parametrize("value", ['""', '"' + "k" * 256 + '"', '"tab\there"', "a, b"])
def test_a_bad_key_is_named(native: NativeClient, value: str) -> None:
    answer = native.call("POST", "/invoices", create_body(), headers={"Idempotency-Key": value})
    assert answer.status_code == 400
    assert answer.json()["errors"][0]["header"] == "Idempotency-Key"
    assert count(native) == 0


def test_an_unquoted_key_is_taken_as_is(native: NativeClient) -> None:
    first = native.call("POST", "/invoices", create_body(), headers={"Idempotency-Key": "abc"})
    again = native.call("POST", "/invoices", create_body(), headers={"Idempotency-Key": '"abc"'})
    assert again.content == first.content and count(native) == 1


def test_keys_expire_after_their_time(native: NativeClient) -> None:
    settings = replace(native.runtime.settings, idempotency_ttl_seconds=1)
    with TestClient(create_app(settings)) as node:
        headers = {"Authorization": f"Bearer {native.api_key}", **keyed("k")}
        first = node.post("/v1/invoices", json=create_body("A"), headers=headers)
        time.sleep(1.1)
        fresh = node.post("/v1/invoices", json=create_body("B"), headers=headers)
        assert first.status_code == fresh.status_code == 201
        assert first.json()["id"] != fresh.json()["id"] and count(native) == 2
        purged = anyio.run(node.app.state.runtime.idempotency.purge)  # type: ignore[attr-defined]
        assert purged == 0  # the expired key was replaced by the fresh claim
        time.sleep(1.1)
        assert anyio.run(node.app.state.runtime.idempotency.purge) == 1  # type: ignore[attr-defined]


class GatedWrites:
    """The app's transactor, but each write waits until the test opens the gate."""

    def __init__(self, inner: Transactor) -> None:
        self.inner = inner
        self.entered = threading.Event()
        self.gate = threading.Event()

    async def write(self, work: Callable[[UnitOfWork], T], *, optimistic: bool = False) -> T:
        self.entered.set()
        await anyio.to_thread.run_sync(self.gate.wait)
        return await self.inner.write(work)

    async def read(self, work: Callable[[UnitOfWork], T]) -> T:
        return await self.inner.read(work)

    async def lookup(self, work: Callable[[UnitOfWork], T], *, one_statement: bool = False) -> T:
        return await self.inner.lookup(work, one_statement=one_statement)


@pytest.fixture
def gated(native: NativeClient) -> Iterator[GatedWrites]:
    gate = GatedWrites(native.runtime.transactor)
    native.runtime.transactor = gate  # the invoice writes of requests; keys keep their own
    try:
        yield gate
    finally:
        gate.gate.set()
        native.runtime.transactor = gate.inner


def test_the_same_key_while_the_first_runs_is_a_409(
    native: NativeClient, gated: GatedWrites
) -> None:
    answers: dict[str, Any] = {}

    def first() -> None:
        answers["first"] = native.call("POST", "/invoices", create_body(), headers=keyed("slow"))

    thread = threading.Thread(target=first)
    thread.start()
    assert gated.entered.wait(10)  # the first request is inside its write now

    second = native.call("POST", "/invoices", create_body(), headers=keyed("slow"))
    gated.gate.set()
    thread.join(10)

    assert second.status_code == 409
    assert second.json()["type"] == PROBLEM + "idempotency-request-in-progress"
    assert second.headers["retry-after"]
    assert answers["first"].status_code == 201
    third = native.call("POST", "/invoices", create_body(), headers=keyed("slow"))
    assert third.content == answers["first"].content and count(native) == 1


class FailingWrites(GatedWrites):
    """The app's transactor, but the next write fails as a lost database would."""

    async def write(self, work: Callable[[UnitOfWork], T], *, optimistic: bool = False) -> T:
        raise ConnectionError("database went away")


def test_a_request_that_failed_on_our_side_runs_afresh_when_retried(
    native: NativeClient,
) -> None:
    failing = FailingWrites(native.runtime.transactor)
    native.runtime.transactor = failing
    try:
        first = native.call("POST", "/invoices", create_body(), headers=keyed("retry-me"))
    finally:
        native.runtime.transactor = failing.inner
    assert first.status_code == 500
    assert first.json()["type"] == PROBLEM + "internal"
    assert "database" not in first.text  # nothing of the fault leaks

    again = native.call("POST", "/invoices", create_body(), headers=keyed("retry-me"))
    assert again.status_code == 201 and count(native) == 1
