"""Ctrl-C at the terminal: SIGINT reaches the whole process group (the command and its
worker processes). `ingest run` stops as on SIGTERM; `ingest backfill` stops with the summary
of what it did and exit code 130; nothing prints a traceback, and running the backfill again
finishes the work without duplicating any of it."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import subprocess
import sys
import time
from http.server import BaseHTTPRequestHandler

import pytest

from ingest.worker.batch import until_stopped
from tests.helpers.feeds import rss
from tests.helpers.httpserver import TestServer, respond, send
from tests.helpers.workers import (
    counts,
    finish,
    settings_env,
    snapshot,
    start_worker,
    subscribe,
    upgrade_store,
    wait_for,
)

pytestmark = pytest.mark.slow
PAGES = 30


def _page(n: int) -> bytes:
    text = f"Story number {n} tells of things that happened on day {n}. " * 12
    return f"<html><head><title>Story {n}</title></head><body><p>{text}</p></body></html>".encode()


def _slow_site(delay: float) -> TestServer:
    server = TestServer()

    def slow(n: int) -> object:
        def route(h: BaseHTTPRequestHandler) -> None:
            time.sleep(delay)
            send(h, 200, _page(n), "text/html")

        return route

    for n in range(PAGES):
        server.route(f"/story/{n}", slow(n))  # type: ignore[arg-type]
    items = [(f"s{n}", server.url(f"/story/{n}"), f"Story {n}") for n in range(PAGES)]
    server.route("/feed.xml", respond(200, rss(items), "application/rss+xml"))
    return server


def _interrupt(process: subprocess.Popen[str]) -> None:
    os.killpg(process.pid, signal.SIGINT)  # as the terminal does


def test_ctrl_c_stops_the_daemon_cleanly(database_url: str) -> None:
    server = _slow_site(0.2)
    env = settings_env(database_url) | {"INGEST_MAX_CONNECTIONS_PER_HOST": "2"}
    try:
        upgrade_store(env)
        subscribe(database_url, [server.url("/feed.xml")])
        worker = start_worker(env)
        wait_for(lambda: counts(database_url)["articles"] >= 2)
        _interrupt(worker)
        code, stderr = finish(worker, 60)
    finally:
        server.close()
    assert code == 0, stderr
    assert "Traceback" not in stderr and "KeyboardInterrupt" not in stderr, stderr


def test_ctrl_c_stops_a_backfill_with_its_summary_and_a_rerun_finishes(
    database_url: str,
) -> None:
    server = _slow_site(0.3)
    env = {**os.environ, **settings_env(database_url), "INGEST_MAX_CONNECTIONS_PER_HOST": "2"}
    command = [sys.executable, "-m", "ingest", "backfill", "--feeds", server.url("/feed.xml")]
    try:
        upgrade_store(env)
        backfill = subprocess.Popen(
            command,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,
        )
        wait_for(lambda: counts(database_url)["articles"] >= 3)
        _interrupt(backfill)
        out, err = backfill.communicate(timeout=60)
        stored = counts(database_url)["articles"]
        assert backfill.returncode == 130, err
        assert "Traceback" not in err + out and "KeyboardInterrupt" not in err, err
        assert "backfill" in out and "new articles" in out  # the summary
        assert "Interrupted: what was done is kept" in err
        assert 3 <= stored < PAGES

        again = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
    finally:
        server.close()
    assert again.returncode == 0, again.stderr
    assert counts(database_url)["articles"] == PAGES
    assert len(snapshot(database_url)["articles"]) == PAGES
    for n in range(PAGES):
        assert server.hits[f"/story/{n}"] <= 2  # the ones in flight at Ctrl-C, once more


def test_a_backfill_into_a_pipe_logs_plain_progress_lines(database_url: str) -> None:
    server = _slow_site(0.5)
    env = {**os.environ, **settings_env(database_url), "INGEST_MAX_CONNECTIONS_PER_HOST": "2"}
    command = [sys.executable, "-m", "ingest", "backfill", "--feeds", server.url("/feed.xml")]
    try:
        upgrade_store(env)
        done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
    finally:
        server.close()
    assert done.returncode == 0, done.stderr
    lines = [line for line in done.stderr.splitlines() if line.startswith("feeds ")]
    assert lines, done.stderr
    assert re.fullmatch(
        r"feeds \d+/1, pages \d+/30, new \d+, copies \d+, errors \d+ \([\d.]+ articles/s\)",
        lines[0],
    )
    assert "\r" not in done.stderr and "━" not in done.stderr  # no bar drawn into a pipe


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_until_stopped_cancels_the_work_at_a_signal(sig: signal.Signals) -> None:
    """What backfill and reprocess run their work under."""
    cancelled = []

    async def work() -> None:
        try:
            await asyncio.sleep(30)
        except asyncio.CancelledError:
            cancelled.append(True)
            raise

    async def go() -> tuple[bool, bool]:
        loop = asyncio.get_running_loop()
        loop.call_later(0.2, os.kill, os.getpid(), sig)
        stopped = await until_stopped(work())
        return stopped, await until_stopped(asyncio.sleep(0))

    assert asyncio.run(go()) == (True, False)
    assert cancelled == [True]
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler  # handlers put back
