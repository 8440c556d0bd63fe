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


class DrainUnreadBody:
    """Pure ASGI middleware; requests without a body pass straight through."""

    def __init__(
        self, app: ASGIApp, max_bytes: int = DRAIN_BYTES, max_seconds: float = DRAIN_SECONDS
    ) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.max_seconds = max_seconds

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not _has_body(scope):
            await self.app(scope, receive, send)
            return
        body_ended = False
        asked = False  # whether the app read at all (an Expect: 100-continue client waits)

        async def receive_body() -> Message:
            nonlocal body_ended, asked
            asked = True
            message = await receive()
            if message["type"] != "http.request" or not message.get("more_body", False):
                body_ended = True
            return message

        start: Message | None = None  # held until what is left of the body is dealt with

        async def send_after_drain(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start" and not body_ended:
                start = message
                return
            if start is not None:
                if not body_ended and (asked or not _expects_continue(scope)):
                    await self._drain(receive_body)
                if not body_ended:  # cut short (or never sent): this connection is done
                    start = {
                        **start,
                        "headers": [*start.get("headers", []), (b"connection", b"close")],
                    }
                await send(start)
                start = None
            await send(message)

        await self.app(scope, receive_body, send_after_drain)

    async def _drain(self, receive: Receive) -> None:
        dropped = 0
        with anyio.move_on_after(self.max_seconds):
            while dropped <= self.max_bytes:
                message = await receive()
                if message["type"] != "http.request":
                    return
                dropped += len(message.get("body", b""))
                if not message.get("more_body", False):
                    return


def _has_body(scope: Scope) -> bool:
    for name, value in scope["headers"]:
        if name == b"transfer-encoding" or (name == b"content-length" and value != b"0"):
            return True
    return False


def _expects_continue(scope: Scope) -> bool:
    return any(
        name == b"expect" and value.lower() == b"100-continue" for name, value in scope["headers"]
    )
