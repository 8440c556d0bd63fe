"""uvicorn's httptools protocol, writing each response in one piece.

uvicorn writes a response's status line and headers to the socket as soon as the app sends
`http.response.start`, and the body when it sends `http.response.body`: two `send()`
calls per answer. On loopback or a LAN each one runs the receiver's whole TCP path and wakes
the client, so the second doubles the kernel's work per answer and lets the client see the
head alone first. Here writes made in the same turn of the event loop are joined and handed
to the socket once, at the end of that turn (decision 0031): the app's two messages, sent
without waiting in between, become one segment. A streamed body whose parts come in
different turns is still written part by part, as before.
"""

import asyncio
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol


class OneWritePerTurn:
    """A transport that holds what is written in this loop turn and writes it at its end.

    Everything else (flow control, close, peer address) goes to the real transport; `close`
    and `write_eof` first write what is held, so a `Connection: close` answer is not lost.
    """

    __slots__ = ("_held", "_loop", "_transport")

    def __init__(self, transport: asyncio.Transport, loop: asyncio.AbstractEventLoop) -> None:
        self._transport = transport
        self._loop = loop
        self._held: list[bytes] = []

    def write(self, data: bytes) -> None:
        if not self._held:
            self._loop.call_soon(self.flush)
        self._held.append(data)

    def flush(self) -> None:
        held = self._held
        if not held:
            return
        self._held = []
        if not self._transport.is_closing():
            self._transport.write(held[0] if len(held) == 1 else b"".join(held))

    def close(self) -> None:
        self.flush()
        self._transport.close()

    def write_eof(self) -> None:
        self.flush()
        self._transport.write_eof()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._transport, name)


class OneWriteHttpToolsProtocol(HttpToolsProtocol):
    """uvicorn's `httptools` protocol on a `OneWritePerTurn` transport."""

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(OneWritePerTurn(transport, self.loop))  # type: ignore[arg-type]
