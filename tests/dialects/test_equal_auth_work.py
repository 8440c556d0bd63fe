"""An unknown key costs what a known key with a wrong secret costs: timing tells nothing.

Measured as work, not wall time: the database reads the credential lookup makes, and
every call the request makes into our own code and into hashing/HMAC. Both kinds of
refusal must do the same, on first sight of the key and once it is cached.
"""

import sys
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from types import FrameType
from typing import Any, TypeVar

import httpx
import pytest

from invoicegate.app import create_app
from invoicegate.services.merchants import CredentialCache
from invoicegate.services.ports import Transactor, UnitOfWork
from invoicegate.settings import Settings
from tests.conftest import winpay_headers

pytestmark = pytest.mark.anyio
T = TypeVar("T")
CRYPTO_MODULES = {"_hashlib", "_hmac", "_operator", "hmac", "hashlib"}


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@dataclass
class CountingReads:
    """The real transactor, counting the reads made through it."""

    inner: Transactor
    reads: int = 0

    async def write(self, work: Callable[[UnitOfWork], T], *, optimistic: bool = False) -> T:
        return await self.inner.write(work)

    async def read(self, work: Callable[[UnitOfWork], T]) -> T:
        self.reads += 1
        return await self.inner.read(work)

    async def lookup(self, work: Callable[[UnitOfWork], T], *, one_statement: bool = False) -> T:
        self.reads += 1
        return await self.inner.lookup(work, one_statement=one_statement)


# Access-log lines are written on a timer, whichever request happens to be running then:
# that write belongs to earlier requests, not to the one measured.
LATER_WRITES = {"logs.py:AccessLog.flush", "logs.py:configure.<locals>.<lambda>"}
# Ids are made 64 at a time (services/ids.py), by whichever request finds none left: that
# work is shared by the next 64 requests, not the measured one's.
MADE_FOR_LATER = {"ids.py:_hex_texts", "ids.py:_uuid4_texts"}


@contextmanager
def work_done() -> Iterator[Counter[str]]:
    """Every call into invoicegate's code and into hashing made on this thread, counted."""
    calls: Counter[str] = Counter()

    def profile(frame: FrameType, event: str, arg: Any) -> None:
        if event == "call":
            code = frame.f_code
            if "/invoicegate/" in code.co_filename or code.co_filename.endswith(
                ("/hmac.py", "/hashlib.py")
            ):
                name = f"{code.co_filename.rsplit('/', 1)[-1]}:{code.co_qualname}"
                if name not in LATER_WRITES and name.split(".<locals>")[0] not in MADE_FOR_LATER:
                    calls[name] += 1
        elif event == "c_call":
            # A method of a C object (the keyed HMAC's copy, update, hexdigest) has no module
            # of its own: its object's type has.
            module = (
                getattr(arg, "__module__", None) or type(getattr(arg, "__self__", None)).__module__
            )
            if module in CRYPTO_MODULES:
                calls[f"{module}.{arg.__qualname__}"] += 1

    sys.setprofile(profile)
    try:
        yield calls
    finally:
        sys.setprofile(None)


async def measured(
    reads: CountingReads, request: Callable[[], Awaitable[httpx.Response]]
) -> tuple[int, int, Counter[str]]:
    before = reads.reads
    with work_done() as calls:
        answer = await request()
    return answer.status_code, reads.reads - before, calls


def unlike(public_id: str) -> str:
    """Another key of the same shape and length, which nobody holds."""
    return public_id[:-4] + ("zzzz" if not public_id.endswith("zzzz") else "yyyy")


@pytest.fixture
async def app_and_reads(sqlite_settings: Settings) -> Any:
    app = create_app(sqlite_settings)
    runtime = app.state.runtime
    counting = CountingReads(runtime.transactor)
    runtime.credentials = CredentialCache(counting)
    onboarded = await runtime.merchants.create_merchant("Acme")
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        await http.get("/healthz")  # the app builds its middleware on the first request
        yield http, counting, onboarded
    await runtime.transactor.aclose()


async def test_winpay_unknown_key_and_wrong_signature_do_the_same_work(
    app_and_reads: Any,
) -> None:
    http, reads, onboarded = app_and_reads

    def refused(key: str, secret: str) -> Callable[[], Awaitable[httpx.Response]]:
        headers = winpay_headers(key, secret)  # the client's own signing is not measured
        return lambda: http.get("/api/find/x", headers=headers)

    key = onboarded.winpay.public_id
    unknown_key = refused(unlike(key), "not-the-secret")
    wrong_signature = refused(key, "not-the-secret")
    for first_sight in (True, False):
        unknown = await measured(reads, unknown_key)
        wrong = await measured(reads, wrong_signature)
        assert unknown[:2] == wrong[:2] == (401, 1 if first_sight else 0)
        assert unknown[2] == wrong[2]
        # The HMAC is computed each time: from the secret's keyed state (decision 0028).
        assert wrong[2]["_hashlib.HMAC.hexdigest"] == 1


async def test_paylink_v2_unknown_api_id_and_wrong_secret_do_the_same_work(
    app_and_reads: Any,
) -> None:
    http, reads, onboarded = app_and_reads

    def refused(api_id: str) -> Callable[[], Awaitable[httpx.Response]]:
        body = {"apiId": api_id, "secretKey": "not-the-secret", "persistToken": False}
        return lambda: http.post("/api/auth", json=body)

    api_id = onboarded.paylink_v2.credential.public_id
    unknown_api_id = refused(unlike(api_id))
    wrong_secret = refused(api_id)
    for first_sight in (True, False):
        unknown = await measured(reads, unknown_api_id)
        wrong = await measured(reads, wrong_secret)
        assert unknown[:2] == wrong[:2] == (401, 1 if first_sight else 0)
        assert unknown[2] == wrong[2]
        assert wrong[2]["_hashlib.openssl_sha256"] >= 1


async def test_paylink_unknown_key_is_read_once_and_still_spends_the_comparison(
    app_and_reads: Any,
) -> None:
    """Paylink finds a key by its hash, so no known key has a "wrong secret"; an unknown one
    still costs the hash and the comparison a found one costs, and one read at most."""
    http, reads, onboarded = app_and_reads
    path = f"/api/merchants/{onboarded.merchant.id}/invoices"
    headers = {"X-API-KEY": unlike(onboarded.paylink.secret)}
    for expected_reads in (1, 0):
        status, read, calls = await measured(reads, lambda: http.get(path, headers=headers))
        assert (status, read) == (401, expected_reads)
        assert calls["merchants.py:hash_secret"] == 1  # the lookup id, which the check compares
        assert calls["merchants.py:digest_matches"] == 1
        assert calls["_hashlib.compare_digest"] == 1
