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

# The IANA special-purpose address registries (IPv4 and IPv6), the entries that are not
# globally reachable, with RFC 3879's deprecated site-local block and the multicast ranges.
# Entries the registries mark global (AS112, AMT, the PCP and TURN anycasts, ORCHIDv2, the
# 64:ff9b::/96 translation prefix itself) are not here; forms that embed an IPv4 address
# are judged by the address they embed (`_embedded`).
SPECIAL_PURPOSE: tuple[tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, str], ...] = tuple(
    (ipaddress.ip_network(network), why)
    for network, why in [
        ("0.0.0.0/8", "unspecified"),  # "this network"
        ("10.0.0.0/8", "private"),
        ("100.64.0.0/10", "shared (CGNAT)"),
        ("127.0.0.0/8", "loopback"),
        ("169.254.0.0/16", "link-local"),
        ("172.16.0.0/12", "private"),
        ("192.0.0.0/24", "IETF protocol assignment"),
        ("192.0.2.0/24", "documentation"),
        ("192.88.99.0/24", "6to4 relay anycast"),
        ("192.168.0.0/16", "private"),
        ("198.18.0.0/15", "benchmarking"),
        ("198.51.100.0/24", "documentation"),
        ("203.0.113.0/24", "documentation"),
        ("224.0.0.0/4", "multicast"),
        ("240.0.0.0/4", "reserved"),  # 255.255.255.255, limited broadcast, among them
        ("::/128", "unspecified"),
        ("::1/128", "loopback"),
        ("64:ff9b:1::/48", "local-use IPv4/IPv6 translation"),
        ("100::/64", "discard-only"),
        ("2001::/23", "IETF protocol assignment"),
        ("2001:db8::/32", "documentation"),
        ("3fff::/20", "documentation"),
        ("5f00::/16", "segment routing"),
        ("fc00::/7", "unique-local"),
        ("fe80::/10", "link-local"),
        ("fec0::/10", "site-local"),
        ("ff00::/8", "multicast"),
    ]
)
_GLOBAL_EXCEPTIONS = tuple(
    ipaddress.ip_network(network)
    for network in [
        "192.0.0.9/32",  # PCP anycast
        "192.0.0.10/32",  # TURN anycast
        "2001:1::1/128",  # PCP anycast
        "2001:1::2/128",  # TURN anycast
        "2001:3::/32",  # AMT
        "2001:4:112::/48",  # AS112-v6
        "2001:20::/28",  # ORCHIDv2
        "2001:30::/28",  # drone remote ID
    ]
)
_IPV4_COMPATIBLE = ipaddress.ip_network("::/96")
_NAT64 = ipaddress.ip_network("64:ff9b::/96")


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
    embedded = _embedded(ip)
    if embedded is not None:
        form, inner = embedded
        why = why_blocked(str(inner))
        return f"{form} {why}" if why else None
    for network, why in SPECIAL_PURPOSE:
        if ip.version == network.version and ip in network:
            if any(ip.version == n.version and ip in n for n in _GLOBAL_EXCEPTIONS):
                return None
            return why
    return None if ip.is_global else "non-global"  # what Python's own tables know besides


def _embedded(ip: IPAddress) -> tuple[str, ipaddress.IPv4Address] | None:
    """The IPv4 address an IPv6 address carries, by the form that carries it: a connection
    to it reaches that IPv4 address (through the host's stack, a relay or a translator)."""
    if not isinstance(ip, ipaddress.IPv6Address):
        return None
    if ip.ipv4_mapped is not None:
        return "IPv4-mapped", ip.ipv4_mapped
    if ip in _NAT64:
        return "NAT64", ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    if ip.sixtofour is not None:
        return "6to4", ip.sixtofour
    if ip.teredo is not None:
        server, client = ip.teredo
        return "Teredo", client if why_blocked(str(server)) is None else server
    if ip in _IPV4_COMPATIBLE and int(ip) > 1:  # not :: or ::1
        return "IPv4-compatible", ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


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
        addresses = await self.vet(host, port)
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

    async def vet(self, host: str, port: int) -> list[str]:
        """The host's addresses, once each is allowed; else `BlockedAddressError`. Also for
        a request through a proxy, which connects to the target itself: its target is
        vetted here first."""
        try:
            addresses = await self.resolve(host, port)
        except OSError as exc:
            raise httpcore.ConnectError(f"cannot resolve {host}: {exc}") from exc
        if not self.allow_private:
            for address in addresses:
                why = why_blocked(address)
                if why:
                    raise BlockedAddressError(host, address, why)
        return addresses

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        raise BlockedAddressError(path, "unix socket", "local")

    async def sleep(self, seconds: float) -> None:
        await self.inner.sleep(seconds)
