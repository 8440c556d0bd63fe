"""OneWritePerTurn: what the app writes in one turn of the event loop reaches the socket once."""

import asyncio
from typing import Any

import pytest

from invoicegate.edge.serving import OneWritePerTurn

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


class RecordingTransport:
    """The real transport's side: every write and close, in order."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, Any]] = []
        self.closing = False

    def write(self, data: bytes) -> None:
        self.calls.append(("write", data))

    def close(self) -> None:
        self.calls.append(("close", None))
        self.closing = True

    def write_eof(self) -> None:
        self.calls.append(("write_eof", None))

    def is_closing(self) -> bool:
        return self.closing

    def get_extra_info(self, name: str) -> str:
        return f"extra {name}"


async def one_turn() -> None:
    """Let the loop run what is already scheduled (the flush) and come back."""
    await asyncio.sleep(0)


async def test_head_and_body_of_one_turn_are_written_once_at_its_end() -> None:
    real = RecordingTransport()
    transport = OneWritePerTurn(real, asyncio.get_running_loop())  # type: ignore[arg-type]
    transport.write(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n")
    transport.write(b"{}")
    assert real.calls == []  # held until the turn ends
    await one_turn()
    assert real.calls == [("write", b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n{}")]


async def test_writes_of_different_turns_go_out_one_by_one() -> None:
    """A streamed body is not held back: each part leaves at the end of its own turn."""
    real = RecordingTransport()
    transport = OneWritePerTurn(real, asyncio.get_running_loop())  # type: ignore[arg-type]
    transport.write(b"part one")
    await one_turn()
    assert real.calls == [("write", b"part one")]
    transport.write(b"part two")
    await one_turn()
    assert real.calls == [("write", b"part one"), ("write", b"part two")]


async def test_close_writes_what_is_held_first() -> None:
    """A `Connection: close` answer is written, then the connection closed: nothing lost."""
    real = RecordingTransport()
    transport = OneWritePerTurn(real, asyncio.get_running_loop())  # type: ignore[arg-type]
    transport.write(b"head")
    transport.write(b"body")
    transport.close()
    assert real.calls == [("write", b"headbody"), ("close", None)]
    await one_turn()  # the scheduled flush finds nothing left
    assert real.calls == [("write", b"headbody"), ("close", None)]


async def test_write_eof_writes_what_is_held_first() -> None:
    real = RecordingTransport()
    transport = OneWritePerTurn(real, asyncio.get_running_loop())  # type: ignore[arg-type]
    transport.write(b"last")
    transport.write_eof()
    assert real.calls == [("write", b"last"), ("write_eof", None)]


async def test_what_is_held_for_a_connection_already_closing_is_dropped() -> None:
    """The peer went away in the same turn: the socket takes no more data, and no error."""
    real = RecordingTransport()
    transport = OneWritePerTurn(real, asyncio.get_running_loop())  # type: ignore[arg-type]
    transport.write(b"too late")
    real.closing = True
    await one_turn()
    assert real.calls == []


async def test_everything_else_is_the_real_transports() -> None:
    real = RecordingTransport()
    transport = OneWritePerTurn(real, asyncio.get_running_loop())  # type: ignore[arg-type]
    assert transport.get_extra_info("peername") == "extra peername"
    assert transport.is_closing() is False
