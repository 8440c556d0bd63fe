"""An answer given before its request body ended (413, 401, 404 …) still reaches the client.

Many clients send the whole body before they read anything (urllib, PHP streams, many
SDKs), and ask for the connection to be closed after the answer. If the server closes a
socket that still has unread bytes of the body, TCP answers them with a reset, and the
reset throws away the answer the client has not read yet: the client sees "connection
reset" instead of the 413. So when the app answers before the body ended, this first reads
and drops what is left of the body, bounded in bytes and time, then sends the answer. If
the bound cut the body short, the answer closes the connection (the rest is not worth
reading); if the body ended, the connection stays open for the client's next request.
"""

import anyio
from starlette.types import ASGIApp, Message, Receive, Scope, Send

DRAIN_BYTES = 16 * 1024 * 1024  # read and dropped at most, past the answer: 16 MiB
DRAIN_SECONDS = 10.0  # a client slower than this gets the reset (a lingering close's limit)


class UnreadBody:
    """One request's body as the app reads it, and what to do with what is left of it when
    the answer is ready (the middleware below, and the front's direct routes, use it)."""

    __slots__ = ("_receive", "asked", "ended")

    def __init__(self, receive: Receive) -> None:
        self._receive = receive
        self.ended = False
        self.asked = False  # whether the app read at all (an Expect: 100-continue client waits)

    async def receive(self) -> Message:
        self.asked = True
        message = await self._receive()
        if message["type"] != "http.request" or not message.get("more_body", False):
            self.ended = True
        return message

    async def settle(
        self,
        scope: Scope,
        start: Message,
        max_bytes: int = DRAIN_BYTES,
        max_seconds: float = DRAIN_SECONDS,
    ) -> Message:
        """The answer's start message, once what is left of the body is read and dropped.

        Call it only when the body has not ended. If the bound cut the body short (or the
        client waits for a 100 Continue it will not get), the answer closes the connection.
        """
        if self.asked or not _expects_continue(scope):
            await self._drain(max_bytes, max_seconds)
        if not self.ended:  # cut short (or never sent): this connection is done
            start = {**start, "headers": [*start.get("headers", []), (b"connection", b"close")]}
        return start

    async def _drain(self, max_bytes: int, max_seconds: float) -> None:
        dropped = 0
        with anyio.move_on_after(max_seconds):
            while dropped <= max_bytes:
                message = await self.receive()
                if message["type"] != "http.request":
                    return
                dropped += len(message.get("body", b""))
                if not message.get("more_body", False):
                    return


class DrainUnreadBody:
    """Pure ASGI middleware; requests without a body pass straight through."""

    def __init__(
        self, app: ASGIApp, max_bytes: int = DRAIN_BYTES, max_seconds: float = DRAIN_SECONDS
    ) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.max_seconds = max_seconds

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not has_body(scope):
            await self.app(scope, receive, send)
            return
        body = UnreadBody(receive)
        start: Message | None = None  # held until what is left of the body is dealt with

        async def send_after_drain(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start" and not body.ended:
                start = message
                return
            if start is not None:
                if not body.ended:
                    start = await body.settle(scope, start, self.max_bytes, self.max_seconds)
                await send(start)
                start = None
            await send(message)

        await self.app(scope, body.receive, send_after_drain)


def has_body(scope: Scope) -> bool:
    for name, value in scope["headers"]:
        if name == b"transfer-encoding" or (name == b"content-length" and value != b"0"):
            return True
    return False


def _expects_continue(scope: Scope) -> bool:
    return any(
        name == b"expect" and value.lower() == b"100-continue" for name, value in scope["headers"]
    )
