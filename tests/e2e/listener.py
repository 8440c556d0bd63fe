"""A merchant's callback endpoint for tests: a real HTTP server on 127.0.0.1 in a thread.

It records every request (path, headers, body, when) and answers as the test scripts it:
each answer is a status, a body and a delay before answering. It can be stopped and
started again on the same port (a merchant that is down for a while).
"""

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass(frozen=True)
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    at: float  # time.monotonic()

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass(frozen=True)
class Answer:
    status: int = 200
    body: str = "ACCEPTED"
    delay: float = 0.0


ACCEPTED = Answer()


@dataclass
class Listener:
    port: int
    respond: Callable[[Received], Answer] = lambda request: ACCEPTED
    received: list[Received] = field(default_factory=list)
    _server: ThreadingHTTPServer | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> "Listener":
        listener = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                request = Received(
                    self.path,
                    {k.lower(): v for k, v in self.headers.items()},
                    self.rfile.read(length),
                    time.monotonic(),
                )
                with listener._lock:
                    listener.received.append(request)
                answer = listener.respond(request)
                time.sleep(answer.delay)
                payload = answer.body.encode()
                try:
                    self.send_response(answer.status)
                    self.send_header("Content-Type", "text/plain")
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                except OSError:
                    pass  # the caller gave up (timed out, or was killed)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def requests(self, path: str | None = None) -> list[Received]:
        with self._lock:
            return [r for r in self.received if path is None or r.path == path]

    def wait_for(self, count: int, path: str | None = None, timeout: float = 15) -> list[Received]:
        """At least `count` requests (to `path`), waiting up to `timeout` seconds."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            got = self.requests(path)
            if len(got) >= count:
                return got
            time.sleep(0.02)
        raise AssertionError(f"{len(self.requests(path))} requests to {path}, not {count}")
