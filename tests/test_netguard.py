"""The SSRF guard, without sending anything anywhere but 127.0.0.1.

Resolution and the connect call are stubbed wherever a non-loopback address is involved, so
a refused address is never contacted, and the stub proves no connection was attempted."""

from __future__ import annotations

import asyncio

import httpcore
import pytest

from ingest.http.netguard import BlockedAddressError, GuardedBackend, why_blocked


@pytest.mark.parametrize(
    ("address", "kind"),
    [
        ("127.0.0.1", "loopback"),
        ("127.8.9.10", "loopback"),
        ("::1", "loopback"),
        ("10.0.0.1", "private"),
        ("172.16.5.4", "private"),
        ("172.31.255.255", "private"),
        ("192.168.1.1", "private"),
        ("169.254.169.254", "link-local"),
        ("fe80::1", "link-local"),
        ("fd00::1", "private"),
        ("224.0.0.1", "multicast"),
        ("ff02::1", "multicast"),
        ("0.0.0.0", "unspecified"),
        ("::", "unspecified"),
        ("100.64.0.1", "shared (CGNAT)"),
        ("240.0.0.1", "reserved"),
        ("::ffff:10.0.0.1", "IPv4-mapped private"),
        ("::ffff:127.0.0.1", "IPv4-mapped loopback"),
        ("192.0.2.1", "private"),  # TEST-NET-1, documentation only
    ],
)
def test_non_public_addresses_are_blocked(address: str, kind: str) -> None:
    assert why_blocked(address) == kind


@pytest.mark.parametrize("address", ["93.184.216.34", "1.1.1.1", "2606:4700:4700::1111"])
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
