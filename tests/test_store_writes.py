"""Idempotent, atomic writes on both engines, including two writers at the same moment."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import zlib
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import Connection, Engine, func, insert, select, text

from ingest.owners import worker_name
from ingest.types import Removed, compress_html, decompress_html
from storage.articles import store_article
from storage.engine import create_store_engine
from storage.entries import EntryRecord, upsert_entries
from storage.feeds import add_feeds, list_feeds
from storage.models import Article, ArticleUrl, Entry, Feed, RemovedBlock
from storage.schema import upgrade
from storage.upsert import dedupe_rows
from tests.helpers.records import T0, article, run_together


def count(conn: Connection, model: type) -> int:
    return int(conn.execute(select(func.count()).select_from(model)).scalar_one())


def test_dedupe_rows_keeps_the_last_row_per_key_in_first_seen_order() -> None:
    rows = [{"k": 1, "v": "a"}, {"k": 2, "v": "b"}, {"k": 1, "v": "c"}]
    assert dedupe_rows(rows, ["k"]) == [{"k": 1, "v": "c"}, {"k": 2, "v": "b"}]


def test_adding_a_feed_twice_leaves_one_row(engine: Engine) -> None:
    with engine.begin() as conn:
        add_feeds(conn, ["https://a.example/feed", "https://a.example/feed"])
        add_feeds(conn, ["https://a.example/feed", "https://b.example/feed"])
    with engine.connect() as conn:
        assert [f.url for f in list_feeds(conn)] == [
            "https://a.example/feed",
            "https://b.example/feed",
        ]


def test_concurrent_upserts_of_the_same_keys_leave_one_row(engine: Engine) -> None:
    def job(i: int) -> None:
        with engine.begin() as conn:
            add_feeds(conn, ["https://same.example/feed", f"https://own.example/{i}"])
            store_article(conn, article(title=f"writer {i}"))

    assert run_together(4, job) == []
    with engine.connect() as conn:
        assert count(conn, Feed) == 5
        assert count(conn, Article) == 1
        assert count(conn, ArticleUrl) == 1


def test_entries_are_unique_per_feed_and_keep_first_seen(engine: Engine) -> None:
    with engine.begin() as conn:
        add_feeds(conn, ["https://a.example/feed"])
        feed_id = conn.execute(select(Feed.id)).scalar_one()
        stored = store_article(conn, article())
        upsert_entries(conn, [EntryRecord(feed_id, "g1", "https://e/1", "t", None, stored.id)])
        upsert_entries(
            conn,
            [
                EntryRecord(feed_id, "g1", "https://e/1", "old title", None),
                EntryRecord(feed_id, "g1", "https://e/1", "new title", None),
                EntryRecord(feed_id, "g2", "https://e/2", "other", T0),
            ],
        )
        first_seen = conn.execute(select(Entry.first_seen_at).where(Entry.guid == "g2")).scalar()
    with engine.begin() as conn:
        upsert_entries(conn, [EntryRecord(feed_id, "g2", "https://e/2", "again", None)])
    with engine.connect() as conn:
        rows = {r.guid: r for r in conn.execute(select(Entry.__table__))}
    assert len(rows) == 2
    assert rows["g1"].title == "new title"
    # The last row of a batch wins, and a stored entry never forgets its article.
    assert rows["g1"].article_id == stored.id
    assert rows["g2"].title == "again"
    assert rows["g2"].published_at == T0
    assert rows["g2"].first_seen_at == first_seen


def test_storing_an_article_again_updates_it_in_place(engine: Engine) -> None:
    later = T0 + timedelta(hours=1)
    with engine.begin() as conn:
        first = store_article(conn, article(removed=(Removed("duplicate", "x"),)))
        same = store_article(conn, article(at=later, urls=("https://example.com/a?utm_source=x",)))
        changed = store_article(
            conn, article(at=later + timedelta(hours=1), text="New body.", content_hash="h2")
        )
    assert (first.created, first.content_changed) == (True, False)
    assert (same.created, same.content_changed) == (False, False)
    assert (changed.created, changed.content_changed) == (False, True)
    assert first.id == same.id == changed.id
    with engine.connect() as conn:
        row = conn.execute(select(Article.__table__)).one()
        urls = conn.execute(select(ArticleUrl.url).order_by(ArticleUrl.url)).scalars().all()
        removed = count(conn, RemovedBlock)
    assert row.first_seen_at == T0
    assert row.content_changed_at == later + timedelta(hours=1)
    assert row.text == "New body."
    assert urls == ["https://example.com/a", "https://example.com/a?utm_source=x"]
    assert removed == 0  # replaced by the changed version's (empty) list


def test_raw_html_is_stored_compressed_and_can_be_switched_off(engine: Engine) -> None:
    page = "<html><body>" + "<p>same paragraph</p>" * 500 + "</body></html>"
    with engine.begin() as conn:
        store_article(conn, article(raw_html=page))
        store_article(conn, article(url="https://example.com/b", raw_html=None))
    with engine.connect() as conn:
        blobs = dict(conn.execute(select(Article.canonical_url, Article.raw_html)).all())
    assert decompress_html(blobs["https://example.com/a"]) == page
    assert len(blobs["https://example.com/a"]) < len(page) / 10
    assert blobs["https://example.com/b"] is None


def test_raw_html_written_by_earlier_versions_still_reads() -> None:
    """Stores written before zstd hold zlib streams; reprocessing must still read them."""
    page = "<p>Ça marche — encore.</p>" * 50
    assert decompress_html(zlib.compress(page.encode("utf-8"), 6)) == page
    assert decompress_html(compress_html(page)) == page


def test_times_come_back_as_aware_utc(engine: Engine) -> None:
    paris = timezone(timedelta(hours=1))
    with engine.begin() as conn:
        store_article(conn, article(published_at=datetime(2026, 1, 1, 13, 0, tzinfo=paris)))
    with engine.connect() as conn:
        published = conn.execute(select(Article.published_at)).scalar_one()
    assert published == datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
    assert published.tzinfo == UTC


def test_naive_times_are_refused(engine: Engine) -> None:
    with pytest.raises(Exception, match="naive datetime"), engine.begin() as conn:
        store_article(conn, article(at=datetime(2026, 1, 1)))


def test_foreign_keys_are_enforced(engine: Engine) -> None:
    with pytest.raises(Exception, match=r"(?i)foreign key"), engine.begin() as conn:
        conn.execute(insert(Entry).values(feed_id=999, guid="g", first_seen_at=T0))


def test_sqlite_connections_use_wal_and_a_busy_timeout(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'store.db'}"
    engine = create_store_engine(url)
    upgrade(engine)
    engine.dispose()
    engine = create_store_engine(url)
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA auto_vacuum").scalar() == 2  # incremental
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 5000
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar() == 10_000
        assert conn.exec_driver_sql("PRAGMA cache_size").scalar() == -2048  # KiB
    engine.dispose()
    intake = create_store_engine(url, sqlite_cache_kib=8192)
    with intake.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA cache_size").scalar() == -8192
    intake.dispose()


def test_a_write_succeeds_while_another_connection_holds_a_read(engine: Engine) -> None:
    with engine.begin() as conn:
        add_feeds(conn, ["https://a.example/feed"])
    with engine.connect().execution_options(read_only=True) as reader, reader.begin():
        assert count(reader, Feed) == 1
        with engine.begin() as writer:
            add_feeds(writer, ["https://b.example/feed"])
        # The reader's snapshot does not move inside its transaction on SQLite (WAL).
        if engine.dialect.name == "sqlite":
            assert count(reader, Feed) == 1
    with engine.connect() as conn:
        assert count(conn, Feed) == 2


def test_read_then_write_transactions_never_fail_with_database_is_locked(engine: Engine) -> None:
    """Two transactions that each read and then write: with deferred transactions SQLite
    fails one with "database is locked"; ours wait for each other instead."""
    with engine.begin() as conn:
        add_feeds(conn, ["https://a.example/feed"])

    def job(i: int) -> None:
        with engine.begin() as conn:
            n = count(conn, Feed)
            time.sleep(0.2)
            conn.execute(text("UPDATE feeds SET error_count = error_count + :n"), {"n": n})
            add_feeds(conn, [f"https://new.example/{i}"])

    assert run_together(3, job) == []
    with engine.connect() as conn:
        assert count(conn, Feed) == 4


def test_a_page_is_claimed_by_one_worker_until_it_lets_go_or_its_claim_lapses(
    engine: Engine,
) -> None:
    from storage.page_claims import ClaimState, claim_pages, claim_state, release_pages

    url, other = "https://example.com/page", "https://example.com/other"
    with engine.begin() as conn:
        assert claim_pages(conn, [url, url], "a", T0, lease=60) == {url}
        assert claim_pages(conn, [url], "a", T0 + timedelta(seconds=10), lease=60) == {url}
        assert claim_pages(conn, [url, other], "b", T0 + timedelta(seconds=30), lease=60) == {other}
        assert claim_state(conn, url, T0 + timedelta(seconds=30)) is ClaimState.HELD
        release_pages(conn, [url], "b")  # not b's to release
        assert claim_state(conn, url, T0 + timedelta(seconds=30)) is ClaimState.HELD
        # a died: its claim lapses, and b takes the page over.
        lapsed = T0 + timedelta(seconds=71)  # renewed at +10
        assert claim_state(conn, url, lapsed) is ClaimState.ABANDONED
        assert claim_pages(conn, [url], "b", lapsed, lease=60) == {url}
        release_pages(conn, [url], "b")
        assert claim_state(conn, url, T0 + timedelta(seconds=72)) is ClaimState.RELEASED
        assert claim_pages(conn, [url], "a", T0 + timedelta(seconds=72), lease=60) == {url}


def test_the_claims_of_a_gone_worker_on_this_machine_are_taken_over_at_once(
    engine: Engine,
) -> None:
    """A killed run's claims do not stall the rerun until their lease lapses."""
    from storage.page_claims import ClaimState, claim_pages, claim_state

    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()  # a process of this machine that is no more
    gone_owner = f"{socket.gethostname()}:{dead.pid}:deadbeef"
    elsewhere = f"another-machine.example:{dead.pid}:cafebabe"  # its lease decides
    url, far = "https://example.com/page", "https://example.com/far"
    with engine.begin() as conn:
        assert claim_pages(conn, [url], gone_owner, T0, lease=600) == {url}
        assert claim_pages(conn, [far], elsewhere, T0, lease=600) == {far}
        soon = T0 + timedelta(seconds=1)
        assert claim_state(conn, url, soon) is ClaimState.ABANDONED
        assert claim_state(conn, far, soon) is ClaimState.HELD
        assert claim_pages(conn, [url, far], worker_name(), soon, lease=600) == {url}


def test_a_page_stored_by_another_worker_after_a_first_look_is_not_claimed_to_fetch(
    engine: Engine,
) -> None:
    """The race the claim's second look closes: b looked (page unknown), a claimed, stored
    and let go, and only then b claims. b must link to a's article, not fetch again."""
    from storage.page_claims import ClaimState, claim_state, claim_unstored_pages, release_pages

    url, tracked = "https://example.com/page", "https://example.com/page?utm_source=x"
    other = "https://example.com/other"
    pages = {url: [tracked, url], other: [other]}
    with engine.begin() as conn:
        assert claim_unstored_pages(conn, {url: [url]}, "a", T0, lease=60) == ({url}, {})
        stored = store_article(conn, article(url))
        release_pages(conn, [url], "a")
    with engine.begin() as conn:
        held, known = claim_unstored_pages(conn, pages, "b", T0, lease=60)
        assert held == {other}
        assert known == {url: stored.id}
        # The second look let go of it again.
        assert claim_state(conn, url, T0) is ClaimState.RELEASED
        assert claim_state(conn, other, T0) is ClaimState.HELD
