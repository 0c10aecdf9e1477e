"""Prometheus metrics and a health check for `ingest run --metrics-port PORT`.

`GET /metrics`: the worker's counters since it started (feeds checked, entries, pages, new
articles, duplicates, errors ...), its ticks and the time of the last one.
`GET /health`: 200 while the worker ticks (or a long tick finishes feeds) on schedule, 503
once a tick is overdue (stuck on a store that does not answer, say) or while it shuts down.

Served from a thread, so a scrape never waits on the event loop; the counters are read when
scraped, not kept twice.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from prometheus_client import CollectorRegistry, ProcessCollector, make_wsgi_app
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)
from prometheus_client.registry import Collector

from ingest.errors import StoreError
from ingest.worker.durations import Durations, Histogram
from ingest.worker.pipeline import Count

# The run's counts -> (metric name, help).
COUNTERS = {
    Count.FEEDS: ("ingest_feeds_checked", "Feed checks done."),
    Count.FEEDS_FAILED: ("ingest_feeds_failed", "Feed checks that failed."),
    Count.FEEDS_PUT_OFF: ("ingest_feeds_put_off", "Feed checks put off (Retry-After, queue)."),
    Count.ENTRIES: ("ingest_entries_seen", "Entries read from feeds."),
    Count.PAGES_FOUND: ("ingest_pages_to_fetch", "Pages found to fetch."),
    Count.PAGES_DONE: ("ingest_pages_done", "Pages fetched and stored, or failed."),
    Count.PAGES: ("ingest_pages_stored", "Pages fetched, extracted and stored."),
    Count.NEW: ("ingest_articles_new", "New articles."),
    Count.UPDATED: ("ingest_articles_updated", "Articles whose page changed."),
    Count.COPIES: ("ingest_articles_duplicate", "Pages stored as copies of an article."),
    Count.KNOWN_PAGES: ("ingest_pages_known", "Entries whose page was already an article."),
    Count.SHARED_FETCHES: ("ingest_pages_shared", "Entries that shared another entry's fetch."),
    Count.ERRORS: ("ingest_errors", "Feeds or pages that failed."),
}


HISTOGRAMS = {
    "fetch_feed": ("ingest_fetch_feed_seconds", "Duration of a feed's fetch."),
    "fetch_page": ("ingest_fetch_page_seconds", "Duration of a page's fetch."),
    "extract": ("ingest_extract_seconds", "Extraction and cleaning of one page."),
    "intake": ("ingest_intake_seconds", "One store transaction (a group of pages)."),
}
GAUGES_TTL = 15.0  # seconds a reading of the store's gauges is reused


@dataclass
class WorkerState:
    """What the daemon tells the metrics: its counters, durations and ticks, and how to
    read the store's gauges (feeds by status, articles)."""

    counts: Callable[[], Mapping[Count, int]]
    tick_interval: float
    durations: Callable[[], Iterable[Durations]] = lambda: ()
    gauges: Callable[[], Mapping[str, int]] = dict
    started: float = 0.0
    ticks: int = 0
    last_tick: float | None = None
    last_feed: float | None = None
    stopping: bool = False

    def __post_init__(self) -> None:
        self.started = time.time()

    def ticked(self) -> None:
        self.ticks += 1
        self.last_tick = time.time()

    def feed_done(self) -> None:
        """A feed done within a tick: a long tick through a backlog is progress."""
        self.last_feed = time.time()

    def health(self, now: float | None = None) -> tuple[bool, str]:
        """Healthy while the last tick or finished feed (or the start) is at most three
        intervals old."""
        now = time.time() if now is None else now
        if self.stopping:
            return False, "stopping"
        since = now - max(self.started, self.last_tick or 0.0, self.last_feed or 0.0)
        allowed = 3 * max(self.tick_interval, 10.0)
        if since > allowed:
            return False, f"no tick for {since:.0f}s (expected every {self.tick_interval:g}s)"
        return True, "ok"


class _Collector(Collector):
    def __init__(self, state: WorkerState) -> None:
        self.state = state
        self.gauges: tuple[float, Mapping[str, int]] = (0.0, {})

    def collect(self) -> Iterator[Metric]:
        counts = dict(self.state.counts())  # one copy: the event loop keeps counting
        for count, (name, help_text) in COUNTERS.items():
            yield CounterMetricFamily(name, help_text, value=counts.get(count, 0))
        merged: dict[str, Histogram] = {}  # the pipeline's and the page workers' together
        for durations in self.state.durations():
            for kind, histogram in durations.snapshot().items():
                merged.setdefault(kind, Histogram()).add(histogram)
        for kind, (name, help_text) in HISTOGRAMS.items():
            histogram = merged.get(kind, Histogram())
            family = HistogramMetricFamily(name, help_text)
            family.add_metric([], histogram.cumulative(), sum_value=histogram.total)
            yield family
        yield from self._store_gauges()
        yield CounterMetricFamily("ingest_ticks", "Scheduler ticks run.", value=self.state.ticks)
        last = GaugeMetricFamily(
            "ingest_last_tick_timestamp_seconds", "When the last tick finished (Unix time)."
        )
        last.add_metric([], self.state.last_tick or 0.0)
        yield last

    def _store_gauges(self) -> Iterator[Metric]:
        """Read from the store at most every `GAUGES_TTL` seconds; a store that does not
        answer leaves them out (the health check says why)."""
        read_at, values = self.gauges
        if time.monotonic() - read_at > GAUGES_TTL:
            try:
                values = dict(self.state.gauges())
            except StoreError:
                values = {}
            self.gauges = (time.monotonic(), values)
        feeds = GaugeMetricFamily("ingest_feeds", "Subscribed feeds by status.", labels=["status"])
        for status in ("ok", "erroring", "disabled"):
            if f"feeds_{status}" in values:
                feeds.add_metric([status], values[f"feeds_{status}"])
        yield feeds
        if "articles" in values:
            yield GaugeMetricFamily("ingest_articles", "Articles stored.", value=values["articles"])


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base's name
        pass


class MetricsServer:
    """`/metrics` and `/health` on a port, in a daemon thread; `close()` stops it."""

    def __init__(self, state: WorkerState, port: int, host: str = "127.0.0.1") -> None:
        registry = CollectorRegistry(auto_describe=True)
        registry.register(_Collector(state))
        ProcessCollector(registry=registry)  # CPU, memory, open files of this process
        metrics = make_wsgi_app(registry)

        def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
            path = environ.get("PATH_INFO")
            if path == "/health":
                healthy, reason = state.health()
                status = "200 OK" if healthy else "503 Service Unavailable"
                start_response(status, [("Content-Type", "text/plain; charset=utf-8")])
                return [reason.encode() + b"\n"]
            if path != "/metrics":
                start_response("404 Not Found", [("Content-Type", "text/plain; charset=utf-8")])
                return [b"not found: try /metrics or /health\n"]
            return metrics(environ, start_response)  # type: ignore[no-any-return]

        self.server: WSGIServer = make_server(host, port, app, handler_class=_QuietHandler)
        self.port = self.server.server_port
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
