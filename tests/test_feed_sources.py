"""Nothing lost, nothing falsely merged: walls and consent boxes stay separate stories, the
feed entry's content and metadata fill what the page lacks, failures are rows in SQL, and
`reprocess` splits merges the old rule made. Through the real CLI, a real local server (two
loopback hosts) and a real store on each engine."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from html import escape
from typing import Any
from xml.sax.saxutils import escape as xml_escape

import pytest
from click.testing import CliRunner
from sqlalchemy import select, update

from ingest.cli import main
from storage.engine import create_store_engine
from storage.models import Article, ArticleUrl, Entry, Fetch
from tests.helpers.httpserver import TestServer, respond
from tests.helpers.site import AEB, article_page
from tests.helpers.workers import page_hits, settings_env

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not AEB.exists(), reason=f"benchmark data not found at {AEB}"),
]

PAYWALL = (
    "This article is for subscribers only. Subscribe now to continue reading, or log in "
    "if you are already a subscriber."
)
CONSENT = [
    "Your Privacy",
    "We and our partners process your data: we store and/or access information on a "
    "device, such as cookies, and process personal data, such as unique identifiers and "
    "standard information sent by a device, for personalised advertising and content, ad "
    "and content measurement, audience insights and product development.",
    "With your permission we and our partners may use precise geolocation data and "
    "identification through device scanning. You may click to consent to our and our "
    "partners' processing as described above, or access more detailed information and "
    "change your preferences before consenting or refuse to consent.",
    "Accept all. Reject all. Manage preferences.",
]


def real_texts(count: int) -> list[str]:
    truth = json.loads((AEB / "ground-truth.json").read_text(encoding="utf-8"))
    texts = [v["articleBody"] for _, v in sorted(truth.items())]
    return [t for t in texts if len(t.split()) > 300][-count:]


def wall_page(title: str, paragraphs: list[str]) -> bytes:
    body = "".join(f"<p>{escape(p)}</p>" for p in paragraphs)
    return (
        f"<html><head><title>{escape(title)}</title></head><body>"
        f'<nav><a href="/">Home</a></nav><main><div class="gate">{body}</div></main>'
        "</body></html>"
    ).encode()


def feed(items: list[dict[str, str]]) -> bytes:
    parts = []
    for item in items:
        extra = ""
        if "content" in item:
            extra += f"<content:encoded><![CDATA[{item['content']}]]></content:encoded>"
        if "author" in item:
            extra += f"<author>{xml_escape(item['author'])}</author>"
        parts.append(
            f"<item><guid>{xml_escape(item['guid'])}</guid><link>{xml_escape(item['link'])}"
            f"</link><title>{xml_escape(item['title'])}</title>"
            f"<pubDate>{item['date']}</pubDate>{extra}</item>"
        )
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0" '
        'xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel>'
        f"<title>News</title><link>https://news.example/</link>{''.join(parts)}"
        "</channel></rss>"
    ).encode()


@pytest.fixture
def server() -> Iterator[TestServer]:
    server = TestServer()
    yield server
    server.close()


@pytest.fixture
def second_host() -> Iterator[TestServer]:
    server = TestServer(host="127.0.0.2")
    yield server
    server.close()


def ingest(env: dict[str, str], *args: str) -> Any:
    return CliRunner().invoke(main, list(args), env=env, catch_exceptions=False)


def rows(database_url: str, table: Any) -> list[Any]:
    engine = create_store_engine(database_url)
    with engine.connect() as conn:
        found = conn.execute(select(table.__table__)).all()
    engine.dispose()
    return list(found)


def by_url(database_url: str) -> dict[str, Any]:
    return {row.canonical_url: row for row in rows(database_url, Article)}


def test_walls_consent_and_copies(
    server: TestServer, second_host: TestServer, database_url: str
) -> None:
    story, copied, undated = real_texts(3)
    paragraphs = [p for p in story.split("\n") if p.strip()]
    wall_a = server.route("/paywall/a.html", respond(200, wall_page("Daily News", [PAYWALL])))
    wall_b = server.route("/paywall/b.html", respond(200, wall_page("Daily News", [PAYWALL])))
    consent_a = server.route("/c/1.html", respond(200, wall_page("Before you go", CONSENT)))
    consent_b = second_host.route("/c/2.html", respond(200, wall_page("Privacy", CONSENT)))
    copy_paragraphs = [p for p in copied.split("\n") if p.strip()]
    original = server.route(
        "/wire/story.html", respond(200, article_page("Wire story", copy_paragraphs))
    )
    syndicated = second_host.route(
        "/partner/story.html", respond(200, article_page("Wire story", copy_paragraphs))
    )
    undated_url = server.route(
        "/undated.html",
        respond(200, article_page("No date here", [p for p in undated.split("\n") if p])),
    )
    items = [
        {
            "guid": "a",
            "link": wall_a,
            "title": "Council approves the harbour budget",
            "date": "Mon, 30 Nov 2026 08:00:00 GMT",
            "author": "Jane Reporter",
            "content": "".join(f"<p>{escape(p)}</p>" for p in paragraphs),
        },
        {
            "guid": "b",
            "link": wall_b,
            "title": "Storm closes the coastal railway",
            "date": "Tue, 01 Dec 2026 09:30:00 GMT",
        },
        {"guid": "c1", "link": consent_a, "title": "One", "date": "Mon, 30 Nov 2026 10:00:00 GMT"},
        {"guid": "c2", "link": consent_b, "title": "Two", "date": "Mon, 30 Nov 2026 11:00:00 GMT"},
        {"guid": "o", "link": original, "title": "Wire", "date": "Mon, 30 Nov 2026 12:00:00 GMT"},
        {
            "guid": "o2",
            "link": original + "?utm_source=rss&fbclid=x",
            "title": "Wire",
            "date": "Mon, 30 Nov 2026 12:00:00 GMT",
        },
        {"guid": "s", "link": syndicated, "title": "Copy", "date": "Mon, 30 Nov 2026 13:00:00 GMT"},
        {
            "guid": "u",
            "link": undated_url,
            "title": "Undated",
            "date": "Sun, 29 Nov 2026 07:15:00 GMT",
        },
    ]
    feed_url = server.route("/feed.xml", respond(200, feed(items), "application/rss+xml"))
    env = settings_env(database_url)
    assert ingest(env, "db", "upgrade").exit_code == 0
    result = ingest(env, "backfill", "--feeds", feed_url)
    assert result.exit_code == 0, result.output
    stored = by_url(database_url)

    # Two walled stories: two articles, each with its entry's title and date.
    a, b = stored[wall_a], stored[wall_b]
    assert a.id != b.id
    assert (a.title, a.published_at) == (
        "Council approves the harbour budget",
        datetime(2026, 11, 30, 8, 0, tzinfo=UTC),
    )
    assert (b.title, b.published_at) == (
        "Storm closes the coastal railway",
        datetime(2026, 12, 1, 9, 30, tzinfo=UTC),
    )
    assert a.wall == b.wall == "paywall"
    # The feed had the first one's full text: that is its text, marked as the feed's.
    assert (a.text_source, b.text_source) == ("feed", "page")
    assert paragraphs[0] in a.text and paragraphs[len(paragraphs) // 2] in a.text
    assert len(a.text.split()) >= 0.9 * len(story.split())
    assert a.author == "Jane Reporter"
    assert set(a.feed_fields.split()) == {"title", "author", "published", "text"}
    # The same consent box on two hosts: two articles, neither a copy of the other.
    c1, c2 = stored[consent_a], stored[consent_b]
    assert c1.id != c2.id and c1.duplicate_of is None and c2.duplicate_of is None
    assert c1.wall == c2.wall == "consent"
    # A real exact copy, under a tracking URL and on a second host, is still one article
    # (whichever page was stored first), seen under both pages' URLs.
    (wire,) = [stored[u] for u in (original, syndicated) if u in stored]
    urls = {u.url for u in rows(database_url, ArticleUrl) if u.article_id == wire.id}
    assert {original, syndicated} <= urls
    linked = {e.guid: e.article_id for e in rows(database_url, Entry)}
    assert linked["o"] == linked["o2"] == linked["s"] == wire.id
    # An undated page takes its entry's date.
    u = stored[undated_url]
    assert u.published_at == datetime(2026, 11, 29, 7, 15, tzinfo=UTC)
    assert u.feed_fields == "published" and u.text_source == "page"


def test_a_page_that_hangs_the_extractor_is_a_row_in_sql_and_waits_for_its_retry(
    server: TestServer, database_url: str
) -> None:
    # Half a million elements: seconds of work for the extractor, past its limit of one.
    slow = b"<html><body>" + b"<p>a b</p>" * 500_000 + b"</body></html>"
    hang = server.route("/hang.html", respond(200, slow, "text/html"))
    items = [{"guid": "h", "link": hang, "title": "Hang", "date": "Mon, 30 Nov 2026 08:00:00 GMT"}]
    feed_url = server.route("/feed.xml", respond(200, feed(items), "application/rss+xml"))
    env = {**settings_env(database_url), "INGEST_EXTRACT_TIMEOUT": "1"}
    assert ingest(env, "db", "upgrade").exit_code == 0
    ingest(env, "backfill", "--feeds", feed_url)
    failed = [f for f in rows(database_url, Fetch) if f.url == hang]
    assert [(f.status, f.error_kind) for f in failed] == [(200, "extract-timeout")]
    assert "longer than 1s" in failed[0].error
    (entry,) = rows(database_url, Entry)
    assert entry.article_id is None and entry.attempts == 1
    assert entry.retry_at is not None and "extract-timeout" in entry.last_error
    stats = ingest(env, "stats")
    assert "extract-timeout" in stats.output
    # The next check of its feed does not fetch it again: it waits for its retry.
    ingest(env, "backfill", "--feeds", feed_url)
    assert page_hits(server)["/hang.html"] == 1
    assert len([f for f in rows(database_url, Fetch) if f.url == hang]) == 1


def test_reprocess_splits_stories_the_old_rule_merged(
    server: TestServer, database_url: str
) -> None:
    wall_a = server.route("/paywall/a.html", respond(200, wall_page("Daily News", [PAYWALL])))
    wall_b = server.route("/paywall/b.html", respond(200, wall_page("Daily News", [PAYWALL])))
    items = [
        {"guid": "a", "link": wall_a, "title": "First", "date": "Mon, 30 Nov 2026 08:00:00 GMT"},
        {"guid": "b", "link": wall_b, "title": "Second", "date": "Tue, 01 Dec 2026 08:00:00 GMT"},
    ]
    feed_url = server.route("/feed.xml", respond(200, feed(items), "application/rss+xml"))
    env = settings_env(database_url)
    assert ingest(env, "db", "upgrade").exit_code == 0
    assert ingest(env, "backfill", "--feeds", feed_url).exit_code == 0
    # What the old rule made of it: the second story's URLs and entry on the first's article.
    engine = create_store_engine(database_url)
    stored = by_url(database_url)
    first, second = stored[wall_a], stored[wall_b]
    with engine.begin() as conn:
        conn.execute(
            update(ArticleUrl).where(ArticleUrl.article_id == second.id).values(article_id=first.id)
        )
        conn.execute(update(Entry).where(Entry.article_id == second.id).values(article_id=first.id))
        conn.execute(Article.__table__.delete().where(Article.id == second.id))
        conn.execute(update(Article).where(Article.id == first.id).values(wall=None))
    engine.dispose()
    assert len(by_url(database_url)) == 1

    result = ingest(env, "reprocess")
    assert result.exit_code == 0, result.output
    assert "Split 1 story out of 1 article(s)" in result.output
    entries = {e.guid: e for e in rows(database_url, Entry)}
    assert entries["a"].article_id == first.id and entries["b"].article_id is None
    assert {u.url for u in rows(database_url, ArticleUrl) if u.article_id == first.id} == {wall_a}
    # The next check of the feed fetches the second story as its own article again.
    assert ingest(env, "backfill", "--feeds", feed_url).exit_code == 0
    stored = by_url(database_url)
    assert stored[wall_b].id != stored[wall_a].id
    assert stored[wall_b].title == "Second"
