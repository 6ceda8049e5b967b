"""The server loop the AWS stand-ins share (Service Quotas, EC2's capacity calls, Pricing): HTTP on
a free loopback port, each request answered in a thread by the stand-in's ``handle``.

A stand-in told to stay silent waits with ``pause``, which ends at ``wake`` (a stand-in's reset
between tests) or when the server closes, so a test whose client gave up after a fraction of a
second does not wait out the silence in its teardown, nor leave it to the next test.
"""

from __future__ import annotations

import json
import threading
import typing as t
from dataclasses import dataclass
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass(frozen=True)
class Request:
    path: str
    headers: Message
    body: bytes


class Reply(t.NamedTuple):
    status: int
    headers: list[tuple[str, str]]
    body: bytes


def json_reply(status: int, answer: dict[str, t.Any], content_type: str = "application/x-amz-json-1.1") -> Reply:
    return Reply(status, [("Content-Type", content_type)], json.dumps(answer).encode())


class LoopbackServer:
    """Subclasses answer each POST in ``handle``; use as a context manager (``url`` once entered)."""

    def __init__(self) -> None:
        self._woken = threading.Event()
        stand_in = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: t.Any) -> None:  # keep test output clean
                pass

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                reply = stand_in.handle(Request(self.path, self.headers, body))
                self.send_response(reply.status)
                for key, value in reply.headers:
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(reply.body)))
                self.end_headers()
                self.wfile.write(reply.body)

        class Server(ThreadingHTTPServer):
            daemon_threads = True

            def handle_error(self, request: t.Any, client_address: t.Any) -> None:
                pass  # a client that gave up (the silent-endpoint tests) is no error of the stand-in

        self.server = Server(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def handle(self, request: Request) -> Reply:
        raise NotImplementedError

    def pause(self, seconds: float) -> None:
        """Stay silent for ``seconds``, or until ``wake`` or the server closes."""
        self._woken.wait(seconds)

    def wake(self) -> None:
        """End every pause under way; later pauses last again."""
        woken, self._woken = self._woken, threading.Event()
        woken.set()

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host!s}:{port}"

    def __enter__(self) -> t.Self:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._woken.set()
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)
