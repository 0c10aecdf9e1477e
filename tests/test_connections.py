"""The keep-alive pool, against real HTTP/1.1 servers on 127.0.0.1 that count connections."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

import httpcore
import pytest

from ingest.http.connections import KeepAlivePool
from ingest.http.sockets import AsyncioBackend

BODY = b"x" * 100_000  # more than one read: a response can be closed half read


@dataclass
class Server:
    port: int = 0
    connections: int = 0
    open: int = 0
    writers: list[asyncio.StreamWriter] = field(default_factory=list)

    def url(self, path: str = "/") -> str:
        return f"http://127.0.0.1:{self.port}{path}"


@asynccontextmanager
async def keepalive_server() -> AsyncIterator[Server]:
    state = Server()

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        state.connections += 1
        state.open += 1
        state.writers.append(writer)
        try:
            while await reader.readuntil(b"\r\n\r\n"):
                writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % len(BODY) + BODY)
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            state.open -= 1
            writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    state.port = server.sockets[0].getsockname()[1]
    async with server:
        yield state


def pool(keepalive: int = 4, expiry: float = 5.0) -> KeepAlivePool:
    return KeepAlivePool(AsyncioBackend(), httpcore.default_ssl_context(), keepalive, expiry)


async def get(p: KeepAlivePool, url: str, read: bool = True) -> int:
    request = httpcore.Request("GET", url, headers=[(b"Host", b"127.0.0.1")])
    response = await p.handle_async_request(request)
    try:
        if read:
            await response.aread()
        else:
            async for _ in response.aiter_stream():
                break  # the first chunk only
    finally:
        await response.aclose()
    return response.status


async def settle() -> None:
    await asyncio.sleep(0.05)  # for closes to reach the other end


def test_one_connection_serves_request_after_request() -> None:
    async def go() -> tuple[int, int]:
        async with keepalive_server() as server:
            p = pool()
            statuses = [await get(p, server.url(f"/{i}")) for i in range(5)]
            assert statuses == [200] * 5
            await p.aclose()
            await settle()
            return server.connections, server.open

    assert asyncio.run(go()) == (1, 0)  # and closing the pool closed it


def test_requests_at_the_same_time_get_connections_of_their_own() -> None:
    async def go() -> int:
        async with keepalive_server() as server:
            p = pool()
            await asyncio.gather(*(get(p, server.url()) for _ in range(3)))
            await asyncio.gather(*(get(p, server.url()) for _ in range(3)))  # reused
            await p.aclose()
            return server.connections

    assert asyncio.run(go()) == 3


def test_a_connection_the_server_closed_is_not_reused() -> None:
    async def go() -> tuple[int, int]:
        async with keepalive_server() as server:
            p = pool()
            await get(p, server.url())
            server.writers[0].close()
            await settle()
            status = await get(p, server.url())
            await p.aclose()
            return status, server.connections

    assert asyncio.run(go()) == (200, 2)


def test_an_idle_connection_expires() -> None:
    async def go() -> int:
        async with keepalive_server() as server:
            p = pool(expiry=0.05)
            await get(p, server.url())
            await asyncio.sleep(0.1)
            await get(p, server.url())
            await p.aclose()
            return server.connections

    assert asyncio.run(go()) == 2


def test_a_response_closed_half_read_closes_its_connection() -> None:
    async def go() -> tuple[int, int]:
        async with keepalive_server() as server:
            p = pool()
            await get(p, server.url(), read=False)
            await settle()
            open_after_abandon = server.open
            await get(p, server.url())
            await p.aclose()
            return open_after_abandon, server.connections

    assert asyncio.run(go()) == (0, 2)


def test_at_most_keepalive_idle_connections_the_oldest_closed_first() -> None:
    async def go() -> tuple[list[int], list[int]]:
        async with keepalive_server() as a, keepalive_server() as b, keepalive_server() as c:
            p = pool(keepalive=2)
            for server in (a, b, c):
                await get(p, server.url())
            await settle()
            open_ = [s.open for s in (a, b, c)]
            for server in (c, b):
                await get(p, server.url())
            await p.aclose()
            return open_, [s.connections for s in (a, b, c)]

    assert asyncio.run(go()) == ([0, 1, 1], [1, 1, 1])  # b's and c's reused


def test_only_http_urls() -> None:
    with pytest.raises(httpcore.UnsupportedProtocol):
        asyncio.run(get(pool(), "ftp://127.0.0.1/file"))
