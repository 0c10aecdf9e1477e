"""httpcore's network layer on asyncio streams, against real sockets on 127.0.0.1 (plain and
TLS, with a certificate made for the test)."""

from __future__ import annotations

import asyncio
import socket
import ssl
import subprocess
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path

import httpcore
import pytest

from ingest.config import Settings
from ingest.http.fetch import Fetcher, NetworkFetchError
from ingest.http.sockets import AsyncioBackend

Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]
RESPONSE = b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Type: text/plain\r\n\r\nhello"


@asynccontextmanager
async def serving(handler: Handler, tls: ssl.SSLContext | None = None) -> AsyncIterator[int]:
    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            await handler(reader, writer)
        except (asyncio.IncompleteReadError, ConnectionError, ssl.SSLError):
            pass  # the client went away
        finally:
            writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0, ssl=tls)
    async with server:
        yield server.sockets[0].getsockname()[1]


async def answer_each_request(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    while await reader.readuntil(b"\r\n\r\n"):
        writer.write(RESPONSE)
        await writer.drain()


def test_a_request_goes_out_and_its_response_comes_back() -> None:
    async def go() -> bytes:
        async with serving(answer_each_request) as port:
            stream = await AsyncioBackend().connect_tcp("127.0.0.1", port, timeout=5)
            await stream.write(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n", timeout=5)
            received = b""
            while len(received) < len(RESPONSE):
                received += await stream.read(65536, timeout=5)
            await stream.aclose()
            return received

    assert asyncio.run(go()) == RESPONSE


def test_an_idle_connection_reports_that_the_server_closed_it() -> None:
    """httpcore drops a pooled connection whose stream says it is readable: here, by EOF."""

    async def close_at_once(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read(1)
        writer.close()

    async def go() -> tuple[bool, bool]:
        async with serving(close_at_once) as port:
            stream = await AsyncioBackend().connect_tcp("127.0.0.1", port, timeout=5)
            before = stream.get_extra_info("is_readable")
            await stream.write(b"x")
            for _ in range(100):  # the close reaches us within a few milliseconds
                await asyncio.sleep(0.01)
                if stream.get_extra_info("is_readable"):
                    break
            after = stream.get_extra_info("is_readable")
            await stream.aclose()
            return before, after

    assert asyncio.run(go()) == (False, True)


def test_a_silent_server_is_a_read_timeout() -> None:
    async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read()

    async def go() -> None:
        async with serving(silent) as port:
            stream = await AsyncioBackend().connect_tcp("127.0.0.1", port, timeout=5)
            try:
                await stream.read(100, timeout=0.1)
            finally:
                await stream.aclose()

    with pytest.raises(httpcore.ReadTimeout):
        asyncio.run(go())


def test_a_refused_connection_is_a_connect_error() -> None:
    with socket.socket() as probe:  # a port that was free a moment ago: nothing listens
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(httpcore.ConnectError):
        asyncio.run(AsyncioBackend().connect_tcp("127.0.0.1", port, timeout=5))


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1."""
    where = tmp_path_factory.mktemp("tls")
    cert, key = where / "cert.pem", where / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1"]
        + ["-keyout", str(key), "-out", str(cert), "-subj", "/CN=127.0.0.1"]
        + ["-addext", "subjectAltName=IP:127.0.0.1"],
        check=True,
        capture_output=True,
    )
    return cert, key


def _tls_server(certificate: tuple[Path, Path]) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(*certificate)
    return context


def test_https_through_httpcore_over_the_asyncio_streams(certificate: tuple[Path, Path]) -> None:
    client = ssl.create_default_context(cafile=str(certificate[0]))

    async def go() -> tuple[int, bytes, str]:
        async with (
            serving(answer_each_request, _tls_server(certificate)) as port,
            httpcore.AsyncConnectionPool(
                ssl_context=client, network_backend=AsyncioBackend()
            ) as pool,
        ):
            url = f"https://127.0.0.1:{port}/"
            await pool.request("GET", url)  # the second request reuses the connection
            response = await pool.request("GET", url)
            stream = response.extensions["network_stream"]
            version = stream.get_extra_info("ssl_object").version()
            return response.status, response.content, version

    status, body, version = asyncio.run(go())
    assert (status, body) == (200, b"hello") and version.startswith("TLS")


def test_an_untrusted_certificate_is_a_network_error(certificate: tuple[Path, Path]) -> None:
    settings = Settings(allow_private_networks=True, respect_robots_txt=False)

    async def go() -> None:
        async with (
            serving(answer_each_request, _tls_server(certificate)) as port,
            Fetcher(settings) as fetcher,
        ):
            await fetcher.fetch(f"https://127.0.0.1:{port}/")

    with pytest.raises(NetworkFetchError, match="TLS handshake failed"):
        asyncio.run(go())
