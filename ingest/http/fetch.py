"""Polite, safe HTTP: one shared connection pool, a total deadline, a decoded-size cap, checked
redirects, the SSRF guard and per-host limits.

Errors are subclasses of `FetchError`, each with a short `kind` that the fetch log keeps:

    FetchError
    ├── TimeoutFetchError      kind "timeout"       the total deadline passed
    ├── QueueTimeoutFetchError kind "queue-timeout" no connection slot came free in time
    ├── NetworkFetchError      kind "network"       connect/read failures, bad HTTP
    ├── BlockedFetchError      kind "blocked"       the SSRF guard refused the address
    ├── TooLargeFetchError     kind "too-large"     the decoded body passed the cap
    ├── DecodeFetchError       kind "decode"        invalid Content-Encoding data
    ├── RedirectFetchError     kind "redirect"      loop, too many hops, bad target
    └── RobotsFetchError       kind "robots"        robots.txt disallows the page

HTTP error statuses are not exceptions: they come back as responses for the caller to judge.

A request's deadline (`request_timeout`) runs only while it holds a connection slot: the
time spent waiting for one (behind other requests to a slow host, or the gap a host's
`Crawl-delay` asks for) has its own, longer limit (`queue_timeout`) and error kind, which
callers do not count against the feed or page, since the wait was another request's doing.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from typing import cast
from urllib.parse import urlsplit

import httpcore
import httpx

from ingest.config import Settings
from ingest.errors import ErrorKind, FetchError
from ingest.http.connections import KeepAlivePool
from ingest.http.decode import BodyTooLargeError, BoundedDecoder, ContentDecodeError
from ingest.http.netguard import BlockedAddressError, GuardedBackend, Resolver, system_resolve
from ingest.urls import absolute_url, host_of

REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
PERMANENT_REDIRECTS = frozenset({301, 308})
ERROR_BODY_LIMIT = 64 * 1024


class TimeoutFetchError(FetchError):
    kind = ErrorKind.TIMEOUT


class QueueTimeoutFetchError(FetchError):
    kind = ErrorKind.QUEUE_TIMEOUT


class NetworkFetchError(FetchError):
    kind = ErrorKind.NETWORK


class BlockedFetchError(FetchError):
    kind = ErrorKind.BLOCKED


class TooLargeFetchError(FetchError):
    kind = ErrorKind.TOO_LARGE


class DecodeFetchError(FetchError):
    kind = ErrorKind.DECODE


class RedirectFetchError(FetchError):
    kind = ErrorKind.REDIRECT


class RobotsFetchError(FetchError):
    kind = ErrorKind.ROBOTS


@dataclass(frozen=True)
class FetchResponse:
    url: str
    """The URL the body came from, after redirects."""
    status: int
    headers: Mapping[str, str]
    content: bytes
    elapsed_ms: float
    redirects: tuple[str, ...] = ()
    permanent_url: str | None = None
    """Where the requested URL now permanently lives, when every hop so far was 301/308."""


@dataclass
class _Host:
    """One host's share of the connections, and the gap its robots.txt asks for."""

    slots: asyncio.Semaphore
    min_gap: float = 0.0
    next_start: float = 0.0


@dataclass
class _HostLimits:
    per_host: int
    hosts: dict[str, _Host] = field(default_factory=dict)

    def for_host(self, host: str) -> _Host:
        if host not in self.hosts:
            self.hosts[host] = _Host(asyncio.Semaphore(self.per_host))
        return self.hosts[host]


class GuardedTransport(httpx.AsyncHTTPTransport):
    """httpx's transport over our keep-alive pool, whose every connection goes through the
    SSRF guard (httpx lets neither a network backend nor a pool be passed in)."""

    def __init__(self, backend: GuardedBackend, keepalive: int) -> None:
        ssl_context = httpx.create_ssl_context()  # ~40 ms (the CA bundle): made once
        super().__init__(verify=ssl_context)
        self._pool = KeepAlivePool(backend, ssl_context, keepalive)  # type: ignore[assignment]


