"""The SSRF guard, without sending anything anywhere but 127.0.0.1.

Resolution and the connect call are stubbed wherever a non-loopback address is involved, so
a refused address is never contacted, and the stub proves no connection was attempted."""

from __future__ import annotations

import asyncio
import ipaddress

import httpcore
import pytest

from ingest.http.netguard import BlockedAddressError, GuardedBackend, why_blocked

# One address from each entry of the IANA special-purpose registries that is not globally
# reachable (written out here, not read from the guard's table), with what the guard says.
REGISTRY_SAMPLES = [
    ("0.1.2.3", "unspecified"),
    ("0.0.0.0", "unspecified"),
    ("10.0.0.1", "private"),
    ("100.64.0.1", "shared (CGNAT)"),
    ("100.127.255.254", "shared (CGNAT)"),
    ("127.0.0.1", "loopback"),
    ("127.8.9.10", "loopback"),
    ("169.254.169.254", "link-local"),
    ("172.16.5.4", "private"),
    ("172.31.255.255", "private"),
    ("192.0.0.1", "IETF protocol assignment"),
    ("192.0.0.170", "IETF protocol assignment"),  # NAT64 discovery
    ("192.0.2.1", "documentation"),
    ("192.88.99.1", "6to4 relay anycast"),
    ("192.168.1.1", "private"),
    ("198.18.0.1", "benchmarking"),
    ("198.19.255.255", "benchmarking"),
    ("198.51.100.7", "documentation"),
    ("203.0.113.9", "documentation"),
    ("224.0.0.1", "multicast"),
    ("239.255.255.250", "multicast"),
    ("240.0.0.1", "reserved"),
    ("255.255.255.255", "reserved"),
    ("::", "unspecified"),
    ("::1", "loopback"),
    ("64:ff9b:1::1", "local-use IPv4/IPv6 translation"),
    ("100::1", "discard-only"),
    ("2001:2::1", "IETF protocol assignment"),  # benchmarking
    ("2001:10::1", "IETF protocol assignment"),  # ORCHID (deprecated)
    ("2001:db8::1", "documentation"),
    ("3fff::1", "documentation"),
    ("5f00::1", "segment routing"),
    ("fd00::1", "unique-local"),
    ("fc00::1", "unique-local"),
    ("fe80::1", "link-local"),
    ("fec0::1", "site-local"),
    ("feff::1", "site-local"),
    ("ff02::1", "multicast"),
]


@pytest.mark.parametrize(("address", "kind"), REGISTRY_SAMPLES)
def test_non_public_addresses_are_blocked(address: str, kind: str) -> None:
    assert why_blocked(address) == kind


def embeddings(v4: str) -> dict[str, str]:
    """Every IPv6 form that carries an IPv4 address, carrying `v4`."""
    n = int(ipaddress.IPv4Address(v4))
    teredo_server = int(ipaddress.IPv4Address("65.54.227.120"))
    return {
        "IPv4-mapped": str(ipaddress.IPv6Address((0xFFFF << 32) | n)),
        "IPv4-compatible": str(ipaddress.IPv6Address(n)),
        "NAT64": str(ipaddress.IPv6Address((0x64FF9B << 96) | n)),
        "6to4": str(ipaddress.IPv6Address((0x2002 << 112) | (n << 80) | 1)),
        "Teredo": str(
            ipaddress.IPv6Address((0x20010000 << 96) | (teredo_server << 64) | (n ^ 0xFFFFFFFF))
        ),
    }


@pytest.mark.parametrize(
    ("v4", "kind"),
    [(a, k) for a, k in REGISTRY_SAMPLES if "." in a and a not in ("0.0.0.0", "0.1.2.3")],
)
def test_every_ipv6_form_is_judged_by_the_ipv4_address_it_embeds(v4: str, kind: str) -> None:
    for form, v6 in embeddings(v4).items():
        assert why_blocked(v6) == f"{form} {kind}", v6


def test_ipv6_forms_embedding_a_public_ipv4_pass() -> None:
    for v6 in embeddings("93.184.216.34").values():
        assert why_blocked(v6) is None, v6
    assert why_blocked("2002:7f00:1::1") == "6to4 loopback"  # 127.0.0.1, as the issue found


@pytest.mark.parametrize(
    "address",
    [
        "93.184.216.34",
        "1.1.1.1",
        "2606:4700:4700::1111",
        "192.0.0.9",  # PCP anycast: global by the registry
        "192.0.0.10",
        "192.31.196.1",  # AS112
        "2001:4:112::1",
        "2001:20::1",  # ORCHIDv2
    ],
)
def test_public_addresses_pass(address: str) -> None:
    assert why_blocked(address) is None


class RecordingBackend(httpcore.AsyncNetworkBackend):
    """Stands in for the real connect call: records, never connects."""

    def __init__(self) -> None:
        self.attempts: list[tuple[str, int]] = []

    async def connect_tcp(
        self, host: str, port: int, *args: object, **kw: object
    ) -> httpcore.AsyncNetworkStream:
        self.attempts.append((host, port))
        raise httpcore.ConnectError("stub: no connection made")

    async def connect_unix_socket(self, *args: object, **kw: object) -> httpcore.AsyncNetworkStream:
        raise AssertionError("unused")

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)


def resolver(table: dict[str, list[str]]):  # type: ignore[no-untyped-def]
    async def resolve(host: str, port: int) -> list[str]:
        return table[host]

    return resolve


def test_a_name_resolving_to_a_private_address_is_refused_before_connecting() -> None:
    inner = RecordingBackend()
    guard = GuardedBackend(False, resolver({"feeds.example": ["10.0.0.1"]}), inner)
    with pytest.raises(BlockedAddressError, match=r"feeds.example \(10.0.0.1\): private"):
        asyncio.run(guard.connect_tcp("feeds.example", 80))
    assert inner.attempts == []


@pytest.mark.parametrize(
    "address", ["2002:7f00:1::1", "64:ff9b::a00:1", "::127.0.0.1", "fec0::1", "192.0.0.8"]
)
def test_embedded_and_registry_addresses_are_refused_before_connecting(address: str) -> None:
    inner = RecordingBackend()
    guard = GuardedBackend(False, resolver({"sneaky.example": [address]}), inner)
    with pytest.raises(BlockedAddressError):
        asyncio.run(guard.connect_tcp("sneaky.example", 80))
    assert inner.attempts == []


def test_one_private_answer_among_public_ones_is_refused() -> None:
    inner = RecordingBackend()
    table = {"mixed.example": ["93.184.216.34", "192.168.0.10"]}
    with pytest.raises(BlockedAddressError):
        asyncio.run(GuardedBackend(False, resolver(table), inner).connect_tcp("mixed.example", 443))
    assert inner.attempts == []


def test_the_vetted_address_is_the_one_connected_to() -> None:
    inner = RecordingBackend()
    guard = GuardedBackend(False, resolver({"pub.example": ["93.184.216.34"]}), inner)
    with pytest.raises(httpcore.ConnectError, match="stub"):
        asyncio.run(guard.connect_tcp("pub.example", 443))
    assert inner.attempts == [("93.184.216.34", 443)]


def test_allowing_private_networks_lets_them_through() -> None:
    inner = RecordingBackend()
    guard = GuardedBackend(True, resolver({"nas.local": ["192.168.0.10"]}), inner)
    with pytest.raises(httpcore.ConnectError, match="stub"):
        asyncio.run(guard.connect_tcp("nas.local", 80))
    assert inner.attempts == [("192.168.0.10", 80)]
