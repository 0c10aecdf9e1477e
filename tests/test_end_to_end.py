"""The whole worker against a local news site: `ingest backfill`, then `ingest run` for a few
ticks while new entries appear; then the store is checked."""

from __future__ import annotations

import os
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import Engine, func, select, text

from ingest.cli import main
from storage.engine import create_store_engine
from storage.models import Article, Entry, Feed, Fetch, RemovedBlock
from tests.helpers.site import AEB, Site
from tests.helpers.workers import page_hits, settings_env

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not AEB.exists(), reason=f"benchmark data not found at {AEB}"),
]


def ingest(env: dict[str, str], *args: str) -> Any:
    result = CliRunner().invoke(main, list(args), env=env, catch_exceptions=False)
    return result


def articles(engine: Engine) -> dict[str, Any]:
    with engine.connect() as conn:
        rows = conn.execute(select(Article.__table__)).all()
    return {row.canonical_url.split("/", 3)[3]: row for row in rows}


def test_backfill_then_run(site: Site, database_url: str, tmp_path: Path) -> None:
    env = settings_env(database_url)
    assert ingest(env, "db", "upgrade").exit_code == 0
    result = ingest(env, "feeds", "add", *site.feeds)
    assert result.exit_code == 0
    result = ingest(env, "backfill")
    assert result.exit_code == 0, result.output
    engine = create_store_engine(database_url)
    server = site.server

    # Each page fetched once, however many feeds and tracking-parameter URLs name it.
    hits = page_hits(server)
    for path in [*site.pages, site.original, site.near_copy, site.doubled]:
        assert hits[path] == 1, path

    stored = articles(engine)
    expected_paths = {
        p.lstrip("/") for p in [*site.pages, site.original, site.near_copy, site.doubled]
    }
    assert set(stored) == expected_paths
    # Copies linked: of the original and its syndicated copy, the later points at the earlier.
    pair = sorted(
        (stored[site.original.lstrip("/")], stored[site.near_copy.lstrip("/")]),
        key=lambda a: (a.first_seen_at, a.id),
    )
    assert pair[0].duplicate_of is None and pair[1].duplicate_of == pair[0].id
    assert sum(1 for a in stored.values() if a.duplicate_of is not None) == 1
    # Spam stripped: the doubled body kept once, the related block gone, and both recorded.
    doubled = stored[site.doubled.lstrip("/")]
    assert doubled.text.count(site.doubled_first_paragraph) == 1
    assert site.related_headline not in doubled.text
    with engine.connect() as conn:
        reasons = Counter(
            conn.execute(
                select(RemovedBlock.reason).where(RemovedBlock.article_id == doubled.id)
            ).scalars()
        )
        assert reasons["duplicate"] >= 3
        # Errors recorded on the feeds and in the fetch log; good feeds have none.
        feeds = {f.url: f for f in conn.execute(select(Feed.__table__))}
        for url in site.broken_feeds:
            assert feeds[url].error_count == 1 or feeds[url].disabled, url
            assert feeds[url].last_error
        assert all(feeds[url].error_count == 0 for url in site.good_feeds)
        kinds = Counter(conn.execute(select(Fetch.error_kind)).scalars())
        assert kinds["http"] >= 2 and kinds["parse"] >= 2 and kinds["timeout"] >= 1
        # Every entry that names a good page points at its article; each entry once.
        entries = conn.execute(select(func.count()).select_from(Entry)).scalar_one()
        linked = conn.execute(
            select(func.count()).select_from(Entry).where(Entry.article_id.is_not(None))
        ).scalar_one()
    assert entries == 24 * 3
    assert linked == entries - sum(
        1
        for items in site.feed_items.values()
        for _, link, _ in items
        if any(b in link for b in site.broken_pages)
    )

    # A new entry appears in one feed; `ingest run` picks it up on its next ticks.
    first_feed = "/feeds/0.xml"
    new_path = next(iter(site.pages))
    items = site.feed_items[first_feed] + [("fresh-item", server.url(new_path) + "?ref=x", "New")]
    site.serve_feed(first_feed, items)
    with engine.begin() as conn:
        conn.execute(text("UPDATE feeds SET next_check_at = :t"), {"t": "2000-01-01 00:00:00"})
    engine.dispose()
    run = subprocess.run(
        [sys.executable, "-m", "ingest", "run", "--ticks", "2", "--quiet"],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert run.returncode == 0, run.stderr
    engine = create_store_engine(database_url)
    with engine.connect() as conn:
        fresh = conn.execute(select(Entry.article_id).where(Entry.guid == "fresh-item")).one()
        assert fresh.article_id is not None  # linked to the known article, not refetched
        leases = conn.execute(
            select(func.count()).select_from(Feed).where(Feed.lease_owner.is_not(None))
        ).scalar_one()
    assert leases == 0
    assert page_hits(server)[new_path] == 1
    assert len(articles(engine)) == len(stored)
    engine.dispose()


def test_reprocess_rebuilds_articles_from_the_stored_pages(site: Site, database_url: str) -> None:
    env = settings_env(database_url)
    assert ingest(env, "db", "upgrade").exit_code == 0
    assert ingest(env, "backfill", "--feeds", *site.good_feeds[:4]).exit_code == 0
    engine = create_store_engine(database_url)
    before = {url: (row.text, row.html) for url, row in articles(engine).items()}
    hits = sum(page_hits(site.server).values())
    assert len(before) >= 4
    # As if the articles had been extracted by older rules.
    with engine.begin() as conn:
        conn.execute(Article.__table__.update().values(text="stale", html="<p>stale</p>"))
    result = ingest(env, "reprocess")
    assert result.exit_code == 0, result.output
    assert f"Reprocessed {len(before)} article(s); 0 failed." in result.output
    after = {url: (row.text, row.html) for url, row in articles(engine).items()}
    assert after == before  # the same articles, rebuilt, none added
    assert sum(page_hits(site.server).values()) == hits  # nothing fetched
    engine.dispose()
