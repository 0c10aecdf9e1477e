"""The README's promises: its SQL runs on both engines, and every setting is documented."""

from __future__ import annotations

import re
from dataclasses import fields
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, select, text

from ingest.config import Settings
from ingest.types import Removed
from storage.articles import store_article
from storage.entries import EntryRecord, record_page_failure, upsert_entries
from storage.feeds import add_feeds
from storage.models import Feed
from tests.helpers.records import T0, article

README = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")


def readme_queries() -> dict[str, str]:
    section = README.split("## Querying the store", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```sql\n(.*?)```", section, flags=re.S)
    return {re.match(r"-- name: (\w+)", b).group(1): b for b in blocks}  # type: ignore[union-attr]


def test_readme_has_the_queries_the_tests_check() -> None:
    assert set(readme_queries()) == {
        "latest_per_feed",
        "duplicates_of_article",
        "removed_from_article",
        "text_from_feed",
        "failed_pages",
        "search_sqlite",
        "search_postgresql",
    }


@pytest.fixture
def filled(engine: Engine) -> Engine:
    """Two feeds; article 1 has a copy (article 3) and removed blocks."""
    with engine.begin() as conn:
        add_feeds(conn, ["https://a.example/feed", "https://b.example/feed"])
        feed_ids = dict(conn.execute(select(Feed.url, Feed.id)).all())
        first = store_article(
            conn,
            article(
                "https://a.example/pipeline",
                title="Pipeline deal",
                published_at=T0,
                urls=("https://a.example/pipeline?utm_source=rss",),
                removed=(Removed("duplicate", "Repeated."), Removed("related-links", "X")),
            ),
        )
        second = store_article(
            conn, article("https://a.example/older", title="Older", published_at=T0 - timedelta(1))
        )
        copy = store_article(conn, article("https://b.example/copy", title="Pipeline copy"))
        conn.execute(
            text("UPDATE articles SET duplicate_of = :d WHERE id = :c"),
            {"d": first.id, "c": copy.id},
        )
        upsert_entries(
            conn,
            [
                EntryRecord(feed_ids["https://a.example/feed"], "1", None, None, None, first.id),
                EntryRecord(feed_ids["https://a.example/feed"], "2", None, None, None, second.id),
                EntryRecord(feed_ids["https://b.example/feed"], "3", None, None, None, copy.id),
            ],
        )
    assert first.id == 1
    return engine


def run(engine: Engine, name: str) -> list[tuple[object, ...]]:
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(text(readme_queries()[name]))]


def test_latest_per_feed(filled: Engine) -> None:
    rows = run(filled, "latest_per_feed")
    # The copy in feed b is hidden; feed a lists its articles newest first.
    assert [(r[0], r[1]) for r in rows] == [
        ("https://a.example/feed", "Pipeline deal"),
        ("https://a.example/feed", "Older"),
    ]


def test_duplicates_of_article(filled: Engine) -> None:
    assert [(r[0], r[2]) for r in run(filled, "duplicates_of_article")] == [
        (1, "https://a.example/pipeline"),
        (1, "https://a.example/pipeline?utm_source=rss"),
        (3, "https://b.example/copy"),
    ]


def test_removed_from_article(filled: Engine) -> None:
    assert run(filled, "removed_from_article") == [
        (0, "duplicate", "Repeated."),
        (1, "related-links", "X"),
    ]


def test_text_from_feed(filled: Engine) -> None:
    with filled.begin() as conn:
        walled = article(
            "https://a.example/walled",
            title="Behind the wall",
            text_source="feed",
            feed_fields=("title", "text"),
            wall="paywall",
        )
        stored = store_article(conn, walled)
    assert run(filled, "text_from_feed") == [
        (stored.id, "https://a.example/walled", "Behind the wall", "paywall", "title text")
    ]


def test_failed_pages(filled: Engine) -> None:
    with filled.begin() as conn:
        feed_id = conn.execute(select(Feed.id).where(Feed.url == "https://a.example/feed")).scalar()
        upsert_entries(conn, [EntryRecord(feed_id, "9", "https://a.example/hang", None, None)])
        entry_id = conn.execute(text("SELECT id FROM entries WHERE guid = '9'")).scalar_one()
        record_page_failure(conn, entry_id, 2, T0, "extract-timeout: took longer than 20s")
    rows = run(filled, "failed_pages")
    assert [r[:3] for r in rows] == [
        ("https://a.example/hang", 2, "extract-timeout: took longer than 20s")
    ]


def test_search(filled: Engine) -> None:
    rows = run(filled, f"search_{filled.dialect.name}")
    assert [r[1] for r in rows] == ["Pipeline deal", "Pipeline copy"]


def test_every_setting_is_documented_with_its_default() -> None:
    table = README.split("## Configuration", 1)[1].split("\n## ", 1)[0]
    for f in fields(Settings):
        default = str(f.default).lower() if isinstance(f.default, bool) else str(f.default)
        assert re.search(rf"^\| `{f.name}` \| `{re.escape(default)}` \|", table, re.M), f.name