class ProxiedTransport(httpx.AsyncHTTPTransport):
    """Every request through the `http_proxy`: the connection to the proxy goes through
    its own guard (a private proxy must be allowed explicitly), and each request's target
    is vetted by the SSRF guard before it is sent, since the proxy connects to it."""

    def __init__(
        self, proxy_url: str, to_proxy: GuardedBackend, targets: GuardedBackend, keepalive: int
    ) -> None:
        ssl_context = httpx.create_ssl_context()
        super().__init__(verify=ssl_context)
        self._pool = httpcore.AsyncHTTPProxy(
            proxy_url=proxy_url,
            ssl_context=ssl_context,
            max_connections=keepalive,
            network_backend=to_proxy,
        )
        self.targets = targets

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        url = request.url
        await self.targets.vet(url.host, url.port or (443 if url.scheme == "https" else 80))
        return await super().handle_async_request(request)


class Fetcher:
    """Shared by every fetch of a worker; use as `async with Fetcher(settings) as f:`.

    Requests go straight to httpx's transport: what `httpx.AsyncClient` adds on top (a
    cookie jar, auth, redirects, event hooks) is unwanted or done here, and cost a tenth or
    more of a page fetch's CPU. Without the jar, no cookie from one fetch goes out with
    another (a daemon-long jar also grew with every site)."""

    def __init__(
        self,
        settings: Settings,
        resolve: Resolver = system_resolve,
        backend: httpcore.AsyncNetworkBackend | None = None,
    ) -> None:
        self.settings = settings
        guard = GuardedBackend(settings.allow_private_networks, resolve, backend)
        per_read = min(settings.request_timeout, 30.0)
        self.transport: httpx.AsyncHTTPTransport
        if settings.http_proxy:
            to_proxy = GuardedBackend(settings.allow_private_proxy, resolve, backend)
            self.transport = ProxiedTransport(
                settings.http_proxy, to_proxy, guard, keepalive=settings.max_connections
            )
        else:
            self.transport = GuardedTransport(guard, keepalive=settings.max_connections)
        self.base_headers = {
            "User-Agent": settings.user_agent,
            "Accept-Encoding": "gzip, deflate, br",
        }
        self.extensions = {"timeout": httpx.Timeout(per_read).as_dict()}
        self.overall = asyncio.Semaphore(settings.max_connections)
        self.hosts = _HostLimits(settings.max_connections_per_host)

    async def __aenter__(self) -> Fetcher:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self.transport.aclose()

    async def fetch(
        self,
        url: str,
        etag: str | None = None,
        last_modified: str | None = None,
        accept: str = "*/*",
    ) -> FetchResponse:
        """GET `url` within the total deadline, following checked redirects."""
        headers = {**self.base_headers, "Accept": accept}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        return await self._follow(url, headers, time.monotonic())

    def set_min_gap(self, host: str, seconds: float) -> None:
        """Start requests to `host` at least `seconds` apart (a robots.txt `Crawl-delay`)."""
        self.hosts.for_host(host.lower()).min_gap = max(0.0, seconds)

    async def _follow(self, url: str, headers: dict[str, str], started: float) -> FetchResponse:
        current = url
        seen = {url}
        hops: list[str] = []
        permanent: str | None = None
        all_permanent = True
        budget = [self.settings.request_timeout]  # seconds left, spent only holding a slot
        while True:
            status, response_headers, content = await self._get_once(current, headers, budget)
            location = response_headers.get("location")
            if status not in REDIRECT_STATUSES or not location:
                return FetchResponse(
                    url=current,
                    status=status,
                    headers=response_headers,
                    content=content,
                    elapsed_ms=(time.monotonic() - started) * 1000,
                    redirects=tuple(hops),
                    permanent_url=permanent,
                )
            target = absolute_url(current, location)
            if target is None:
                raise RedirectFetchError(url, f"redirect to an invalid URL: {location!r}")
            if urlsplit(target).scheme not in {"http", "https"}:
                raise RedirectFetchError(url, f"redirect to a non-HTTP URL: {target}")
            if target in seen:
                raise RedirectFetchError(
                    url, f"redirect loop: {' -> '.join([*hops, current, target])}"
                )
            if len(hops) >= self.settings.max_redirects:
                raise RedirectFetchError(
                    url, f"more than {self.settings.max_redirects} redirects (last: {target})"
                )
            all_permanent = all_permanent and status in PERMANENT_REDIRECTS
            if all_permanent:
                permanent = target
            hops.append(current)
            seen.add(target)
            current = target

    async def _get_once(
        self, url: str, headers: dict[str, str], budget: list[float]
    ) -> tuple[int, dict[str, str], bytes]:
        host = host_of(url)
        if not host:
            raise NetworkFetchError(url, "invalid URL: no host, or one that cannot be parsed")
        async with self._slot(url, host):
            began = time.monotonic()
            try:
                async with asyncio.timeout(max(0.0, budget[0])):
                    return await self._request(url, headers)
            except TimeoutError:
                raise TimeoutFetchError(
                    url, f"no complete response within {self.settings.request_timeout:g}s"
                ) from None
            finally:
                budget[0] -= time.monotonic() - began

    @contextlib.asynccontextmanager
    async def _slot(self, url: str, host: str) -> AsyncIterator[None]:
        """A connection slot for `host` (its own first, so that a request waiting for a
        busy host holds none of the others), then one of all; the host's Crawl-delay gap
        is waited out inside its slot. All of it within `queue_timeout`."""
        limits = self.hosts.for_host(host)
        async with contextlib.AsyncExitStack() as held:
            try:
                async with asyncio.timeout(self.settings.queue_timeout):
                    await held.enter_async_context(limits.slots)
                    await held.enter_async_context(self.overall)
                    if limits.min_gap:
                        now = time.monotonic()
                        start = max(now, limits.next_start)
                        limits.next_start = start + limits.min_gap
                        await asyncio.sleep(start - now)
            except TimeoutError:
                raise QueueTimeoutFetchError(
                    url,
                    f"no connection to {host} came free within {self.settings.queue_timeout:g}s "
                    "(other requests to it were slow)",
                ) from None
            yield

    async def _request(
        self, url: str, headers: dict[str, str]
    ) -> tuple[int, dict[str, str], bytes]:
        try:
            request = httpx.Request("GET", url, headers=headers, extensions=self.extensions)
            response = await self.transport.handle_async_request(request)
            try:
                limit = self.settings.max_body_bytes
                if response.status_code in REDIRECT_STATUSES or response.status_code == 304:
                    content = b""
                else:
                    if response.status_code >= 400:
                        limit = min(limit, ERROR_BODY_LIMIT)
                    content = await _read_bounded(response, limit)
            finally:
                await response.aclose()
        except BlockedAddressError as exc:
            raise BlockedFetchError(url, str(exc)) from exc
        except BodyTooLargeError as exc:
            raise TooLargeFetchError(url, str(exc)) from exc
        except ContentDecodeError as exc:
            raise DecodeFetchError(url, str(exc)) from exc
        except httpx.InvalidURL as exc:
            raise NetworkFetchError(url, f"invalid URL: {exc}") from exc
        except httpx.HTTPError as exc:
            raise NetworkFetchError(url, f"{type(exc).__name__}: {exc or 'no detail'}") from exc
        # Repeated headers are joined with ", " as HTTP allows; names are lower-case.
        merged = {name.lower(): response.headers[name] for name in response.headers}
        return response.status_code, merged, content


async def _read_bounded(response: httpx.Response, limit: int) -> bytes:
    """The decoded body, refused as soon as it passes `limit` (Content-Length is ignored:
    it may lie)."""
    decoder = BoundedDecoder(response.headers.get("content-encoding"), limit)
    raw = cast(httpx.AsyncByteStream, response.stream)  # straight from the transport: raw bytes
    parts = [decoder.feed(chunk) async for chunk in raw]
    return b"".join(parts)
