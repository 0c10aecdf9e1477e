"""Running the real `ingest` command as users do: its environment, worker processes, and
looks at the store and the test server afterwards."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable

import pytest
from sqlalchemy import func, select

from storage.engine import create_store_engine
from storage.feeds import add_feeds
from storage.models import Article as ArticleRow
from storage.models import ArticleUrl, Entry, Feed, RemovedBlock
from tests.helpers.httpserver import TestServer
from tests.helpers.site import AEB


def settings_env(database_url: str) -> dict[str, str]:
    return {
        "INGEST_DATABASE_URL": database_url,
        "INGEST_ALLOW_PRIVATE_NETWORKS": "true",
        "INGEST_REQUEST_TIMEOUT": "2",
        "INGEST_MIN_POLL_INTERVAL": "1",
        "INGEST_DEFAULT_POLL_INTERVAL": "1",
        "INGEST_MAX_POLL_INTERVAL": "2",
        "INGEST_TICK_INTERVAL": "1",
        "INGEST_MAX_CONNECTIONS_PER_HOST": "8",
    }


def page_hits(server: TestServer) -> Counter[str]:
    hits: Counter[str] = Counter()
    for path, n in server.hits.items():
        hits[path.split("?", 1)[0]] += n
    return hits


needs_aeb = pytest.mark.skipif(not AEB.exists(), reason=f"benchmark data not found at {AEB}")


def start_worker(env: dict[str, str], *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "ingest", "run", "--quiet", *args],
        env={**os.environ, **env},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # its own process group: kill -9 reaches its helpers too
    )


def finish(worker: subprocess.Popen[str], timeout: float) -> tuple[int, str]:
    """Wait for the worker's exit; its exit code and what it wrote to stderr."""
    _, stderr = worker.communicate(timeout=timeout)
    return worker.returncode, stderr


def upgrade_store(env: dict[str, str]) -> None:
    subprocess.run(
        [sys.executable, "-m", "ingest", "db", "upgrade"],
        env={**os.environ, **env},
        check=True,
        capture_output=True,
    )


def wait_for(condition: Callable[[], bool], timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.1)


def counts(database_url: str) -> dict[str, int]:
    engine = create_store_engine(database_url)
    with engine.connect() as conn:
        result = {
            "articles": conn.execute(select(func.count()).select_from(ArticleRow)).scalar_one(),
            "distinct urls": conn.execute(
                select(func.count(func.distinct(ArticleRow.canonical_url)))
            ).scalar_one(),
            "entries": conn.execute(select(func.count()).select_from(Entry)).scalar_one(),
            "linked": conn.execute(
                select(func.count()).select_from(Entry).where(Entry.article_id.is_not(None))
            ).scalar_one(),
            "leased": conn.execute(
                select(func.count()).select_from(Feed).where(Feed.lease_owner.is_not(None))
            ).scalar_one(),
        }
    engine.dispose()
    return result


def subscribe(database_url: str, urls: list[str]) -> None:
    engine = create_store_engine(database_url)
    with engine.begin() as conn:
        add_feeds(conn, urls)
    engine.dispose()


Snapshot = dict[str, set[tuple[object, ...]]]


def snapshot(database_url: str) -> Snapshot:
    """What a run leaves that must not depend on how it got there (no ids, no times).

    Which of two copies is the original is the one stored first, so arrival order decides
    it: copies are compared as pairs, not by direction."""
    engine = create_store_engine(database_url)
    with engine.connect() as conn:
        canonical = dict(conn.execute(select(ArticleRow.id, ArticleRow.canonical_url)).all())
        feeds = dict(conn.execute(select(Feed.id, Feed.url)).all())
        rows = list(conn.execute(select(ArticleRow)))
        result: Snapshot = {
            "articles": {(a.canonical_url, a.content_hash, a.title) for a in rows},
            "copies": {
                tuple(sorted((a.canonical_url, canonical[a.duplicate_of])))
                for a in rows
                if a.duplicate_of is not None
            },
            "urls": {(u.url, canonical[u.article_id]) for u in conn.execute(select(ArticleUrl))},
            "entries": {
                (feeds[e.feed_id], e.guid, canonical.get(e.article_id))
                for e in conn.execute(select(Entry))
            },
            "removed": {
                (canonical[r.article_id], r.position, r.reason, r.text)
                for r in conn.execute(select(RemovedBlock))
            },
        }
    engine.dispose()
    return result
