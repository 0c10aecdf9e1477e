"""robots.txt for article pages, fetched once per host and cached (RFC 9309 rules).

A robots.txt that is missing (4xx) allows everything; one that cannot be fetched (5xx,
network error) disallows everything until the cache entry expires, as the RFC asks.
"""

from __future__ import annotations

import asyncio
import time
from urllib.parse import urlsplit
from urllib.robotparser import RobotFileParser

from ingest.errors import FetchError
from ingest.http.fetch import BlockedFetchError, Fetcher

MAX_ROBOTS_BYTES = 500 * 1024


class RobotsCache:
    def __init__(self, fetcher: Fetcher, user_agent: str, ttl: float) -> None:
        self.fetcher = fetcher
        self.agent = user_agent.split("/", 1)[0]
        self.ttl = ttl
        self.rules: dict[str, tuple[float, RobotFileParser | bool]] = {}
        self.locks: dict[str, asyncio.Lock] = {}

    async def allowed(self, url: str) -> bool:
        parts = urlsplit(url)
        origin = f"{parts.scheme}://{parts.netloc}"
        lock = self.locks.setdefault(origin, asyncio.Lock())
        async with lock:  # one fetch of a host's robots.txt, however many pages wait on it
            cached = self.rules.get(origin)
            if cached is None or cached[0] < time.monotonic():
                cached = (time.monotonic() + self.ttl, await self._load(origin))
                self.rules[origin] = cached
        rules = cached[1]
        return rules if isinstance(rules, bool) else rules.can_fetch(self.agent, url)

    async def _load(self, origin: str) -> RobotFileParser | bool:
        """Parsed rules, or True (allow all) / False (disallow all)."""
        try:
            response = await self.fetcher.fetch(origin + "/robots.txt", accept="text/plain")
        except BlockedFetchError:
            return True  # the page's own fetch meets the same guard, and says so
        except FetchError:
            return False
        if response.status >= 500:
            return False
        if response.status >= 400:
            return True
        parser = RobotFileParser(origin + "/robots.txt")
        text = response.content[:MAX_ROBOTS_BYTES].decode("utf-8", errors="replace")
        parser.parse(text.splitlines())
        return parser
