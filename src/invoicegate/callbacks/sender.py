"""One delivery attempt over HTTP: bounded in time, answer read only as far as needed.

The transport is injectable (httpx's MockTransport in fast tests); in service it is the
guarded transport of callbacks/guard.py over httpx's own. Redirects are not followed (a
callback goes where the merchant said, not where an answer points) and proxies from the
environment are not used (they would bypass the address check).
"""

import asyncio
import time
from collections.abc import Callable, Mapping

import httpx

from invoicegate.callbacks.guard import DestinationRefused
from invoicegate.domain.callbacks import MAX_ANSWER_BYTES, AttemptResult

READ_LIMIT = 64 * 1024  # enough to judge any acknowledgement; the rest is never read
USER_AGENT = "invoicegate-callbacks/1"


class Sender:
    def __init__(self, transport: httpx.AsyncBaseTransport, timeout_seconds: float) -> None:
        self._timeout = timeout_seconds
        self._client = httpx.AsyncClient(
            transport=transport,
            timeout=timeout_seconds,
            follow_redirects=False,
            trust_env=False,
            # identity: a compressed answer could inflate far past what we mean to read
            headers={"User-Agent": USER_AGENT, "Accept-Encoding": "identity"},
        )

    async def post(
        self,
        url: str,
        body: str,
        headers: Mapping[str, str],
        acknowledged: Callable[[int, bytes], bool],
    ) -> AttemptResult:
        """POST the body; never raises for anything the destination does or fails to do."""
        started = time.perf_counter()
        status: int | None = None
        answer = b""
        error: str | None = None
        try:
            # The whole attempt (DNS, connect, send, answer) within the timeout: httpx's
            # own timeouts are per phase, so a slow trickle could outlast them.
            async with asyncio.timeout(self._timeout):
                request_headers = {"Content-Type": "application/json", **headers}
                async with self._client.stream(
                    "POST", url, content=body.encode(), headers=request_headers
                ) as response:
                    status = response.status_code
                    answer = await _read_up_to(response, READ_LIMIT)
        except DestinationRefused as refused:
            error = f"refused: {refused}"
        except (TimeoutError, httpx.TimeoutException):
            error = f"timed out after {self._timeout:g} s"
        except httpx.HTTPError as failure:
            error = f"{type(failure).__name__}: {failure}".rstrip(": ")
        latency_ms = round((time.perf_counter() - started) * 1000, 1)
        return AttemptResult(
            url=url,
            latency_ms=latency_ms,
            status=status,
            answer=log_text(answer) if status else None,
            error=error,
            acknowledged=error is None and status is not None and acknowledged(status, answer),
        )

    async def aclose(self) -> None:
        await self._client.aclose()


def log_text(answer: bytes) -> str:
    """The answer's start for the delivery log: at most MAX_ANSWER_BYTES of UTF-8, with
    undecodable bytes and NUL (which PostgreSQL text refuses) shown as U+FFFD."""
    text = answer[: MAX_ANSWER_BYTES * 4].decode("utf-8", "replace").replace("\x00", "\ufffd")
    return text.encode()[:MAX_ANSWER_BYTES].decode("utf-8", "ignore")


async def _read_up_to(response: httpx.Response, limit: int) -> bytes:
    chunks: list[bytes] = []
    size = 0
    async for chunk in response.aiter_bytes():
        chunks.append(chunk)
        size += len(chunk)
        if size >= limit:
            break
    return b"".join(chunks)[:limit]
