"""robots.txt for article pages, fetched once per host and cached, read by RFC 9309.

Rules are matched by `protego` (Scrapy's parser): the longest matching rule wins, `Allow`
over `Disallow` on a tie, `*` and `$` wildcards, the most specific user-agent group. The
standard's own library (`urllib.robotparser`) applies the first matching line instead, so
`Disallow: /` before `Allow: /news/` blocked every article.

A robots.txt that is missing (4xx) allows everything; one that cannot be fetched (5xx,
network error) disallows everything until the cache entry expires, as the RFC asks.
`Crawl-delay` (not in the RFC, but widely used) becomes the least gap between two requests
to that host, capped by the `max_crawl_delay` setting.
"""

from __future__ import annotations

import asyncio
import time
from urllib.parse import urlsplit

from protego import Protego

from ingest.errors import FetchError
from ingest.http.fetch import BlockedFetchError, Fetcher

MAX_ROBOTS_BYTES = 500 * 1024


class RobotsCache:
    def __init__(
        self, fetcher: Fetcher, user_agent: str, ttl: float, max_crawl_delay: float = 0.0
    ) -> None:
        self.fetcher = fetcher
        self.agent = user_agent.split("/", 1)[0]
        self.ttl = ttl
        self.max_crawl_delay = max_crawl_delay
        self.rules: dict[str, tuple[float, Protego | bool]] = {}
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
                self._pace(parts.hostname or "", cached[1])
        rules = cached[1]
        return rules if isinstance(rules, bool) else bool(rules.can_fetch(url, self.agent))

    def _pace(self, host: str, rules: Protego | bool) -> None:
        delay = None if isinstance(rules, bool) else rules.crawl_delay(self.agent)
        if self.max_crawl_delay > 0:
            self.fetcher.set_min_gap(host, min(float(delay or 0.0), self.max_crawl_delay))

    async def _load(self, origin: str) -> Protego | bool:
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
        text = response.content[:MAX_ROBOTS_BYTES].decode("utf-8", errors="replace")
        return Protego.parse(text)
