"""The `http_proxy` setting, through a real forward proxy on 127.0.0.1: requests go through
it, the proxy itself must be allowed when it is on a private address, and the SSRF guard
still vets every target (the proxy would connect to it for us)."""

from __future__ import annotations

import asyncio
import http.client
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

import pytest
from click.testing import CliRunner

from ingest.cli import main
from ingest.config import Settings
from ingest.http.fetch import BlockedFetchError, Fetcher
from tests.helpers.httpserver import TestServer, respond

PAGE = b"<html><head><title>Via the proxy</title></head><body><p>" + b"Words. " * 60 + b"</p>"


class ForwardProxy:
    """An HTTP forward proxy (absolute-form GET only) that records what it was asked."""

    def __init__(self) -> None:
        self.asked: list[str] = []
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:  # noqa: N802 - the stdlib's name
                proxy.asked.append(self.path)
                target = urlsplit(self.path)
                upstream = http.client.HTTPConnection(target.hostname, target.port, timeout=5)
                upstream.request("GET", target.path or "/", headers={"Host": target.netloc})
                answer = upstream.getresponse()
                body = answer.read()
                self.send_response(answer.status)
                for name, value in answer.getheaders():
                    if name.lower() not in ("transfer-encoding", "connection", "content-length"):
                        self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
                upstream.close()

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, args=(0.05,), daemon=True).start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def server() -> Iterator[TestServer]:
    running = TestServer()
    yield running
    running.close()


@pytest.fixture
def proxy() -> Iterator[ForwardProxy]:
    running = ForwardProxy()
    yield running
    running.close()


def fetch(settings: Settings, url: str) -> bytes:
    async def go() -> bytes:
        async with Fetcher(settings) as fetcher:
            return (await fetcher.fetch(url)).content

    return asyncio.run(go())


def test_requests_go_through_the_proxy(server: TestServer, proxy: ForwardProxy) -> None:
    url = server.route("/a", respond(200, PAGE, "text/html"))
    settings = Settings(http_proxy=proxy.url, allow_private_proxy=True, allow_private_networks=True)
    assert fetch(settings, url) == PAGE
    assert proxy.asked == [url] and server.hits["/a"] == 1


def test_a_proxy_on_a_private_address_must_be_allowed(
    server: TestServer, proxy: ForwardProxy
) -> None:
    url = server.route("/a", respond(200, PAGE, "text/html"))
    settings = Settings(http_proxy=proxy.url, allow_private_networks=True)
    with pytest.raises(BlockedFetchError, match="127.0.0.1"):
        fetch(settings, url)
    assert proxy.asked == [] and server.hits["/a"] == 0


def test_the_guard_still_vets_the_target_behind_the_proxy(
    server: TestServer, proxy: ForwardProxy
) -> None:
    url = server.route("/a", respond(200, PAGE, "text/html"))
    settings = Settings(http_proxy=proxy.url, allow_private_proxy=True)
    with pytest.raises(BlockedFetchError, match="loopback"):
        fetch(settings, url)
    assert proxy.asked == [] and server.hits["/a"] == 0


def test_the_cli_fetches_through_the_proxy_setting(server: TestServer, proxy: ForwardProxy) -> None:
    url = server.route("/a", respond(200, PAGE, "text/html"))
    flags = ["--http-proxy", proxy.url, "--allow-private-proxy", "--allow-private-networks"]
    result = CliRunner().invoke(main, [*flags, "extract", url, "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["title"] == "Via the proxy"
    assert proxy.asked == [server.url("/robots.txt"), url]


def test_a_proxy_that_is_not_a_url_is_refused_when_settings_load() -> None:
    result = CliRunner().invoke(main, ["--http-proxy", "proxy:3128", "stats"])
    assert result.exit_code == 2
    assert "http_proxy must be an http:// or https:// URL, not 'proxy:3128'" in result.output
    assert "Traceback" not in result.output
