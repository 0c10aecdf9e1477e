"""A real HTTP server on 127.0.0.1 for the tests, good and bad behaviour on demand.

Each route is a function that gets the request handler and writes whatever it likes to the
socket, so a route can send lies, drip bytes or redirect forever. The server counts requests
per path and keeps their headers.
"""

from __future__ import annotations

import socket
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

Route = Callable[[BaseHTTPRequestHandler], None]


class TestServer:
    __test__ = False  # a helper, not a test class

    def __init__(self, host: str = "127.0.0.1") -> None:
        self.host = host
        self.routes: dict[str, Route] = {}
        self.hits: Counter[str] = Counter()
        self.request_headers: dict[str, list[dict[str, str]]] = {}
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:  # noqa: N802 - the stdlib's name
                path = self.path
                server.hits[path] += 1
                server.request_headers.setdefault(path, []).append(dict(self.headers.items()))
                route = server.routes.get(path) or server.routes.get(path.split("?", 1)[0])
                if route is None:
                    send(self, 404, b"not found", "text/plain")
                    return
                with suppress(BrokenPipeError, ConnectionResetError):
                    route(self)

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer((host, 0), Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, args=(0.05,), daemon=True)
        self.thread.start()

    def url(self, path: str) -> str:
        return f"http://{self.host}:{self.port}{path}"

    def route(self, path: str, handler: Route) -> str:
        self.routes[path] = handler
        return self.url(path)

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def send(
    handler: BaseHTTPRequestHandler,
    status: int,
    body: bytes = b"",
    content_type: str | None = "application/xml",
    headers: dict[str, str] | None = None,
) -> None:
    handler.send_response(status)
    if content_type:
        handler.send_header("Content-Type", content_type)
    all_headers = {"Content-Length": str(len(body)), **(headers or {})}
    for name, value in all_headers.items():
        handler.send_header(name, value)
    handler.end_headers()
    if body:
        handler.wfile.write(body)


def respond(
    status: int,
    body: bytes = b"",
    content_type: str | None = "application/xml",
    headers: dict[str, str] | None = None,
) -> Route:
    return lambda h: send(h, status, body, content_type, headers)


def redirect(status: int, location: str) -> Route:
    return respond(status, b"", None, {"Location": location})


def drip(body: bytes, every: float) -> Route:
    """Headers at once, then the body one byte per `every` seconds."""

    def route(h: BaseHTTPRequestHandler) -> None:
        h.send_response(200)
        h.send_header("Content-Type", "application/xml")
        h.send_header("Content-Length", str(len(body)))
        h.end_headers()
        h.wfile.flush()
        for byte in body:
            h.wfile.write(bytes([byte]))
            h.wfile.flush()
            time.sleep(every)

    return route


@contextmanager
def silent_listener() -> Iterator[int]:
    """A port that accepts connections (the kernel's backlog does) and never answers."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(16)
    try:
        yield int(sock.getsockname()[1])
    finally:
        sock.close()
