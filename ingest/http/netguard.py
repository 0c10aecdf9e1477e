"""The SSRF guard: refuse to connect to addresses that are not on the public internet.

The check sits where connections are made (an httpcore network backend), on the address the
host name resolved to, for every hop of every request, so neither a redirect to
`http://127.0.0.1/` nor a public-looking name that resolves to `10.0.0.1` gets through. We
resolve once and connect to the vetted address, so a second, different DNS answer (DNS
rebinding) cannot slip in between check and connect.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Awaitable, Callable, Iterable

import httpcore

from ingest.http.sockets import AsyncioBackend

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[[str, int], Awaitable[list[str]]]

_CGNAT = ipaddress.ip_network("100.64.0.0/10")


class BlockedAddressError(ConnectionError):
    """The host resolves to an address the guard does not allow."""

    def __init__(self, host: str, address: str, why: str) -> None:
        super().__init__(
            f"refused to connect to {host} ({address}): {why} address "
            "(set allow_private_networks to allow it)"
        )
        self.host = host
        self.address = address


def why_blocked(address: str) -> str | None:
    """The kind of non-public address this is, or None when it is a public one."""
    ip: IPAddress = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        inner = why_blocked(str(ip.ipv4_mapped))
        return f"IPv4-mapped {inner}" if inner else "IPv4-mapped IPv6"
    checks = [
        (ip.is_unspecified, "unspecified"),
        (ip.is_loopback, "loopback"),
        (ip.is_link_local, "link-local"),
        (ip.is_multicast, "multicast"),
        (isinstance(ip, ipaddress.IPv4Address) and ip in _CGNAT, "shared (CGNAT)"),
        (ip.is_reserved, "reserved"),
        (ip.is_private, "private"),
        (not ip.is_global, "non-global"),
    ]
    return next((why for hit, why in checks if hit), None)


async def system_resolve(host: str, port: int) -> list[str]:
    infos = await asyncio.get_running_loop().getaddrinfo(
        host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP
    )
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


class GuardedBackend(httpcore.AsyncNetworkBackend):
    """Resolves, vets every address, then connects to a vetted one."""

    def __init__(
        self,
        allow_private: bool = False,
        resolve: Resolver = system_resolve,
        inner: httpcore.AsyncNetworkBackend | None = None,
    ) -> None:
        self.allow_private = allow_private
        self.resolve = resolve
        self.inner = inner or AsyncioBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        try:
            addresses = await self.resolve(host, port)
        except OSError as exc:
            raise httpcore.ConnectError(f"cannot resolve {host}: {exc}") from exc
        if not self.allow_private:
            for address in addresses:
                why = why_blocked(address)
                if why:
                    raise BlockedAddressError(host, address, why)
        last_error: Exception = httpcore.ConnectError(f"{host} resolved to no address")
        for address in addresses:
            try:
                return await self.inner.connect_tcp(
                    address,
                    port,
                    timeout=timeout,
                    local_address=local_address,
                    socket_options=socket_options,
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                last_error = exc
        raise last_error

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        raise BlockedAddressError(path, "unix socket", "local")

    async def sleep(self, seconds: float) -> None:
        await self.inner.sleep(seconds)
