"""Each answer of `invoicegate serve` reaches the client as one TCP segment (decision 0031).

uvicorn on its own writes the status line and headers, then the body: two segments per
answer, each a wake-up of the client and a run of its TCP stack. Counted here from the
client's side with Linux's TCP_INFO (`tcpi_data_segs_in`), on a kept-alive connection.
"""

import socket
import struct
import sys
from urllib.parse import urlsplit

import pytest

from tests.e2e.conftest import Server

pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="counts segments with Linux's TCP_INFO"
)
DATA_SEGS_IN = 152  # offset of tcpi_data_segs_in in struct tcp_info (linux/tcp.h, since 4.6)


def data_segments_in(sock: socket.socket) -> int:
    info = sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 256)
    return int(struct.unpack_from("I", info, DATA_SEGS_IN)[0])


def connect(server: Server) -> socket.socket:
    address = urlsplit(server.url)
    return socket.create_connection((address.hostname, address.port), timeout=10)


def exchange(sock: socket.socket, request: bytes) -> tuple[bytes, int]:
    """Send one request; read its whole answer (by Content-Length); count its segments."""
    before = data_segments_in(sock)
    sock.sendall(request)
    answer = b""
    while b"\r\n\r\n" not in answer:
        answer += sock.recv(65536)
    head, _, body = answer.partition(b"\r\n\r\n")
    length = next(
        int(line.split(b":", 1)[1])
        for line in head.split(b"\r\n")
        if line.lower().startswith(b"content-length:")
    )
    while len(body) < length:
        body += sock.recv(65536)
    return head + b"\r\n\r\n" + body, data_segments_in(sock) - before


REQUESTS = {
    "health": b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n",
    "unsigned Winpay find": b"GET /api/find/INV-1 HTTP/1.1\r\nHost: x\r\n\r\n",
    "Paylink update with a body, bad key": (
        b"PUT /api/merchants/00000000-0000-4000-8000-000000000000/invoices/x HTTP/1.1\r\n"
        b"Host: x\r\nX-API-KEY: nope\r\ncontent-type: application/json\r\n"
        b'content-length: 13\r\n\r\n{"amount": 1}'
    ),
}


def test_every_answer_on_a_kept_alive_connection_is_one_segment(server: Server) -> None:
    with connect(server) as sock:
        for _ in range(3):
            for name, request in REQUESTS.items():
                answer, segments = exchange(sock, request)
                assert answer.startswith(b"HTTP/1.1 "), name
                assert segments == 1, f"{name}: {segments} segments for {answer[:60]!r}"


def test_an_answer_then_close_arrives_whole_before_the_end(server: Server) -> None:
    """`Connection: close`: the held answer is written before the socket closes."""
    with connect(server) as sock:
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        received = b""
        while chunk := sock.recv(65536):
            received += chunk
    head, _, body = received.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200")
    assert b"connection: close" in head.lower()
    assert body == b'{"status":"ok"}'
