"""`ingest run`'s log as a deployment reads it: JSON lines when asked, at the level asked,
and none of the libraries' own INFO chatter (Alembic, APScheduler) per tick."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from tests.helpers.feeds import rss
from tests.helpers.httpserver import TestServer, respond
from tests.helpers.workers import settings_env, subscribe, upgrade_store

pytestmark = pytest.mark.slow


def run_daemon(database_url: str, *settings: str) -> list[str]:
    server = TestServer()
    server.route("/feed.xml", respond(200, rss([]), "application/rss+xml"))
    env = {**os.environ, **settings_env(database_url)}
    try:
        upgrade_store(env)
        subscribe(database_url, [server.url("/feed.xml")])
        done = subprocess.run(
            [sys.executable, "-m", "ingest", *settings, "run", "--ticks", "2"],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
    finally:
        server.close()
    assert done.returncode == 0, done.stderr
    return done.stderr.splitlines()


def test_json_logs_one_object_a_line_without_library_chatter(database_url: str) -> None:
    lines = run_daemon(database_url, "--log-format", "json")
    records = [json.loads(line) for line in lines]
    assert {"time", "level", "logger", "message"} <= set(records[0])
    messages = [r["message"] for r in records]
    assert any(m.startswith("fetch feed=") for m in messages)
    assert any(m.startswith("worker ") and "started" in m for m in messages)
    loggers = {r["logger"].split(".")[0] for r in records}
    assert not loggers & {"alembic", "apscheduler", "httpx", "httpcore"}, loggers


def test_the_log_level_setting(database_url: str) -> None:
    text = run_daemon(database_url)
    assert any(" INFO ingest" in line and "fetch feed=" in line for line in text)
    assert run_daemon(database_url, "--log-level", "warning") == []
