"""The worker's /metrics and /health: the health decision, and a real daemon scraped over HTTP."""

from __future__ import annotations

import signal
import socket
from pathlib import Path

import httpx
import pytest

from ingest.worker.durations import Durations
from ingest.worker.metrics import WorkerState
from tests.helpers.site import Site
from tests.helpers.workers import (
    counts,
    finish,
    needs_aeb,
    settings_env,
    start_worker,
    subscribe,
    upgrade_store,
    wait_for,
)

pytestmark = pytest.mark.slow


def test_health_follows_the_ticks() -> None:
    state = WorkerState(counts=dict, tick_interval=30)
    started = state.started
    assert state.health(started + 60) == (True, "ok")  # no tick yet, but just started
    healthy, reason = state.health(started + 91)
    assert not healthy and "no tick for 91s" in reason
    state.ticked()
    assert state.health(state.last_tick + 89)[0]  # type: ignore[operator]
    assert not state.health(state.last_tick + 95)[0]  # type: ignore[operator]
    state.stopping = True
    assert state.health(state.last_tick) == (False, "stopping")


def test_a_long_tick_through_a_backlog_stays_healthy_while_feeds_finish() -> None:
    state = WorkerState(counts=dict, tick_interval=30)
    state.feed_done()
    assert state.health(state.last_feed + 89)[0]  # type: ignore[operator]
    assert not state.health(state.last_feed + 95)[0]  # type: ignore[operator]
    assert state.ticks == 0


def test_short_tick_intervals_are_given_some_slack() -> None:
    state = WorkerState(counts=dict, tick_interval=1)
    assert state.health(state.started + 25)[0]
    assert not state.health(state.started + 31)[0]


def test_durations_are_cumulative_histograms() -> None:
    durations = Durations()
    for seconds in (0.001, 0.02, 0.02, 3.0, 500.0):
        durations.observe("extract", seconds)
    snapshot = durations.snapshot()["extract"]
    buckets = dict(snapshot.cumulative())
    assert (buckets["0.005"], buckets["0.025"], buckets["2.5"], buckets["5"]) == (1, 3, 3, 4)
    assert buckets["60"] == 4 and buckets["+Inf"] == 5
    assert snapshot.total == pytest.approx(503.041)
    durations.observe("extract", 1.0)
    assert snapshot.cumulative()[-1] == ("+Inf", 5)  # a copy: later observations not in it


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def metric(text: str, name: str) -> float:
    for line in text.splitlines():
        if line.startswith(name + " "):
            return float(line.split()[1])
    raise AssertionError(f"{name} not in the scrape")


@needs_aeb
def test_a_running_worker_reports_its_counts_and_health(site: Site, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'store.db'}"
    env = settings_env(url)
    upgrade_store(env)
    subscribe(url, site.good_feeds[:3])
    port = free_port()
    worker = start_worker(env, "--metrics-port", str(port))
    try:
        base = f"http://127.0.0.1:{port}"

        def scrape() -> str:
            try:
                return httpx.get(f"{base}/metrics", timeout=5).text
            except httpx.TransportError:
                return ""

        wait_for(
            lambda: "ingest_ticks_total" in scrape() and metric(scrape(), "ingest_ticks_total") >= 2
        )
        text = scrape()
        stored = counts(url)["articles"]
        assert stored > 0
        assert metric(text, "ingest_feeds_checked_total") >= 3
        assert metric(text, "ingest_articles_new_total") == stored
        assert metric(text, "ingest_last_tick_timestamp_seconds") > 0
        # Durations as histograms: every page fetched, extracted and stored is counted.
        pages = metric(text, "ingest_fetch_page_seconds_count")
        assert pages >= stored
        assert metric(text, 'ingest_fetch_page_seconds_bucket{le="+Inf"}') == pages
        assert metric(text, "ingest_extract_seconds_count") >= stored
        assert metric(text, "ingest_fetch_feed_seconds_count") >= 3
        assert metric(text, "ingest_intake_seconds_count") >= 1
        assert metric(text, "ingest_intake_seconds_sum") > 0
        # Gauges from the store, and the process's own.
        wait_for(lambda: metric(scrape(), "ingest_articles") == counts(url)["articles"])
        assert metric(scrape(), 'ingest_feeds{status="ok"}') == 3
        assert metric(text, "process_resident_memory_bytes") > 0
        health = httpx.get(f"{base}/health", timeout=5)
        assert (health.status_code, health.text) == (200, "ok\n")
        assert httpx.get(f"{base}/favicon.ico", timeout=5).status_code == 404
    finally:
        worker.send_signal(signal.SIGTERM)
        code, stderr = finish(worker, 40)
    assert code == 0, stderr
    with pytest.raises(httpx.TransportError):
        httpx.get(f"http://127.0.0.1:{port}/health", timeout=2)
