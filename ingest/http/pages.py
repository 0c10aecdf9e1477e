"""Article pages: fetched only where robots.txt allows (when the setting says to honour it)."""

from __future__ import annotations

from ingest.http.fetch import Fetcher, FetchResponse, RobotsFetchError
from ingest.http.robots import RobotsCache

PAGE_ACCEPT = "text/html, application/xhtml+xml;q=0.9, */*;q=0.5"


class PageFetcher:
    def __init__(self, fetcher: Fetcher) -> None:
        self.fetcher = fetcher
        settings = fetcher.settings
        self.robots = (
            RobotsCache(
                fetcher, settings.user_agent, settings.robots_cache_ttl, settings.max_crawl_delay
            )
            if settings.respect_robots_txt
            else None
        )

    async def fetch(self, url: str) -> FetchResponse:
        if self.robots is not None and not await self.robots.allowed(url):
            raise RobotsFetchError(url, f"robots.txt disallows {url}")
        return await self.fetcher.fetch(url, accept=PAGE_ACCEPT)
