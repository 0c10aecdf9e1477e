"""Keep-alive connections for httpx's transport, kept per origin.

httpcore's own pool does its bookkeeping on every request: each waiting request against
each connection, and an anyio event with a timeout per request. On loopback that was 40% of
the CPU a page fetch costs. The fetcher already bounds the requests in flight (overall and
per host), so all a pool has to do here is keep idle HTTP/1.1 connections for reuse: at
most `keepalive` of them, each dropped once its server closed it or it has idled for
`expiry` seconds.
"""

from __future__ import annotations

import ssl
import time
from collections import OrderedDict
from collections.abc import AsyncIterator
from typing import Protocol, cast

import httpcore

Key = tuple[bytes, bytes, int | None]


class KeepAlivePool:
    """Stands in for `httpcore.AsyncConnectionPool` under `httpx.AsyncHTTPTransport`."""

    def __init__(
        self,
        backend: httpcore.AsyncNetworkBackend,
        ssl_context: ssl.SSLContext,
        keepalive: int,
        expiry: float = 5.0,
    ) -> None:
        self.backend = backend
        self.ssl_context = ssl_context
        self.keepalive = keepalive
        self.expiry = expiry
        self.idle: OrderedDict[httpcore.AsyncHTTPConnection, tuple[Key, float]] = OrderedDict()
        self.closed = False

    async def handle_async_request(self, request: httpcore.Request) -> httpcore.Response:
        url = request.url
        if url.scheme not in (b"http", b"https") or not url.host:
            raise httpcore.UnsupportedProtocol(f"cannot fetch {url!r}: not an HTTP(S) URL")
        key = (url.scheme, url.host, url.port)
        connection = await self._take(key) or httpcore.AsyncHTTPConnection(
            url.origin,
            ssl_context=self.ssl_context,
            keepalive_expiry=self.expiry,
            network_backend=self.backend,
        )
        try:
            response = await connection.handle_async_request(request)
        except BaseException:
            await connection.aclose()
            raise
        body = cast(_BodyStream, response.stream)  # HTTP/1.1 over asyncio: always this kind
        response.stream = _GivenBackOnClose(body, self, key, connection)
        return response

    async def _take(self, key: Key) -> httpcore.AsyncHTTPConnection | None:
        """The most recently used idle connection to the origin that is still open."""
        for connection in reversed([c for c, (k, _) in self.idle.items() if k == key]):
            del self.idle[connection]
            if not connection.has_expired():
                return connection
            await connection.aclose()
        return None

    async def give_back(self, key: Key, connection: httpcore.AsyncHTTPConnection) -> None:
        if self.closed or not connection.is_available():  # closed, or its response unread
            await connection.aclose()
            return
        now = time.monotonic()
        self.idle[connection] = (key, now)
        while self.idle:
            oldest, (_, since) = next(iter(self.idle.items()))
            if len(self.idle) <= self.keepalive and now - since <= self.expiry:
                break
            del self.idle[oldest]
            await oldest.aclose()

    async def aclose(self) -> None:
        self.closed = True
        while self.idle:
            connection, _ = self.idle.popitem()
            await connection.aclose()


class _BodyStream(Protocol):
    def __aiter__(self) -> AsyncIterator[bytes]: ...

    async def aclose(self) -> None: ...


class _GivenBackOnClose:
    """A response's body stream that returns its connection to the pool once closed."""

    def __init__(
        self,
        stream: _BodyStream,
        pool: KeepAlivePool,
        key: Key,
        connection: httpcore.AsyncHTTPConnection,
    ) -> None:
        self.stream = stream
        self.pool = pool
        self.key = key
        self.connection = connection

    def __aiter__(self) -> AsyncIterator[bytes]:
        return self.stream.__aiter__()

    async def aclose(self) -> None:
        try:
            await self.stream.aclose()
        finally:
            await self.pool.give_back(self.key, self.connection)
